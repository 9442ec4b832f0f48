"""Writes of the ioc app: plain functions, keyword-only arguments.

Every change writes an `Event` (who, when, before, after, why) and an audit entry in the same
transaction. Bad input raises `IocError` before anything is written.
"""

import logging
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicport.core.audit import audit_record
from civicport.core.calendar import add_working_days
from civicport.core.models import Agency
from civicport.ioc import access, rules
from civicport.ioc.errors import IocError
from civicport.ioc.models import (
    DtiAssessment,
    DtiMainIndicator,
    DtiMethodology,
    DtiValue,
    Event,
    Indicator,
    IndicatorValue,
    Origin,
    PlanTask,
    RefreshState,
    ReportPeriod,
    ReportSubmission,
    ReportTemplate,
    TaskEvidence,
    TaskStatus,
    Unit,
    scope_key,
)
from civicport.ioc.periods import Period, period_parse, today, tz
from civicport.ioc.sources import SOURCES, Context, SourceMissing

logger = logging.getLogger(__name__)

# After its deadline a report period stays open for late submissions this long, then closes.
LATE_WINDOW = timedelta(days=30)
REFRESH_LOCK_SECONDS = 120
PERCENT_RANGE = (0.0, 100.0)


def _event(*, actor, obj, action: str, before: dict | None = None, after: dict | None = None,
           reason: str = "") -> None:
    Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        object_type=obj._meta.model_name, object_id=str(obj.pk), action=action,
        before=before or {}, after=after or {}, reason=reason[:300],
    )
    audit_record(actor=actor, action=f"ioc.{action}", obj=obj,
                 data={"before": before or {}, "after": after or {}, "reason": reason})


# --- values ---------------------------------------------------------------------------------


def _number(raw, label: str) -> float:
    if isinstance(raw, bool):
        raise IocError("invalid_value", _("%(field)s: not a number.") % {"field": label})
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # Vietnamese decimal comma
    try:
        return float(Decimal(text))
    except (InvalidOperation, ValueError):
        raise IocError("invalid_value", _("%(field)s: “%(value)s” is not a number.")
                       % {"field": label, "value": str(raw)[:40]}) from None


def check_value(*, raw, unit: str, label: str, min_value: float | None = None,
                max_value: float | None = None, given_unit: str | None = None) -> float:
    """The number in `raw`, checked against the unit and range; IocError otherwise."""
    if given_unit and given_unit.strip() and given_unit.strip() not in (unit, Unit(unit).label,
                                                                        _unit_symbol(unit)):
        raise IocError("wrong_unit", _("%(field)s: the unit must be %(unit)s, not “%(given)s”.")
                       % {"field": label, "unit": _unit_symbol(unit) or Unit(unit).label,
                          "given": given_unit[:20]})
    value = _number(raw, label)
    if value != value or value in (float("inf"), float("-inf")):
        raise IocError("invalid_value", _("%(field)s: not a number.") % {"field": label})
    low, high = min_value, max_value
    if unit == Unit.PERCENT:
        low = PERCENT_RANGE[0] if low is None else low
        high = PERCENT_RANGE[1] if high is None else high
    elif unit == Unit.INDEX:
        low, high = (0.0 if low is None else low), (1.0 if high is None else high)
    elif unit in (Unit.COUNT, Unit.DAYS, Unit.HOURS, Unit.RANK) and low is None:
        low = 0.0
    if (low is not None and value < low) or (high is not None and value > high):
        raise IocError("out_of_range", _("%(field)s: %(value)s is outside the allowed range "
                                         "%(low)s–%(high)s.")
                       % {"field": label, "value": f"{value:g}",
                          "low": "…" if low is None else f"{low:g}",
                          "high": "…" if high is None else f"{high:g}"})
    return value


def _unit_symbol(unit: str) -> str:
    return {"percent": "%", "bn_vnd": "tỷ đồng", "days": "ngày", "hours": "giờ"}.get(unit, "")


