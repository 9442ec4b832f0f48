"""DuckDB over the published Parquet files: row search, SQL sandbox, diffs and exports.

Two kinds of connection:

* the row API's own queries (built here from validated field names, values passed as
  parameters) run on a per-thread connection that reads our Parquet files;
* user SQL runs in a fresh sandbox: the dataset's tables as views, external access off
  (only the dataset's own files allowed), configuration locked, a memory limit, one thread,
  and a timer that interrupts it. Before that, DuckDB's own parser must show one SELECT
  that reads only those tables and calls no file, setting or catalogue function.
"""

import json
import re
import threading
from datetime import date, datetime
from pathlib import Path

import duckdb
from django.utils.translation import gettext as _

from civicport.core.text import fold
from civicport.datahub import storage
from civicport.datahub.schema import CKAN_TYPES, quote_ident

ROWS_MAX = 32000
DEFAULT_LIMIT = 100
SQL_TIMEOUT_SECONDS = 10.0
SQL_MEMORY = "256MB"
SQL_ROWS_MAX = 32000


class QueryError(Exception):
    """A bad query parameter or SQL: `kind` is validation / authorization / timeout."""

    def __init__(self, message: str, kind: str = "validation", field: str = ""):
        super().__init__(message)
        self.message, self.kind, self.field = message, kind, field


_local = threading.local()


def connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        con.execute("SET threads = 2")
        con.execute("SET memory_limit = '512MB'")
        con.execute("SET enable_object_cache = true")
        _local.con = con
    return con


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def search_path(path: str) -> Path:
    """The search sidecar of a version's Parquet file (folded text per row)."""
    return storage.absolute(path).with_suffix(".search.parquet")


ROW_ID = "(file_row_number + 1)"


def relation(path: str, row_numbers: bool = False) -> str:
    """The Parquet file as a table. `_id` is the 1-based row number in the file, which costs
    a row-number column in the scan: asked for only when a query needs it (counts without
    it are about 4x faster). Rows come back in file order without an ORDER BY because
    DuckDB preserves insertion order for scans and filters."""
    options = ", file_row_number=true" if row_numbers else ""
    return f"read_parquet({_string(str(storage.absolute(path)))}{options})"


def ckan_fields(schema: dict) -> list[dict]:
    fields = [{"id": "_id", "type": "int"}]
    for f in schema.get("fields", []):
        fields.append({"id": f["name"], "type": CKAN_TYPES[f["type"]],
                       "info": {"label": f.get("title", f["name"])}})
    return fields


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _typed_value(field: dict, value):
    kind = field["type"]
    text = str(value).strip()
    try:
        if kind == "integer":
            return int(text.replace(".", "") if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text)
                       else text)
        if kind == "number":
            return float(text.replace(".", "").replace(",", ".") if "," in text else text)
        if kind == "date":
            if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
                day, month, year = (int(p) for p in text.split("/"))
                return date(year, month, day)
            return date.fromisoformat(text)
    except ValueError:
        raise QueryError(
            _("“%(value)s” is not a valid value for the column %(field)s.")
            % {"value": text, "field": field["name"]}, field=field["name"]
        ) from None
    return str(value)


def _parse_sort(sort: str, names: set[str]) -> str:
    parts = []
    for item in (sort or "").split(","):
        tokens = item.strip().split()
        if not tokens:
            continue
        name = tokens[0].strip('"')
        direction = tokens[1].lower() if len(tokens) > 1 else "asc"
        if name not in names or direction not in ("asc", "desc") or len(tokens) > 2:
            raise QueryError(_("Cannot sort by “%(sort)s”.") % {"sort": item.strip()},
                             field="sort")
        column = ROW_ID if name == "_id" else quote_ident(name)
        parts.append(f"{column} {direction.upper()}")
    return ", ".join(parts)


