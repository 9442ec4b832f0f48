"""Reads of the ioc app, for its views, APIs and reports.

Everything here reads the IOC's own tables (stored indicator values, targets, reports, DTI,
tasks): a handful of indexed queries per page, whatever the number of dossiers or feedback
reports behind the values. Every function that takes `user` scopes to what that user may see.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.http import Http404
from django.utils import timezone

from civicport.core.models import Agency, Ward
from civicport.ioc import access, rules
from civicport.ioc.models import (
    DtiAssessment,
    DtiMethodology,
    Indicator,
    IndicatorValue,
    Plan,
    PlanTask,
    ReportPeriod,
    ReportSubmission,
    ReportTemplate,
    Target,
    TaskStatus,
    scope_key,
)
from civicport.ioc.periods import Period, months_of, period_of, period_parse, today


def _status(indicator: Indicator, value, target: Target | None) -> str:
    if target is None:
        return rules.NO_DATA
    return rules.target_status(actual=value, target=target.value, direction=indicator.direction,
                               tolerance=target.tolerance)


def _targets(year: int, indicator_ids) -> dict[int, Target]:
    return {t.indicator_id: t for t in Target.objects.filter(year=year,
                                                             indicator_id__in=indicator_ids)}


def tiles(indicators: list[Indicator], *, scope: str = "city", day: date | None = None,
          now: datetime | None = None) -> list[dict]:
    """For each indicator, its newest value among this month, quarter and year (in that
    order) for `scope`, with the year's target, status and a staleness flag."""
    day = day or today()
    now = now or timezone.now()
    periods = [period_of(kind, day) for kind in ("month", "quarter", "year")]
    keys = [p.key for p in periods]
    rows = IndicatorValue.objects.filter(indicator__in=indicators, scope=scope,
                                         period_key__in=keys)
    found = defaultdict(dict)
    for row in rows:
        found[row.indicator_id][row.period_key] = row
    targets = _targets(day.year, [i.pk for i in indicators])
    result = []
    for indicator in indicators:
        rows = [found[indicator.pk][k] for k in keys if k in found[indicator.pk]]
        # The shortest period that has a value (an empty month falls back to the year).
        row = next((r for r in rows if r.value is not None), rows[0] if rows else None)
        target = targets.get(indicator.pk)
        value = row.value if row else None
        result.append({
            "indicator": indicator, "row": row, "value": value,
            "period": period_parse(row.period_key) if row else None,
            "target": target, "status": _status(indicator, value, target),
            "stale": rules.is_stale(as_of=row.as_of if row else None,
                                    origin=row.origin if row else "",
                                    frequency=indicator.frequency, now=now),
            "no_source": row is None and bool(indicator.live_source),
        })
    return result


def wall(*, now: datetime | None = None) -> dict:
    """The wall screen: the wall indicators' tiles for the city, the month series of the
    headline rates for the year, and the as-of time of the oldest live value shown."""
    day = today()
    indicators = list(Indicator.objects.filter(on_wall=True).select_related("agency"))
    shown = tiles(indicators, day=day, now=now)
    as_of = [t["row"].as_of for t in shown if t["row"] and t["row"].origin == "live"]
    return {
        "tiles": shown,
        "as_of": min(as_of) if as_of else None,
        "series": month_series(["CQS-03", "FB-05"], year=day.year),
        "plan": plan_rollup(year=day.year, today=day),
        "reports": report_punctuality(start=period_of("year", day).start,
                                      end=period_of("year", day).end),
    }


def month_series(codes: list[str], *, year: int, scope: str = "city") -> list[dict]:
    """[{indicator, months: [{period, value}]}] for the twelve months of `year`."""
    months = months_of(period_of("year", date(year, 1, 1)))
    indicators = list(Indicator.objects.filter(code__in=codes))
    rows = IndicatorValue.objects.filter(
        indicator__in=indicators, scope=scope, period_key__in=[m.key for m in months])
    values = {(r.indicator_id, r.period_key): r.value for r in rows}
    order = {code: n for n, code in enumerate(codes)}
    return [
        {"indicator": i, "months": [{"period": m, "value": values.get((i.pk, m.key))}
                                    for m in months]}
        for i in sorted(indicators, key=lambda i: order[i.code])
    ]


def indicator_table(*, user, period: Period, scope: str = "city",
                    public_only: bool = False) -> list[dict]:
    """Every catalogue indicator with its value for `period` and `scope`."""
    indicators = Indicator.objects.select_related("agency")
    if public_only or not access.is_officer(user):
        indicators = indicators.filter(is_public=True)
    indicators = list(indicators)
    rows = {r.indicator_id: r for r in IndicatorValue.objects.filter(
        indicator__in=indicators, period_key=period.key, scope=scope)}
    targets = _targets(period.start.year, [i.pk for i in indicators])
    now = timezone.now()
    result = []
    for indicator in indicators:
        row = rows.get(indicator.pk)
        target = targets.get(indicator.pk)
        value = row.value if row else None
        result.append({
            "indicator": indicator, "row": row, "value": value, "target": target,
            "status": _status(indicator, value, target),
            "stale": row is not None and rules.is_stale(
                as_of=row.as_of, origin=row.origin, frequency=indicator.frequency, now=now),
        })
    return result


