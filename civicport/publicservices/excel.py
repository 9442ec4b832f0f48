"""The procedure catalogue as an Excel workbook: export, and import of the same format.

Three sheets — Procedures, Steps, Documents — each with a header row in Vietnamese and a
second row explaining every column. The headers are part of the file format, not of the
user interface, so they stay Vietnamese whatever the language of the page.

Import validates every row of every sheet first and reports each problem with its sheet,
row and column; only a file without a single problem is written, in one transaction
(`catalogue.procedure_save`, so an exported file imported back changes nothing).
Procedures absent from the file are left alone. Malformed files are refused before they are
parsed: not a zip/xlsx, over `MAX_FILE_BYTES`, over `MAX_UNCOMPRESSED_BYTES` once unpacked
(zip bombs), over `MAX_ROWS` rows in a sheet, formulas in cells, wrong headers.

`safe_cell` neutralises formula injection in any export (the statistics export uses it too).
"""

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from civicport.core.models import Agency, Role
from civicport.core.text import fold, nfc
from civicport.publicservices.catalogue import (
    COMMUNES_LABEL,
    PROCEDURE_CODE,
    DocumentSpec,
    ProcedureSpec,
    StepSpec,
    agency_resolve,
    commune_agencies,
    procedure_save,
    spec_problems,
    steps_in_use,
)
from civicport.publicservices.models import Field, Procedure, ProcedureLevel, TimeUnit

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 5000
MAX_REPORTED = 200
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Values of the coded columns as they are written in the file (Vietnamese), by stored value.
LEVEL_LABELS = {
    ProcedureLevel.FULL_ONLINE: "toàn trình",
    ProcedureLevel.PARTIAL_ONLINE: "một phần",
    ProcedureLevel.OFFLINE: "trực tiếp",
}
UNIT_LABELS = {TimeUnit.WORKING_DAYS: "ngày làm việc", TimeUnit.WORKING_HOURS: "giờ làm việc"}
ROLE_LABELS = {Role.RECEIVER: "tiếp nhận", Role.PROCESSOR: "xử lý", Role.APPROVER: "phê duyệt"}
YES, NO = "có", "không"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str
    width: int = 18


PROCEDURES, STEPS, DOCUMENTS = "Procedures", "Steps", "Documents"
SHEETS = {
    PROCEDURES: [
        Column("code", "Mã thủ tục", "Mã TTHC, ví dụ 1.001193; bắt buộc, không trùng", 14),
        Column("name", "Tên thủ tục", "Bắt buộc, tối đa 500 ký tự", 50),
        Column("field", "Mã lĩnh vực", "Mã một lĩnh vực đã có, ví dụ ho-tich", 18),
        Column("field_name", "Tên lĩnh vực", "Chỉ để đọc, không được nhập", 22),
        Column("agencies", "Cơ quan thực hiện",
               f"Mã cơ quan, cách nhau bằng dấu ;  — «{COMMUNES_LABEL}» là mọi UBND cấp xã", 36),
        Column("level", "Mức độ dịch vụ công", "toàn trình | một phần | trực tiếp", 16),
        Column("time_amount", "Thời hạn giải quyết", "Số lớn hơn 0, ví dụ 5 hoặc 0,5", 12),
        Column("time_unit", "Đơn vị thời hạn", "ngày làm việc | giờ làm việc", 16),
        Column("fee_amount", "Lệ phí (đồng)", "Số nguyên, 0 nếu không thu", 12),
        Column("fee_description", "Mô tả phí, lệ phí", "Không bắt buộc", 40),
        Column("legal_basis", "Căn cứ pháp lý", "Không bắt buộc", 40),
        Column("result_description", "Kết quả", "Không bắt buộc, tối đa 500 ký tự", 30),
        Column("requirements", "Yêu cầu, điều kiện", "Không bắt buộc", 40),
        Column("form_schema", "Biểu mẫu trực tuyến (JSON)",
               "Danh sách trường {key, label, type, required, choices, help}", 40),
        Column("is_active", "Đang áp dụng", "có | không", 10),
    ],
    STEPS: [
        Column("procedure", "Mã thủ tục", "Mã một thủ tục của trang Procedures", 14),
        Column("order", "Thứ tự", "1, 2, 3… không trùng trong một thủ tục", 8),
        Column("name", "Tên bước", "Bắt buộc, tối đa 200 ký tự", 50),
        Column("agency", "Cơ quan thực hiện bước",
               "Để trống: cơ quan tiếp nhận; mã cơ quan khác nếu liên thông", 30),
        Column("role", "Vai trò", "tiếp nhận | xử lý | phê duyệt", 12),
        Column("hours", "Thời gian (giờ làm việc)",
               "Tổng các bước không vượt thời hạn (8 giờ/ngày)", 14),
    ],
    DOCUMENTS: [
        Column("procedure", "Mã thủ tục", "Mã một thủ tục của trang Procedures", 14),
        Column("order", "Thứ tự", "1, 2, 3… không trùng trong một thủ tục", 8),
        Column("name", "Tên giấy tờ", "Bắt buộc, tối đa 500 ký tự", 60),
        Column("is_required", "Bắt buộc", "có | không", 10),
        Column("copies", "Số lượng", "Ví dụ: 01 bản chính; tối đa 100 ký tự", 20),
    ],
}
MAX_LENGTHS = {"name": 500, "result_description": 500, "copies": 100}
STEP_NAME_LENGTH = 200
# Stands for a cell whose problem is already reported (e.g. a formula).
REPORTED = object()
_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")