def rows_search(*, path: str, schema: dict, filters: dict | None = None, q=None,
                fields: list[str] | None = None, sort: str = "", distinct: bool = False,
                limit: int | None = None, offset: int = 0, include_total: bool = True,
                records_format: str = "objects") -> dict:
    """datastore_search over one version: filters (AND, lists = IN), `q` ignoring
    diacritics, sort, fields, distinct, limit/offset, total."""
    by_name = {f["name"]: f for f in schema.get("fields", [])}
    names = {"_id", *by_name}
    wanted = fields or ["_id", *by_name]
    for name in wanted:
        if name not in names:
            raise QueryError(_("There is no column “%(field)s”.") % {"field": name},
                             field="fields")
    where, params = [], []
    for name, value in (filters or {}).items():
        if name not in names:
            raise QueryError(_("There is no column “%(field)s”.") % {"field": name},
                             field="filters")
        values = value if isinstance(value, list) else [value]
        if not values:
            continue
        if name == "_id":
            column = ROW_ID
            typed = [_typed_value({"type": "integer", "name": "_id"}, v) for v in values]
        else:
            column = quote_ident(name)
            typed = [_typed_value(by_name[name], v) for v in values]
        where.append(f"{column} IN ({', '.join('?' for _ in typed)})")
        params.extend(typed)
    if isinstance(q, dict):
        for name, text in q.items():
            if name not in by_name:
                raise QueryError(_("There is no column “%(field)s”.") % {"field": name},
                                 field="q")
            for word in fold(str(text)).split():
                where.append(
                    f"replace(strip_accents(lower(CAST({quote_ident(name)} AS VARCHAR))), "
                    "'đ', 'd') LIKE ?"
                )
                params.append(f"%{word}%")
    elif q:
        folded = fold(str(q)).split()
        sidecar = search_path(path)
        if sidecar.exists():
            likes = " AND ".join("_search LIKE ?" for _ in folded)
            where.append(f"file_row_number IN (SELECT _row FROM "
                         f"read_parquet({_string(str(sidecar))}) WHERE {likes})")
        else:
            # The search sidecar is still being built: fold on the fly (slower, same rows).
            from civicport.datahub.ingest import search_sql

            expression = search_sql(schema.get("fields", []))
            where.extend(f"{expression} LIKE ?" for _ in folded)
        params.extend(f"%{word}%" for word in folded)
    limit = DEFAULT_LIMIT if limit is None else max(0, min(int(limit), ROWS_MAX))
    offset = max(0, int(offset or 0))
    select = ", ".join(f"{ROW_ID} AS _id" if n == "_id" else quote_ident(n) for n in wanted)
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    order = _parse_sort(sort, names) if sort else ""
    source = relation(path, row_numbers="file_row_number" in select + condition + order)
    count_source = relation(path, row_numbers="file_row_number" in condition)
    base = f"SELECT {'DISTINCT ' if distinct else ''}{select} FROM {source}{condition}"
    sql = base + (f" ORDER BY {order}" if order else "") + " LIMIT ? OFFSET ?"
    con = connection().cursor()
    try:
        rows = con.execute(sql, [*params, limit, offset]).fetchall() if limit else []
        total = None
        if include_total:
            count_sql = (f"SELECT count(*) FROM ({base})" if distinct
                         else f"SELECT count(*) FROM {count_source}{condition}")
            total = _count(con, count_sql, params)
    except duckdb.Error as exc:
        raise QueryError(_("The query failed: %(error)s")
                         % {"error": str(exc).splitlines()[0][:200]}) from exc
    finally:
        con.close()
    if records_format == "lists":
        records = [[_jsonable(v) for v in row] for row in rows]
    else:
        records = [dict(zip(wanted, (_jsonable(v) for v in row), strict=True)) for row in rows]
    all_fields = ckan_fields(schema)
    result = {
        "fields": [f for f in all_fields if f["id"] in wanted],
        "records": records,
        "limit": limit,
        "offset": offset,
    }
    if include_total:
        result["total"] = int(total)
        result["total_was_estimated"] = False
    return result


