"""Live indicator sources: indicator code → a small function reading another module's
`queries` (import-linter: the IOC reads other apps through `queries` only).

Each source gets a `Context` that fetches every module's figures at most once per refresh
(one grouped query per module: the public-services agency × month table costs ~1 s at a
million dossiers, so it runs in the refresh task, never per page view) and returns
`Reading`s: a value for one period and scope (city, agency or ward). A module that is
missing or lacks its contract function raises `SourceMissing`: the refresh records the
indicator as "no data source" and goes on with the others.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import import_module

from civicport.ioc.periods import Period, period_of


class SourceMissing(Exception):
    """The module or function a live source reads is not there (yet)."""


@dataclass(frozen=True)
class Reading:
    period: Period
    value: float | None
    agency_id: int | None = None
    ward_code: int | None = None
    numerator: float | None = None
    denominator: float | None = None


def _contract(module: str, name: str) -> Callable:
    try:
        found = getattr(import_module(module), name, None)
    except ImportError as exc:
        raise SourceMissing(f"{module} cannot be imported") from exc
    if found is None:
        raise SourceMissing(f"{module}.{name} does not exist")
    return found


def _ratio(numerator, denominator) -> float | None:
    return numerator / denominator if denominator else None


class Context:
    """What one refresh reads, fetched lazily and once: the year up to `now`."""

    def __init__(self, *, now: datetime, today: date):
        self.now, self.today = now, today
        self.year = period_of("year", today)
        self.month = period_of("month", today)
        self.quarter = period_of("quarter", today)
        self._cache: dict = {}

    def _once(self, key, fetch):
        if key not in self._cache:
            self._cache[key] = fetch()
        return self._cache[key]

    def window(self, period: Period) -> tuple[datetime, datetime]:
        start, end = period.bounds
        return start, min(end, self.now)

    # --- public services --------------------------------------------------------------------

    def dossier_rows(self) -> list[dict]:
        """Agency × month counts of the year (one grouped query)."""
        def fetch():
            counts = _contract("civicport.publicservices.queries", "dossier_counts")
            start, end = self.window(self.year)
            return counts(start=start, end=end, by=("agency", "month"))
        return self._once("dossiers", fetch)

    def indicators_766(self, period: Period) -> list[dict]:
        def fetch():
            compute = _contract("civicport.publicservices.queries", "indicators_766")
            start, end = self.window(period)
            return compute(start=start, end=end)
        return self._once(("766", period.key), fetch)

    # --- feedback ---------------------------------------------------------------------------

    def feedback(self, period: Period) -> dict:
        def fetch():
            summary = _contract("civicport.feedback.queries", "feedback_summary")
            # The contract's end date is inclusive.
            return summary(start=period.start, end=min(period.last_day, self.today))
        return self._once(("feedback", period.key), fetch)

    # --- datahub ----------------------------------------------------------------------------

    def publishing(self) -> dict:
        return self._once("datahub", lambda: _contract(
            "civicport.datahub.queries", "publishing_summary")())


# --- public-services sources: one table, sliced by the indicator's numerator/denominator ----


def _dossier_readings(ctx: Context, numerator: str, denominator: str | None,
                      percent: bool = True) -> list[Reading]:
    """Readings for each month, the quarter-to-date and the year, per agency and city."""
    rows = ctx.dossier_rows()
    wards = _agency_wards({row["agency"] for row in rows})
    sums: dict[tuple[str, int | None], list[float]] = {}
    periods: dict[str, Period] = {}
    for row in rows:
        month = period_of("month", row["month"])
        for period in (month, period_of("quarter", month.start), ctx.year):
            periods[period.key] = period
            for agency_id in (row["agency"], None):
                pair = sums.setdefault((period.key, agency_id), [0.0, 0.0])
                pair[0] += row[numerator]
                pair[1] += row[denominator] if denominator else 0
    readings = []
    for (key, agency_id), (num, den) in sums.items():
        if denominator:
            value = _ratio(num, den)
            value = None if value is None else value * (100 if percent else 1)
        else:
            value, den = num, None
        reading = Reading(periods[key], value, agency_id=agency_id, numerator=num,
                          denominator=den)
        readings.append(reading)
        if agency_id in wards:
            readings.append(Reading(periods[key], value, ward_code=wards[agency_id],
                                    numerator=num, denominator=den))
    return readings


def _agency_wards(agency_ids: set[int]) -> dict[int, int]:
    """Commune committees' wards, so ward maps can show public-service figures."""
    from civicport.core.models import Agency

    return dict(Agency.objects.filter(pk__in=agency_ids, ward__isnull=False)
                .values_list("pk", "ward_id"))


def _score_766(ctx: Context) -> list[Reading]:
    readings = []
    for period in (ctx.month, ctx.year):
        scored = [row for row in ctx.indicators_766(period) if row["points"] is not None]
        maximum = sum(row["max_points"] for row in scored)
        points = sum(row["points"] for row in scored)
        # Only the indicators the data supports are scored: scaled to 100 over them.
        readings.append(Reading(period, _ratio(points * 100, maximum), numerator=points,
                                denominator=maximum or None))
    return readings