def value_record(*, user, indicator: Indicator, period_key: str, raw_value,
                 agency: Agency | None = None, origin: str = Origin.SUBMITTED,
                 unit: str | None = None, version: int | None = None,
                 reason: str = "") -> IndicatorValue:
    """Record a value submitted or imported by an agency (an agency's own scope; the city
    scope only for the indicator's responsible agency or a city administrator)."""
    if indicator.live_source:
        raise IocError("live_indicator", _("This indicator is computed live; it cannot be "
                                           "entered by hand."))
    period = period_parse(period_key)
    if period is None:
        raise IocError("invalid_period", _("Unknown period “%(key)s”.") % {"key": period_key})
    if agency is None:
        allowed = access.may_edit_all(user) or (
            indicator.agency_id is not None and access.may_edit_agency(user, indicator.agency_id))
    else:
        allowed = access.may_edit_agency(user, agency.pk)
    if not allowed:
        raise IocError("forbidden", _("You may only enter values of your own agency."),
                       status=403)
    value = check_value(raw=raw_value, unit=indicator.unit, label=indicator.name_vi,
                        min_value=indicator.min_value, max_value=indicator.max_value,
                        given_unit=unit)
    return _store(indicator=indicator, period=period, agency=agency, value=value,
                  origin=origin, user=user, version=version, reason=reason)


def _store(*, indicator, period: Period, value, origin, user=None, agency=None,
           ward_code=None, numerator=None, denominator=None, as_of=None, version=None,
           reason="", quiet=False) -> IndicatorValue:
    scope = scope_key(agency_id=agency.pk if agency else None, ward_code=ward_code)
    now = timezone.now()
    with transaction.atomic():
        row = (IndicatorValue.objects.select_for_update()
               .filter(indicator=indicator, period_key=period.key, scope=scope).first())
        if version is not None and (row.version if row else 0) != version:
            raise IocError("conflict", _("Someone changed this value meanwhile. Reload and "
                                         "try again."), status=409)
        before = {"value": row.value, "origin": row.origin} if row else {}
        if row is None:
            row = IndicatorValue(indicator=indicator, period_key=period.key, scope=scope,
                                 period_kind=period.kind, period_start=period.start,
                                 agency=agency, ward_id=ward_code, version=0)
        row.value, row.origin = value, origin
        row.numerator, row.denominator = numerator, denominator
        row.as_of, row.recorded_at = as_of or now, now
        row.recorded_by = user if getattr(user, "is_authenticated", False) else None
        row.version += 1
        row.save()
        if not quiet:
            _event(actor=user, obj=row, action="value_record", before=before,
                   after={"indicator": indicator.code, "period": period.key, "scope": scope,
                          "value": value, "origin": origin}, reason=reason)
    return row


def indicators_refresh(*, now: datetime | None = None, codes: list[str] | None = None,
                       force: bool = False) -> dict:
    """Compute every live indicator and store its values with their as-of time.

    Run by the periodic task (`civicport ioc_refresh`, every 15 minutes) and on demand from
    the wall screen; a cache lock keeps two refreshes from running at once, so a flood of
    "refresh" clicks costs one computation. Returns {stored, missing: {code: reason},
    failed: {code: error}, skipped}."""
    if not force and not _refresh_lock():
        return {"stored": 0, "missing": {}, "failed": {}, "skipped": True}
    try:
        result = _refresh(now=now or timezone.now(), codes=codes)
        with transaction.atomic():
            state, _new = RefreshState.objects.select_for_update().get_or_create(pk=1)
            state.last_run_at = timezone.now()
            state.save(update_fields=["last_run_at"])
            # The event also moves the data version the cached pages are keyed on.
            _event(actor=None, obj=state, action="indicators_refresh",
                   after={"stored": result["stored"], "missing": sorted(result["missing"]),
                          "failed": sorted(result["failed"])})
        return result
    finally:
        if not force:
            RefreshState.objects.filter(pk=1).update(running_until=None)


def _refresh_lock() -> bool:
    """Take the refresh lock across processes: one conditional UPDATE, atomic on SQLite and
    PostgreSQL. A crashed refresh releases it after REFRESH_LOCK_SECONDS."""
    now = timezone.now()
    RefreshState.objects.get_or_create(pk=1)
    return bool(RefreshState.objects.filter(pk=1).filter(
        Q(running_until__isnull=True) | Q(running_until__lt=now),
    ).update(running_until=now + timedelta(seconds=REFRESH_LOCK_SECONDS)))


