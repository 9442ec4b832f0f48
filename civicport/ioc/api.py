"""The ioc app's part of /api/v1/ (mounted at /api/v1/ioc/ by civicport/api.py): chart data
for dashboards and writes for agencies.

Every read is scoped like the pages: anonymous callers get the public indicators of the city
only; agency officers get their agencies' rows (another agency: 404, nothing revealed); IOC
viewers and city administrators everything. Writes go through the same actions as the pages
(errors in the API-wide format; 409 on a concurrent edit).
"""

from datetime import date

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from civicport.core.access import sees_everything
from civicport.core.api import ApiError
from civicport.core.api_auth import REQUIRED, auth_methods
from civicport.ioc import access, actions, fragments, queries
from civicport.ioc.errors import IocError
from civicport.ioc.models import DtiAssessment, Indicator, IndicatorValue, ReportTemplate
from civicport.ioc.periods import period_of, period_parse, today

router = Router(tags=["ioc"])
OPTIONAL = auth_methods(optional=True)


def _raise(exc: IocError):
    raise ApiError(exc.status, exc.code, exc.message, exc.details)


class IndicatorOut(Schema):
    code: str
    name_vi: str
    name_en: str
    unit: str
    pillar: str
    direction: str
    frequency: str
    live: bool
    public: bool


class ValueOut(Schema):
    indicator: str
    period: str
    scope: str
    value: float | None
    origin: str
    as_of: str
    version: int


class SeriesPoint(Schema):
    period: str
    value: float | None


class SeriesOut(Schema):
    indicator: str
    scope: str
    points: list[SeriesPoint]


def _indicators_for(request):
    indicators = Indicator.objects.all()
    if not access.is_officer(request.user):
        indicators = indicators.filter(is_public=True)
    return indicators


def _scope(request, agency: str | None) -> str:
    """The value scope asked for: the city, or an agency the caller may see (else 404)."""
    if agency:
        return f"a{queries.agency_for(request.user, agency).pk}"
    return "city"


@router.get("/indicators", response=list[IndicatorOut], auth=OPTIONAL,
            summary="The indicator catalogue (public indicators for anonymous callers)")
def indicator_list(request):
    return [{"code": i.code, "name_vi": i.name_vi, "name_en": i.name_en, "unit": i.unit,
             "pillar": i.pillar, "direction": i.direction, "frequency": i.frequency,
             "live": bool(i.live_source), "public": i.is_public}
            for i in _indicators_for(request)]


def _indicator(request, code: str) -> Indicator:
    indicator = _indicators_for(request).filter(code=code).first()
    if indicator is None:
        raise Http404
    return indicator


@router.get("/values", response=list[ValueOut], auth=OPTIONAL,
            summary="Stored values of one period (all indicators or one), city or one agency")
def value_list(request, period: str, agency: str | None = None, indicator: str | None = None):
    parsed = period_parse(period)
    if parsed is None:
        raise ApiError(422, "invalid_period", _("Unknown period “%(key)s”.") % {"key": period})
    if agency and not access.is_officer(request.user):
        raise Http404
    scope = _scope(request, agency)
    indicators = _indicators_for(request)
    if scope == "city" and not sees_everything(request.user):
        indicators = indicators.filter(is_public=True)
    if indicator:
        indicators = indicators.filter(code=indicator)
    rows = IndicatorValue.objects.filter(indicator__in=indicators, period_key=parsed.key,
                                         scope=scope).select_related("indicator")
    return [{"indicator": r.indicator.code, "period": r.period_key, "scope": r.scope,
             "value": r.value, "origin": r.origin, "as_of": r.as_of.isoformat(),
             "version": r.version} for r in rows]


@router.get("/series", response=SeriesOut, auth=OPTIONAL,
            summary="Month series of one indicator for a year (city or one agency)")
def series(request, indicator: str, year: int | None = None, agency: str | None = None):
    row = _indicator(request, indicator)
    if agency and not access.is_officer(request.user):
        raise Http404
    scope = _scope(request, agency)
    if scope == "city" and not sees_everything(request.user) and not row.is_public:
        raise Http404
    year = year or today().year
    if not 2000 <= year <= 2100:
        raise ApiError(422, "invalid_year", _("Unknown year."))
    data = queries.month_series([row.code], year=year, scope=scope)
    points = data[0]["months"] if data else []
    return {"indicator": row.code, "scope": scope,
            "points": [{"period": p["period"].key, "value": p["value"]} for p in points]}


