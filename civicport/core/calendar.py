"""Vietnamese working-time calendar: which days are worked, and deadlines in working time.

Legal deadlines for dossiers are counted in working days, so every due date and every
processing-time figure goes through this module. Sources of truth, in order of precedence:

1. `MakeupWorkday` rows (ngày làm bù): a day the government told offices to work, e.g. a
   Saturday swapped for a bridge day off. Always a working day, even on a weekend.
2. `DayOff` rows: extra days off decided by the government or the city.
3. The pinned `holidays` package (`holidays.VN`, observed and swapped days included).
4. Otherwise Monday to Friday are working days.

Time of day follows the one-stop convention (services.md §1.5, HV `CaculateTime`): one working
day is the total length of the office sessions in `settings.CIVICPORT_OFFICE_HOURS`; a moment
outside the sessions starts the clock at the next session start; a count that ends exactly at
a session's end returns that end (17:00), not the next morning.

Caching: the holiday library is computed once per (year, language); the two small admin tables
are read once and kept for `OVERRIDES_TTL_SECONDS`. Code that writes `DayOff` or
`MakeupWorkday` rows must call `clear_calendar_cache()` so this process sees the change at
once; other processes see it when their copy expires.
"""

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from types import MappingProxyType

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language

from civicport.core.models import DayOff, MakeupWorkday

__all__ = [
    "KNOWN_MAKEUP_WORKDAYS",
    "MAX_WORKING_DAYS",
    "Holiday",
    "add_working_days",
    "add_working_hours",
    "calendar_seed",
    "clear_calendar_cache",
    "is_working_day",
    "makeup_workdays",
    "next_holiday",
    "non_working_days",
    "office_sessions",
    "working_day_length",
    "working_days_between",
    "working_time_between",
]

# Longest duration accepted (about 14 years of working days): anything longer is a data error,
# and the bound keeps a bad input from walking the calendar for ages.
MAX_WORKING_DAYS = 3650

# How long a process trusts its copy of the DayOff / MakeupWorkday tables.
OVERRIDES_TTL_SECONDS = 60.0

# (make-up working Saturday, the weekday it pays back, note). `holidays` lists the day off
# but not the Saturday worked for it (services.md §5), so these go into MakeupWorkday.
KNOWN_MAKEUP_WORKDAYS: tuple[tuple[date, date, str], ...] = (
    (date(2024, 5, 4), date(2024, 4, 29), ""),
    (date(2025, 2, 15), date(2025, 1, 27), "Tết Ất Tỵ"),
    (date(2025, 4, 26), date(2025, 5, 2), ""),
    (date(2026, 8, 22), date(2026, 8, 31), ""),
)

_SESSION_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Holiday:
    """A dated calendar entry; `kind` is "holiday", "day_off" or "makeup"."""

    date: date
    name: str
    kind: str = "holiday"


# --- office hours ---------------------------------------------------------------------------


def office_sessions() -> tuple[tuple[dtime, dtime], ...]:
    """The office sessions of a working day, from `settings.CIVICPORT_OFFICE_HOURS`."""
    return _parse_office_hours(getattr(settings, "CIVICPORT_OFFICE_HOURS",
                                       "07:00-11:30,13:30-17:00"))


def working_day_length() -> timedelta:
    """Length of one working day (8 h by default): the unit a working-day count stands for."""
    return _day_length(office_sessions())


