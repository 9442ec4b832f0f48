"""The weekly and monthly IOC reports, as PDF (fpdf2, DejaVu fonts embedded so Vietnamese
text is intact) and Excel, dated in Asia/Ho_Chi_Minh time.

`reports_due` decides, from the local date, which reports the schedule owes: every Monday the
previous ISO week, on the 1st the previous month. `report_generate` stores both files once per
period (GeneratedReport, unique by kind and period), so running the schedule again is a no-op.
"""

from datetime import datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from civicport.ioc import excel, queries
from civicport.ioc.models import GeneratedReport, Indicator, IndicatorValue, PlanTask, TaskStatus
from civicport.ioc.periods import Period, period_of, period_parse, tz

# The fonts publicservices ships for its notices, referenced by path (no copy). The IOC may
# not import publicservices' modules, only read this data directory.
FONT_DIR = Path(__file__).resolve().parent.parent / "publicservices" / "fonts"
FONT = "DejaVuSerif"
FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}

STATUS_VI = {"on_track": "Đạt", "at_risk": "Có nguy cơ", "off_track": "Chưa đạt",
             "no_data": "—"}
ORIGIN_VI = {"live": "Trực tuyến", "submitted": "Đơn vị báo cáo", "imported": "Nhập Excel"}
REPORT_VI = {"on_time": "Đúng hạn", "late": "Muộn", "missing": "Chưa nộp", "pending": "Chưa đến hạn"}
UNIT_VI = {"percent": "%", "count": "", "points": "điểm", "index": "", "days": "ngày",
           "hours": "giờ", "bn_vnd": "tỷ đồng", "rank": "", "ratio": ""}


def _number(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "index":
        text = f"{value:.4f}"
    elif unit in ("count", "rank"):
        text = f"{value:,.0f}".replace(",", ".")
    else:
        text = f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text} {UNIT_VI.get(unit, '')}".strip()


def report_data(period: Period, *, now: datetime | None = None) -> dict:
    """What the report says for `period` (city-wide): indicators, reports, overdue tasks."""
    now = now or timezone.now()
    local_now = timezone.localtime(now, tz())
    indicators = list(Indicator.objects.all())
    values = {v.indicator_id: v for v in IndicatorValue.objects.filter(
        indicator__in=indicators, scope="city", period_key=period.key)}
    yearly = {v.indicator_id: v for v in IndicatorValue.objects.filter(
        indicator__in=indicators, scope="city", period_key=str(period.start.year))}
    targets = queries._targets(period.start.year, [i.pk for i in indicators])
    rows = []
    for indicator in indicators:
        row = values.get(indicator.pk) or yearly.get(indicator.pk)
        if row is None:
            continue
        target = targets.get(indicator.pk)
        rows.append({
            "code": indicator.code, "name": indicator.name_vi, "unit": indicator.unit,
            "value": row.value, "value_text": _number(row.value, indicator.unit),
            "target": target.value if target else None,
            "target_text": _number(target.value, indicator.unit) if target else "—",
            "status": STATUS_VI[queries._status(indicator, row.value, target)],
            "origin": ORIGIN_VI.get(row.origin, row.origin),
            "as_of": timezone.localtime(row.as_of, tz()).strftime("%d/%m/%Y %H:%M"),
            "period": row.period_key,
        })
    reports = []
    for board in queries.report_board(limit=3, now=now):
        for item in board["rows"]:
            reports.append({"template": board["template"].name, "period": board["label"],
                            "agency": item["agency"].short_name or item["agency"].name,
                            "status": REPORT_VI[item["status"]]})
    overdue = [
        {"code": t.code, "title": t.title, "agency": t.agency.short_name or t.agency.name,
         "deadline": t.deadline.strftime("%d/%m/%Y"), "progress": t.progress}
        for t in PlanTask.objects.filter(plan__year=period.start.year,
                                         deadline__lt=period.end)
        .exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
        .select_related("agency").order_by("deadline")[:60]
    ]
    kind = "TUẦN" if period.kind == "week" else "THÁNG" if period.kind == "month" else "KỲ"
    return {
        "title": f"BÁO CÁO {kind} – TRUNG TÂM GIÁM SÁT, ĐIỀU HÀNH THÔNG MINH",
        "period_label": period.label,
        "generated_label": f"Kỳ báo cáo: {period.label} ({period.start:%d/%m/%Y} – "
                           f"{period.last_day:%d/%m/%Y}). Lập lúc {local_now:%H:%M} ngày "
                           f"{local_now:%d/%m/%Y} (giờ Việt Nam).",
        "indicators": rows, "reports": reports, "overdue": overdue,
    }