# --- feedback sources ---------------------------------------------------------------------


def _feedback_readings(ctx: Context, pick: Callable[[dict], float | None],
                       *, by_ward: bool = True, by_agency: bool = True) -> list[Reading]:
    readings = []
    year = ctx.feedback(ctx.year)
    for period in (ctx.year, ctx.month):
        summary = year if period is ctx.year else ctx.feedback(period)
        readings.append(Reading(period, pick(summary)))
        if by_agency:
            readings += [Reading(period, pick(row), agency_id=row["agency_id"])
                         for row in summary.get("by_agency", []) if row.get("agency_id")]
        if by_ward:
            readings += [Reading(period, pick(row), ward_code=int(row["ward_code"]))
                         for row in summary.get("by_ward", []) if row.get("ward_code")]
    for row in year.get("by_month", []):
        month = period_of("month", date(int(row["month"][:4]), int(row["month"][5:7]), 1))
        if month.key != ctx.month.key:
            readings.append(Reading(month, pick(row)))
    return readings


def _percent(key: str) -> Callable[[dict], float | None]:
    def pick(row: dict) -> float | None:
        value = row.get(key)
        return None if value is None else value * 100
    return pick


def _count(key: str) -> Callable[[dict], float | None]:
    return lambda row: row.get(key)


def _answered_share(row: dict) -> float | None:
    value = _ratio(row.get("answered") or 0, row.get("total") or 0)
    return None if value is None else value * 100


def _hours_as_days(row: dict) -> float | None:
    hours = row.get("mean_hours_to_answer")
    return None if hours is None else hours / 24


# --- datahub sources ------------------------------------------------------------------------


def _datahub(ctx: Context, pick: Callable[[dict], float | None]) -> list[Reading]:
    summary = ctx.publishing()
    value = pick(summary)
    return [Reading(ctx.month, value), Reading(ctx.year, value)]


def _departments_publishing(summary: dict) -> float | None:
    share = _ratio(summary.get("departments_publishing") or 0,
                   summary.get("departments_total") or 0)
    return None if share is None else share * 100


# --- the IOC's own data ---------------------------------------------------------------------


def _plan(ctx: Context, which: str) -> list[Reading]:
    from civicport.ioc.queries import plan_rollup

    rollup = plan_rollup(year=ctx.year.start.year, today=ctx.today)
    if rollup is None:
        return []
    total = rollup["total"]
    if which == "done":
        readings = [Reading(ctx.year, _ratio(total["done_on_time"] * 100, total["tasks"]),
                            numerator=total["done_on_time"], denominator=total["tasks"])]
        readings += [Reading(ctx.year, _ratio(row["done_on_time"] * 100, row["tasks"]),
                             agency_id=row["agency_id"]) for row in rollup["by_agency"]]
        return readings
    readings = [Reading(ctx.year, _ratio(float(total["disbursed"]) * 100, float(total["budget"])),
                        numerator=float(total["disbursed"]), denominator=float(total["budget"]))]
    readings += [Reading(ctx.year, _ratio(float(row["disbursed"]) * 100, float(row["budget"])),
                         agency_id=row["agency_id"]) for row in rollup["by_agency"]]
    return readings


def _reports_on_time(ctx: Context) -> list[Reading]:
    from civicport.ioc.queries import report_punctuality

    readings = []
    for period in (ctx.year, ctx.month):
        row = report_punctuality(start=period.start, end=period.end, now=ctx.now)
        readings.append(Reading(period, _ratio(row["on_time"] * 100, row["due"]),
                                numerator=row["on_time"], denominator=row["due"]))
    return readings


SOURCES: dict[str, Callable[[Context], list[Reading]]] = {
    "CQS-02": lambda ctx: _dossier_readings(ctx, "online", "received"),
    "CQS-03": lambda ctx: _dossier_readings(ctx, "in_time_total", "judged"),
    "PA-02": lambda ctx: _dossier_readings(ctx, "rated_high", "rated"),
    "PS-01": lambda ctx: _dossier_readings(ctx, "received", None),
    "PA-01": _score_766,
    "FB-01": lambda ctx: _feedback_readings(ctx, _count("total")),
    "FB-02": lambda ctx: _feedback_readings(ctx, _answered_share),
    "FB-03": lambda ctx: _feedback_readings(ctx, _percent("satisfaction_rate"), by_ward=False),
    "FB-04": lambda ctx: _feedback_readings(ctx, _hours_as_days, by_ward=False,
                                            by_agency=False),
    "FB-05": lambda ctx: _feedback_readings(ctx, _percent("on_time_rate")),
    "FB-06": lambda ctx: _feedback_readings(ctx, _count("overdue_open"), by_ward=False,
                                            by_agency=False),
    "CQS-10": lambda ctx: _datahub(ctx, _count("datasets_open")),
    "DH-01": lambda ctx: _datahub(ctx, _departments_publishing),
    "PLAN-01": lambda ctx: _plan(ctx, "done"),
    "PLAN-02": lambda ctx: _plan(ctx, "disbursed"),
    "OPS-02": _reports_on_time,
}