@lru_cache(maxsize=8)
def _parse_office_hours(value: str) -> tuple[tuple[dtime, dtime], ...]:
    def bad(reason: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            f"CIVICPORT_OFFICE_HOURS={value!r} is not valid: {reason}. "
            "Expected comma-separated HH:MM-HH:MM sessions in order, "
            "e.g. '07:00-11:30,13:30-17:00'."
        )

    if not isinstance(value, str) or not value.strip():
        raise bad("it is empty")
    sessions: list[tuple[dtime, dtime]] = []
    for part in value.split(","):
        match = _SESSION_RE.match(part.strip())
        if not match:
            raise bad(f"{part.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = dtime(h1, m1), dtime(h2, m2)
        except ValueError as exc:
            raise bad(f"{part.strip()!r} is not a time of day") from exc
        if start >= end:
            raise bad(f"session {part.strip()!r} does not end after it starts")
        if sessions and start < sessions[-1][1]:
            raise bad(f"session {part.strip()!r} overlaps or precedes the previous one")
        sessions.append((start, end))
    return tuple(sessions)


def _day_length(sessions: tuple[tuple[dtime, dtime], ...]) -> timedelta:
    return sum(
        (datetime.combine(date.min, end) - datetime.combine(date.min, start)
         for start, end in sessions),
        timedelta(0),
    )


# --- which days are worked --------------------------------------------------------------------


def _holiday_language() -> str:
    return "vi" if (get_language() or settings.LANGUAGE_CODE).lower().startswith("vi") else "en_US"


@lru_cache(maxsize=256)
def _library_holidays(year: int, language: str) -> Mapping[date, str]:
    # holidays.VN is slow to build (lunar calendar); this is on the due-date hot path.
    return MappingProxyType(dict(holidays.VN(years=year, language=language)))


def _library_dates(year: int) -> Mapping[date, str]:
    # Dates do not depend on the language, so any cached language will do.
    return _library_holidays(year, "en_US")


_overrides_cache: tuple[float, Mapping[date, str], Mapping[date, str]] | None = None


def _overrides() -> tuple[Mapping[date, str], Mapping[date, str]]:
    """(DayOff, MakeupWorkday) as {date: name}: both tables are tiny, so read them whole."""
    global _overrides_cache
    cached = _overrides_cache
    now = time.monotonic()
    if cached is None or now - cached[0] > OVERRIDES_TTL_SECONDS:
        cached = (
            now,
            MappingProxyType(dict(DayOff.objects.values_list("date", "name"))),
            MappingProxyType(dict(MakeupWorkday.objects.values_list("date", "name"))),
        )
        _overrides_cache = cached
    return cached[1], cached[2]


def clear_calendar_cache() -> None:
    """Forget the cached DayOff/MakeupWorkday rows; call after writing either table."""
    global _overrides_cache
    _overrides_cache = None


def is_working_day(d: date) -> bool:
    """Whether offices work on `d`; a make-up day wins over weekends and holidays."""
    if isinstance(d, datetime) or not isinstance(d, date):
        # A datetime's date depends on its zone: make the caller choose.
        raise TypeError("is_working_day() takes a date (not a datetime)")
    return _working_day_test()(d)


def _working_day_test() -> Callable[[date], bool]:
    # Fetch the cached tables once per computation, not once per day walked.
    day_offs, makeups = _overrides()

    def working(d: date) -> bool:
        if d in makeups:
            return True
        return d.weekday() < 5 and d not in day_offs and d not in _library_dates(d.year)

    return working


def non_working_days(year: int) -> list[Holiday]:
    """Public holidays (observed and swapped days included) and extra days off of `year`.

    Weekend holidays are listed too (they are still holidays); days turned into make-up
    working days are not. Names follow the active language (Vietnamese or English).
    """
    day_offs, makeups = _overrides()
    entries = {
        d: Holiday(d, name, "holiday")
        for d, name in _library_holidays(year, _holiday_language()).items()
    }
    for d, name in day_offs.items():
        if d.year == year:
            entries.setdefault(d, Holiday(d, name, "day_off"))
    return sorted((h for h in entries.values() if h.date not in makeups), key=lambda h: h.date)


def makeup_workdays(year: int) -> list[Holiday]:
    """Make-up working days (ngày làm bù) of `year`, from the MakeupWorkday table."""
    _day_offs, makeups = _overrides()
    return sorted(
        (Holiday(d, name, "makeup") for d, name in makeups.items() if d.year == year),
        key=lambda h: h.date,
    )


def next_holiday(today: date) -> Holiday | None:
    """The next weekday off from `today` on (today included), for the home page."""
    for year in (today.year, today.year + 1):
        for holiday in non_working_days(year):
            if holiday.date >= today and holiday.date.weekday() < 5:
                return holiday
    return None


def calendar_seed() -> int:
    """Store the known make-up Saturdays; idempotent. Returns rows created or corrected."""
    changed = 0
    with transaction.atomic():
        for workday, swapped, note in KNOWN_MAKEUP_WORKDAYS:
            name = f"Làm bù cho ngày nghỉ {swapped:%d/%m/%Y}" + (f" ({note})" if note else "")
            row, created = MakeupWorkday.objects.get_or_create(
                date=workday, defaults={"name": name}
            )
            if created:
                changed += 1
            elif row.name != name:
                row.name = name
                row.save(update_fields=["name"])
                changed += 1
    clear_calendar_cache()
    return changed


# --- working time -------------------------------------------------------------------------------


def _local(moment: datetime, what: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime")
    if timezone.is_naive(moment):
        raise ValueError(f"{what} must be timezone-aware; naive datetimes are ambiguous")
    return moment.astimezone(timezone.get_default_timezone())


def _sessions_of(
    day: date, sessions: tuple[tuple[dtime, dtime], ...]
) -> list[tuple[datetime, datetime]]:
    tz = timezone.get_default_timezone()
    return [
        (datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz))
        for start, end in sessions
    ]


def _hours_delta(hours: int | float | Decimal) -> timedelta:
    if isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        raise TypeError("hours must be a number")
    if isinstance(hours, float) and not math.isfinite(hours):
        raise ValueError("hours must be a finite number")
    value = Decimal(str(hours)) if isinstance(hours, float) else Decimal(hours)
    if not value.is_finite():
        raise ValueError("hours must be a finite number")
    if value < 0:
        raise ValueError("hours cannot be negative")
    micro = int((value * 3_600_000_000).to_integral_value(rounding=ROUND_HALF_UP))
    limit = MAX_WORKING_DAYS * working_day_length()
    if micro > limit // timedelta(microseconds=1):
        raise ValueError(f"at most {limit / timedelta(hours=1):g} working hours can be added")
    return timedelta(microseconds=micro)


def _advance(start: datetime, amount: timedelta) -> datetime:
    # Walk working days, skipping whole days at once; within the last day, jump session by
    # session (never minute by minute).
    moment = _local(start, "start")
    sessions = office_sessions()
    day_length = _day_length(sessions)
    working = _working_day_test()
    remaining = amount
    day = moment.date()
    while True:
        if not working(day):
            pass
        elif day > moment.date() and remaining > day_length:
            remaining -= day_length
        else:
            for opens, closes in _sessions_of(day, sessions):
                if moment >= closes:
                    continue
                clock = max(moment, opens)
                available = closes - clock
                if remaining <= available:
                    return clock + remaining
                remaining -= available
        try:
            day += timedelta(days=1)
        except OverflowError as exc:
            raise ValueError("the result is beyond the supported calendar") from exc


def add_working_hours(start: datetime, hours: int | float | Decimal) -> datetime:
    """The moment `hours` working hours after `start`, for hour-based procedures."""
    return _advance(start, _hours_delta(hours))


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start`: the legal deadline of a dossier.

    A day is the length of the office sessions, so a dossier received at 10:00 is due at
    10:00 on the Nth following working day, and one received after hours at 17:00.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("days must be an integer; use add_working_hours() for fractions")
    if days < 0:
        raise ValueError("days cannot be negative")
    if days > MAX_WORKING_DAYS:
        raise ValueError(f"at most {MAX_WORKING_DAYS} working days can be added")
    return _advance(start, days * working_day_length())


def working_time_between(a: datetime, b: datetime) -> timedelta:
    """Working time elapsed from `a` to `b` (zero if b <= a): measures processing time."""
    a, b = _local(a, "a"), _local(b, "b")
    if b <= a:
        return timedelta(0)
    sessions = office_sessions()
    day_length = _day_length(sessions)
    working = _working_day_test()
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        if not working(day):
            pass
        elif a.date() < day < b.date():
            total += day_length
        else:
            for opens, closes in _sessions_of(day, sessions):
                low, high = max(a, opens), min(b, closes)
                if high > low:
                    total += high - low
        day += timedelta(days=1)
    return total


def working_days_between(a: datetime, b: datetime) -> float:
    """Working time from `a` to `b` in working days (fractional), for statistics."""
    return working_time_between(a, b) / working_day_length()