def agency_for(user, code: str) -> Agency:
    """The agency with `code` if `user` may see it; 404 otherwise (nothing revealed)."""
    agency = Agency.objects.filter(code=code).first()
    if agency is None or not access.may_see_agency(user, agency.pk):
        raise Http404
    return agency


def agencies_visible(user):
    ids = access.visible_agency_ids(user)
    agencies = Agency.objects.filter(is_active=True).exclude(kind=Agency.Kind.COMMUNE)
    if ids is not None:
        agencies = Agency.objects.filter(pk__in=ids)
    return agencies.order_by("path")


def agency_overview(*, user, agency: Agency, period: Period) -> dict:
    """The drill-down of one agency: its indicator values for the period and the year's
    month series, its reports and its tasks."""
    if not access.may_see_agency(user, agency.pk):
        raise Http404
    scope = scope_key(agency_id=agency.pk)
    values = [row for row in indicator_table(user=user, period=period, scope=scope)
              if row["row"] is not None]
    year = period.start.year
    return {
        "agency": agency, "period": period, "values": values,
        "series": month_series(["PS-01", "CQS-03", "CQS-02", "FB-05"], year=year, scope=scope),
        "reports": report_board(agency_ids=[agency.pk], limit=12),
        "tasks": tasks_for(user=user, year=year, agency_id=agency.pk),
        "plan": plan_rollup(year=year, today=today(), agency_id=agency.pk),
    }


# --- the ward map -----------------------------------------------------------------------------

MAP_CODES = ("CQS-03", "CQS-02", "FB-01", "FB-02", "FB-05", "PS-01")


def ward_map(*, code: str, period: Period, province_code: int) -> dict:
    """The 114 wards as tiles coloured by one indicator (quantile classes 0–4; no geometry
    exists in the project, so this is an honest grid sorted by kind and name, not a map)."""
    indicator = Indicator.objects.filter(code=code, code__in=MAP_CODES).first()
    if indicator is None:
        raise Http404
    wards = list(Ward.objects.filter(province_id=province_code).order_by("kind", "name"))
    values = dict(IndicatorValue.objects.filter(
        indicator=indicator, period_key=period.key, scope__startswith="w",
    ).values_list("ward_id", "value"))
    present = sorted(v for v in values.values() if v is not None)
    tiles_ = []
    for ward in wards:
        value = values.get(ward.pk)
        tiles_.append({"ward": ward, "value": value,
                       "klass": _quantile_class(value, present, indicator.direction)})
    return {"indicator": indicator, "tiles": tiles_, "with_value": len(present),
            "choices": Indicator.objects.filter(code__in=MAP_CODES)}