class _ReportPdf(FPDF):
    def __init__(self):
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, FONT_DIR / name)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, "I", 8)
        self.cell(0, 5, f"CivicPort · Trang {self.page_no()}", align="C")

    def heading(self, text: str, size: float = 12):
        self.set_font(FONT, "B", size)
        self.multi_cell(0, 6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def grid(self, headers: list[str], widths: list[float], rows: list[list[str]]):
        """A table whose cells wrap (fpdf2's table: long Vietnamese names stay whole)."""
        self.set_font(FONT, "", 8.5)
        with self.table(col_widths=widths, text_align="LEFT", line_height=4.5,
                        first_row_as_headings=True) as table:
            table.row(headers)
            for row in rows:
                table.row(row)
        self.ln(3)


def report_pdf(data: dict) -> bytes:
    pdf = _ReportPdf()
    pdf.add_page()
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 5, "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.heading(data["title"], 13)
    pdf.set_font(FONT, "I", 9)
    pdf.multi_cell(0, 5, data["generated_label"], align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.heading("1. Chỉ số và chỉ tiêu")
    pdf.grid(["Mã", "Chỉ số", "Giá trị", "Chỉ tiêu", "Đánh giá", "Nguồn"],
              [16, 70, 24, 24, 20, 26],
              [[r["code"], r["name"], r["value_text"], r["target_text"], r["status"],
                r["origin"]] for r in data["indicators"]] or [["—"] * 6])
    pdf.heading("2. Báo cáo định kỳ của sở, ngành")
    pdf.grid(["Báo cáo", "Kỳ", "Đơn vị", "Tình trạng"], [62, 26, 70, 22],
              [[r["template"], r["period"], r["agency"], r["status"]]
               for r in data["reports"]] or [["—"] * 4])
    pdf.heading("3. Nhiệm vụ quá hạn")
    pdf.grid(["Mã", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Tiến độ"], [14, 86, 44, 20, 16],
              [[r["code"], r["title"], r["agency"], r["deadline"], f"{r['progress']}%"]
               for r in data["overdue"]] or [["—"] * 5])
    return bytes(pdf.output())


def reports_due(now: datetime) -> list[Period]:
    """The periods whose report the schedule owes at `now` (local date): last week on
    Mondays, last month on the 1st."""
    day = timezone.localtime(now, tz()).date()
    due = []
    if day.weekday() == 0:
        due.append(period_of("week", day).previous())
    if day.day == 1:
        due.append(period_of("month", day).previous())
    return due


def report_generate(period: Period, *, now: datetime | None = None) -> GeneratedReport:
    existing = GeneratedReport.objects.filter(kind=period.kind, period_key=period.key).first()
    if existing is not None:
        return existing
    data = report_data(period, now=now)
    name = f"ioc-{period.kind}-{period.key}"
    row = GeneratedReport(kind=period.kind, period_key=period.key)
    row.pdf.save(f"{name}.pdf", ContentFile(report_pdf(data)), save=False)
    row.xlsx.save(f"{name}.xlsx", ContentFile(excel.ioc_report_workbook(data)), save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # generated meanwhile by another run
        return GeneratedReport.objects.get(kind=period.kind, period_key=period.key)
    return row


def reports_run(*, now: datetime | None = None) -> list[GeneratedReport]:
    now = now or timezone.now()
    return [report_generate(period, now=now) for period in reports_due(now)]


def parse(key: str, kind: str) -> Period | None:
    period = period_parse(key)
    return period if period is not None and period.kind == kind else None
