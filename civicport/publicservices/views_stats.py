"""The officers' statistics page (/can-bo/thong-ke/) and its Excel export (…/xuat.xlsx).

Who may look: officers (any membership) see the figures of their agencies and sub-agencies;
city administrators and IOC viewers see every agency; anyone else gets 403 (anonymous
visitors are sent to the login page). The agency filter offers only agencies in the viewer's
scope, and every figure is scoped to the viewer again in `stats` (`scope_to_user`), so a
hand-made `?agency=` cannot widen it.

Query string: `period` (`2026-03`, `2026-Q1`, `2026`; default the current month) and
`agency` (a unit code; default all agencies in scope). Invalid values fall back to the
defaults with a visible notice.
"""

import io
import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from civicport.core.access import agency_ids_for, sees_everything
from civicport.core.models import Agency
from civicport.publicservices import queries, stats
from civicport.publicservices.excel import safe_cell

RATE_KEYS = ("on_time_rate", "online_rate", "satisfied_rate", "rate", "threshold")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_NAME_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def _viewer_check(user) -> None:
    if not queries.officer_pages_allowed(user):
        raise PermissionDenied(_("Statistics are for officers of the city's agencies."))


def _agency_choices(user) -> list[Agency]:
    agencies = Agency.objects.filter(is_active=True)
    if not sees_everything(user):
        agencies = agencies.filter(pk__in=agency_ids_for(user))
    kinds = {Agency.Kind.CITY: 0, Agency.Kind.DEPARTMENT: 1, Agency.Kind.UNIT: 2,
             Agency.Kind.COMMUNE: 3}
    return sorted(agencies, key=lambda a: (kinds.get(a.kind, 9), a.name))


def _filters(request) -> dict:
    """The period and agency asked for, checked against the choices; problems listed."""
    problems = []
    period = stats.period_parse(request.GET.get("period"))
    if period is None:
        problems.append(_("Unknown period: showing the current month."))
        period = stats.period_parse("")
    agencies = _agency_choices(request.user)
    code = request.GET.get("agency", "").strip()
    agency = next((a for a in agencies if a.code == code), None) if code else None
    if code and agency is None:
        problems.append(_("Unknown agency or not yours: showing all your agencies."))
    return {"period": period, "agency": agency, "agencies": agencies, "problems": problems}


def _percent(value) -> float | None:
    return None if value is None else value * 100


def _with_percents(rows: list[dict]) -> list[dict]:
    """Rows with `<rate>_pct` (0–100) next to each rate, for the templates."""
    for row in rows:
        for key in RATE_KEYS:
            if key in row:
                row[f"{key}_pct"] = _percent(row[key])
    return rows


@login_required
def stats_page(request):
    _viewer_check(request.user)
    filters = _filters(request)
    data = stats.dashboard(period=filters["period"], user=request.user, agency=filters["agency"])
    for key in ("months", "by_agency", "indicators"):
        _with_percents(data[key])
    _with_percents([data["totals"]])
    chart = stats.bar_chart(
        data["months"], [("received", "bar-received"), ("done", "bar-done")],
        lambda row: f"{row['month']:%m/%y}",
    )
    choices = stats.period_choices()
    if all(filters["period"].key != p.key for _group, periods in choices for p in periods):
        choices.insert(0, (_("Chosen period"), [filters["period"]]))
    return render(request, "publicservices/stats/page.html", {
        **filters, **data, "chart": chart, "query": request.GET.urlencode(),
        "period_choices": choices,
    })


@login_required
def stats_export(request):
    _viewer_check(request.user)
    filters = _filters(request)
    data = stats.dashboard(period=filters["period"], user=request.user, agency=filters["agency"])
    content = _workbook(data, filters["agency"])
    name = f"thong-ke-{filters['period'].key}"
    if filters["agency"] is not None:
        name += f"-{filters['agency'].code}"
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# --- the workbook ------------------------------------------------------------------------------

PERCENT, NUMBER, MONTH = "0.0%", "#,##0", "mm/yyyy"


def _sheet_title(text: str) -> str:
    return _SHEET_NAME_UNSAFE.sub(" ", text)[:31].strip() or "Sheet"


def _write_sheet(book: Workbook, title: str, columns: list[tuple[str, str, str | None, int]],
                 rows: list[dict]) -> None:
    """One sheet: a bold header row, then a row per dict; `columns` are (key, header, number
    format, width). Text goes through `safe_cell`: names may come from users."""
    sheet = book.create_sheet(_sheet_title(title))
    sheet.append([safe_cell(header) for _key, header, _fmt, _width in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([safe_cell(row.get(key)) for key, _header, _fmt, _width in columns])
    for index, (_key, _header, fmt, width) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    sheet.freeze_panes = "A2"


def _count_columns() -> list[tuple[str, str, str | None, int]]:
    return [
        ("received", _("Received"), NUMBER, 11), ("online", _("Online"), NUMBER, 10),
        ("done", _("Processed"), NUMBER, 11), ("open", _("Open"), NUMBER, 9),
        ("cancelled", _("Refused, withdrawn or stopped"), NUMBER, 14),
        ("early", _("Early"), NUMBER, 9), ("on_time", _("On time"), NUMBER, 9),
        ("late", _("Late"), NUMBER, 9), ("in_time", _("Open, in time"), NUMBER, 11),
        ("overdue", _("Open, overdue"), NUMBER, 11),
        ("on_time_rate", _("Early or on time"), PERCENT, 11),
        ("online_rate", _("Online share"), PERCENT, 10),
        ("mean_rating", _("Mean rating (1–5)"), "0.00", 10),
    ]


def _workbook(data: dict, agency: Agency | None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    counts = _count_columns()
    _write_sheet(book, _("By agency and month"), [
        ("agency_code", _("Unit code"), None, 16), ("agency_name", _("Agency"), None, 40),
        ("month", _("Month"), MONTH, 10), *counts,
    ], data["by_agency_month"])
    _write_sheet(book, _("By procedure"), [
        ("procedure_code", _("Procedure code"), None, 14),
        ("procedure_name", _("Procedure"), None, 60), *counts,
    ], data["by_procedure"])
    indicators = [
        {**row, "max_points_verified": _("yes") if row["max_points_verified"] else _("no")}
        for row in data["indicators"]
    ]
    indicators.append({"name": _("Total of the indicators with data"), "points": data["points"],
                       "max_points": data["max_points"]})
    _write_sheet(book, _("Decision 766"), [
        ("code", _("Indicator"), None, 9), ("name", _("Name"), None, 44),
        ("numerator", _("Numerator"), NUMBER, 12), ("denominator", _("Denominator"), NUMBER, 12),
        ("rate", _("Rate"), PERCENT, 9), ("threshold", _("Full points from"), PERCENT, 11),
        ("points", _("Points"), "0.00", 9), ("max_points", _("Maximum"), "0.##", 9),
        ("max_points_verified", _("Maximum verified"), None, 10),
        ("rule", _("Rule"), None, 70),
    ], indicators)
    book.properties.title = f"{_('Dossier statistics')} — {data['period'].label}" + (
        f" — {agency.name}" if agency is not None else ""
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

