"""Actions: DTI versions and the merger, target status, live refresh, department reports,
task updates, with the bad-input cases (nothing changed)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from civicport.ioc import actions, queries
from civicport.ioc.errors import IocError
from civicport.ioc.models import (
    DtiAssessment,
    DtiMethodology,
    Event,
    Indicator,
    IndicatorValue,
    Plan,
    PlanTask,
    ReportSubmission,
    ReportTemplate,
    Target,
)
from civicport.ioc.periods import period_of, period_parse, today, tz

pytestmark = pytest.mark.django_db

CODES_2022 = ["NT", "TC", "HT", "NL", "AT", "DTTM", "CQS", "KTS", "XHS"]


def _values(numbers):
    return {code: (v, v, v) for code, v in zip(CODES_2022, numbers, strict=True)}


def test_dti_2022_computed_stored_ranked(reference, city_admin):
    method = DtiMethodology.objects.get(code="922-2022")
    a = actions.dti_assessment_record(
        user=city_admin, methodology=method, year=2021, province_code=48,
        province_name="Đà Nẵng", values=_values([0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.75, 0.6, 0.4]))
    b = actions.dti_assessment_record(
        user=city_admin, methodology=method, year=2021, province_code=31,
        province_name="Hải Phòng", values=_values([0.7] * 9))
    assert a.final_index == 0.65 and b.final_index == 0.7
    a.refresh_from_db()
    assert (b.rank, a.rank) == (1, 2)
    method.refresh_from_db()
    assert method.locked_at is not None


def test_changing_weights_copies_a_used_methodology_and_leaves_scores(reference, city_admin):
    method = DtiMethodology.objects.get(code="922-2022")
    scored = actions.dti_assessment_record(
        user=city_admin, methodology=method, year=2022, province_code=31,
        province_name="Hải Phòng", values=_values([0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.75, 0.6, 0.4]))
    copy = actions.dti_weights_set(user=city_admin, methodology=method, weights={"CQS": 300})
    assert copy.pk != method.pk and copy.derived_from_id == method.pk
    assert copy.total_points == 1100
    assert method.indicators.get(code="CQS").max_points == 200
    scored.refresh_from_db()
    assert scored.final_index == 0.65
    # An unused methodology is edited in place.
    fresh = DtiMethodology.objects.get(code="405-2025")
    assert actions.dti_weights_set(user=city_admin, methodology=fresh,
                                   weights={"HT": 100}).pk == fresh.pk


def test_weights_bad_input_and_access(reference, city_admin, dept_officer):
    method = DtiMethodology.objects.get(code="405-2025")
    with pytest.raises(IocError) as exc:
        actions.dti_weights_set(user=city_admin, methodology=method, weights={"XX": 10})
    assert "XX" in exc.value.message
    with pytest.raises(IocError):
        actions.dti_weights_set(user=city_admin, methodology=method, weights={"NT": -5})
    with pytest.raises(IocError) as exc:
        actions.dti_weights_set(user=dept_officer, methodology=method, weights={"NT": 50})
    assert exc.value.status == 403
    assert method.indicators.get(code="NT").max_points == 100


def test_merger_rule_stores_mean_of_predecessors(reference, city_admin):
    method = DtiMethodology.objects.get(code="922-2022")
    hd = actions.dti_assessment_record(
        user=city_admin, methodology=method, year=2024, province_code=30,
        province_name="Hải Dương", values=_values([0.6, 0.6, 0.5, 0.5, 0.4, 0.0, 0.5, 0.4, 0.4]))
    hp = actions.dti_assessment_record(
        user=city_admin, methodology=method, year=2024, province_code=31,
        province_name="Hải Phòng", values=_values([1.0, 1.0, 0.9, 0.7, 0.8, 0.2, 0.8, 0.7, 0.6]))
    merged = actions.dti_merge(user=city_admin, methodology=method, year=2024,
                               province_code=31, province_name="Hải Phòng (mới)",
                               predecessors=[hd, hp])
    assert merged.group == DtiAssessment.Group.NEW and merged.merged_from == "30,31"
    finals = {v.indicator.code: v.final for v in merged.values.select_related("indicator")}
    assert finals["NT"] == pytest.approx(0.8) and finals["KTS"] == pytest.approx(0.55)
    expected = (100 * (0.8 + 0.8 + 0.7 + 0.6 + 0.6) + 200 * 0.65 + 150 * 0.55 + 150 * 0.5) / 1000
    assert merged.final_index == pytest.approx(round(expected, 4))
    assert merged.final_index == pytest.approx((hd.final_index + hp.final_index) / 2, abs=1e-4)
    with pytest.raises(IocError):
        actions.dti_merge(user=city_admin, methodology=method, year=2024, province_code=31,
                          province_name="x", predecessors=[hd])


def test_dti_value_out_of_range_changes_nothing(reference, city_admin):
    method = DtiMethodology.objects.get(code="922-2022")
    with pytest.raises(IocError) as exc:
        actions.dti_assessment_record(user=city_admin, methodology=method, year=2023,
                                      province_code=31, province_name="Hải Phòng",
                                      values=_values([1.5] + [0.5] * 8))
    assert exc.value.code == "out_of_range"
    assert not DtiAssessment.objects.filter(year=2023, province_code=31,
                                            methodology=method).exclude(final_index=None).exists()


def _set_value(code, value, period):
    indicator = Indicator.objects.get(code=code)
    return actions._store(indicator=indicator, period=period, value=value, origin="submitted")


def test_target_status_on_the_tiles_for_both_directions(reference):
    day = today()
    month = period_of("month", day)
    Target.objects.update_or_create(indicator=Indicator.objects.get(code="FB-04"),
                                    year=day.year, defaults={"value": 3.0, "tolerance": 0.5,
                                                             "source_document": "test"})
    Target.objects.update_or_create(indicator=Indicator.objects.get(code="CQS-03"),
                                    year=day.year, defaults={"value": 95.0, "tolerance": 3.0,
                                                             "source_document": "test"})
    _set_value("FB-04", 2.0, month)   # fewer days than the target: on track
    _set_value("CQS-03", 90.0, month)  # 5 points under 95: off track
    tiles = {t["indicator"].code: t for t in queries.tiles(
        list(Indicator.objects.filter(code__in=["FB-04", "CQS-03"])), day=day)}
    assert tiles["FB-04"]["status"] == "on_track"
    assert tiles["CQS-03"]["status"] == "off_track"
    _set_value("FB-04", 3.3, month)
    _set_value("CQS-03", 93.0, month)
    tiles = {t["indicator"].code: t for t in queries.tiles(
        list(Indicator.objects.filter(code__in=["FB-04", "CQS-03"])), day=day)}
    assert tiles["FB-04"]["status"] == "at_risk"
    assert tiles["CQS-03"]["status"] == "at_risk"
    _set_value("FB-04", 5.0, month)
    tile = queries.tiles([Indicator.objects.get(code="FB-04")], day=day)[0]
    assert tile["status"] == "off_track"


def test_stale_values_are_flagged(reference):
    month = period_of("month", today())
    row = _set_value("CQS-03", 97.0, month)
    row.origin = "live"
    row.as_of = timezone.now() - timedelta(hours=3)
    row.save()
    tile = queries.tiles([Indicator.objects.get(code="CQS-03")])[0]
    assert tile["stale"] is True


def test_refresh_without_feedback_and_datahub_reports_missing_sources(reference, monkeypatch):
    from civicport.datahub import queries as dq
    from civicport.feedback import queries as fq

    monkeypatch.delattr(fq, "feedback_summary", raising=False)
    monkeypatch.delattr(dq, "publishing_summary", raising=False)
    result = actions.indicators_refresh(force=True)
    assert "FB-01" in result["missing"] and "CQS-10" in result["missing"]
    assert not result["failed"]
    tile = queries.tiles([Indicator.objects.get(code="FB-01")])[0]
    assert tile["no_source"] is True


def test_refresh_stores_live_values_from_contracts(reference, fake_contracts, department):
    result = actions.indicators_refresh(force=True)
    assert not result["missing"], result
    month, year = period_of("month", today()), period_of("year", today())
    fb = IndicatorValue.objects.get(indicator__code="FB-05", period_key=month.key, scope="city")
    assert fb.value == pytest.approx(95.0) and fb.origin == "live"
    by_agency = IndicatorValue.objects.get(indicator__code="FB-05", period_key=year.key,
                                           scope=f"a{department.pk}")
    assert by_agency.value == pytest.approx(80.0)
    ward = IndicatorValue.objects.get(indicator__code="FB-01", period_key=year.key,
                                      scope="w11311")
    assert ward.value == 12
    days = IndicatorValue.objects.get(indicator__code="FB-04", period_key=month.key)
    assert days.value == pytest.approx(30 / 24)
    datasets = IndicatorValue.objects.get(indicator__code="CQS-10", period_key=month.key)
    assert datasets.value == 61
    share = IndicatorValue.objects.get(indicator__code="DH-01", period_key=month.key)
    assert share.value == pytest.approx(60.0)
    # A second refresh updates in place.
    count = IndicatorValue.objects.count()
    actions.indicators_refresh(force=True)
    assert IndicatorValue.objects.count() == count


def test_refresh_is_not_run_twice_at_once(reference, fake_contracts):
    from civicport.ioc.models import Event, RefreshState

    assert actions._refresh_lock() is True
    assert actions.indicators_refresh()["skipped"] is True  # another process holds it
    RefreshState.objects.filter(pk=1).update(running_until=None)
    assert actions.indicators_refresh()["skipped"] is False
    assert RefreshState.objects.get(pk=1).running_until is None
    assert Event.objects.filter(action="indicators_refresh").exists()


# --- reports --------------------------------------------------------------------------------


def _monthly():
    return ReportTemplate.objects.get(code="bao-cao-thang")


def _last_month():
    return period_of("month", today().replace(day=1) - timedelta(days=1))


def test_report_submit_revisions_late_and_values(reference, dept_officer, department):
    period = _last_month()
    row = actions.report_period_ensure(template=_monthly(), period=period)
    on_time = row.deadline - timedelta(hours=1)
    first = actions.report_submit(user=dept_officer, template=_monthly(), period_key=period.key,
                                  agency=department, raw_values={"ho_so_cong_viec": "92,5",
                                                                 "van_ban_ky_so": 99},
                                  now=on_time)
    assert first.revision == 1 and not first.is_late
    again = actions.report_submit(user=dept_officer, template=_monthly(), period_key=period.key,
                                  agency=department, raw_values={"ho_so_cong_viec": "92,5",
                                                                 "van_ban_ky_so": 99},
                                  now=on_time)
    assert again.pk == first.pk  # double submission: no new revision
    late = actions.report_submit(user=dept_officer, template=_monthly(), period_key=period.key,
                                 agency=department, raw_values={"ho_so_cong_viec": 93,
                                                                "van_ban_ky_so": 99},
                                 now=row.deadline + timedelta(days=2))
    assert late.revision == 2 and late.is_late
    assert ReportSubmission.objects.filter(agency=department).count() == 2  # history kept
    value = IndicatorValue.objects.get(indicator__code="CQS-05", period_key=period.key,
                                       scope=f"a{department.pk}")
    assert value.value == 93 and value.origin == "submitted"
    assert Event.objects.filter(action="report_submit").count() == 2


@pytest.mark.parametrize(("values", "units", "code"), [
    ({"ho_so_cong_viec": 120, "van_ban_ky_so": 99}, None, "ho_so_cong_viec"),
    ({"ho_so_cong_viec": "nhiều", "van_ban_ky_so": 99}, None, "ho_so_cong_viec"),
    ({"ho_so_cong_viec": 90, "van_ban_ky_so": 99}, {"ho_so_cong_viec": "tỷ đồng"},
     "ho_so_cong_viec"),
    ({"van_ban_ky_so": 99}, None, "ho_so_cong_viec"),
    ({"ho_so_cong_viec": 90, "van_ban_ky_so": 99, "bi_mat": 1}, None, "bi_mat"),
])
def test_report_bad_values_change_nothing(reference, dept_officer, department, values, units,
                                          code):
    with pytest.raises(IocError) as exc:
        actions.report_submit(user=dept_officer, template=_monthly(),
                              period_key=_last_month().key, agency=department,
                              raw_values=values, units=units)
    assert code in [d["field"] for d in exc.value.details]
    assert not ReportSubmission.objects.exists()
    assert not IndicatorValue.objects.exists()


def test_report_for_closed_period_or_other_agency_refused(reference, dept_officer, department,
                                                         other_department, city_admin):
    period = _last_month()
    row = actions.report_period_ensure(template=_monthly(), period=period)
    with pytest.raises(IocError) as exc:
        actions.report_submit(user=dept_officer, template=_monthly(), period_key=period.key,
                              agency=other_department,
                              raw_values={"ho_so_cong_viec": 90, "van_ban_ky_so": 99})
    assert exc.value.status == 403
    actions.report_period_close(user=city_admin, period=row)
    with pytest.raises(IocError) as exc:
        actions.report_submit(user=dept_officer, template=_monthly(), period_key=period.key,
                              agency=department,
                              raw_values={"ho_so_cong_viec": 90, "van_ban_ky_so": 99})
    assert exc.value.code == "period_closed" and "đóng" in exc.value.message
    assert not ReportSubmission.objects.exists()


def test_old_period_closes_by_itself(reference, dept_officer, department):
    old = period_parse("2024-01")
    with pytest.raises(IocError) as exc:
        actions.report_submit(user=dept_officer, template=_monthly(), period_key=old.key,
                              agency=department,
                              raw_values={"ho_so_cong_viec": 90, "van_ban_ky_so": 99})
    assert exc.value.code == "period_closed"


def test_report_board_flags_missing_and_late(reference, dept_officer, department):
    period = _last_month()
    row = actions.report_period_ensure(template=_monthly(), period=period)
    actions.report_submit(user=dept_officer, template=_monthly(), period_key=period.key,
                          agency=department, raw_values={"ho_so_cong_viec": 90,
                                                         "van_ban_ky_so": 99},
                          now=row.deadline + timedelta(hours=2))
    board = queries.report_board(now=row.deadline + timedelta(days=1))
    statuses = {r["agency"].pk: r["status"] for b in board if b["period"].pk == row.pk
                for r in b["rows"]}
    assert statuses[department.pk] == "late"
    assert list(statuses.values()).count("missing") == len(statuses) - 1
    punctual = queries.report_punctuality(start=period.start, end=period.end + timedelta(1),
                                          now=row.deadline + timedelta(days=1))
    assert punctual["late"] == 1 and punctual["missing"] == punctual["due"] - 1


def test_deadline_is_in_working_days_local_time(reference):
    row = actions.report_period_ensure(template=_monthly(), period=period_parse("2026-01"))
    local = timezone.localtime(row.deadline, tz())
    # February 2026: the 1st is a Sunday; three working days after the month → Wed 4th, 17:00.
    assert local.date().isoformat() == "2026-02-04"
    assert local.hour == 17


# --- tasks ----------------------------------------------------------------------------------


@pytest.fixture
def task(reference, department):
    plan = Plan.objects.create(year=today().year, name="Kế hoạch thử")
    return PlanTask.objects.create(plan=plan, code="NV01", title="Nhiệm vụ thử",
                                   agency=department, deadline=today() - timedelta(days=1),
                                   budget=Decimal("1000"))


def test_task_update_with_optimistic_locking(task, dept_officer):
    actions.task_update(user=dept_officer, task=task, version=1, progress=50, disbursed="300")
    task.refresh_from_db()
    assert (task.progress, task.disbursed, task.version) == (50, Decimal("300.0"), 2)
    stale = PlanTask.objects.get(pk=task.pk)
    stale.version = 1
    with pytest.raises(IocError) as exc:
        actions.task_update(user=dept_officer, task=stale, version=1, progress=80)
    assert exc.value.status == 409
    task.refresh_from_db()
    assert task.progress == 50
    assert queries.is_overdue(task)
    actions.task_update(user=dept_officer, task=task, version=2, status="done")
    task.refresh_from_db()
    assert task.progress == 100 and task.done_on == today() and not queries.is_overdue(task)


def test_task_bad_input_and_other_agency(task, other_department):
    from civicport.core.models import Role
    from civicport.core.tests.factories import officer

    stranger = officer(agencies_roles=[(other_department, Role.PROCESSOR)])
    with pytest.raises(IocError) as exc:
        actions.task_update(user=stranger, task=task, version=1, progress=90)
    assert exc.value.status == 403
    owner = officer(agencies_roles=[(task.agency, Role.PROCESSOR)])
    with pytest.raises(IocError):
        actions.task_update(user=owner, task=task, version=1, progress=140)
    with pytest.raises(IocError):
        actions.task_update(user=owner, task=task, version=1, disbursed=5000)
    task.refresh_from_db()
    assert (task.progress, task.version) == (0, 1)


def test_value_record_checks_unit_range_and_agency(reference, dept_officer, department,
                                                   other_department, city_admin):
    indicator = Indicator.objects.get(code="KTS-03")
    with pytest.raises(IocError) as exc:
        actions.value_record(user=dept_officer, indicator=indicator, period_key="2025-Q1",
                             raw_value=12, agency=other_department)
    assert exc.value.status == 403
    with pytest.raises(IocError) as exc:
        actions.value_record(user=city_admin, indicator=indicator, period_key="2025-Q1",
                             raw_value=12, unit="tỷ đồng")
    assert exc.value.code == "wrong_unit"
    with pytest.raises(IocError):
        actions.value_record(user=city_admin, indicator=indicator, period_key="2025-Q1",
                             raw_value=-3)
    with pytest.raises(IocError):
        actions.value_record(user=city_admin, indicator=Indicator.objects.get(code="CQS-03"),
                             period_key="2025-01", raw_value=90)
    assert not IndicatorValue.objects.exists()
    row = actions.value_record(user=city_admin, indicator=indicator, period_key="2025-Q1",
                               raw_value="12,5", unit="%")
    assert row.value == 12.5 and row.version == 1
    with pytest.raises(IocError) as exc:
        actions.value_record(user=city_admin, indicator=indicator, period_key="2025-Q1",
                             raw_value=13, version=0)
    assert exc.value.status == 409


def test_plan_rollup(task, department):
    rollup = queries.plan_rollup(year=today().year, today=today())
    assert rollup["total"]["tasks"] == 1 and rollup["total"]["overdue"] == 1
    assert rollup["by_agency"][0]["agency_id"] == department.pk
    _unused = datetime


def test_city_figure_of_a_field_every_agency_reports(reference, department, other_department,
                                                     city_admin):
    period = _last_month()
    row = actions.report_period_ensure(template=_monthly(), period=period)
    for agency, rate in ((department, 90), (other_department, 80)):
        actions.report_submit(user=city_admin, template=_monthly(), period_key=period.key,
                              agency=agency, raw_values={"ho_so_cong_viec": rate,
                                                         "van_ban_ky_so": 99},
                              now=row.deadline - timedelta(hours=1))
    city = IndicatorValue.objects.get(indicator__code="CQS-05", period_key=period.key,
                                      scope="city")
    assert city.value == pytest.approx(85.0)  # a rate: the mean of the agencies


def test_published_2022_table_recomputes_to_the_published_index(reference):
    """Acceptance check 1 of the reference notes: the seeded 2022 rows of dti.gov.vn."""
    rows = {a.province_code: a for a in DtiAssessment.objects.filter(
        year=2022, methodology__code="922-2022", final_index__isnull=False)}
    assert rows[48].final_index == pytest.approx(0.8002, abs=1e-4)  # Đà Nẵng
    assert rows[22].final_index == pytest.approx(0.7024, abs=1e-4)  # Quảng Ninh
    assert rows[46].final_index == pytest.approx(0.6975, abs=1e-4)  # Huế
    assert rows[92].final_index == pytest.approx(0.6924, abs=1e-4)  # Cần Thơ
    assert rows[79].final_index == pytest.approx(0.7164, abs=1e-4)  # HCMC (published 0.7163)
    assert [rows[c].rank for c in (48, 79, 22, 46, 92)] == [1, 2, 3, 4, 5]
    # Hải Phòng's published 14th place (no values collected) is kept as published.
    hp = DtiAssessment.objects.get(year=2022, province_code=31)
    assert hp.published_rank == 14 and hp.final_index is None


def test_only_city_admins_record_dti(reference, dept_officer):
    method = DtiMethodology.objects.get(code="922-2022")
    with pytest.raises(IocError) as exc:
        actions.dti_assessment_record(user=dept_officer, methodology=method, year=2023,
                                      province_code=31, province_name="Hải Phòng",
                                      values=_values([0.5] * 9))
    assert exc.value.status == 403