def _quantile_class(value, ordered: list[float], direction: str) -> str:
    """q0 (worst) … q4 (best) by quintile; for lower-is-better the scale is reversed; an
    indicator without a direction (a count) gets n0 (fewest) … n4 (most): no judgement."""
    if value is None or not ordered:
        return "none"
    below = sum(1 for v in ordered if v < value)
    klass = min(4, below * 5 // len(ordered))
    if direction == "neutral":
        return f"n{klass}"
    if direction == "lower":
        klass = 4 - klass
    return f"q{klass}"


# --- department reports ---------------------------------------------------------------------


def report_status(period: ReportPeriod, agency_id: int, submissions: dict, now) -> str:
    latest = submissions.get((period.pk, agency_id))
    if latest is not None:
        return "late" if latest.is_late else "on_time"
    return "missing" if now > period.deadline else "pending"


def report_board(*, agency_ids: list[int] | None = None, limit: int = 6,
                 now: datetime | None = None) -> list[dict]:
    """Recent report periods of every template with each expected agency's status
    (on time, late, missing, pending) and latest revision."""
    now = now or timezone.now()
    result = []
    for template in ReportTemplate.objects.filter(is_active=True).prefetch_related("agencies"):
        expected = [a for a in template.agencies.all()
                    if agency_ids is None or a.pk in agency_ids]
        if not expected:
            continue
        periods = list(template.periods.all()[:limit])
        latest = {}
        for sub in ReportSubmission.objects.filter(period__in=periods,
                                                   agency__in=expected).order_by("revision"):
            latest[(sub.period_id, sub.agency_id)] = sub
        for period in periods:
            result.append({
                "template": template, "period": period,
                "label": period_parse(period.period_key).label,
                "rows": [{"agency": a, "status": report_status(period, a.pk, latest, now),
                          "submission": latest.get((period.pk, a.pk))} for a in expected],
            })
    return result


def report_punctuality(*, start: date, end: date, now: datetime | None = None) -> dict:
    """Due reports of periods ending in [start, end) whose deadline has passed: how many
    were submitted on time, late, or are missing."""
    now = now or timezone.now()
    periods = list(ReportPeriod.objects.filter(end__gt=start, end__lte=end, deadline__lt=now)
                   .select_related("template").prefetch_related("template__agencies"))
    first = {}
    for sub in ReportSubmission.objects.filter(period__in=periods, revision=1):
        first[(sub.period_id, sub.agency_id)] = sub
    due = on_time = late = 0
    for period in periods:
        for agency in period.template.agencies.all():
            due += 1
            sub = first.get((period.pk, agency.pk))
            if sub is None:
                continue
            if sub.is_late:
                late += 1
            else:
                on_time += 1
    return {"due": due, "on_time": on_time, "late": late, "missing": due - on_time - late}


def templates_for(user):
    ids = access.visible_agency_ids(user)
    templates = ReportTemplate.objects.filter(is_active=True).prefetch_related("fields")
    if ids is not None:
        templates = templates.filter(agencies__in=ids).distinct()
    return templates


def submission_history(*, user, template: ReportTemplate, agency: Agency) -> list:
    if not access.may_see_agency(user, agency.pk):
        raise Http404
    return list(ReportSubmission.objects.filter(period__template=template, agency=agency)
                .select_related("period", "submitted_by").order_by("-submitted_at")[:50])


# --- DTI --------------------------------------------------------------------------------------


def dti_history(province_codes=(31, 30)) -> list[DtiAssessment]:
    return list(DtiAssessment.objects.filter(province_code__in=province_codes)
                .select_related("methodology").order_by("province_code", "year", "group"))


def dti_table(*, year: int, group: str) -> list[DtiAssessment]:
    return list(DtiAssessment.objects.filter(year=year, group=group)
                .select_related("methodology").prefetch_related("values__indicator")
                .order_by("rank", "province_name"))


def methodologies():
    return DtiMethodology.objects.prefetch_related("indicators")


# --- task plan --------------------------------------------------------------------------------


def plan_rollup(*, year: int, today: date, agency_id: int | None = None) -> dict | None:
    """Totals of the year's plan and per responsible agency: tasks, done, done on time,
    overdue, budget and disbursement (million VND)."""
    plan = Plan.objects.filter(year=year).first()
    if plan is None:
        return None
    tasks = plan.tasks.all()
    if agency_id is not None:
        tasks = tasks.filter(agency_id=agency_id)
    open_ = ~Q(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
    aggregates = {
        "tasks": Count("pk"),
        "done": Count("pk", filter=Q(status=TaskStatus.DONE)),
        "done_on_time": Count("pk", filter=Q(status=TaskStatus.DONE,
                                             done_on__lte=F("deadline"))),
        "overdue": Count("pk", filter=open_ & Q(deadline__lt=today)),
        "budget": Sum("budget"), "disbursed": Sum("disbursed"),
    }
    total = tasks.aggregate(**aggregates)
    by_agency = list(tasks.values("agency_id", "agency__name", "agency__short_name")
                     .annotate(**aggregates).order_by("agency__name"))
    for row in [total, *by_agency]:
        row["budget"] = row["budget"] or Decimal(0)
        row["disbursed"] = row["disbursed"] or Decimal(0)
        row["disbursed_pct"] = (float(row["disbursed"] * 100 / row["budget"])
                                if row["budget"] else None)
    return {"plan": plan, "total": total, "by_agency": by_agency}


def tasks_for(*, user, year: int, agency_id: int | None = None, overdue_only: bool = False):
    ids = access.visible_agency_ids(user)
    tasks = PlanTask.objects.filter(plan__year=year).select_related("agency")
    if ids is not None:
        tasks = tasks.filter(agency_id__in=ids)
    if agency_id is not None:
        tasks = tasks.filter(agency_id=agency_id)
    if overdue_only:
        tasks = tasks.exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED]).filter(
            deadline__lt=today())
    return tasks.order_by("deadline", "code")


def task_for(user, pk) -> PlanTask:
    task = PlanTask.objects.select_related("agency", "plan").filter(pk=pk).first()
    if task is None or not access.may_see_agency(user, task.agency_id):
        raise Http404
    return task


def is_overdue(task: PlanTask, day: date | None = None) -> bool:
    return rules.task_overdue(deadline=task.deadline, status=task.status, today=day or today())


def public_overview() -> dict:
    day = today()
    indicators = list(Indicator.objects.filter(is_public=True))
    return {"tiles": tiles(indicators, day=day), "dti": dti_history(),
            "plan": plan_rollup(year=day.year, today=day)}

