"""Excel files of the IOC: the task plan (export and import), report templates (download,
fill, upload) and the periodic IOC report workbook.

Imports check the exact header row of the template first (a different file is refused as a
whole) and every row before anything is written; the caller saves all rows or none. Text
cells are neutralised on export by `_safe`: the rule of publicservices'
`safe_cell`, restated because the IOC may import other apps' `queries` only.
"""

import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from civicport.core.models import Agency
from civicport.ioc.errors import IocError
from civicport.ioc.models import TaskStatus

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TASK_HEADERS = ["Mã", "Nhiệm vụ", "Đơn vị chủ trì (mã)", "Đơn vị phối hợp (mã, cách nhau ;)",
                "Hạn hoàn thành (dd/mm/yyyy)", "Kinh phí (triệu đồng)",
                "Đã giải ngân (triệu đồng)", "Tiến độ (%)", "Trạng thái"]
STATUS_LABELS = {
    TaskStatus.NOT_STARTED: "Chưa triển khai", TaskStatus.IN_PROGRESS: "Đang thực hiện",
    TaskStatus.DONE: "Hoàn thành", TaskStatus.CANCELLED: "Hủy bỏ",
}
REPORT_HEADERS = ["Mã trường", "Chỉ tiêu", "Đơn vị tính", "Giá trị"]
REPORT_MARK = "civicport-ioc-report"