# --- formula injection ---------------------------------------------------------------------


def safe_cell(value):
    """A value safe to put in a spreadsheet cell: text that a spreadsheet would run as a
    formula (starting with = + - @, tab or CR) gets a leading apostrophe; characters that
    XML cannot hold are dropped. Other values are returned as they are."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def unsafe_cell(value):
    """The inverse of `safe_cell` for text read back from a file."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and (
        value[1:].startswith(FORMULA_PREFIXES)
    ):
        return value[1:]
    return value


# --- export --------------------------------------------------------------------------------


def catalogue_export(output=None, procedures=None) -> bytes | None:
    """Write the catalogue (every procedure, or `procedures`) as an xlsx workbook to `output`
    (a path or a binary file); with no `output`, return the workbook's bytes."""
    queryset = (procedures if procedures is not None else Procedure.objects.all())
    queryset = queryset.select_related("field").prefetch_related(
        "agencies", "steps__agency", "documents"
    ).order_by("code")
    commune_ids = set(commune_agencies().values_list("pk", flat=True))
    book = Workbook()
    sheets = {name: _sheet(book, name) for name in SHEETS}
    book.remove(book.worksheets[0])
    for procedure in queryset:
        _append(sheets[PROCEDURES], _procedure_row(procedure, commune_ids))
        for step in procedure.steps.all():
            _append(sheets[STEPS], [
                procedure.code, step.order, step.name, _agency_label(step.agency),
                ROLE_LABELS.get(step.role, step.role), _plain(step.hours),
            ])
        for doc in procedure.documents.all():
            _append(sheets[DOCUMENTS], [
                procedure.code, doc.order, doc.name, YES if doc.is_required else NO, doc.copies,
            ])
    for name, sheet in sheets.items():
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(SHEETS[name]))}{sheet.max_row}"
    if output is None:
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    book.save(output)
    return None


def _append(sheet, values: list) -> None:
    sheet.append([safe_cell(v) for v in values])
    # Procedure codes are text: stop spreadsheets from reading 1.001190 as a number.
    sheet.cell(row=sheet.max_row, column=1).number_format = "@"


def _sheet(book: Workbook, name: str):
    sheet = book.create_sheet(name)
    columns = SHEETS[name]
    sheet.append([c.header for c in columns])
    sheet.append([c.help for c in columns])
    bold, note = Font(bold=True), Font(italic=True, color="555555")
    fill = PatternFill("solid", fgColor="F2F2F2")
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = bold
        help_cell = sheet.cell(row=2, column=index)
        help_cell.font, help_cell.fill = note, fill
        help_cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "B3"
    return sheet