def _count(con, sql: str, params: list) -> int:
    """count(*) of a query over an immutable version: the same query always has the same
    answer, so it is cached (per process) keyed by the SQL, which names the file."""
    import hashlib

    from django.core.cache import cache

    key = "datahub.count:" + hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    total = cache.get(key)
    if total is None:
        total = int(con.execute(sql, params).fetchall()[0][0])
        cache.set(key, total, 3600)
    return total


def column_values(*, path: str, column: str, limit: int = 20) -> list[tuple]:
    """Most frequent values of a column (for the chart)."""
    con = connection().cursor()
    try:
        return con.execute(
            f"SELECT {quote_ident(column)} AS v, count(*) AS n FROM {relation(path)} "
            "WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?", [limit]
        ).fetchall()
    finally:
        con.close()


def column_sums(*, path: str, label_column: str, value_column: str, limit: int = 20):
    con = connection().cursor()
    try:
        return con.execute(
            f"SELECT {quote_ident(label_column)} AS k, sum({quote_ident(value_column)}) AS v "
            f"FROM {relation(path)} WHERE k IS NOT NULL GROUP BY k ORDER BY v DESC NULLS LAST "
            "LIMIT ?", [limit]
        ).fetchall()
    finally:
        con.close()


# --- diff ------------------------------------------------------------------------------------


def versions_diff(*, old_path: str, old_schema: dict, new_path: str, new_schema: dict) -> dict:
    """Rows added, removed and changed from one version to the next (row hashes, EXCEPT).

    A changed row is one whose first column (the key, when unique in both) is kept but
    whose other values differ; otherwise changes count as one removal plus one addition.
    """
    old_cols = [f["name"] for f in old_schema["fields"]]
    new_cols = [f["name"] for f in new_schema["fields"]]
    result = {
        "columns_added": [c for c in new_cols if c not in old_cols],
        "columns_removed": [c for c in old_cols if c not in new_cols],
    }
    common = [c for c in new_cols if c in old_cols]
    if not common:
        con = connection().cursor()
        try:
            new_n = con.execute(f"SELECT count(*) FROM {relation(new_path)}").fetchone()[0]
            old_n = con.execute(f"SELECT count(*) FROM {relation(old_path)}").fetchone()[0]
        finally:
            con.close()
        return {**result, "added": new_n, "removed": old_n, "changed": 0}
    row_hash = "hash(" + ", ".join(f"CAST({quote_ident(c)} AS VARCHAR)" for c in common) + ")"
    key = quote_ident(common[0])
    con = connection().cursor()
    try:
        con.execute(f"CREATE TEMP TABLE o AS SELECT {key} AS k, {row_hash} AS h "
                    f"FROM {relation(old_path)}")
        con.execute(f"CREATE TEMP TABLE n AS SELECT {key} AS k, {row_hash} AS h "
                    f"FROM {relation(new_path)}")
        added = con.execute("SELECT count(*) FROM (SELECT h FROM n EXCEPT ALL "
                            "SELECT h FROM o)").fetchone()[0]
        removed = con.execute("SELECT count(*) FROM (SELECT h FROM o EXCEPT ALL "
                              "SELECT h FROM n)").fetchone()[0]
        unique = con.execute(
            "SELECT (SELECT count(DISTINCT k) = count(*) FROM o) AND "
            "(SELECT count(DISTINCT k) = count(*) FROM n)"
        ).fetchone()[0]
        changed = 0
        if unique:
            changed = con.execute(
                "SELECT count(*) FROM o JOIN n USING (k) WHERE o.h <> n.h"
            ).fetchone()[0]
    finally:
        con.close()
    return {**result, "added": int(added - changed), "removed": int(removed - changed),
            "changed": int(changed)}


# --- SQL sandbox -----------------------------------------------------------------------------

