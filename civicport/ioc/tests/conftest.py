"""Fixtures of the IOC tests: reference data, agencies, the contract functions of the
feedback and datahub modules replaced by fakes (until or besides the real ones)."""

import pytest

from civicport.core.models import Role
from civicport.core.tests.factories import agency, officer


@pytest.fixture
def reference(db):
    from civicport.core.seeding import reference as core_reference
    from civicport.ioc.seeding import reference as ioc_reference

    core_reference()
    ioc_reference()


@pytest.fixture
def department(db):
    from civicport.core.models import Agency

    return Agency.objects.get(code="000.00.01.H31")


@pytest.fixture
def other_department(db):
    from civicport.core.models import Agency

    return Agency.objects.get(code="000.00.03.H31")


@pytest.fixture
def dept_officer(reference, department):
    return officer(agencies_roles=[(department, Role.PROCESSOR)])


@pytest.fixture
def ioc_viewer(db):
    return officer(agencies_roles=[], is_ioc_viewer=True)


@pytest.fixture
def city_admin(db):
    return officer(agencies_roles=[], is_city_admin=True)


@pytest.fixture
def lone_agency(db):
    return agency()


FEEDBACK = {
    "total": 200, "answered": 180, "answered_on_time": 171, "on_time_rate": 0.95,
    "mean_hours_to_answer": 30.0, "satisfaction": 4.4, "satisfaction_rate": 0.9,
    "overdue_open": 7,
    "by_agency": [], "by_ward": [], "by_month": [],
}


@pytest.fixture
def fake_contracts(monkeypatch, department):
    """feedback_summary and publishing_summary as the contracts describe them."""
    from civicport.datahub import queries as datahub_queries
    from civicport.feedback import queries as feedback_queries

    calls = []

    def feedback_summary(*, start, end, agency_ids=None):
        calls.append((start, end))
        return {
            **FEEDBACK,
            "by_agency": [{"agency_id": department.pk, "agency_name": department.name,
                           "total": 40, "answered": 38, "on_time_rate": 0.8,
                           "satisfaction": 4.0}],
            "by_ward": [{"ward_code": 11311, "ward_name": "Hồng Bàng", "total": 12,
                         "on_time_rate": 0.75}],
            "by_month": [{"month": f"{start:%Y}-01", "total": 20, "answered": 19,
                          "on_time_rate": 0.9}],
        }

    def publishing_summary():
        return {"datasets_total": 120, "datasets_open": 61, "departments_total": 15,
                "departments_publishing": 9, "as_of": None}

    monkeypatch.setattr(feedback_queries, "feedback_summary", feedback_summary, raising=False)
    monkeypatch.setattr(datahub_queries, "publishing_summary", publishing_summary,
                        raising=False)
    return calls