def _procedure_row(procedure: Procedure, commune_ids: set[int]) -> list:
    agencies = list(procedure.agencies.all())
    ids = {a.pk for a in agencies}
    tokens = []
    if commune_ids and commune_ids <= ids:
        tokens.append(COMMUNES_LABEL)
        agencies = [a for a in agencies if a.pk not in commune_ids]
    tokens += [_agency_label(a) for a in sorted(agencies, key=lambda a: a.code)]
    return [
        procedure.code, procedure.name, procedure.field.code, procedure.field.name,
        "; ".join(tokens), LEVEL_LABELS.get(procedure.level, procedure.level),
        _plain(procedure.time_amount), UNIT_LABELS.get(procedure.time_unit, procedure.time_unit),
        procedure.fee_amount, procedure.fee_description, procedure.legal_basis,
        procedure.result_description, procedure.requirements,
        json.dumps(procedure.form_schema, ensure_ascii=False) if procedure.form_schema else "",
        YES if procedure.is_active else NO,
    ]


def _agency_label(agency: Agency | None) -> str:
    if agency is None:
        return ""
    return f"{agency.code} ({agency.short_name or agency.name})"


def _plain(value: Decimal):
    """8.00 → 8, 0.50 → 0.5: numbers as a person would type them."""
    return int(value) if value == value.to_integral_value() else float(value)


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    message: str
    sheet: str = ""
    row: int = 0
    column: str = ""

    def __str__(self) -> str:
        if self.sheet and self.row and self.column:
            return _("Sheet %(sheet)s, row %(row)d, column %(column)s: %(message)s") % {
                "sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message,
            }
        if self.sheet and self.row:
            return _("Sheet %(sheet)s, row %(row)d: %(message)s") % {
                "sheet": self.sheet, "row": self.row, "message": self.message,
            }
        if self.sheet:
            return _("Sheet %(sheet)s: %(message)s") % {"sheet": self.sheet,
                                                         "message": self.message}
        return self.message