class AgencyOverviewOut(Schema):
    agency: str
    name: str
    period: str
    values: list[ValueOut]
    tasks: int
    overdue: int
    reports: list[dict]


@router.get("/agencies/{code}", response=AgencyOverviewOut, auth=REQUIRED,
            summary="Drill-down of one agency (its own officers, IOC viewers, city admins)")
def agency_overview(request, code: str, period: str | None = None):
    if not access.is_officer(request.user):
        raise Http404
    agency = queries.agency_for(request.user, code)
    parsed = period_parse(period) if period else period_of("month", today())
    if parsed is None:
        raise ApiError(422, "invalid_period", _("Unknown period “%(key)s”.") % {"key": period})
    # Access was checked above; the figures are the same for everyone who may see them.
    return fragments.cached_data("agency", (agency.pk, parsed.key),
                                 lambda: _agency_json(request.user, agency, parsed))


def _agency_json(user, agency, period) -> dict:
    data = queries.agency_overview(user=user, agency=agency, period=period)
    plan = data["plan"]["total"] if data["plan"] else {"tasks": 0, "overdue": 0}
    return {
        "agency": agency.code, "name": agency.name, "period": period.key,
        "values": [{"indicator": v["indicator"].code, "period": v["row"].period_key,
                    "scope": v["row"].scope, "value": v["value"], "origin": v["row"].origin,
                    "as_of": v["row"].as_of.isoformat(), "version": v["row"].version}
                   for v in data["values"]],
        "tasks": plan["tasks"], "overdue": plan["overdue"],
        "reports": [{"template": b["template"].code, "period": b["period"].period_key,
                     "status": r["status"]} for b in data["reports"] for r in b["rows"]],
    }


@router.get("/wall", auth=REQUIRED, summary="The wall screen's figures (IOC viewers)")
def wall(request):
    if not sees_everything(request.user):
        raise ApiError(403, "forbidden", _("Only IOC viewers and city administrators see the "
                                           "whole city."))
    return fragments.cached_data("wall", (), _wall_json)


def _wall_json() -> dict:
    data = queries.wall()
    return {
        "as_of": data["as_of"].isoformat() if data["as_of"] else None,
        "tiles": [{"indicator": t["indicator"].code, "value": t["value"],
                   "period": t["period"].key if t["period"] else None,
                   "target": t["target"].value if t["target"] else None,
                   "status": t["status"], "stale": t["stale"], "no_source": t["no_source"]}
                  for t in data["tiles"]],
    }


@router.get("/wards", auth=REQUIRED, summary="One indicator for the 114 wards (IOC viewers)")
def wards(request, indicator: str = "CQS-03", period: str | None = None):
    if not sees_everything(request.user):
        raise ApiError(403, "forbidden", _("Only IOC viewers and city administrators see the "
                                           "whole city."))
    parsed = period_parse(period) if period else period_of("year", today())
    if parsed is None:
        raise ApiError(422, "invalid_period", _("Unknown period “%(key)s”.") % {"key": period})
    data = queries.ward_map(code=indicator, period=parsed,
                            province_code=settings.CIVICPORT_PROVINCE)
    return {"indicator": indicator, "period": parsed.key,
            "wards": [{"code": t["ward"].code, "name": t["ward"].name, "value": t["value"]}
                      for t in data["tiles"]]}


class TaskOut(Schema):
    id: int
    code: str
    title: str
    agency: str
    deadline: date
    budget: float
    disbursed: float
    progress: int
    status: str
    overdue: bool
    version: int


def _task_out(task) -> dict:
    return {"id": task.pk, "code": task.code, "title": task.title, "agency": task.agency.code,
            "deadline": task.deadline, "budget": float(task.budget),
            "disbursed": float(task.disbursed), "progress": task.progress,
            "status": task.status, "overdue": queries.is_overdue(task),
            "version": task.version}


@router.get("/tasks", response=list[TaskOut], auth=REQUIRED,
            summary="The year's plan tasks the caller may see")
def task_list(request, year: int | None = None, overdue: bool = False):
    if not access.is_officer(request.user):
        return []
    return [_task_out(t) for t in queries.tasks_for(user=request.user,
                                                    year=year or today().year,
                                                    overdue_only=overdue)]