def _refresh(*, now: datetime, codes: list[str] | None) -> dict:
    ctx = Context(now=now, today=timezone.localtime(now, tz()).date())
    indicators = Indicator.objects.exclude(live_source="")
    if codes:
        indicators = indicators.filter(code__in=codes)
    stored, missing, failed = 0, {}, {}
    agencies = set(Agency.objects.values_list("pk", flat=True))
    from civicport.core.models import Ward

    wards = set(Ward.objects.values_list("pk", flat=True))
    for indicator in indicators:
        source = SOURCES.get(indicator.live_source)
        if source is None:
            missing[indicator.code] = "no source registered"
            continue
        try:
            readings = source(ctx)
        except SourceMissing as exc:
            missing[indicator.code] = str(exc)
            continue
        except Exception as exc:  # one broken module must not stop the others
            logger.exception("live source %s failed", indicator.code)
            failed[indicator.code] = repr(exc)[:200]
            continue
        readings = [r for r in readings
                    if (r.agency_id is None or r.agency_id in agencies)
                    and (r.ward_code is None or r.ward_code in wards)]
        with transaction.atomic():
            stored += _store_live(indicator, readings, now)
    return {"stored": stored, "missing": missing, "failed": failed, "skipped": False}


_LIVE_FIELDS = ["value", "numerator", "denominator", "origin", "as_of", "recorded_at"]


def _store_live(indicator, readings, now) -> int:
    """Upsert the readings of one indicator in bulk: one read of the existing rows, then
    bulk updates and inserts (thousands of agency × month values per refresh)."""
    existing = {
        (row.period_key, row.scope): row
        for row in IndicatorValue.objects.filter(
            indicator=indicator, period_key__in={r.period.key for r in readings})
    }
    changed, created = [], {}
    for reading in readings:
        scope = scope_key(agency_id=reading.agency_id, ward_code=reading.ward_code)
        row = existing.get((reading.period.key, scope)) or created.get((reading.period.key,
                                                                         scope))
        if row is None:
            row = created[(reading.period.key, scope)] = IndicatorValue(
                indicator=indicator, period_key=reading.period.key, scope=scope,
                period_kind=reading.period.kind, period_start=reading.period.start,
                agency_id=reading.agency_id, ward_id=reading.ward_code)
        elif row.pk is not None:
            changed.append(row)
        row.value, row.numerator, row.denominator = (reading.value, reading.numerator,
                                                     reading.denominator)
        row.origin, row.as_of, row.recorded_at = Origin.LIVE, now, now
    IndicatorValue.objects.bulk_update(changed, _LIVE_FIELDS, batch_size=500)
    IndicatorValue.objects.bulk_create(list(created.values()), batch_size=500)
    return len(readings)


# --- department reports ---------------------------------------------------------------------


def report_period_ensure(*, template: ReportTemplate, period: Period) -> ReportPeriod:
    """The report period of `template` for `period` (created on first use); the deadline is
    `deadline_days` working days after the period ends, in Vietnamese working time."""
    if period.kind != template.frequency:
        raise IocError("invalid_period", _("This report is %(frequency)s; “%(key)s” is not such "
                                           "a period.") % {"frequency": template.get_frequency_display(),
                                                           "key": period.key})
    end = datetime.combine(period.end, time.min, tzinfo=tz())
    deadline = add_working_days(end, template.deadline_days)
    try:
        with transaction.atomic():
            row, _created = ReportPeriod.objects.get_or_create(
                template=template, period_key=period.key,
                defaults={"start": period.start, "end": period.end, "deadline": deadline},
            )
    except IntegrityError:  # created by a concurrent request
        row = ReportPeriod.objects.get(template=template, period_key=period.key)
    return row


def report_period_closed(row: ReportPeriod, now: datetime) -> bool:
    return row.closed_at is not None or now > row.deadline + LATE_WINDOW