class CatalogueImportError(Exception):
    """The file was refused; `problems` lists every reason. Nothing was changed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems[:MAX_REPORTED]))

    def messages(self) -> list[str]:
        shown = [str(p) for p in self.problems[:MAX_REPORTED]]
        if len(self.problems) > MAX_REPORTED:
            shown.append(_("… and %(count)d more problems.")
                         % {"count": len(self.problems) - MAX_REPORTED})
        return shown


def catalogue_import(source, *, dry_run: bool = False) -> dict:
    """Import a workbook (a path or a binary file) in the export's format.

    Returns counts {'procedures', 'created', 'updated', 'unchanged'}; raises
    CatalogueImportError, changing nothing, when any row is wrong. With `dry_run`, only
    validates.
    """
    book = _open_workbook(source)
    try:
        reader = _Reader()
        rows = {name: reader.rows(book, name) for name in SHEETS}
    finally:
        book.close()
    if reader.structural:  # rows cannot be matched across sheets: report the layout only
        raise CatalogueImportError(reader.problems)
    specs = _Builder(reader).build(rows)
    if reader.problems:
        raise CatalogueImportError(reader.problems)
    counts = {"procedures": len(specs), "created": 0, "updated": 0, "unchanged": 0}
    if dry_run:
        return counts
    with transaction.atomic():
        for spec in specs:
            counts[procedure_save(spec)[1]] += 1
    return counts


def _open_workbook(source):
    size = _size(source)
    if size > MAX_FILE_BYTES:
        raise CatalogueImportError([Problem(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1048576, 1), "limit": MAX_FILE_BYTES // 1048576}
        )])
    not_xlsx = CatalogueImportError([Problem(
        _("The file is not an Excel workbook (.xlsx). Export the catalogue to get a template.")
    )])
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_xlsx from None
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise CatalogueImportError([Problem(
            _("The workbook unpacks to more than %(limit)s MB; split it into smaller files.")
            % {"limit": MAX_UNCOMPRESSED_BYTES // 1048576}
        )])
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        return load_workbook(source, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a broken package
        raise not_xlsx from None


def _size(source) -> int:
    if isinstance(source, str | os.PathLike):
        return Path(source).stat().st_size
    position = source.tell()
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(position)
    return size


class _Reader:
    """Reads sheets into dicts of cell values and collects every problem on the way."""

    def __init__(self):
        self.problems: list[Problem] = []
        self.structural = False  # a sheet is missing or has wrong headers

    def add(self, sheet: str, row: int, key: str, message: str) -> None:
        self.problems.append(Problem(message, sheet, row, self.column_name(sheet, key)))

    @staticmethod
    def column_name(sheet: str, key: str) -> str:
        for index, column in enumerate(SHEETS[sheet], start=1):
            if column.key == key:
                return f"{get_column_letter(index)} ({column.header})"
        return key

    def rows(self, book, name: str) -> list[tuple[int, dict]]:
        """[(row number, {column key: value})] of the data rows of sheet `name`."""
        if name not in book.sheetnames:
            self.structural = True
            self.problems.append(Problem(
                _("The sheet %(sheet)s is missing. Export the catalogue to get a template.")
                % {"sheet": name}
            ))
            return []
        columns = SHEETS[name]
        rows = []
        for number, cells in enumerate(
            book[name].iter_rows(max_col=len(columns)), start=1
        ):
            values = [self._value(name, number, columns, i, c) for i, c in enumerate(cells)]
            values += [None] * (len(columns) - len(values))
            if number == 1:
                if not self._headers_ok(name, values):
                    return []
                continue
            if number == 2 and values[0] == columns[0].help:
                continue
            if all(v is None or v == "" for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                self.problems.append(Problem(
                    _("More than %(limit)d rows; split the file.") % {"limit": MAX_ROWS}, name
                ))
                return []
            rows.append((number, {c.key: v for c, v in zip(columns, values, strict=True)}))
        return rows

    def _value(self, sheet, number, columns, index, cell):
        if getattr(cell, "data_type", None) == "f":
            self.add(sheet, number, columns[index].key,
                     _("Formulas are not accepted; type the value itself."))
            return REPORTED
        value = cell.value
        if isinstance(value, str):
            value = nfc(unsafe_cell(value)).strip()
        return value

    def _headers_ok(self, name: str, values: list) -> bool:
        expected = [c.header for c in SHEETS[name]]
        found = [str(v).strip() if v is not None else "" for v in values]
        if found == expected:
            return True
        self.structural = True
        self.problems.append(Problem(
            _("The headers do not match the template. Expected: %(expected)s. Found: "
              "%(found)s.") % {"expected": " | ".join(expected), "found": " | ".join(found)},
            name,
        ))
        return False


class _Builder:
    """Turns checked rows into ProcedureSpecs, reporting problems to the reader."""

    def __init__(self, reader: _Reader):
        self.reader = reader
        self.fields = dict(Field.objects.values_list("code", "pk"))
        self.agencies: dict[str, list | None] = {}
        self.rejected: set[str] = set()  # codes of procedure rows with problems

    def build(self, rows: dict) -> list[ProcedureSpec]:
        specs: dict[str, tuple[int, ProcedureSpec]] = {}
        for number, row in rows[PROCEDURES]:
            spec = self._procedure(number, row)
            if spec is None:
                self.rejected.add(str(row.get("code") or ""))
                continue
            if spec.code in specs:
                self.reader.add(PROCEDURES, number, "code", _(
                    "The code %(code)s is already used on row %(row)d."
                ) % {"code": spec.code, "row": specs[spec.code][0]})
                continue
            specs[spec.code] = (number, spec)
        self._parts(STEPS, rows[STEPS], specs, self._step, "steps")
        self._parts(DOCUMENTS, rows[DOCUMENTS], specs, self._document, "documents")
        for number, spec in specs.values():
            for attribute, message in spec_problems(spec):
                self.reader.add(PROCEDURES, number, attribute, message)
            in_use = steps_in_use(spec)
            if in_use:
                self.reader.add(PROCEDURES, number, "code", _(
                    "Steps %(orders)s are in use by dossiers and cannot be removed."
                ) % {"orders": ", ".join(str(o) for o in in_use)})
        return [spec for _number, spec in specs.values()]

    def _procedure(self, number: int, row: dict) -> ProcedureSpec | None:
        check = _Cells(self.reader, PROCEDURES, number, row)
        code = check.text("code", required=True, max_length=40)
        if code and not PROCEDURE_CODE.match(code):
            check.fail("code", _("%(value)s is not a procedure code such as 1.001193.")
                       % {"value": code})
        field_code = check.text("field", required=True, max_length=40)
        field_id = self.fields.get(field_code)
        if field_code and field_id is None:
            check.fail("field", _("Unknown field: %(value)s.") % {"value": field_code})
        spec = ProcedureSpec(
            code=code,
            name=check.text("name", required=True, max_length=MAX_LENGTHS["name"]),
            field_id=field_id or 0,
            agency_ids=self._agency_ids(check, "agencies"),
            level=check.choice("level", LEVEL_LABELS),
            time_amount=check.decimal("time_amount"),
            time_unit=check.choice("time_unit", UNIT_LABELS),
            fee_amount=check.integer("fee_amount"),
            fee_description=check.text("fee_description"),
            legal_basis=check.text("legal_basis"),
            result_description=check.text("result_description",
                                          max_length=MAX_LENGTHS["result_description"]),
            requirements=check.text("requirements"),
            form_schema=check.json_list("form_schema"),
            is_active=check.boolean("is_active", default=True),
        )
        return None if check.failed else spec

    def _agency_ids(self, check: "_Cells", key: str) -> set[int]:
        ids: set[int] = set()
        text = check.text(key, required=True)
        for token in filter(None, (t.strip() for t in re.split(r"[;\n]", text))):
            found = self._agency(token)
            if found is None:
                check.fail(key, _("Unknown agency: %(value)s.") % {"value": token})
            else:
                ids |= {a.pk for a in found}
        return ids

    def _agency(self, token: str) -> list | None:
        if token not in self.agencies:
            self.agencies[token] = agency_resolve(token)
        return self.agencies[token]

    def _parts(self, sheet, rows, specs, make, attribute) -> None:
        """Attach the rows of a Steps/Documents sheet to their procedures, in order."""
        seen: dict[tuple[str, int], int] = {}
        for number, row in rows:
            check = _Cells(self.reader, sheet, number, row)
            code = check.text("procedure", required=True, max_length=40)
            order = check.integer("order", minimum=1, maximum=32767)
            part = make(check)
            if check.failed or code in self.rejected:
                continue  # a problem of the procedure row is already reported
            if code not in specs:
                check.fail("procedure", _(
                    "The procedure %(code)s is not on the Procedures sheet."
                ) % {"code": code})
                continue
            if (code, order) in seen:
                check.fail("order", _(
                    "Order %(order)d of %(code)s is already used on row %(row)d."
                ) % {"order": order, "code": code, "row": seen[(code, order)]})
                continue
            seen[(code, order)] = number
            getattr(specs[code][1], attribute).append(part(order))
        for _number, spec in specs.values():
            getattr(spec, attribute).sort(key=lambda p: p.order)

    def _step(self, check: "_Cells"):
        name = check.text("name", required=True, max_length=STEP_NAME_LENGTH)
        role = check.choice("role", ROLE_LABELS)
        hours = check.decimal("hours")
        agency_id = None
        token = check.text("agency")
        if token:
            found = self._agency(token)
            if not found or len(found) != 1:
                check.fail("agency", _("Unknown agency: %(value)s.") % {"value": token})
            else:
                agency_id = found[0].pk
        return lambda order: StepSpec(order=order, name=name, role=role, hours=hours,
                                      agency_id=agency_id)

    def _document(self, check: "_Cells"):
        name = check.text("name", required=True, max_length=MAX_LENGTHS["name"])
        is_required = check.boolean("is_required", default=True)
        copies = check.text("copies", max_length=MAX_LENGTHS["copies"])
        return lambda order: DocumentSpec(order=order, name=name, is_required=is_required,
                                          copies=copies)


class _Cells:
    """Typed reads of one row's cells; each bad cell becomes a problem, not an exception."""

    def __init__(self, reader: _Reader, sheet: str, number: int, row: dict):
        self.reader, self.sheet, self.number = reader, sheet, number
        self.failed = any(value is REPORTED for value in row.values())
        self.row = {key: None if value is REPORTED else value for key, value in row.items()}
        self.reported = {key for key, value in row.items() if value is REPORTED}

    def fail(self, key: str, message: str) -> None:
        self.failed = True
        if key not in self.reported:
            self.reader.add(self.sheet, self.number, key, message)

    def text(self, key: str, *, required=False, max_length: int | None = None) -> str:
        value = self.row.get(key)
        if value is None:
            value = ""
        elif isinstance(value, float) and value.is_integer():
            value = str(int(value))
        else:
            value = str(value).strip()
        if required and not value:
            self.fail(key, _("This cell must not be empty."))
        elif max_length and len(value) > max_length:
            self.fail(key, _("At most %(limit)d characters (this has %(length)d).")
                      % {"limit": max_length, "length": len(value)})
        return value

    def choice(self, key: str, labels: dict) -> str:
        value = self.text(key, required=True)
        if not value:
            return ""
        folded = fold(value).replace("_", " ")
        for stored, label in labels.items():
            if folded in (fold(label), fold(str(stored)).replace("_", " ")):
                return str(stored)
        self.fail(key, _("%(value)s is not one of: %(choices)s.")
                  % {"value": value, "choices": ", ".join(labels.values())})
        return ""

    def decimal(self, key: str) -> Decimal:
        value = self.row.get(key)
        try:
            number = Decimal(str(value).strip().replace(",", ".")) if value not in (None, "") \
                else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not 0 < number < 100000 or (
            number != number.quantize(Decimal("0.01"))
        ):
            self.fail(key, _("%(value)s is not a number greater than 0 with at most two "
                             "decimals.") % {"value": "" if value is None else value})
            return Decimal(0)
        return number.quantize(Decimal("0.01"))

    def integer(self, key: str, *, minimum=0, maximum=10**15) -> int:
        value = self.row.get(key)
        if value in (None, ""):
            value = 0 if minimum == 0 else None
        text = str(value).strip() if value is not None else ""
        if isinstance(value, str) and _GROUPED.match(text):
            text = re.sub(r"[.,\s]", "", text)  # 135.000 → 135000
        try:
            number = int(Decimal(text)) if text else None
            exact = number is not None and Decimal(text) == number
        except InvalidOperation:
            number, exact = None, False
        if number is None or not exact or not minimum <= number <= maximum:
            self.fail(key, _("%(value)s is not a whole number from %(min)d.")
                      % {"value": "" if value is None else value, "min": minimum})
            return 0
        return number

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.row.get(key)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        folded = fold(str(value)).strip()
        if folded in ("co", "x", "1", "yes", "true"):
            return True
        if folded in ("khong", "0", "no", "false"):
            return False
        self.fail(key, _("Write %(yes)s or %(no)s.") % {"yes": YES, "no": NO})
        return default

    def json_list(self, key: str) -> list:
        text = self.text(key)
        if not text:
            return []
        try:
            value = json.loads(text)
        except ValueError as exc:
            self.fail(key, _("Not valid JSON: %(error)s.") % {"error": exc})
            return []
        if not isinstance(value, list):
            self.fail(key, _("The online form must be a list of fields."))
            return []
        return value