# Functions that reach outside the dataset's tables: files, settings, catalogue, network.
_FORBIDDEN_FUNCTION = re.compile(
    r"^(read_|parquet_|glob$|query$|query_table$|getenv$|sniff_csv$|duckdb_|pragma_|"
    r"current_setting$|iceberg_|delta_|json_execute|sql_auto|which_secret$|icu_|"
    r"load_|install_|arrow_scan|pandas_scan|python_|ducklake|postgres_|sqlite_|mysql_|"
    r"http|s3|to_json_file|write_|copy_|export_|import_|summary$|checkpoint$|"
    r"force_checkpoint$|enable_|disable_|set_|test_|repeat_row$|range$|generate_series$|"
    r"unnest$|json_each$|json_tree$)"
)
_TABLE_NAME = re.compile(r"^[a-z0-9_-]{1,63}$")


def _walk(node, found: dict) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "BASE_TABLE":
            found["tables"].append(
                (node.get("catalog_name", ""), node.get("schema_name", ""), node["table_name"])
            )
        elif kind in ("TABLE_FUNCTION",):
            found["functions"].append("table function")
        if node.get("class") == "FUNCTION" or kind == "FUNCTION":
            found["functions"].append(node.get("function_name", ""))
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                found["ctes"].add(str(entry.get("key", "")).lower())
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


def sql_check(sql: str, tables: dict[str, str]) -> None:
    """Refuse anything but one SELECT over `tables` (name → path); raises QueryError."""
    if not sql or not sql.strip():
        raise QueryError(_("The SQL query is empty."), field="sql")
    if len(sql) > 20000:
        raise QueryError(_("The SQL query is too long."), field="sql")
    con = connection().cursor()
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    finally:
        con.close()
    if tree.get("error"):
        message = tree.get("error_message", "")
        if "Only SELECT" in message:
            raise QueryError(_("Only a single read-only SELECT statement is allowed."),
                             kind="authorization", field="sql")
        raise QueryError(_("The SQL query cannot be parsed: %(error)s")
                         % {"error": message[:200]}, field="sql")
    statements = tree.get("statements", [])
    if len(statements) != 1:
        raise QueryError(_("Query is not a single statement."), field="sql")
    found: dict = {"tables": [], "functions": [], "ctes": set()}
    _walk(statements[0], found)
    allowed = {name.lower() for name in tables}
    for catalog, schema_name, name in found["tables"]:
        if catalog or schema_name or (name.lower() not in allowed
                                      and name.lower() not in found["ctes"]):
            raise QueryError(
                _("The query may only read this dataset's tables: %(tables)s.")
                % {"tables": ", ".join(sorted(tables)) or "—"}, kind="authorization",
                field="sql")
    for function in found["functions"]:
        if function == "table function" or _FORBIDDEN_FUNCTION.match(function.lower()):
            raise QueryError(
                _("The function %(name)s is not allowed in queries.") % {"name": function},
                kind="authorization", field="sql")


