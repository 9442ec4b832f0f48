"""Formatting of indicator values and statuses in the IOC's templates."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()

_SUFFIX = {"percent": "%", "days": " ngày", "hours": " giờ", "bn_vnd": " tỷ đồng",
           "points": " điểm"}


@register.filter
def ioc_value(value, unit: str) -> str:
    """A value in its unit, Vietnamese number format: 95,3% · 1.234 · 0,7857."""
    if value is None:
        return "—"
    if unit == "index":
        return number_format(value, 4)
    if unit in ("count", "rank"):
        return number_format(value, 0, force_grouping=True)
    return number_format(value, 1, force_grouping=True) + _SUFFIX.get(unit, "")


@register.filter
def status_label(status: str) -> str:
    return {
        "on_track": _("on track"), "at_risk": _("at risk"), "off_track": _("off track"),
        "no_data": _("no target or data"),
    }.get(status, status)


@register.filter
def report_status_label(status: str) -> str:
    return {
        "on_time": _("on time"), "late": _("late"), "missing": _("missing"),
        "pending": _("not yet due"),
    }.get(status, status)


@register.filter
def million_as_billion(value) -> str:
    """Million VND shown as billion VND with one decimal."""
    if value is None:
        return "—"
    return number_format(float(value) / 1000, 1, force_grouping=True)