def _safe(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def _bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _open(upload) -> Workbook:
    if upload.size > MAX_BYTES:
        raise IocError("too_large", _("The file is larger than 5 MB."))
    try:
        return load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # zip, XML or format errors: all mean "not an Excel workbook"
        raise IocError("not_excel", _("The file is not an Excel workbook (.xlsx).")) from None


def _header(sheet, expected: list[str]) -> None:
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found = [str(c).strip() if c is not None else "" for c in first][:len(expected)]
    if found != expected:
        raise IocError("wrong_template", _("This is not the right template: the first row must "
                                           "be “%(expected)s”. Download the template and try "
                                           "again; nothing was imported.")
                       % {"expected": " | ".join(expected)})


# --- the task plan ------------------------------------------------------------------------------


def tasks_export(tasks) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Nhiem vu"
    sheet.append(TASK_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for task in tasks:
        sheet.append([
            _safe(task.code), _safe(task.title), task.agency.code,
            ";".join(a.code for a in task.coordinating.all()),
            task.deadline.strftime("%d/%m/%Y"), float(task.budget), float(task.disbursed),
            task.progress, STATUS_LABELS[task.status],
        ])
    for column, width in zip("ABCDEFGHI", (8, 60, 16, 24, 14, 14, 14, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
    return _bytes(workbook)


def tasks_parse(upload) -> list[dict]:
    """Rows of a task-plan workbook, all checked; IocError listing every problem."""
    sheet = _open(upload).active
    _header(sheet, TASK_HEADERS)
    agencies = {a.code: a for a in Agency.objects.all()}
    statuses = {label.lower(): key for key, label in STATUS_LABELS.items()}
    rows, details, seen = [], [], set()
    for number, raw in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if number > MAX_ROWS + 1:
            raise IocError("too_many_rows", _("At most %(n)d tasks per file.") % {"n": MAX_ROWS})
        cells = list(raw) + [None] * (len(TASK_HEADERS) - len(raw))
        if all(c in (None, "") for c in cells[:len(TASK_HEADERS)]):
            continue
        problems = []
        code = str(cells[0] or "").strip()
        title = str(cells[1] or "").strip()
        if not code or len(code) > 20:
            problems.append(_("code missing or longer than 20 characters"))
        elif code in seen:
            problems.append(_("code %(code)s appears twice") % {"code": code})
        seen.add(code)
        if not title:
            problems.append(_("task name missing"))
        agency = agencies.get(str(cells[2] or "").strip())
        if agency is None:
            problems.append(_("unknown responsible agency “%(code)s”") % {"code": cells[2] or ""})
        coordinating = []
        for item in str(cells[3] or "").split(";"):
            if item.strip():
                if item.strip() in agencies:
                    coordinating.append(agencies[item.strip()])
                else:
                    problems.append(_("unknown coordinating agency “%(code)s”")
                                    % {"code": item.strip()})
        deadline = _date(cells[4])
        if deadline is None:
            problems.append(_("deadline is not a date (dd/mm/yyyy)"))
        budget, disbursed = _amount(cells[5]), _amount(cells[6] or 0)
        if budget is None:
            problems.append(_("budget is not a non-negative number"))
        if disbursed is None:
            problems.append(_("disbursed is not a non-negative number"))
        elif budget is not None and disbursed > budget:
            problems.append(_("disbursed exceeds the budget"))
        progress = _amount(cells[7] or 0)
        if progress is None or progress > 100:
            problems.append(_("progress must be 0–100"))
        status = statuses.get(str(cells[8] or "").strip().lower())
        if status is None:
            problems.append(_("unknown status “%(status)s”") % {"status": cells[8] or ""})
        if problems:
            details.append({"field": f"row {number}",
                            "message": _("Row %(row)d: %(problems)s.")
                            % {"row": number, "problems": "; ".join(problems)}})
            continue
        rows.append({"code": code, "title": title[:500], "agency": agency,
                     "coordinating": coordinating, "deadline": deadline, "budget": budget,
                     "disbursed": disbursed, "progress": int(progress), "status": status})
    if details:
        raise IocError("invalid_rows", _("The file has errors; nothing was imported."),
                       details=details)
    if not rows:
        raise IocError("empty", _("The file has no tasks."))
    return rows


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value or "").strip(), "%d/%m/%Y").date()  # noqa: DTZ007 (a date)
    except ValueError:
        return None


def _amount(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return amount.quantize(Decimal("0.1"))


# --- department reports -------------------------------------------------------------------------


def report_template_file(template, period_key: str, agency) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Bao cao"
    sheet.append(REPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    from civicport.ioc.actions import _unit_symbol

    for field in template.fields.all():
        sheet.append([field.code, _safe(field.label),
                      _unit_symbol(field.unit) or field.get_unit_display(), None])
    info = workbook.create_sheet("Thong tin")
    info.append([REPORT_MARK, template.code, period_key, agency.code])
    sheet.column_dimensions["B"].width = 60
    return _bytes(workbook)


def report_parse(upload, template) -> tuple[dict, dict, str | None]:
    """(values by field code, units by field code, period key named in the file)."""
    workbook = _open(upload)
    sheet = workbook.worksheets[0]
    _header(sheet, REPORT_HEADERS)
    period_key = None
    if "Thong tin" in workbook.sheetnames:
        mark = next(workbook["Thong tin"].iter_rows(max_row=1, values_only=True), ())
        if len(mark) >= 3 and mark[0] == REPORT_MARK:
            if mark[1] != template.code:
                raise IocError("wrong_template", _("This file is the template of another "
                                                   "report; nothing was imported."))
            period_key = str(mark[2])
    values, units = {}, {}
    for number, raw in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if number > 200:
            break
        cells = list(raw) + [None] * 4
        if cells[0] in (None, ""):
            continue
        code = str(cells[0]).strip()
        values[code] = cells[3]
        units[code] = str(cells[2] or "")
    return values, units, period_key


# --- the periodic IOC report ------------------------------------------------------------------


def ioc_report_workbook(data: dict) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Chi so"
    sheet.append([_safe(data["title"])])
    sheet.append([_safe(data["generated_label"])])
    sheet.append([])
    sheet.append(["Mã", "Chỉ số", "Đơn vị", "Giá trị", "Chỉ tiêu năm", "Đánh giá", "Nguồn",
                  "Thời điểm số liệu"])
    for row in data["indicators"]:
        sheet.append([row["code"], _safe(row["name"]), row["unit"], row["value"],
                      row["target"], row["status"], row["origin"], row["as_of"]])
    reports = workbook.create_sheet("Bao cao dinh ky")
    reports.append(["Báo cáo", "Kỳ", "Đơn vị", "Tình trạng"])
    for row in data["reports"]:
        reports.append([_safe(row["template"]), row["period"], _safe(row["agency"]),
                        row["status"]])
    tasks = workbook.create_sheet("Nhiem vu qua han")
    tasks.append(["Mã", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Tiến độ (%)"])
    for row in data["overdue"]:
        tasks.append([row["code"], _safe(row["title"]), _safe(row["agency"]), row["deadline"],
                      row["progress"]])
    sheet.column_dimensions["B"].width = 55
    return _bytes(workbook)
