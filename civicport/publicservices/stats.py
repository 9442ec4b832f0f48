"""Statistics of dossiers and the Decision 766 service index, aggregated in the database.

Every function takes keyword arguments only and a period [start, end) of `received_at`
(dossiers received in the period; drafts have no `received_at` and never count). `user`
restricts the figures to what that user may see (`core.access.scope_to_user`: officers see
their agencies and sub-agencies, city admins and IOC viewers everything); `user=None` means
no restriction and is for internal callers such as the IOC — views always pass the user.
`agency` (an Agency or its id) narrows to that agency and its sub-agencies.

How the figures are computed:

* Counts are one `GROUP BY` query per call (`values(...).annotate(Count(..., filter=...))`),
  never dossiers loaded into Python; a year of a city is a million rows, so the per-row work
  is kept small: the status class and the judgement are one integer grouping code
  (`_status_judgement_code`), local days are compared as moments against day starts
  (`_DayStart`, PostgreSQL) and months are found by `width_bucket` (`_MonthIndex`).
  Otherwise days and months are local (Asia/Ho_Chi_Minh) through `LocalDate`/`LocalMonth`
  (see `_Local`: cheap fixed-offset arithmetic on both databases).
  The period filter on `received_at` (plus the agency filter) uses the
  `dossier_agency_received` index.
* On time (766 indicator 2.1, services.md §1.6): `classification_expression(as_of)` is the
  SQL form of `deadlines.classify(dossier=, as_of=)` — the same rule, tested against it row by
  row: finished dossiers compare local dates with the legal appointment (`original_due_at`,
  apologies ignored): earlier = early, same day = on time, later = late; open dossiers are in
  time while the appointment day has not passed (a paused clock is judged at the pause); more
  than one supplement request = late (overdue while open). Each dossier is judged as of the
  period end, or now if the period has not ended. The rate is
  (early + on time + in time) ÷ all judged dossiers.
* Mean processing time is working time (core.calendar: office sessions, weekends,
  holidays, make-up days) from receipt to the end of processing, minus the working time the
  clock was paused (supplement and fee requests), for dossiers finished with a result (done /
  returned), in working days. It is computed without walking dossiers in Python: working
  time from a fixed origin to a moment t is `W(t) = 8h × (working days before t's local day)
  + (working time of t's day before t)`, so `working_time_between(a, b) = W(b) − W(a)`; the
  database sums the time-of-day part per local day (`GROUP BY` day) and Python adds the
  per-day constants from the calendar, so the cost grows with the number of days, not of
  dossiers. The paused time comes from the legal appointment (see `mean_processing_days`):
  exact as long as the procedure's processing time has not been changed in the catalogue
  since the dossier was received.
* Decision 766 (`indicators_766`, services.md §2): the indicators the data supports, each
  scored by `score_766` — at/above the threshold full points, below it rate × max ÷ threshold.

Indicators not computed, and why: 1.1–1.3 (announcement and publication of procedures: no
publication dates are kept), 1.4 (sync with the national portal DVCQG: not connected), 2.2
(mean processing time: reported as a statistic above, but no official scoring rule was found),
3.2 (online services with at least one online dossier: no threshold or points found), 3.5
(fee data synced to the payment platform: not modelled), 4.1 (electronic results of
procedures that require a paper result: that flag is not modelled), 4.3–4.5 (reuse of
digitised papers, data store, population database / VNeID: not modelled), 5.1–5.3 (feedback
reports: the feedback module's figures).

Maximum points: only 2.1 (20 points) and the satisfaction indicator (6 points) are verified
(services.md §2.1, baocaotaichinh.vn). The others are ILLUSTRATIVE, chosen to match the
acceptance examples of services.md §7.10 (3.1: 6 points at 80 %, 3.3: 4 points at 50 %) or
an even share of a verified group (3.6: 5 of the 10 points DVCQG shows for online payment;
4.2: 6 of the 22 points of digitisation); each indicator says whether its maximum is verified.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import NotSupportedError, connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicport.core.access import scope_to_user
from civicport.core.calendar import is_working_day, office_sessions, working_day_length
from civicport.core.models import Agency
from civicport.publicservices.deadlines import (
    EARLY,
    IN_TIME,
    LATE,
    MAX_SUPPLEMENTS_ON_TIME,
    ON_TIME,
    OVERDUE,
    local_day,
)
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierFile,
    DossierStatus,
    FileKind,
    Procedure,
    ProcedureLevel,
    TimeUnit,
)

__all__ = [
    "GROUPINGS",
    "INDICATORS",
    "Period",
    "as_of_for",
    "bar_chart",
    "classification_expression",
    "dashboard",
    "dossier_counts",
    "dossiers_in",
    "indicators_766",
    "mean_processing_days",
    "on_time_rate",
    "online_rate",
    "period_choices",
    "period_parse",
    "satisfaction",
    "score_766",
]

S = DossierStatus
GROUPINGS = ("agency", "procedure", "month", "status", "channel")
# Dossiers finished with a result; the others finished by refusal, withdrawal or stop.
# Most dossiers end returned: the status lists below test the commonest first.
RESULT_STATUSES = (S.RETURNED, S.DONE)
CANCELLED_STATUSES = (S.REFUSED, S.WITHDRAWN, S.STOPPED)
_FINISHED = [*RESULT_STATUSES, *CANCELLED_STATUSES]
# Status classes counted by `_counts` (None: any other status, i.e. drafts).
_CLASS_STATUSES = {
    "done": RESULT_STATUSES,
    "cancelled": CANCELLED_STATUSES,
    "open": (S.PROCESSING, S.RECEIVED, S.NEW, S.SUPPLEMENT, S.WAITING_FEE),
}
_CLASSES = (None, *_CLASS_STATUSES)
JUDGEMENTS = (EARLY, ON_TIME, LATE, IN_TIME, OVERDUE)
IN_TIME_JUDGEMENTS = (EARLY, ON_TIME, IN_TIME)
# Ratings (1–5) at or below this count as "dislike" in 766 indicator 5.4.
LOW_RATING = 2
HIGH_RATING = 4
_FIELDS = {"agency": "agency", "procedure": "procedure", "status": "status", "channel": "channel"}
_COUNTS = (
    "received", "online", "done", "open", "cancelled", "supplemented", "fee_dossiers",
    "paid_online", "rated", "rating_sum", "rated_low", "rated_high", *JUDGEMENTS,
)


def _tz():
    return timezone.get_default_timezone()


# --- local dates in SQL -------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _fixed_offset_seconds(tz) -> int | None:
    """The zone's UTC offset in seconds if it is the same all year and across 2000–2100
    (Asia/Ho_Chi_Minh: +7 h, no daylight saving since 1975), else None."""
    offsets = {
        datetime(year, month, 1, tzinfo=tz).utcoffset() for year in (2000, 2025, 2050, 2100)
        for month in (1, 4, 7, 10)
    }
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


class _Local(Func):
    """A datetime column seen in the city's zone, for the three functions below.

    For a zone with a fixed offset (Asia/Ho_Chi_Minh: +7 h, no daylight saving since 1975)
    PostgreSQL reads the column `AT TIME ZONE` that offset as an interval (integer arithmetic,
    whatever the session zone; about half the cost per row of adding the offset and
    converting through the session zone, a third of a zone name); SQLite shifts it by the
    offset and reads it as UTC (Django keeps SQLite sessions in UTC), without the Python
    function per row that Django's TruncDate/Extract call. Other zones use
    `AT TIME ZONE '<zone>'` / Django's `django_datetime_cast_*`.
    """

    arity = 1
    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        offset = _fixed_offset_seconds(_tz())
        zone = str(_tz()) if offset is None else f"{offset} seconds"
        cast = "" if offset is None else "::interval"
        return self.template_pg.format(f"(({sql}) AT TIME ZONE %s{cast})"), (*params, zone)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        offset = _fixed_offset_seconds(_tz())
        if offset is not None and connection.timezone_name == "UTC":
            return self.template_sqlite.format(sql), (*params, f"{offset:+d} seconds")
        return self.template_sqlite_udf.format(sql), (*params, str(_tz()),
                                                      connection.timezone_name)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"{type(self).__name__} supports PostgreSQL and SQLite")


class LocalDate(_Local):
    """The local calendar date of a datetime."""

    template_pg = "{}::date"
    template_sqlite = "date({}, %s)"
    template_sqlite_udf = "django_datetime_cast_date({}, %s, %s)"


class LocalMonth(_Local):
    """The first day of the local month of a datetime."""

    template_pg = "DATE_TRUNC('month', {})::date"
    template_sqlite = "date({}, %s, 'start of month')"
    template_sqlite_udf = "date(django_datetime_cast_date({}, %s, %s), 'start of month')"


class LocalSeconds(_Local):
    """Seconds since local midnight of a datetime."""

    output_field = FloatField()
    template_pg = "date_part('epoch', {}::time)"
    # "%%" is a literal % for the database driver.
    template_sqlite = "(CAST(strftime('%%s', {}, %s) AS INTEGER) %% 86400)"
    template_sqlite_udf = (
        "(CAST(strftime('%%s', '2000-01-01 ' || django_datetime_cast_time({}, %s, %s)) "
        "AS INTEGER) %% 86400)"
    )


class _MonthIndex(Func):
    """PostgreSQL: which of `months` (local first days, ascending) a datetime falls in, 1 for
    the first: `width_bucket` over their starts, a few comparisons per row instead of
    truncating to the month."""

    arity = 1
    output_field = IntegerField()

    def __init__(self, expression, months: Sequence[date]):
        super().__init__(expression)
        self.starts = [_local_midnight(month) for month in months]

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        bounds = ", ".join(["%s"] * len(self.starts))
        return f"width_bucket({sql}, ARRAY[{bounds}]::timestamptz[])", (*params, *self.starts)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("_MonthIndex supports PostgreSQL")


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month ("2026-03"), quarter ("2026-Q1") or year ("2026") in local time: [start, end)."""

    key: str
    kind: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        first = timezone.localtime(self.start, _tz())
        if self.kind == "month":
            return _("Month %(month)d/%(year)d") % {"month": first.month, "year": first.year}
        if self.kind == "quarter":
            return _("Quarter %(quarter)d/%(year)d") % {
                "quarter": (first.month - 1) // 3 + 1, "year": first.year,
            }
        return _("Year %(year)d") % {"year": first.year}

    @property
    def last_day(self) -> date:
        return local_day(self.end - timedelta(microseconds=1))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_tz())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_parse(key: str | None, *, today: date | None = None) -> Period | None:
    """The period named by `key` ("2026-03", "2026-Q1", "2026"); the current month when
    `key` is empty; None when `key` is not a period (or before 2000 / after 2100)."""
    today = today or local_day(timezone.now())
    key = (key or "").strip() or f"{today:%Y-%m}"
    try:
        if len(key) == 4:
            kind, first, months = "year", date(int(key), 1, 1), 12
        elif len(key) == 7 and key[4:6] == "-Q" and key[6] in "1234":
            kind, first, months = "quarter", date(int(key[:4]), 3 * int(key[6]) - 2, 1), 3
        elif len(key) == 7 and key[4] == "-":
            kind, first, months = "month", date(int(key[:4]), int(key[5:]), 1), 1
        else:
            return None
    except ValueError:
        return None
    if not 2000 <= first.year <= 2100:
        return None
    return Period(key, kind, _local_midnight(first), _local_midnight(_add_months(first, months)))


