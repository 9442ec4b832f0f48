"""Working-time calendar API, mounted at /api/v1/calendar/.

Other systems (one-stop software of other agencies, the feedback switchboard) ask us for due
dates so that every deadline in the city is computed by the same calendar.
"""

import datetime as dt
import math
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from civicport.core import calendar
from civicport.core.api import ApiError

router = Router(tags=["calendar"])

# The calendar data (holidays, make-up days) only makes sense for these years.
FIRST_YEAR, LAST_YEAR = 2000, 2100

# An unencoded "+" in a query string arrives as a space: "…T10:00:00 07:00" means "+07:00".
_SPACE_OFFSET_RE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class DueOut(Schema):
    start: dt.datetime
    due: dt.datetime
    working_days: int | None
    working_hours: float | None


class CalendarDayOut(Schema):
    date: dt.date
    name: str


class HolidaysOut(Schema):
    year: int
    non_working_days: list[CalendarDayOut]
    makeup_working_days: list[CalendarDayOut]


def _year_error() -> ApiError:
    return ApiError(
        422, "year_out_of_range",
        _("The year must be between %(first)d and %(last)d.")
        % {"first": FIRST_YEAR, "last": LAST_YEAR},
    )


def _parse_start(raw: str) -> dt.datetime:
    text = _SPACE_OFFSET_RE.sub(r"\1+\2", raw.strip())
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(
            422, "invalid_start",
            _("start must be an ISO 8601 date and time, e.g. 2026-02-13T10:00:00+07:00."),
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    moment = timezone.localtime(moment, timezone.get_default_timezone())
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise _year_error()
    return moment


def _check_duration(working_days: int | None, working_hours: float | None) -> None:
    if (working_days is None) == (working_hours is None):
        raise ApiError(
            422, "invalid_duration", _("Give exactly one of working_days or working_hours.")
        )
    if working_hours is not None and not math.isfinite(working_hours):
        raise ApiError(422, "invalid_duration", _("working_hours must be a number."))
    if (working_days or 0) < 0 or (working_hours or 0) < 0:
        raise ApiError(
            422, "negative_duration", _("The number of working days or hours cannot be negative.")
        )
    max_hours = calendar.MAX_WORKING_DAYS * calendar.working_day_length() / dt.timedelta(hours=1)
    if (working_days or 0) > calendar.MAX_WORKING_DAYS or (working_hours or 0) > max_hours:
        raise ApiError(
            422, "duration_too_large",
            _("At most %(days)d working days (%(hours)g working hours) can be added.")
            % {"days": calendar.MAX_WORKING_DAYS, "hours": max_hours},
        )


@router.get("/due", response=DueOut, summary="Due date in working time")
def due(
    request,
    start: str,
    working_days: int | None = None,
    working_hours: float | None = None,
):
    """Deadline `working_days` (or `working_hours`) of working time after `start`.

    `start` is ISO 8601; without an offset it is Hải Phòng time (+07:00). A start outside
    office hours starts the clock at the next session; a count ending at a session's end
    returns that end (17:00). Weekends, public holidays (observed and swapped days), extra
    days off and make-up working days are taken into account.
    """
    moment = _parse_start(start)
    _check_duration(working_days, working_hours)
    try:
        if working_days is not None:
            result = calendar.add_working_days(moment, working_days)
        else:
            result = calendar.add_working_hours(moment, working_hours)
    except ValueError:
        raise ApiError(
            422, "duration_too_large", _("The due date is beyond the supported calendar.")
        ) from None
    return {
        "start": moment,
        "due": result,
        "working_days": working_days,
        "working_hours": working_hours,
    }


@router.get("/holidays", response=HolidaysOut, summary="Days off and make-up working days")
def holidays_of_year(request, year: int):
    """Non-working days of `year` (public holidays, including those on a weekend, observed
    and swapped days, extra days off) and make-up working days, named in the request language.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _year_error()
    return {
        "year": year,
        "non_working_days": calendar.non_working_days(year),
        "makeup_working_days": calendar.makeup_workdays(year),
    }
