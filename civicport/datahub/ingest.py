"""The ingest pipeline: an uploaded file → a normalised UTF-8 CSV → schema → validation →
an immutable Parquet file named by its content hash. No database writes here: the caller
(`actions.version_publish`) flips the pointer once the file is safely in place.

Large files stream: the transcoding pass reads fixed-size chunks, DuckDB reads the CSV
itself (parallel, out of core) for validation and for the Parquet write. Only a sample of
rows (for type inference) is ever held in Python.
"""

import csv
import hashlib
import io
import json
import os
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from django.conf import settings
from django.utils.translation import gettext as _

from civicport.datahub import encodings, storage
from civicport.datahub import schema as schemas
from civicport.datahub.schema import quote_ident

CHUNK = 8 * 1024 * 1024
SAMPLE_ROWS = 1000  # for type inference only: every row is validated
MAX_ERRORS = 100
# Zip-bomb guards for XLSX: total uncompressed size and the worst compression ratio.
XLSX_MAX_UNCOMPRESSED = 300 * 1024 * 1024
XLSX_MAX_RATIO = 200
JSON_MAX_BYTES = 50 * 1024 * 1024
TABLE_FORMATS = {"csv": "CSV", "tsv": "CSV", "txt": "CSV", "xlsx": "XLSX", "json": "JSON"}

Progress = Callable[[int, str], None]


class IngestError(Exception):
    """The upload cannot be published; `errors` are {row, column, message} for the publisher."""

    def __init__(self, message: str, errors: list[dict] | None = None, count: int = 0):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.count = count or len(self.errors)


@dataclass
class Prepared:
    """A table ready to publish: its Parquet file (in work/) and what describes it."""

    parquet: Path
    content_hash: str
    schema: dict
    row_count: int
    encoding: str
    format: str
    size: int = 0
    extra: dict = field(default_factory=dict)


def _noop(percent: int, stage: str) -> None:
    return None


def table_format(filename: str) -> str | None:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return TABLE_FORMATS.get(ext)


# --- step 1: any table format → normalised UTF-8 CSV -----------------------------------------


def _read_chunks(path: Path):
    """Chunks of `path` that end after a newline (so no character or VNI pair is split)."""
    carry = b""
    with open(path, "rb") as handle:
        while True:
            block = handle.read(CHUNK)
            if not block:
                break
            block = carry + block
            cut = block.rfind(b"\n")
            if cut < 0:
                carry = block
                continue
            carry = block[cut + 1:]
            yield block[: cut + 1]
    if carry:
        yield carry