def period_choices(*, today: date | None = None, months: int = 12, quarters: int = 8,
                   years: int = 3) -> list[tuple[str, list[Period]]]:
    """Recent periods for a picker: [(group label, [Period, …])], newest first."""
    today = today or local_day(timezone.now())
    this_month = today.replace(day=1)
    this_quarter = this_month.replace(month=(today.month - 1) // 3 * 3 + 1)
    return [
        (_("Months"), [period_parse(f"{_add_months(this_month, -i):%Y-%m}")
                       for i in range(months)]),
        (_("Quarters"), [
            period_parse(f"{d.year}-Q{(d.month - 1) // 3 + 1}")
            for d in (_add_months(this_quarter, -3 * i) for i in range(quarters))
        ]),
        (_("Years"), [period_parse(str(today.year - i)) for i in range(years)]),
    ]


def as_of_for(end: datetime, now: datetime | None = None) -> datetime:
    """The moment dossiers of a period ending at `end` are judged: its last instant, or now
    while the period is still running."""
    now = now or timezone.now()
    return min(end - timedelta(microseconds=1), now)


# --- scope ----------------------------------------------------------------------------------


def _agency_ids(agency) -> list[int]:
    """Ids of `agency` (an Agency or id) and its sub-agencies."""
    row = agency if isinstance(agency, Agency) else Agency.objects.get(pk=agency)
    return list(Agency.objects.filter(path__startswith=row.path).values_list("pk", flat=True))


def dossiers_in(*, start: datetime, end: datetime, user=None, agency=None) -> QuerySet:
    """Dossiers received in [start, end), seen by `user` (None: all), of `agency`'s subtree."""
    if start >= end:
        raise ValueError("the period must end after it starts")
    dossiers = Dossier.objects.filter(received_at__gte=start, received_at__lt=end)
    if agency is not None:
        dossiers = dossiers.filter(agency_id__in=_agency_ids(agency))
    if user is not None:
        dossiers = scope_to_user(dossiers, user, agency_field="agency")
    return dossiers


# --- on time, in SQL ----------------------------------------------------------------------------


class _DayStart(Func):
    """PostgreSQL, fixed-offset zone: the moment the local day of a datetime starts (with
    `next_day`, the next one). `date_bin` from a local midnight is integer arithmetic, so
    comparing a moment with a day start costs far less per row than two local dates."""

    arity = 1

    def __init__(self, expression, *, next_day: bool = False):
        super().__init__(expression, output_field=DateTimeField())
        self.next_day = next_day

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        origin = _local_midnight(date(2000, 1, 1))
        sql = f"date_bin('1 day'::interval, {sql}, %s)"
        if self.next_day:  # hours, not a day: no time-zone rules
            sql = f"({sql} + '24:00:00'::interval)"
        return sql, (*params, origin)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("_DayStart supports PostgreSQL")


@dataclass(frozen=True)
class _Days:
    """Comparisons of local days in SQL. `by_day_start` (PostgreSQL with a fixed-offset zone)
    compares moments with day starts: day(a) < day(b) ⇔ a < start(b); elsewhere it compares
    local dates (LocalDate)."""

    by_day_start: bool

    @classmethod
    def here(cls) -> _Days:
        return cls(connection.vendor == "postgresql" and _fixed_offset_seconds(_tz()) is not None)

    def before(self, a, b):
        """day(a) < day(b)"""
        if self.by_day_start:
            return LessThan(a, _DayStart(b))
        return LessThan(LocalDate(a), LocalDate(b))

    def same_or_before(self, a, b):
        """day(a) ≤ day(b), used when day(a) < day(b) is already excluded"""
        if self.by_day_start:
            return LessThan(a, _DayStart(b, next_day=True))
        return Exact(LocalDate(a), LocalDate(b))

    def on_or_after(self, a, b):
        """day(a) ≥ day(b)"""
        if self.by_day_start:
            return GreaterThanOrEqual(a, _DayStart(b))
        return GreaterThanOrEqual(LocalDate(a), LocalDate(b))

    def on_or_after_day(self, a, day: date):
        """day(a) ≥ `day`"""
        if self.by_day_start:
            return GreaterThanOrEqual(a, Value(_local_midnight(day)))
        return GreaterThanOrEqual(LocalDate(a), Value(day))


def _judgement(as_of: datetime, prefix: str, judged, *, finished: bool) -> Case:
    """`deadlines.classify` for dossiers with an appointment whose status is finished
    (`finished`) or not; `judged(name)` is the SQL value of a judgement."""
    def col(name):
        return F(prefix + name)

    days = _Days.here()
    due = Coalesce(col("original_due_at"), col("due_at"))
    too_many = Q(**{f"{prefix}supplement_count__gt": MAX_SUPPLEMENTS_ON_TIME})
    paused = Q(**{f"{prefix}paused_at__lte": as_of})  # NULL ≤ as_of is not true
    open_rules = [
        When(too_many, then=judged(OVERDUE)),
        When(paused, then=Case(When(days.on_or_after(due, col("paused_at")),
                                    then=judged(IN_TIME)),
                               default=judged(OVERDUE))),
        When(days.on_or_after_day(due, local_day(as_of)), then=judged(IN_TIME)),
    ]
    if not finished:
        return Case(*open_rules, default=judged(OVERDUE))
    closed = Case(
        When(too_many, then=judged(LATE)),
        When(days.before(col("finished_at"), due), then=judged(EARLY)),
        When(days.same_or_before(col("finished_at"), due), then=judged(ON_TIME)),
        default=judged(LATE),
    )
    return Case(When(Q(**{f"{prefix}finished_at__lte": as_of}), then=closed), *open_rules,
                default=judged(OVERDUE))


def _no_appointment(prefix: str = "") -> Q:
    return Q(**{f"{prefix}original_due_at__isnull": True, f"{prefix}due_at__isnull": True})


def classification_expression(as_of: datetime, prefix: str = "", *,
                              codes: dict[str, int] | None = None) -> Case:
    """`deadlines.classify(dossier=d, as_of=as_of)` as an SQL expression (None without an
    appointment). `prefix` reaches the dossier through a relation, e.g. "dossier__"; `codes`
    gives integers instead of the names (cheaper to group by)."""
    out = IntegerField() if codes else CharField()

    def judged(name):
        return Value(codes[name] if codes else name, output_field=out)

    return Case(
        When(_no_appointment(prefix), then=Value(None, output_field=out)),
        When(Q(**{f"{prefix}status__in": _FINISHED}),
             then=_judgement(as_of, prefix, judged, finished=True)),
        default=_judgement(as_of, prefix, judged, finished=False),
        output_field=out,
    )


def _status_judgement_code(as_of: datetime) -> Case:
    """One integer per dossier for `_counts`: 8 × its status class (`_CLASSES`) + its
    judgement (1 + index in JUDGEMENTS, 0 without an appointment). Grouping by it replaces
    three status counts and a second status test: the status is read once per row,
    the commonest first."""
    def code_of(klass):
        base = 8 * _CLASSES.index(klass)

        def judged(name):
            return Value(base + 1 + JUDGEMENTS.index(name))
        return base, judged

    rules = []
    for klass, statuses in _CLASS_STATUSES.items():
        base, judged = code_of(klass)
        rules.append(When(Q(status__in=statuses), then=Case(
            When(_no_appointment(), then=Value(base)),
            default=_judgement(as_of, "", judged, finished=klass != "open"),
        )))
    base, judged = code_of(None)
    return Case(*rules, default=Case(When(_no_appointment(), then=Value(base)),
                                     default=_judgement(as_of, "", judged, finished=False)),
                output_field=IntegerField())


# --- grouped counts -----------------------------------------------------------------------------


def _by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    keys = (by,) if isinstance(by, str) else tuple(by or ())
    unknown = [key for key in keys if key not in GROUPINGS]
    if unknown or len(set(keys)) != len(keys):
        raise ValueError(f"group by some of {GROUPINGS}, each once (got {keys!r})")
    return keys


def _months(start: datetime, end: datetime) -> list[date]:
    """The local months (first days) that [start, end) touches."""
    month, last = local_day(start).replace(day=1), local_day(end - timedelta(microseconds=1))
    months = []
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    return months


def _group(queryset: QuerySet, keys: tuple[str, ...], prefix: str = "", *,
           months: Sequence[date] = ()) -> tuple[QuerySet, list]:
    """The queryset annotated with the grouping columns, and their names in `values()`.
    With `months` (those of the period), PostgreSQL groups by `_MonthIndex` in them: the
    caller maps the index back."""
    names = []
    for key in keys:
        if key == "month":
            column = F(prefix + "received_at")
            queryset = queryset.annotate(month=(
                _MonthIndex(column, months) if months and connection.vendor == "postgresql"
                else LocalMonth(column)
            ))
            names.append("month")
        else:
            names.append(prefix + _FIELDS[key])
    return queryset, names


def _count_aggregates() -> dict:
    # Count a column of the period filter (never null here), not the id: an index holding
    # the counted columns can then answer without reading the table. done/open/cancelled
    # come from the status class in the grouping code (`_status_judgement_code`).
    def count(**conditions):
        return Count("received_at", filter=Q(**conditions))

    return {
        "received": Count("*"),
        "online": count(channel=Channel.ONLINE),
        "supplemented": count(supplement_count__gt=0),
        "fee_dossiers": count(fee_amount__gt=0),
        "paid_online": count(fee_amount__gt=0, paid_online=True),
        "rated": Count("rating"),
        "rating_sum": Coalesce(Sum("rating"), 0),
        "rated_low": count(rating__lte=LOW_RATING),
        "rated_high": count(rating__gte=HIGH_RATING),
    }


def _counts(dossiers: QuerySet, keys: tuple[str, ...], as_of: datetime,
            months: Sequence[date] = ()) -> list[dict]:
    """One GROUP BY (keys…, status class and judgement): raw counts per group. `months`: the
    local months of the period, when grouped by month."""
    grouped, names = _group(dossiers.order_by(), keys, months=months)
    aggregates = _count_aggregates()
    rows = (
        grouped.annotate(class_judged=_status_judgement_code(as_of))
        .values(*names, "class_judged")
        .annotate(**aggregates)
    )
    merged: dict[tuple, dict] = {}
    with _sort_memory():
        rows = list(rows)
    for row in rows:
        if isinstance(row.get("month"), int):  # a _MonthIndex
            row["month"] = months[row["month"] - 1]
        group = tuple(row[name] for name in names)
        target = merged.get(group)
        if target is None:
            target = merged[group] = _empty_counts(dict(zip(keys, group, strict=True)))
        for name in aggregates:
            target[name] += row[name]
        klass, judged = divmod(row["class_judged"], 8)
        if _CLASSES[klass] is not None:
            target[_CLASSES[klass]] += row["received"]
        if judged:
            target[JUDGEMENTS[judged - 1]] += row["received"]
    return list(merged.values())


@contextmanager
def _sort_memory() -> Iterator[None]:
    """A year of a city's dossiers is up to a million rows to group: let PostgreSQL sort them
    in memory (for this transaction only) instead of spilling to disk, ~30 % faster."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


def _rollup(rows: Iterable[dict], keys: tuple[str, ...]) -> list[dict]:
    """Raw count rows summed up to `keys` (a subset of their keys), with the rates."""
    merged: dict[tuple, dict] = {}
    for row in rows:
        group = tuple(row[key] for key in keys)
        target = merged.get(group)
        if target is None:
            target = merged[group] = _empty_counts(dict(zip(keys, group, strict=True)))
        for name in _COUNTS:
            target[name] += row[name]
    return [_derive(row) for row in merged.values()]


def _with_result_count(dossiers: QuerySet) -> int:
    """Dossiers finished with a result that have an electronic result file (766 4.2). EXISTS
    in WHERE: the database runs it as one semi-join, not a lookup per dossier."""
    result_file = DossierFile.objects.filter(dossier=OuterRef("pk"), kind=FileKind.RESULT)
    return dossiers.filter(status__in=RESULT_STATUSES).filter(Exists(result_file)).count()


def _ratio(numerator: int | float, denominator: int | float) -> float | None:
    return numerator / denominator if denominator else None


def _derive(row: dict) -> dict:
    judged = sum(row[name] for name in JUDGEMENTS)
    in_time = sum(row[name] for name in IN_TIME_JUDGEMENTS)
    row.update(
        judged=judged,
        in_time_total=in_time,
        on_time_rate=_ratio(in_time, judged),
        online_rate=_ratio(row["online"], row["received"]),
        mean_rating=_ratio(row["rating_sum"], row["rated"]),
        satisfied_rate=_ratio(row["rated_high"], row["rated"]),
    )
    return row


def _empty_counts(keys: dict | None = None) -> dict:
    return {**(keys or {}), **dict.fromkeys(_COUNTS, 0)}


def _empty_row(keys: dict | None = None) -> dict:
    return _derive(_empty_counts(keys))


def _labelled(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Names next to ids, local dates for months, labels for codes; sorted by the keys."""
    if "agency" in keys:
        agencies = Agency.objects.in_bulk({row["agency"] for row in rows})
        for row in rows:
            agency = agencies.get(row["agency"])
            row["agency_code"] = agency.code if agency else ""
            row["agency_name"] = (agency.short_name or agency.name) if agency else ""
    if "procedure" in keys:
        procedures = Procedure.objects.in_bulk({row["procedure"] for row in rows})
        for row in rows:
            procedure = procedures.get(row["procedure"])
            row["procedure_code"] = procedure.code if procedure else ""
            row["procedure_name"] = procedure.name if procedure else ""
    for row in rows:
        if "status" in keys:
            row["status_label"] = str(S(row["status"]).label) if row["status"] in S.values else ""
        if "channel" in keys:
            row["channel_label"] = (
                str(Channel(row["channel"]).label) if row["channel"] in Channel.values else ""
            )
    sort_keys = {"agency": "agency_code", "procedure": "procedure_code"}
    return sorted(rows, key=lambda row: tuple(row[sort_keys.get(k, k)] for k in keys))


def dossier_counts(
    *, start: datetime, end: datetime, by: str | Sequence[str] = "agency", user=None,
    agency=None,
) -> list[dict]:
    """Counts of the dossiers received in [start, end), grouped `by` one or several of
    agency, procedure, month, status, channel (e.g. ("agency", "month")); `by=()` gives one
    total row. Each row: the group keys (ids; plus agency_code/agency_name,
    procedure_code/procedure_name, status_label, channel_label; months as the local first
    day), received, online, done (done or returned), open, cancelled (refused, withdrawn,
    stopped), supplemented, fee_dossiers, paid_online, rated, rating_sum, rated_low (≤ 2),
    rated_high (≥ 4), the judgements early/on_time/late/in_time/overdue with judged and
    in_time_total, and the rates on_time_rate, online_rate, mean_rating, satisfied_rate
    (fractions, None without data)."""
    keys = _by(by)
    dossiers = dossiers_in(start=start, end=end, user=user, agency=agency)
    rows = _rollup(_counts(dossiers, keys, as_of_for(end), _months(start, end)), keys)
    if not keys:
        return rows or [_empty_row()]
    return _labelled(rows, keys)


def _totals(**scope) -> dict:
    return dossier_counts(by=(), **scope)[0]


def on_time_rate(*, start: datetime, end: datetime, user=None, agency=None) -> dict:
    """766 indicator 2.1: (early + on time + open in time) ÷ judged dossiers, with the counts."""
    row = _totals(start=start, end=end, user=user, agency=agency)
    return {
        "rate": row["on_time_rate"], "numerator": row["in_time_total"],
        "denominator": row["judged"], **{name: row[name] for name in JUDGEMENTS},
    }


def online_rate(*, start: datetime, end: datetime, user=None, agency=None) -> dict:
    """Dossiers submitted online ÷ dossiers received."""
    row = _totals(start=start, end=end, user=user, agency=agency)
    return {"rate": row["online_rate"], "numerator": row["online"],
            "denominator": row["received"]}


def satisfaction(*, start: datetime, end: datetime, user=None, agency=None) -> dict:
    """Ratings (1–5) given to the dossiers received in the period."""
    row = _totals(start=start, end=end, user=user, agency=agency)
    return {
        "rated": row["rated"], "received": row["received"], "mean": row["mean_rating"],
        "satisfied_rate": row["satisfied_rate"], "rated_low": row["rated_low"],
        "rated_high": row["rated_high"], "rated_rate": _ratio(row["rated"], row["received"]),
    }


# --- processing time ----------------------------------------------------------------------------


def _seconds_into_working_day(column: str):
    """SQL: working seconds of the local day of `column` before its time of day."""
    clock = LocalSeconds(F(column))
    parts = []
    for opens, closes in office_sessions():
        low = opens.hour * 3600 + opens.minute * 60
        length = closes.hour * 3600 + closes.minute * 60 - low
        parts.append(
            Least(Greatest(clock - Value(float(low)), Value(0.0)), Value(float(length)))
        )
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


class _WorkingClock:
    """Working seconds from a fixed origin to the start of each local day (prefix sums over
    the calendar), to turn per-day sums from SQL into exact working time."""

    def __init__(self, days: Iterable[date]):
        days = sorted(set(days))
        self.first = days[0] if days else date(2000, 1, 1)
        span = (days[-1] - self.first).days + 1 if days else 1
        self.day_seconds = working_day_length().total_seconds()
        self.working = [is_working_day(self.first + timedelta(days=i)) for i in range(span)]
        self.before: list[float] = []
        total = 0.0
        for works in self.working:
            self.before.append(total)
            total += self.day_seconds if works else 0.0

    def total(self, day: date, count: int, seconds_into_day: float) -> float:
        """Σ W(t) over `count` moments of local `day` whose same-day working seconds sum to
        `seconds_into_day` (ignored on a day off: nothing is worked on it)."""
        index = (day - self.first).days
        extra = float(seconds_into_day or 0) if self.working[index] else 0.0
        return count * self.before[index] + extra


def _legal_seconds():
    """SQL: the procedure's processing time in working seconds (as `due_compute` counts)."""
    per_unit = Case(
        When(procedure__time_unit=TimeUnit.WORKING_HOURS, then=Value(3600.0)),
        default=Value(working_day_length().total_seconds()), output_field=FloatField(),
    )
    return Cast("procedure__time_amount", FloatField()) * per_unit


def _moment_sums(queryset: QuerySet, column, names: list[str], **extra) -> list[dict]:
    """Per group and local day of `column`: count, Σ working seconds into that day, and the
    sums in `extra`."""
    rows = (
        queryset.annotate(w_moment=column)
        .annotate(w_day=LocalDate(F("w_moment")), w_into=_seconds_into_working_day("w_moment"))
        .values(*names, "w_day")
        .annotate(w_count=Count("received_at"), w_sum=Sum("w_into"), **extra)
    )
    return list(rows)


def mean_processing_days(
    *, start: datetime, end: datetime, user=None, agency=None, by: str | Sequence[str] = (),
) -> dict | list[dict]:
    """Mean working days from receipt to the end of processing, less the time the clock was
    paused, of the dossiers received in [start, end) and finished with a result by the
    period end. Returns {"days", "count"}, or with `by` a list of such dicts with the keys.

    The paused time is not read from the events: the legal appointment already holds it.
    Actions set `original_due_at = receipt + legal time` and move it by exactly the working
    time of every pause, and apologies never touch it; so with W(t) the working time from an
    origin (module docstring), processing = W(end) − W(receipt) − paused
    = W(end) − W(original_due_at) + legal time. Two GROUP BY scans (per local day of the end
    and of the appointment) instead of a join with the events, 3–4 × faster. The legal time is
    the procedure's today: a dossier received before its procedure's time was changed in the
    catalogue is off by the change."""
    keys = _by(by)
    as_of = as_of_for(end)
    finished = dossiers_in(start=start, end=end, user=user, agency=agency).filter(
        status__in=RESULT_STATUSES, finished_at__lte=as_of,
    ).exclude(original_due_at=None, due_at=None).order_by()
    grouped, names = _group(finished, keys)
    ends = _moment_sums(grouped, F("finished_at"), names, w_legal=Sum(_legal_seconds()))
    dues = _moment_sums(grouped, Coalesce("original_due_at", "due_at"), names)
    clock = _WorkingClock(row["w_day"] for row in (*ends, *dues))
    totals: dict[tuple, list] = {}
    for rows, sign in ((ends, 1), (dues, -1)):
        for row in rows:
            entry = totals.setdefault(tuple(row[name] for name in names), [0.0, 0])
            entry[0] += sign * clock.total(row["w_day"], row["w_count"], row["w_sum"])
            if sign > 0:
                entry[0] += float(row["w_legal"] or 0)
                entry[1] += row["w_count"]
    results = [
        {**dict(zip(keys, group, strict=True)),
         "days": seconds / clock.day_seconds / n if n else None, "count": n,
         "seconds": seconds}
        for group, (seconds, n) in totals.items()
    ]
    if not keys:
        return _processing_total(results)
    return _labelled(results, keys)


def _processing_total(rows: list[dict]) -> dict:
    """The overall mean of per-group means (weighted by their counts)."""
    count = sum(row["count"] for row in rows)
    seconds = sum(row["seconds"] for row in rows)
    day = working_day_length().total_seconds()
    return {"days": seconds / day / count if count else None, "count": count}


# --- Decision 766 -------------------------------------------------------------------------------


def score_766(rate: float | None, threshold: float, max_points: float) -> float | None:
    """Points of one 766 indicator: full points at or above the threshold, below it
    rate × max ÷ threshold; rounded to 0.01 (half up). Rates and thresholds are fractions.
    None when there is no rate (no data)."""
    if rate is None:
        return None
    value, limit, top = (Decimal(str(x)) for x in (rate, threshold, max_points))
    if limit <= 0:
        raise ValueError("the threshold must be greater than zero")
    points = top if value >= limit else value * top / limit
    return float(points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    threshold: float
    max_points: float
    max_points_verified: bool
    rule: str


INDICATORS = (
    Indicator("2.1", gettext_lazy("Dossiers processed early or on time"), 1.0, 20, True,
              gettext_lazy("(early + on time + still open in time) ÷ dossiers received; more "
                           "than one supplement request counts as late; rate × 20 points")),
    Indicator("3.1", gettext_lazy("Procedures offered as online public services"), 0.8, 6, False,
              gettext_lazy("procedures fully or partly online ÷ all procedures of the agency; "
                           "full points from 80%")),
    Indicator("3.3", gettext_lazy("Dossiers submitted online"), 0.5, 4, False,
              gettext_lazy("dossiers submitted online ÷ dossiers received; full points from "
                           "50%")),
    Indicator("3.6", gettext_lazy("Fees paid online"), 1.0, 5, False,
              gettext_lazy("dossiers paid online ÷ dossiers with a fee; rate × 5 points")),
    Indicator("4.2", gettext_lazy("Digitised results"), 0.8, 6, False,
              gettext_lazy("dossiers with an electronic result file ÷ dossiers processed; full "
                           "points from 80%")),
    Indicator("5.4", gettext_lazy("Satisfaction with receiving and processing (approximation)"),
              0.9, 6, True,
              gettext_lazy("100% − (% late + % rated 1 or 2 stars) of dossiers received; full "
                           "points from 90%")),
)


def _online_procedures(*, user=None, agency=None) -> tuple[int, int]:
    """(procedures fully or partly online, all active procedures) offered in the scope."""
    procedures = Procedure.objects.filter(is_active=True)
    if agency is not None:
        procedures = procedures.filter(agencies__in=_agency_ids(agency))
    if user is not None:
        procedures = scope_to_user(procedures, user, agency_field="agencies")
    ids = procedures.values("pk").distinct()
    counts = Procedure.objects.filter(pk__in=ids).aggregate(
        total=Count("pk"),
        online=Count("pk", filter=Q(level__in=[ProcedureLevel.FULL_ONLINE,
                                               ProcedureLevel.PARTIAL_ONLINE])),
    )
    return counts["online"], counts["total"]


def _indicators(totals: dict, online_procedures: tuple[int, int]) -> list[dict]:
    late = totals["late"] + totals["overdue"]
    judged = totals["judged"]
    unhappy = _ratio(late + totals["rated_low"], judged)
    inputs = {
        "2.1": (totals["in_time_total"], judged, None),
        "3.1": (*online_procedures, None),
        "3.3": (totals["online"], totals["received"], None),
        "3.6": (totals["paid_online"], totals["fee_dossiers"], None),
        "4.2": (totals["with_result"], totals["done"], None),
        "5.4": (max(judged - late - totals["rated_low"], 0), judged,
                None if unhappy is None else max(0.0, 1.0 - unhappy)),
    }
    results = []
    for indicator in INDICATORS:
        numerator, denominator, rate = inputs[indicator.code]
        if rate is None:
            rate = _ratio(numerator, denominator)
        results.append({
            "code": indicator.code, "name": str(indicator.name), "rate": rate,
            "threshold": indicator.threshold, "max_points": indicator.max_points,
            "points": score_766(rate, indicator.threshold, indicator.max_points),
            "numerator": numerator, "denominator": denominator, "rule": str(indicator.rule),
            "max_points_verified": indicator.max_points_verified,
        })
    return results


def indicators_766(*, start: datetime, end: datetime, agency=None, user=None) -> list[dict]:
    """The Decision 766 indicators the data supports, for dossiers received in [start, end):
    [{code, name, rate, threshold, max_points, points, numerator, denominator, rule,
    max_points_verified}]. `rate` and `points` are None without data."""
    dossiers = dossiers_in(start=start, end=end, user=user, agency=agency)
    totals = (_rollup(_counts(dossiers, (), as_of_for(end)), ()) or [_empty_row()])[0]
    totals["with_result"] = _with_result_count(dossiers)
    return _indicators(totals, _online_procedures(user=user, agency=agency))


# --- the statistics page ----------------------------------------------------------------------


def _month_series(rows: list[dict], first: date, last: date) -> list[dict]:
    """One row per month from `first` to `last` (months without dossiers get zeros)."""
    by_month = {row["month"]: row for row in rows}
    series, month = [], first
    while month <= last:
        series.append(by_month.get(month) or _empty_row({"month": month}))
        month = _add_months(month, 1)
    return series


def dashboard(*, period: Period, user=None, agency=None, trend_months: int = 12) -> dict:
    """Everything the statistics page and its Excel export show for `period`: the totals, the
    mean processing time, a month series (the period's months, at least the last
    `trend_months` up to its end), the tables by agency (with mean processing days), by
    procedure and by agency × month, and the 766 indicators with their sum.

    Periods are whole months, so ONE grouped scan by (agency, procedure, month) over the
    trend's range gives every count table; then the result files, the processing time and
    the catalogue: five queries whatever the number of agencies."""
    scope = {"user": user, "agency": agency}
    first_month = min(local_day(period.start),
                      _add_months(period.last_day.replace(day=1), 1 - trend_months))
    trend_start = _local_midnight(first_month)
    raw = _counts(
        dossiers_in(start=trend_start, end=period.end, **scope),
        ("agency", "procedure", "month"), as_of_for(period.end), _months(trend_start, period.end),
    )
    period_first = local_day(period.start)
    in_period = [row for row in raw if row["month"] >= period_first]
    totals = (_rollup(in_period, ()) or [_empty_row()])[0]
    totals["with_result"] = _with_result_count(
        dossiers_in(start=period.start, end=period.end, **scope)
    )
    processing = mean_processing_days(start=period.start, end=period.end, by="agency", **scope)
    days_by_agency = {row["agency"]: row["days"] for row in processing}
    by_agency = _labelled(_rollup(in_period, ("agency",)), ("agency",))
    for row in by_agency:
        row["mean_days"] = days_by_agency.get(row["agency"])
    indicators = _indicators(totals, _online_procedures(**scope))
    scored = [row for row in indicators if row["points"] is not None]
    return {
        "period": period,
        "totals": totals,
        "processing": _processing_total(processing),
        "months": _month_series(_rollup(raw, ("month",)), first_month,
                                period.last_day.replace(day=1)),
        "by_agency": by_agency,
        "by_procedure": _labelled(_rollup(in_period, ("procedure",)), ("procedure",)),
        "by_agency_month": _labelled(_rollup(in_period, ("agency", "month")),
                                     ("agency", "month")),
        "indicators": indicators,
        "points": sum(row["points"] for row in scored),
        "max_points": sum(row["max_points"] for row in scored),
    }


def bar_chart(rows: Sequence[dict], series: Sequence[tuple[str, str]], label, *,
              width: int = 720, height: int = 240) -> dict:
    """Geometry of a grouped SVG bar chart: `series` is [(row key, css class)], `label` a
    function row → x-axis label. Returns {width, height, bars, ticks, groups} in user units,
    ready for the template (no client-side code)."""
    top, bottom, left, right = 12, 28, 44, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([row[key] or 0 for row in rows for key, _css in series] + [0])
    scale_max = _nice_ceiling(peak)
    slot = plot_w / max(len(rows), 1)
    bar_w = slot * 0.8 / max(len(series), 1)
    groups = []
    for index, row in enumerate(rows):
        x0 = left + index * slot + slot * 0.1
        bars = []
        for position, (key, css) in enumerate(series):
            value = row[key] or 0
            bar_h = plot_h * value / scale_max if scale_max else 0
            bars.append({"x": round(x0 + position * bar_w, 1), "y": round(top + plot_h - bar_h, 1),
                         "width": round(bar_w * 0.92, 1), "height": round(bar_h, 1),
                         "value": value, "css": css, "key": key})
        groups.append({"label": label(row), "x": round(left + index * slot + slot / 2, 1),
                       "bars": bars})
    ticks = [{"value": round(scale_max * i / 4), "y": round(top + plot_h - plot_h * i / 4, 1)}
             for i in range(5)] if scale_max else []
    return {"width": width, "height": height, "left": left, "right": width - right,
            "baseline": top + plot_h, "label_y": height - 8, "groups": groups, "ticks": ticks}


def _nice_ceiling(value: float) -> int:
    """The top of the y-axis: 4 × a step of 1, 2 or 5 × 10^n, at least `value` (0 for 0)."""
    if value <= 0:
        return 0
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if 4 * step * magnitude >= value:
                return 4 * step * magnitude
        magnitude *= 10