def report_period_close(*, user, period: ReportPeriod, reason: str = "") -> ReportPeriod:
    if not access.may_edit_all(user):
        raise IocError("forbidden", _("Only city administrators close report periods."),
                       status=403)
    with transaction.atomic():
        row = ReportPeriod.objects.select_for_update().get(pk=period.pk)
        if row.closed_at is None:
            row.closed_at = timezone.now()
            row.save(update_fields=["closed_at"])
            _event(actor=user, obj=row, action="report_period_close", before={"open": True},
                   after={"open": False}, reason=reason)
    return row


def report_values_check(*, template: ReportTemplate, raw: dict, units: dict | None = None
                        ) -> dict:
    """The submitted values checked field by field; all problems at once as details."""
    values, details = {}, []
    for field in template.fields.all():
        given = raw.get(field.code)
        if given is None or (isinstance(given, str) and not given.strip()):
            if field.required:
                details.append({"field": field.code,
                                "message": _("%(field)s: required.") % {"field": field.label}})
            continue
        try:
            values[field.code] = check_value(
                raw=given, unit=field.unit, label=field.label, min_value=field.min_value,
                max_value=field.max_value, given_unit=(units or {}).get(field.code))
        except IocError as exc:
            details.append({"field": field.code, "message": exc.message})
    unknown = set(raw) - {f.code for f in template.fields.all()}
    for code in sorted(unknown):
        details.append({"field": code, "message": _("Unknown field “%(code)s”.") % {"code": code}})
    if details:
        raise IocError("invalid_report", _("The report has errors; nothing was saved."),
                       details=details)
    return values


def report_submit(*, user, template: ReportTemplate, period_key: str, agency: Agency,
                  raw_values: dict, units: dict | None = None, origin: str = Origin.SUBMITTED,
                  note: str = "", now: datetime | None = None) -> ReportSubmission:
    """Submit (or correct: a new revision) an agency's report for one period."""
    now = now or timezone.now()
    if not access.may_edit_agency(user, agency.pk):
        raise IocError("forbidden", _("You may only submit reports of your own agency."),
                       status=403)
    if not template.is_active or not template.agencies.filter(pk=agency.pk).exists():
        raise IocError("not_expected", _("This agency does not submit this report."))
    period = period_parse(period_key)
    if period is None:
        raise IocError("invalid_period", _("Unknown period “%(key)s”.") % {"key": period_key})
    if period.start > timezone.localtime(now, tz()).date():
        raise IocError("future_period", _("The period %(period)s has not started yet.")
                       % {"period": period.label})
    values = report_values_check(template=template, raw=raw_values, units=units)
    row = report_period_ensure(template=template, period=period)
    with transaction.atomic():
        row = ReportPeriod.objects.select_for_update().get(pk=row.pk)
        if report_period_closed(row, now):
            raise IocError("period_closed", _("The period %(period)s is closed; it no longer "
                                              "accepts reports.") % {"period": period.label},
                           status=409)
        latest = (ReportSubmission.objects.filter(period=row, agency=agency)
                  .order_by("-revision").first())
        if latest is not None and latest.values == values:
            return latest  # a double submission: nothing new
        submission = ReportSubmission.objects.create(
            period=row, agency=agency, revision=(latest.revision + 1) if latest else 1,
            values=values, origin=origin, submitted_by=user, submitted_at=now,
            is_late=now > row.deadline, note=note[:500],
        )
        _event(actor=user, obj=submission, action="report_submit",
               before={"revision": latest.revision, "values": latest.values} if latest else {},
               after={"revision": submission.revision, "values": values, "late":
                      submission.is_late}, reason=note)
        _report_to_values(template, period, agency, values, origin, user, now)
    return submission


def _report_to_values(template, period, agency, values, origin, user, now) -> None:
    """Fields linked to an indicator become its value for the agency (and for the city when
    the agency is the indicator's responsible agency)."""
    value_origin = Origin.IMPORTED if origin == Origin.IMPORTED else Origin.SUBMITTED
    for field in template.fields.select_related("indicator"):
        indicator = field.indicator
        if indicator is None or field.code not in values or indicator.live_source:
            continue
        _store(indicator=indicator, period=period, agency=agency, value=values[field.code],
               origin=value_origin, user=user, as_of=now, quiet=True)
        if indicator.agency_id == agency.pk:
            _store(indicator=indicator, period=period, value=values[field.code],
                   origin=value_origin, user=user, as_of=now, quiet=True)
        elif indicator.agency_id is None:
            _store(indicator=indicator, period=period, value=_city_figure(indicator, period),
                   origin=value_origin, user=user, as_of=now, quiet=True)