class TaskUpdateIn(Schema):
    version: int
    progress: int | None = None
    status: str | None = None
    disbursed: float | None = None
    reason: str = ""


@router.patch("/tasks/{task_id}", response=TaskOut, auth=REQUIRED,
              summary="Report progress on a task (409 when someone changed it meanwhile)")
def task_update(request, task_id: int, payload: TaskUpdateIn):
    task = queries.task_for(request.user, task_id)
    try:
        task = actions.task_update(user=request.user, task=task, version=payload.version,
                                   progress=payload.progress, status=payload.status,
                                   disbursed=payload.disbursed, reason=payload.reason)
    except IocError as exc:
        _raise(exc)
    return _task_out(task)


class SubmissionIn(Schema):
    agency: str
    period: str
    values: dict[str, float | str]
    units: dict[str, str] | None = None
    note: str = ""


class SubmissionOut(Schema):
    id: int
    template: str
    agency: str
    period: str
    revision: int
    late: bool


@router.post("/reports/{template}/submissions", response={201: SubmissionOut}, auth=REQUIRED,
             summary="Submit an agency's periodic report (a new revision when corrected)")
def report_submit(request, template: str, payload: SubmissionIn):
    row = queries.templates_for(request.user).filter(code=template).first()
    if row is None or not isinstance(row, ReportTemplate):
        raise Http404
    agency = queries.agency_for(request.user, payload.agency)
    try:
        submission = actions.report_submit(
            user=request.user, template=row, period_key=payload.period, agency=agency,
            raw_values=payload.values, units=payload.units, note=payload.note)
    except IocError as exc:
        _raise(exc)
    return Status(201, {"id": submission.pk, "template": row.code, "agency": agency.code,
                 "period": submission.period.period_key, "revision": submission.revision,
                 "late": submission.is_late})


class ValueIn(Schema):
    indicator: str
    period: str
    value: float | str
    unit: str | None = None
    agency: str | None = None
    version: int | None = None
    reason: str = ""


@router.post("/values", response={201: ValueOut}, auth=REQUIRED,
             summary="Enter an agency's value (unit and range checked; 409 on a stale version)")
def value_enter(request, payload: ValueIn):
    indicator = _indicator(request, payload.indicator)
    agency = queries.agency_for(request.user, payload.agency) if payload.agency else None
    try:
        row = actions.value_record(
            user=request.user, indicator=indicator, period_key=payload.period,
            raw_value=payload.value, agency=agency, unit=payload.unit,
            version=payload.version, reason=payload.reason)
    except IocError as exc:
        _raise(exc)
    return Status(201, {"indicator": indicator.code, "period": row.period_key, "scope": row.scope,
                 "value": row.value, "origin": row.origin, "as_of": row.as_of.isoformat(),
                 "version": row.version})


class WeightsIn(Schema):
    weights: dict[str, int]
    reason: str = ""


@router.patch("/dti/methodologies/{code}", auth=REQUIRED,
              summary="Change DTI weights (a used methodology gets a new version instead)")
def dti_weights(request, code: str, payload: WeightsIn):
    from civicport.ioc.models import DtiMethodology

    methodology = DtiMethodology.objects.filter(code=code).first()
    if methodology is None:
        raise Http404
    try:
        result = actions.dti_weights_set(user=request.user, methodology=methodology,
                                         weights=payload.weights, reason=payload.reason)
    except IocError as exc:
        _raise(exc)
    return {"code": result.code, "derived_from": methodology.code if result != methodology
            else None, "total_points": result.total_points,
            "weights": dict(result.indicators.values_list("code", "max_points"))}


@router.get("/dti", auth=OPTIONAL, summary="DTI results of a year (published and computed)")
def dti(request, year: int, group: str = "63"):
    if group not in DtiAssessment.Group.values:
        raise ApiError(422, "invalid_group", _("Unknown group."))
    return [{"province_code": a.province_code, "province": a.province_name,
             "methodology": a.methodology.code, "self": a.self_index,
             "appraised": a.appraised_index, "final": a.final_index, "rank": a.rank,
             "published_index": a.published_index, "published_rank": a.published_rank,
             "merged_from": a.merged_from}
            for a in queries.dti_table(year=year, group=group)]