def csv_normalise(source: Path, progress: Progress = _noop) -> tuple[Path, str, str]:
    """(UTF-8 NFC CSV path, encoding found, sha256 of that text). Rewrites only if needed."""
    with open(source, "rb") as handle:
        sample = handle.read(64 * 1024)
    if not sample.strip():
        raise IngestError(_("The file is empty."))
    encoding = encodings.detect_bytes(sample)
    decoder = encodings.StreamDecoder(encoding)
    digest = hashlib.sha256()
    total = max(source.stat().st_size, 1)
    done = 0
    if encoding == "utf-8":
        # The common case: verify (UTF-8, NFC) and hash in one pass, no copy.
        for chunk in _read_chunks(source):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                # ASCII at the start, legacy bytes later: detect on the first bad chunk.
                encoding = encodings.detect_bytes(chunk)
                break
            if decoder.normalised:
                break  # valid UTF-8 but not NFC: rewrite normalised
            digest.update(chunk)
            done += len(chunk)
            progress(5 + 20 * done // total, _("Checking the encoding"))
        else:
            return source, encoding, digest.hexdigest()
        decoder = encodings.StreamDecoder(encoding)
        digest = hashlib.sha256()
        done = 0
    target = storage.scratch(".csv")
    with open(target, "wb") as out:
        for chunk in _read_chunks(source):
            try:
                data = decoder.decode(chunk).encode()
            except UnicodeDecodeError as exc:
                raise IngestError(_("The file mixes encodings: it is not valid text.")) from exc
            if encoding.startswith("utf-8-sig") and done == 0:
                data = data.removeprefix("\ufeff".encode())
            out.write(data)
            digest.update(data)
            done += len(chunk)
            progress(5 + 20 * done // total, _("Converting to Unicode"))
    return target, encoding, digest.hexdigest()


def xlsx_to_csv(source: Path, progress: Progress = _noop) -> tuple[Path, str, str]:
    """First sheet of a workbook → UTF-8 CSV; refuses zip bombs before opening it."""
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise IngestError(_("The file is not a valid XLSX workbook.")) from exc
    uncompressed = sum(info.file_size for info in infos)
    compressed = max(sum(info.compress_size for info in infos), 1)
    if uncompressed > XLSX_MAX_UNCOMPRESSED or uncompressed / compressed > XLSX_MAX_RATIO:
        raise IngestError(
            _("The workbook expands to %(mb)d MB when opened: refused as unsafe.")
            % {"mb": uncompressed // (1024 * 1024)}
        )
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise IngestError(_("The file is not a valid XLSX workbook.")) from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    head = []
    for row in rows:
        head.append([_cell_text(v) for v in row])
        if len(head) >= 200:
            break
    repair = encodings.detect_text_repair(" ".join(" ".join(r) for r in head))
    target = storage.scratch(".csv")
    digest = hashlib.sha256()
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = _HashingWriter(out, digest)
        for count, row in enumerate(_chain(head, ([_cell_text(v) for v in r] for r in rows))):
            cells = [encodings.repair_text(c, repair) for c in row]
            while cells and cells[-1] == "":
                cells.pop()
            writer.writerow(cells)
            if count % 10000 == 0:
                progress(15, _("Reading the workbook"))
    book.close()
    return target, "xlsx" + (f"+{repair}" if repair else ""), digest.hexdigest()


def _chain(first, rest):
    yield from first
    yield from rest


class _HashingWriter:
    def __init__(self, out, digest):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.out, self.digest = out, digest

    def writerow(self, cells):
        self.writer.writerow(cells)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        self.out.write(text)
        self.digest.update(text.encode())


def _cell_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def json_to_csv(source: Path) -> tuple[Path, str, str]:
    """A JSON array of objects (or {"records": [...]}) → UTF-8 CSV (bounded size)."""
    if source.stat().st_size > JSON_MAX_BYTES:
        raise IngestError(_("JSON tables are limited to %(mb)d MB; upload a CSV instead.")
                          % {"mb": JSON_MAX_BYTES // (1024 * 1024)})
    try:
        data = json.loads(source.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(_("The file is not valid JSON.")) from exc
    if isinstance(data, dict):
        data = data.get("records") or data.get("data") or data.get("result") or []
    if not isinstance(data, list) or not data or not all(isinstance(r, dict) for r in data):
        raise IngestError(_("A JSON table must be a non-empty list of objects."))
    keys = list(dict.fromkeys(k for row in data for k in row))
    target = storage.scratch(".csv")
    digest = hashlib.sha256()
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = _HashingWriter(out, digest)
        writer.writerow([encodings.repair_text(str(k), None) for k in keys])
        for row in data:
            writer.writerow([
                "" if row.get(k) is None else encodings.repair_text(str(row.get(k)), None)
                for k in keys
            ])
    return target, "utf-8", digest.hexdigest()


# --- step 2: dialect, header, sample, schema -------------------------------------------------


def _dialect(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read(64 * 1024)
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        raise IngestError(_("The file is empty."))
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t", "|"):
        counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines]
        # Prefer a delimiter that splits every line into the same number (>1) of cells.
        score = (counts[0] > 1) * 10 + sum(c == counts[0] for c in counts) + counts[0] / 100
        if counts[0] > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _sample(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise IngestError(_("The file is empty.")) from None
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                break
    header = [encodings.repair_text(h.strip(), None) for h in header]
    if not any(header):
        raise IngestError(_("The first row must hold the column names."))
    return header, rows


# --- step 3: validation and Parquet with DuckDB ----------------------------------------------


_database: duckdb.DuckDBPyConnection | None = None
_database_lock = threading.Lock()


def _connection() -> duckdb.DuckDBPyConnection:
    """A fresh connection (its own temp tables, e.g. the CSV rejects) to the process's one
    in-memory DuckDB: opening a database costs 30–90 ms, a connection to it microseconds."""
    global _database
    with _database_lock:
        if _database is None:
            database = duckdb.connect()
            database.execute(f"SET threads = {max(1, min(os.cpu_count() or 1, 4))}")
            database.execute("SET memory_limit = '1GB'")
            database.execute(f"SET temp_directory = '{storage.area('work')}/duck'")
            database.execute("SET preserve_insertion_order = true")
            _database = database
        return _database.cursor()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _reader(path: Path, delimiter: str, names: list[str], *, rejects: bool) -> str:
    columns = "{" + ", ".join(f"{_sql_string(n)}: 'VARCHAR'" for n in names) + "}"
    options = [
        f"delim={_sql_string(delimiter)}", "header=true", "quote='\"'", "escape='\"'",
        f"columns={columns}", "auto_detect=false", "strict_mode=true",
        "max_line_size=10000000", "null_padding=false",
    ]
    if rejects:
        options += ["store_rejects=true", "ignore_errors=true", "rejects_limit=1000"]
    return f"read_csv({_sql_string(str(path))}, {', '.join(options)})"


def _row_errors(con, labels: list[str]) -> tuple[list[dict], int]:
    """Rows DuckDB could not split into the header's cells (one error per row)."""
    try:
        rows = con.execute(
            "SELECT line, min(error_type), any_value(csv_line) FROM reject_errors "
            "GROUP BY line ORDER BY line LIMIT ?", [MAX_ERRORS]
        ).fetchall()
        count = con.execute("SELECT count(DISTINCT line) FROM reject_errors").fetchone()[0]
    except duckdb.CatalogException:
        return [], 0  # no row was rejected
    errors = []
    for line, error_type, csv_line in rows:
        try:
            cells = len(next(csv.reader([(csv_line or "").strip()]), []))
        except csv.Error:
            cells = 0
        kind = str(error_type)
        if "TOO MANY" in kind or "MISSING" in kind:
            message = _("The row has %(found)s cells; the header has %(expected)s.") % {
                "found": cells, "expected": len(labels)}
        elif "QUOTE" in kind:
            message = _("A quote is not closed in this row.")
        else:
            message = _("The row cannot be read (%(kind)s).") % {"kind": kind.lower()}
        errors.append({"row": int(line) - 1, "column": "", "value": (csv_line or "").strip()[:80],
                       "message": message})
    return errors, int(count)


def validate(con, path: Path, delimiter: str, table_schema: dict, progress: Progress):
    """Every row and cell of the file checked against the schema; raises IngestError."""
    fields = table_schema["fields"]
    labels = [f["title"] for f in fields]
    names = [f["name"] for f in fields]
    checks = [(f, schemas.invalid_sql(f, quote_ident(f["name"]))) for f in fields]
    checks = [(f, cond) for f, cond in checks if cond]
    aggregates = ["count(*)"] + [f"count_if({cond})" for _f, cond in checks]
    try:
        result = con.execute(
            f"SELECT {', '.join(aggregates)} FROM {_reader(path, delimiter, names, rejects=True)}"
        ).fetchall()[0]  # fetchall: the rejects table exists only once the result is consumed
    except duckdb.Error as exc:
        raise IngestError(_("The file cannot be read as a table: %(error)s")
                          % {"error": str(exc).splitlines()[0][:300]}) from exc
    progress(55, _("Validating"))
    row_count = int(result[0])
    errors, count = _row_errors(con, labels)
    bad = [(f, cond, n) for (f, cond), n in zip(checks, result[1:], strict=True) if n]
    if bad and len(errors) < MAX_ERRORS:
        reader = _reader(path, delimiter, names, rejects=False) if not count else \
            _reader(path, delimiter, names, rejects=True)
        any_bad = " OR ".join(cond for _f, cond, _n in bad)
        select = ", ".join(quote_ident(f["name"]) for f, _c, _n in bad)
        rows = con.execute(
            f"SELECT * FROM (SELECT row_number() OVER () AS _row, {select} FROM {reader}) "
            f"WHERE {any_bad} ORDER BY _row LIMIT ?",
            [MAX_ERRORS],
        ).fetchall()
        for row in rows:
            for (f, _cond, _n), value in zip(bad, row[1:], strict=True):
                if _value_invalid(f, value):
                    errors.append({
                        "row": int(row[0]), "column": f["title"], "value": value,
                        "message": _("“%(value)s” is not a valid %(type)s.") % {
                            "value": value, "type": _type_label(f["type"])},
                    })
        errors.sort(key=lambda e: e["row"])
        errors = errors[:MAX_ERRORS]
    count += sum(n for _f, _c, n in bad)
    if count:
        raise IngestError(
            _("%(count)s errors found: nothing was published. Fix them and upload again.")
            % {"count": count}, errors, count,
        )
    if row_count == 0:
        raise IngestError(_("The table has a header but no rows."))
    return row_count


def _type_label(kind: str) -> str:
    return {"integer": _("whole number"), "number": _("number"), "date": _("date (dd/mm/yyyy)"),
            "string": _("text")}[kind]


def _value_invalid(field: dict, value) -> bool:
    if value is None or value.strip() in schemas.MISSING_VALUES:
        return False
    con = _connection()
    try:
        typed = con.execute(f"SELECT {schemas.cast_sql(field, '$1')}", [value]).fetchall()[0][0]
    finally:
        con.close()
    return typed is None


def _fold_table() -> tuple[str, str]:
    """Accented letters → their `core.text.fold` letter, for DuckDB's translate(): the same
    folding as the query's, and about twice as fast as strip_accents on long text."""
    from civicport.core.text import fold

    source, target = [], []
    for code in list(range(0xC0, 0x250)) + list(range(0x1EA0, 0x1F00)):
        char = chr(code)
        lowered = char.lower()
        if len(lowered) != 1 or lowered != char:
            continue
        folded = fold(char)
        if len(folded) == 1 and folded.isascii() and folded != char:
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


FOLD_FROM, FOLD_TO = _fold_table()


def search_sql(fields: list[dict]) -> str:
    """The folded text of a row's text columns (what `q` searches; diacritics ignored)."""
    texts = [quote_ident(f["name"]) for f in fields if f["type"] == "string"]
    if not texts:
        return "''"
    joined = f"concat_ws(' ', {', '.join(texts)})"
    return f"translate(lower({joined}), {_sql_string(FOLD_FROM)}, {_sql_string(FOLD_TO)})"


def write_parquet(con, source_sql: str, fields: list[dict], target: Path) -> int:
    """Typed columns plus `_bad` (true where a present value did not fit its type), so one
    pass both converts and validates; `_bad` never leaves the warehouse."""
    inner, outer, bad = [], [], []
    for index, f in enumerate(fields):
        name = quote_ident(f["name"])
        inner.append(f"{schemas.cast_sql(f, name)} AS {name}")
        outer.append(name)
        if f["type"] != "string":
            # Each value is cast once: present-but-NULL after the cast means "did not fit".
            inner.append(f"NOT {schemas.missing_sql(name)} AS _p{index}")
            bad.append(f"(_p{index} AND {name} IS NULL)")
    outer.append(f"({' OR '.join(bad)}) AS _bad" if bad else "false AS _bad")
    result = con.execute(
        f"COPY (SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {source_sql})) "
        f"TO {_sql_string(str(target))} (FORMAT parquet, ROW_GROUP_SIZE 122880)"
    ).fetchall()
    return int(result[0][0]) if result else 0


def search_build(con, parquet: Path, fields: list[dict], target: Path) -> None:
    """The search sidecar: each row's folded text next to its row number. Built after the
    version is visible (as a search index is), from the typed Parquet, not the CSV."""
    con.execute(
        f"COPY (SELECT file_row_number AS _row, {search_sql(fields)} AS _search "
        f"FROM read_parquet({_sql_string(str(parquet))}, file_row_number=true)) "
        f"TO {_sql_string(str(target))} (FORMAT parquet, ROW_GROUP_SIZE 122880)"
    )


def _bad_count(con, parquet: Path) -> int:
    return int(con.execute(
        f"SELECT count(*) FROM read_parquet({_sql_string(str(parquet))}) WHERE _bad"
    ).fetchall()[0][0])


def _verify_utf8(source: Path, result: dict) -> None:
    """Thread body: is the raw file UTF-8 and NFC? Its sha256 (hashlib, decode and the
    normalisation check release the GIL or are short: DuckDB works meanwhile)."""
    try:
        path, encoding, text_hash = csv_normalise(source)
        result.update(path=path, encoding=encoding, hash=text_hash)
    except BaseException as exc:  # re-raised in the caller's thread
        result["error"] = exc


def prepare_table(upload: Path, filename: str, progress: Progress = _noop,
                  names: list[str] | None = None) -> Prepared:
    """Upload → validated, typed Parquet in the work area (not yet published).

    The common case (a UTF-8 CSV) takes two passes over the file that run at the same
    time: Python checks UTF-8/NFC and hashes it while DuckDB converts and validates it into
    Parquet. Anything else (legacy encodings, XLSX, JSON) is first rewritten as UTF-8.
    """
    kind = table_format(filename) or "CSV"
    cleanup: list[Path] = []
    try:
        progress(5, _("Reading the file"))
        if upload.stat().st_size == 0:
            raise IngestError(_("The file is empty."))
        verify: dict = {}
        thread = None
        if kind == "XLSX":
            csv_path, encoding, text_hash = xlsx_to_csv(upload, progress)
        elif kind == "JSON":
            csv_path, encoding, text_hash = json_to_csv(upload)
        else:
            with open(upload, "rb") as handle:
                head = handle.read(64 * 1024)
            if not head.strip():
                raise IngestError(_("The file is empty."))
            if encodings.detect_bytes(head) == "utf-8":
                csv_path, encoding, text_hash = upload, "utf-8", ""
                thread = threading.Thread(target=_verify_utf8, args=(upload, verify))
                thread.start()
            else:
                csv_path, encoding, text_hash = csv_normalise(upload, progress)
        if csv_path != upload:
            cleanup.append(csv_path)
        try:
            delimiter = _dialect(csv_path)
            labels, rows = _sample(csv_path, delimiter)
        except IngestError:
            if thread is not None:
                thread.join()
            raise
        progress(30, _("Inferring the schema"))
        table_schema = schemas.infer_schema(labels, rows)
        if names is not None:
            # A module publishing its own table names its columns itself.
            if len(names) != len(table_schema["fields"]):
                raise IngestError(_("The column names do not match the header."))
            for field_, name in zip(table_schema["fields"], names, strict=True):
                field_["name"] = name
        target = storage.scratch(".parquet")
        cleanup.append(target)
        con = _connection()
        try:
            progress(50, _("Writing the version"))
            column_names = [f["name"] for f in table_schema["fields"]]
            try:
                written = write_parquet(con, _reader(csv_path, delimiter, column_names,
                                                     rejects=True),
                                        table_schema["fields"], target)
            except duckdb.Error as exc:
                written, copy_error = -1, exc
            if thread is not None:
                thread.join()
                if "error" in verify:
                    raise verify["error"]
                if verify["path"] != upload:
                    # Not plain UTF-8 NFC after all: convert, then write again.
                    csv_path, encoding = verify["path"], verify["encoding"]
                    cleanup.append(csv_path)
                    con.close()
                    con = _connection()
                    written = write_parquet(con, _reader(csv_path, delimiter, column_names,
                                                         rejects=True),
                                            table_schema["fields"], target)
                text_hash = verify["hash"]
            if written < 0:
                raise IngestError(_("The file cannot be read as a table: %(error)s")
                                  % {"error": str(copy_error).splitlines()[0][:300]})
            progress(80, _("Validating"))
            row_errors, rejected = _row_errors(con, [f["title"] for f in
                                                     table_schema["fields"]])
            if rejected or _bad_count(con, target):
                # Slow path, only for files with errors: find them by row and column.
                fresh = _connection()
                try:
                    validate(fresh, csv_path, delimiter, table_schema, progress)
                finally:
                    fresh.close()
                raise IngestError(_("Some values do not fit their columns: nothing was "
                                    "published."), row_errors)
            if written == 0:
                raise IngestError(_("The table has a header but no rows."))
        finally:
            con.close()
        content_hash = hashlib.sha256(
            (text_hash + json.dumps(table_schema, sort_keys=True)).encode()
        ).hexdigest()
        cleanup.remove(target)
        return Prepared(parquet=target, content_hash=content_hash, schema=table_schema,
                        row_count=written, encoding=encoding, format=kind,
                        size=upload.stat().st_size)
    finally:
        for path in cleanup:
            if path != upload:
                path.unlink(missing_ok=True)


def rows_to_csv(columns: list[tuple[str, str]], rows) -> Path:
    """Rows from another module → a UTF-8 CSV in the work area (labels as header)."""
    target = storage.scratch(".csv")
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([label for _id, label in columns])
        for row in rows:
            writer.writerow(["" if v is None else _plain(v) for v in row])
    return target


def _plain(value) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "có" if value else "không"
    return encodings.repair_text(str(value), None)


def upload_limit() -> int:
    """Largest upload: CIVICPORT_DATAHUB_MAX_UPLOAD_BYTES (data files are bigger than dossier
    documents, so they have their own limit)."""
    return int(settings.CIVICPORT_DATAHUB_MAX_UPLOAD_BYTES)


def save_upload(chunks, filename: str, *, limit: int | None = None) -> tuple[Path, int]:
    """Stream an upload to uploads/, refusing it as soon as it passes the size limit."""
    limit = upload_limit() if limit is None else limit
    suffix = "." + filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else ""
    target = storage.area("uploads") / f"{os.urandom(12).hex()}{suffix}"
    size = 0
    try:
        with open(target, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise IngestError(
                        _("The file is larger than the %(mb)s MB allowed.")
                        % {"mb": limit // (1024 * 1024)}
                    )
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, size