# Rates and means over agencies are averaged; amounts and counts add up.
_SUMMED_UNITS = (Unit.COUNT, Unit.BN_VND)


def _city_figure(indicator: Indicator, period: Period) -> float | None:
    """The city's value of an indicator every agency reports (no responsible agency): the
    mean of the agencies' values for rates, their sum for counts and amounts."""
    values = list(IndicatorValue.objects.filter(
        indicator=indicator, period_key=period.key, scope__startswith="a",
    ).exclude(value=None).values_list("value", flat=True))
    if not values:
        return None
    total = sum(values)
    return total if indicator.unit in _SUMMED_UNITS else total / len(values)


# --- DTI ------------------------------------------------------------------------------------


def dti_weights_set(*, user, methodology: DtiMethodology, weights: dict[str, int],
                    reason: str = "") -> DtiMethodology:
    """Change the maximum points of main indicators. A methodology with stored scores is
    never changed: the edit makes a new version (copy-on-write) and returns it."""
    if not access.may_edit_all(user):
        raise IocError("forbidden", _("Only city administrators edit DTI methodologies."),
                       status=403)
    codes = set(methodology.indicators.values_list("code", flat=True))
    unknown = set(weights) - codes
    if unknown:
        raise IocError("unknown_indicator", _("Unknown main indicator(s): %(codes)s.")
                       % {"codes": ", ".join(sorted(unknown))})
    for code, points in weights.items():
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= 1000:
            raise IocError("out_of_range", _("%(code)s: points must be a whole number 0–1000.")
                           % {"code": code})
    with transaction.atomic():
        target = methodology
        if methodology.locked_at is not None or methodology.assessments.exists():
            target = _methodology_copy(methodology)
        before = dict(target.indicators.values_list("code", "max_points"))
        for code, points in weights.items():
            target.indicators.filter(code=code).update(max_points=points)
        total = sum(target.indicators.values_list("max_points", flat=True))
        target.total_points = total
        target.save(update_fields=["total_points"])
        _event(actor=user, obj=target, action="dti_weights_set", before=before,
               after={**before, **weights, "derived_from": methodology.code}, reason=reason)
    return target


def _methodology_copy(source: DtiMethodology) -> DtiMethodology:
    number = DtiMethodology.objects.filter(code__startswith=f"{source.code}.r").count() + 1
    copy = DtiMethodology.objects.create(
        code=f"{source.code}.r{number}", name=f"{source.name} (r{number})",
        decision=source.decision, first_year=source.first_year,
        total_points=source.total_points, derived_from=source,
        weights_verified=False,
    )
    DtiMainIndicator.objects.bulk_create([
        DtiMainIndicator(methodology=copy, order=i.order, code=i.code, name=i.name,
                         max_points=i.max_points)
        for i in source.indicators.all()
    ])
    return copy