def sql_run(sql: str, tables: dict[str, str], *, timeout: float = SQL_TIMEOUT_SECONDS,
            rows_max: int = SQL_ROWS_MAX) -> dict:
    """Run a checked SELECT in the sandbox; {fields, records, records_truncated}."""
    sql_check(sql, tables)
    paths = {name: str(storage.absolute(path)) for name, path in tables.items()}
    con = duckdb.connect(config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": SQL_MEMORY,
        "threads": 1,
    })
    timer = None
    try:
        con.execute("SET allowed_paths = ?", [list(paths.values())])
        for name, path in paths.items():
            if not _TABLE_NAME.match(name):
                raise QueryError(_("Table name not allowed."), field="sql")
            con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT {ROW_ID} AS _id, "
                        f"* EXCLUDE (_bad, file_row_number) "
                        f"FROM read_parquet({_string(path)}, file_row_number=true)")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        timer = threading.Timer(timeout, con.interrupt)
        timer.start()
        try:
            cursor = con.execute(sql)
            description = cursor.description or []
            rows = cursor.fetchmany(rows_max + 1)
        except duckdb.InterruptException as exc:
            raise QueryError(_("The query took longer than %(seconds)s seconds and was stopped.")
                             % {"seconds": int(timeout)}, kind="timeout") from exc
        except duckdb.OutOfMemoryException as exc:
            raise QueryError(_("The query needs more memory than allowed."),
                             kind="validation") from exc
        except duckdb.PermissionException as exc:
            raise QueryError(_("The query tried to reach something outside the dataset."),
                             kind="authorization") from exc
        except duckdb.Error as exc:
            raise QueryError(_("The query failed: %(error)s")
                             % {"error": str(exc).splitlines()[0][:200]}) from exc
    finally:
        if timer is not None:
            timer.cancel()
        con.close()
    names = [d[0] for d in description]
    types = [str(d[1]) for d in description]
    result = {
        "fields": [{"id": n, "type": _ckan_type(t)} for n, t in zip(names, types, strict=True)],
        "records": [dict(zip(names, (_jsonable(v) for v in row), strict=True))
                    for row in rows[:rows_max]],
        "sql": sql,
    }
    if len(rows) > rows_max:
        result["records_truncated"] = True
    return result


def _ckan_type(duck_type: str) -> str:
    upper = duck_type.upper()
    if "INT" in upper:
        return "int"
    if any(t in upper for t in ("DOUBLE", "FLOAT", "DECIMAL", "NUMERIC", "REAL")):
        return "numeric"
    if "DATE" in upper or "TIME" in upper:
        return "timestamp" if "TIME" in upper else "date"
    return "text"


# --- exports ---------------------------------------------------------------------------------

_FORMULA = "^[=+\\-@\t\r]"


def export_path(*, path: str, content_hash: str, schema: dict, fmt: str) -> Path:
    """A download of a version in `fmt` (csv, json, xlsx, parquet), built once and kept."""
    target = storage.area("exports") / f"{content_hash}.{fmt}"
    if target.exists():
        return target
    fields = schema["fields"]
    if fmt == "xlsx":
        return storage.write_atomic(target, lambda tmp: _xlsx(path, fields, tmp))
    columns = []
    for f in fields:
        col = quote_ident(f["name"])
        label = f.get("title") or f["name"] if fmt == "csv" else f["name"]
        if f["type"] == "string" and fmt == "csv":
            # A spreadsheet opening the CSV must not run a cell as a formula.
            col = f"CASE WHEN regexp_matches({col}, {_string(_FORMULA)}) THEN '''' || {col} " \
                  f"ELSE {col} END"
        elif f["type"] == "date" and fmt == "csv":
            col = f"strftime({col}, '%d/%m/%Y')"
        columns.append(f"{col} AS {quote_ident(label)}")
    options = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true",
               "parquet": "FORMAT parquet, COMPRESSION zstd"}[fmt]

    def write(tmp: Path) -> None:
        con = connection().cursor()
        try:
            con.execute(
                f"COPY (SELECT {', '.join(columns)} FROM {relation(path)}) "
                f"TO {_string(str(tmp))} ({options})"
            )
        finally:
            con.close()

    return storage.write_atomic(target, write)


XLSX_MAX_ROWS = 1_048_575
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe; characters XML
    cannot hold are dropped (same rule as the dossier module's Excel exports)."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_FORMULA_PREFIXES):
            return "'" + value
    return value


def _xlsx(path: str, fields: list[dict], tmp: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Dữ liệu")
    sheet.append([f.get("title") or f["name"] for f in fields])
    con = connection().cursor()
    try:
        cursor = con.execute(
            f"SELECT {', '.join(quote_ident(f['name']) for f in fields)} FROM {relation(path)} "
            f"LIMIT {XLSX_MAX_ROWS}"
        )
        while batch := cursor.fetchmany(5000):
            for row in batch:
                sheet.append([safe_cell(v) for v in row])
    finally:
        con.close()
    book.save(tmp)
