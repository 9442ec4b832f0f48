"""The statistics contract the IOC and the datahub code against."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from civicport.feedback import queries
from civicport.feedback.models import Report, Status, local_month
from civicport.feedback.tests import factories

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def _set(report, **fields):
    if "created_at" in fields:  # as if received then
        fields["received_month"] = local_month(fields["created_at"])
    Report.objects.filter(pk=report.pk).update(**fields)


def _at(y, m, d, h=9):
    return datetime.datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def month_of_reports():
    """Five reports in March 2026 and one on 1 April 00:30 local (31 March UTC)."""
    a = factories.report()  # street light → Sở Xây dựng
    b = factories.report()
    c = factories.report(category="rac-thai", description="Rác thải không được thu gom.")
    d = factories.report(category="rac-thai", description="Bãi rác tự phát ven đường.")
    e = factories.report(category="an-ninh", description="Thanh niên đua xe ban đêm.")
    f = factories.report()
    deadline = _at(2026, 3, 10)
    _set(a, created_at=_at(2026, 3, 2), deadline=deadline, answered_at=_at(2026, 3, 5),
         answered_on_time=True, hours_to_answer=72.0, rating=5, status=Status.CLOSED)
    _set(b, created_at=_at(2026, 3, 3), deadline=deadline, answered_at=_at(2026, 3, 12),
         answered_on_time=False, hours_to_answer=216.0, rating=2, status=Status.CLOSED)
    _set(c, created_at=_at(2026, 3, 4), deadline=deadline, answered_at=_at(2026, 3, 6),
         answered_on_time=True, hours_to_answer=48.0, status=Status.ANSWERED)
    _set(d, created_at=_at(2026, 3, 31, 23), deadline=_at(2026, 4, 3))  # open, overdue now
    _set(e, created_at=_at(2026, 3, 15), deadline=timezone.now() + datetime.timedelta(days=3))
    _set(f, created_at=_at(2026, 4, 1, 0), deadline=_at(2026, 4, 5))  # outside [start, end]
    return a, b, c, d, e, f


def test_summary_counts_rates_and_breakdowns(month_of_reports):
    a, _b, c, d, e, f = month_of_reports
    s = queries.feedback_summary(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    assert s["total"] == 5
    assert s["answered"] == 3
    assert s["answered_on_time"] == 2
    assert s["on_time_rate"] == pytest.approx(2 / 3)
    assert s["mean_hours_to_answer"] == pytest.approx((72 + 216 + 48) / 3)
    assert s["satisfaction"] == pytest.approx(3.5)
    assert s["satisfaction_rate"] == pytest.approx(0.5)
    assert s["overdue_open"] == 2  # d and f (f is outside the range but overdue counts "now")
    by_agency = {r["agency_id"]: r for r in s["by_agency"]}
    assert by_agency[a.agency_id]["total"] == 2
    assert by_agency[a.agency_id]["on_time_rate"] == pytest.approx(0.5)
    assert by_agency[a.agency_id]["satisfaction"] == pytest.approx(3.5)
    assert by_agency[a.agency_id]["agency_name"] == "Sở Xây dựng thành phố Hải Phòng"
    assert by_agency[e.agency_id]["on_time_rate"] is None
    ward_row = s["by_ward"][0]
    assert ward_row["ward_name"].endswith("Lê Chân") and ward_row["total"] == 5
    assert s["by_month"] == [{"month": "2026-03", "total": 5, "answered": 3,
                              "on_time_rate": pytest.approx(2 / 3)}]
    assert c.agency.kind == "commune"  # garbage goes to the ward's committee


def test_summary_for_some_agencies_and_empty_period(month_of_reports):
    a = month_of_reports[0]
    s = queries.feedback_summary(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 4, 30),
                                 agency_ids=[a.agency_id])
    assert s["total"] == 3 and [m["month"] for m in s["by_month"]] == ["2026-03", "2026-04"]
    assert {r["agency_id"] for r in s["by_agency"]} == {a.agency_id}
    empty = queries.feedback_summary(start=datetime.date(2020, 1, 1),
                                     end=datetime.date(2020, 1, 31))
    assert empty["total"] == 0 and empty["on_time_rate"] is None
    assert empty["satisfaction"] is None and empty["mean_hours_to_answer"] is None
    assert empty["by_agency"] == [] and empty["by_month"] == []


def test_summary_runs_a_fixed_number_of_queries(month_of_reports, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        queries.feedback_summary(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31))


def test_monthly_statistics_rows(month_of_reports):
    rows = queries.monthly_statistics_rows(year=2026)
    march = [r for r in rows if r["month"] == "2026-03"]
    building = next(r for r in march if r["agency_code"] == "000.00.04.H31")
    assert building == {
        "month": "2026-03", "agency_code": "000.00.04.H31",
        "agency_name": "Sở Xây dựng thành phố Hải Phòng", "received": 2, "answered": 2,
        "answered_on_time": 1, "on_time_rate": 0.5, "ratings": 2, "satisfaction": 3.5,
    }
    assert sum(r["received"] for r in rows) == 6
    assert queries.monthly_statistics_rows(year=2019) == []