def dti_assessment_record(*, user, methodology: DtiMethodology, year: int, province_code: int,
                          province_name: str, values: dict[str, tuple], group: str = "63",
                          published_index: float | None = None,
                          published_rank: int | None = None, merged_from: str = "",
                          source: str = "", note: str = "") -> DtiAssessment:
    """Store a province's main-indicator values (self-assessed, appraised, final; 0–1) and
    the indices computed from them under `methodology`, which is locked from now on; the
    ranks of the year and group are recomputed. `user=None` is the system (seeding)."""
    if user is not None and not access.may_edit_all(user):
        raise IocError("forbidden", _("Only city administrators record DTI scores."),
                       status=403)
    indicators = list(methodology.indicators.all())
    by_code = {i.code: i for i in indicators}
    unknown = set(values) - set(by_code)
    if unknown:
        raise IocError("unknown_indicator", _("Unknown main indicator(s): %(codes)s.")
                       % {"codes": ", ".join(sorted(unknown))})
    checked = {}
    for code, triple in values.items():
        checked[code] = tuple(
            None if v is None else check_value(raw=v, unit=Unit.INDEX, label=code)
            for v in triple)
    with transaction.atomic():
        assessment, _created = DtiAssessment.objects.update_or_create(
            methodology=methodology, year=year, group=group, province_code=province_code,
            defaults={"province_name": province_name, "published_index": published_index,
                      "published_rank": published_rank, "merged_from": merged_from,
                      "source": source, "note": note},
        )
        for code, (self_v, appraised, final) in checked.items():
            DtiValue.objects.update_or_create(
                assessment=assessment, indicator=by_code[code],
                defaults={"self_assessed": self_v, "appraised": appraised, "final": final})
        stored = {v.indicator_id: v for v in assessment.values.all()}
        weights = [i.max_points for i in indicators]

        def index(stage: str):
            column = [getattr(stored.get(i.pk), stage, None) if i.pk in stored else None
                      for i in indicators]
            if all(v is None for v in column):
                return None
            return rules.dti_index(column, weights, methodology.total_points)

        assessment.self_index = index("self_assessed")
        assessment.appraised_index = index("appraised")
        assessment.final_index = index("final")
        assessment.save()
        if methodology.locked_at is None:
            methodology.locked_at = timezone.now()
            methodology.save(update_fields=["locked_at"])
        dti_ranks_update(methodology=methodology, year=year, group=group)
        _event(actor=user, obj=assessment, action="dti_assessment_record",
               after={"year": year, "province": province_code,
                      "final_index": assessment.final_index})
    assessment.refresh_from_db()
    return assessment


def dti_ranks_update(*, methodology: DtiMethodology, year: int, group: str) -> None:
    rows = DtiAssessment.objects.filter(methodology=methodology, year=year, group=group)
    scores = {row.pk: row.final_index for row in rows}
    places = rules.ranks(scores)
    for row in rows:
        place = places.get(row.pk)
        if row.rank != place:
            row.rank = place
            row.save(update_fields=["rank"])


def dti_merge(*, user, methodology: DtiMethodology, year: int, province_code: int,
              province_name: str, predecessors: list[DtiAssessment],
              published_index: float | None = None,
              published_rank: int | None = None, source: str = "") -> DtiAssessment:
    """The 2025 rule: the merged province's main-indicator values (each stage) are the mean
    of its predecessors' values; stored in the 34-province group."""
    if len(predecessors) < 2:
        raise IocError("merger", _("A merger needs at least two predecessor provinces."))
    if any(p.methodology_id != methodology.pk or p.year != year for p in predecessors):
        raise IocError("merger", _("Predecessors must be scored for the same year and "
                                   "methodology."))
    indicators = list(methodology.indicators.all())
    stages = ("self_assessed", "appraised", "final")
    columns = {}
    for stage in stages:
        table = []
        for p in predecessors:
            stored = {v.indicator_id: getattr(v, stage) for v in p.values.all()}
            table.append([stored.get(i.pk) for i in indicators])
        columns[stage] = rules.merged_values(table)
    values = {
        i.code: tuple(columns[stage][n] for stage in stages) for n, i in enumerate(indicators)
    }
    return dti_assessment_record(
        user=user, methodology=methodology, year=year, province_code=province_code,
        province_name=province_name, values=values, group=DtiAssessment.Group.NEW,
        published_index=published_index, published_rank=published_rank,
        merged_from=",".join(str(p.province_code) for p in predecessors), source=source,
        note=_("Mean of the predecessors' main-indicator values (2025 merger rule)."),
    )


# --- task plan ------------------------------------------------------------------------------


