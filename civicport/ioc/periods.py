"""Reporting periods in local (Asia/Ho_Chi_Minh) dates: ISO weeks, months, quarters, years.

Keys: "2026-W05", "2026-03", "2026-Q1", "2026". A period is [start, end) in local dates;
`bounds` gives the aware datetimes other modules' statistics take.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def today() -> date:
    return timezone.localtime(timezone.now(), tz()).date()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    key: str
    kind: str  # week, month, quarter, year
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _day = self.start.isocalendar()
            return _("Week %(week)d/%(year)d") % {"week": week, "year": year}
        if self.kind == "month":
            return _("Month %(month)d/%(year)d") % {"month": self.start.month,
                                                    "year": self.start.year}
        if self.kind == "quarter":
            return _("Quarter %(quarter)d/%(year)d") % {
                "quarter": (self.start.month - 1) // 3 + 1, "year": self.start.year}
        return _("Year %(year)d") % {"year": self.start.year}

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time.min, tzinfo=tz()),
                datetime.combine(self.end, time.min, tzinfo=tz()))

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> "Period":
        return period_of(self.kind, self.start - timedelta(days=1))

    def next(self) -> "Period":
        return period_of(self.kind, self.end)


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` containing `day`."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        year, week, _day = start.isocalendar()
        return Period(f"{year}-W{week:02d}", kind, start, start + timedelta(days=7))
    if kind == "month":
        start = day.replace(day=1)
        return Period(f"{start:%Y-%m}", kind, start, _add_months(start, 1))
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(f"{day.year}-Q{(day.month - 1) // 3 + 1}", kind, start,
                      _add_months(start, 3))
    if kind == "year":
        return Period(str(day.year), kind, date(day.year, 1, 1), date(day.year + 1, 1, 1))
    raise ValueError(f"unknown period kind {kind!r}")


def period_parse(key: str | None) -> Period | None:
    """The period named by `key`, or None when it is not one (years 2000–2100 only)."""
    key = (key or "").strip()
    try:
        if len(key) == 4:
            period = period_of("year", date(int(key), 1, 1))
        elif len(key) == 7 and key[4:6] == "-Q" and key[6] in "1234":
            period = period_of("quarter", date(int(key[:4]), 3 * int(key[6]) - 2, 1))
        elif len(key) == 8 and key[4:6] == "-W":
            period = period_of("week", date.fromisocalendar(int(key[:4]), int(key[6:]), 1))
        elif len(key) == 7 and key[4] == "-":
            period = period_of("month", date(int(key[:4]), int(key[5:]), 1))
        else:
            return None
    except ValueError:
        return None
    if not 2000 <= period.start.year <= 2100 or period.key != key:
        return None
    return period


def months_of(period: Period) -> list[Period]:
    months, day = [], period.start
    while day < period.end:
        months.append(period_of("month", day))
        day = _add_months(day, 1)
    return months


def contains(outer: Period, inner: Period) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end