def task_update(*, user, task: PlanTask, version: int, progress=None, status: str | None = None,
                disbursed=None, reason: str = "", today_=None) -> PlanTask:
    """An agency reports progress on its task. `version` is the version the user saw: a
    concurrent edit makes it stale and the update fails with 409 (optimistic locking)."""
    if not access.may_edit_agency(user, task.agency_id):
        raise IocError("forbidden", _("You may only update tasks of your own agency."),
                       status=403)
    changes = {}
    if progress is not None and progress != "":
        changes["progress"] = int(check_value(raw=progress, unit=Unit.PERCENT,
                                              label=_("Progress")))
    if disbursed is not None and disbursed != "":
        amount = check_value(raw=disbursed, unit=Unit.COUNT, label=_("Disbursed"))
        if Decimal(str(amount)) > task.budget:
            raise IocError("out_of_range", _("Disbursed (%(amount)s million VND) cannot exceed "
                                             "the budget (%(budget)s million VND).")
                           % {"amount": f"{amount:,.1f}", "budget": f"{task.budget:,.1f}"})
        changes["disbursed"] = Decimal(str(round(amount, 1)))
    if status:
        if status not in TaskStatus.values:
            raise IocError("invalid_status", _("Unknown status “%(status)s”.")
                           % {"status": status[:20]})
        changes["status"] = status
    if changes.get("status") == TaskStatus.DONE and "progress" not in changes:
        changes["progress"] = 100
    if changes.get("progress") == 100 and "status" not in changes:
        changes["status"] = TaskStatus.DONE
    if not changes:
        raise IocError("nothing", _("Nothing to change."))
    day = today_ or today()
    with transaction.atomic():
        updated = PlanTask.objects.filter(pk=task.pk, version=version).update(
            version=F("version") + 1, updated_at=timezone.now(), **changes,
            **({"done_on": day} if changes.get("status") == TaskStatus.DONE else {}),
        )
        if not updated:
            raise IocError("conflict", _("Someone else updated this task meanwhile. Reload the "
                                         "page to see their change, then try again."),
                           status=409)
        before = {k: _plain(getattr(task, k)) for k in changes}
        task.refresh_from_db()
        _event(actor=user, obj=task, action="task_update", before=before,
               after={k: _plain(v) for k, v in changes.items()}, reason=reason)
    return task


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


def task_evidence_add(*, user, task: PlanTask, upload, max_bytes: int = 10 * 1024 * 1024
                      ) -> TaskEvidence:
    if not access.may_edit_agency(user, task.agency_id):
        raise IocError("forbidden", _("You may only update tasks of your own agency."),
                       status=403)
    name = evidence_check(upload=upload, max_bytes=max_bytes)
    with transaction.atomic():
        evidence = TaskEvidence.objects.create(task=task, file=upload, name=name,
                                               uploaded_by=user)
        _event(actor=user, obj=task, action="task_evidence_add", after={"file": name})
    return evidence


def evidence_check(*, upload, max_bytes: int = 10 * 1024 * 1024) -> str:
    """The file's name if it may be kept as evidence; IocError otherwise."""
    if upload.size > max_bytes:
        raise IocError("too_large", _("The file is larger than %(mb)d MB.")
                       % {"mb": max_bytes // (1024 * 1024)})
    allowed = (".pdf", ".docx", ".xlsx", ".jpg", ".jpeg", ".png")
    name = (upload.name or "").rsplit("/", 1)[-1][:200]
    if not name.lower().endswith(allowed):
        raise IocError("file_type", _("Evidence must be a PDF, Word, Excel or image file."))
    return name


def plan_tasks_save(*, user, plan, rows: list[dict]) -> dict:
    """Create or update the plan's tasks from checked rows (Excel import); all or nothing."""
    if not access.may_edit_all(user):
        raise IocError("forbidden", _("Only city administrators import task plans."),
                       status=403)
    created = updated = 0
    with transaction.atomic():
        existing = {t.code: t for t in plan.tasks.all()}
        for row in rows:
            fields = {k: row[k] for k in ("title", "agency", "deadline", "budget", "disbursed",
                                          "progress", "status")}
            task = existing.get(row["code"])
            if task is None:
                task = PlanTask.objects.create(plan=plan, code=row["code"], **fields)
                created += 1
                before = {}
            else:
                before = {"title": task.title, "progress": task.progress}
                for key, value in fields.items():
                    setattr(task, key, value)
                task.version += 1
                task.updated_at = timezone.now()
                task.save()
                updated += 1
            task.coordinating.set(row["coordinating"])
            _event(actor=user, obj=task, action="task_import", before=before,
                   after={"code": task.code, "progress": task.progress})
    return {"created": created, "updated": updated}
