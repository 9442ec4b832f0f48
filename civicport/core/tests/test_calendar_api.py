"""Calendar API: the contract other systems rely on, via a throwaway API and the real URL."""

from datetime import date
from urllib.parse import urlencode

import pytest
from django.urls import resolve
from django.utils import translation

from civicport.core import calendar
from civicport.core.api_calendar import router
from civicport.core.models import DayOff
from civicport.core.tests.factories import router_client
from civicport.core.tests.test_calendar import fresh_calendar  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db

DUE_URL = "/api/v1/calendar/due"
HOLIDAYS_URL = "/api/v1/calendar/holidays"


@pytest.fixture(scope="module")
def api_client():
    return router_client("/calendar/", router)


@pytest.fixture
def mounted():
    # The contract's URL must exist in the real URLconf, not only in the throwaway API.
    assert resolve(DUE_URL)


def get(api_client, path: str, **query):
    return api_client.get(f"{path}?{urlencode(query)}")


# --- /due -------------------------------------------------------------------------------------

DUE_CASES = [
    pytest.param(
        {"start": "2026-02-13T10:00:00+07:00", "working_days": 5},
        {"start": "2026-02-13T10:00:00+07:00", "due": "2026-02-27T10:00:00+07:00",
         "working_days": 5, "working_hours": None},
        id="tet-2026",
    ),
    pytest.param(
        {"start": "2026-02-13T17:30:00", "working_days": 5},
        {"start": "2026-02-13T17:30:00+07:00", "due": "2026-02-27T17:00:00+07:00",
         "working_days": 5, "working_hours": None},
        id="no-offset-is-local-after-hours",
    ),
    pytest.param(
        {"start": "2026-04-24T10:00:00+07:00", "working_days": 3},
        {"start": "2026-04-24T10:00:00+07:00", "due": "2026-05-04T10:00:00+07:00",
         "working_days": 3, "working_hours": None},
        id="hung-kings-observed-2026",
    ),
    pytest.param(
        {"start": "2026-03-04T03:00:00Z", "working_hours": 4},
        {"start": "2026-03-04T10:00:00+07:00", "due": "2026-03-04T16:00:00+07:00",
         "working_days": None, "working_hours": 4.0},
        id="utc-4-hours",
    ),
    pytest.param(
        {"start": "2026-03-04T04:00:00+01:00", "working_hours": "1.5"},
        {"start": "2026-03-04T10:00:00+07:00", "due": "2026-03-04T11:30:00+07:00",
         "working_days": None, "working_hours": 1.5},
        id="decimal-hours-other-offset-ends-at-lunch",
    ),
    pytest.param(
        {"start": "2026-03-04T10:00:00 07:00", "working_hours": 4},
        {"start": "2026-03-04T10:00:00+07:00", "due": "2026-03-04T16:00:00+07:00",
         "working_days": None, "working_hours": 4.0},
        id="plus-sent-unencoded-arrives-as-space",
    ),
    pytest.param(
        {"start": "2026-03-08", "working_days": 1},
        {"start": "2026-03-08T00:00:00+07:00", "due": "2026-03-09T17:00:00+07:00",
         "working_days": 1, "working_hours": None},
        id="date-only-on-sunday",
    ),
    pytest.param(
        {"start": "2026-03-04T10:00:00+07:00", "working_days": 0},
        {"start": "2026-03-04T10:00:00+07:00", "due": "2026-03-04T10:00:00+07:00",
         "working_days": 0, "working_hours": None},
        id="zero-days",
    ),
]


@pytest.mark.parametrize(("query", "expected"), DUE_CASES)
def test_due(api_client, query, expected):
    response = get(api_client, "/calendar/due", **query)
    assert response.status_code == 200, response.json()
    assert response.json() == expected


def test_due_counts_makeup_saturday_and_admin_days_off(api_client):
    query = {"start": "2025-04-25T10:00:00+07:00", "working_days": 2}
    assert get(api_client, "/calendar/due", **query).json()["due"] == "2025-04-29T10:00:00+07:00"
    calendar.calendar_seed()
    assert get(api_client, "/calendar/due", **query).json()["due"] == "2025-04-28T10:00:00+07:00"
    DayOff.objects.create(date=date(2025, 4, 28), name="Nghỉ đột xuất")
    calendar.clear_calendar_cache()
    assert get(api_client, "/calendar/due", **query).json()["due"] == "2025-04-29T10:00:00+07:00"


ERROR_CASES = [
    pytest.param({"start": "2026-03-04T10:00"}, "invalid_duration", id="neither"),
    pytest.param({"start": "2026-03-04T10:00", "working_days": 1, "working_hours": 2},
                 "invalid_duration", id="both"),
    pytest.param({"start": "2026-03-04T10:00", "working_hours": "nan"}, "invalid_duration",
                 id="nan-hours"),
    pytest.param({"start": "2026-03-04T10:00", "working_days": -1}, "negative_duration",
                 id="negative-days"),
    pytest.param({"start": "2026-03-04T10:00", "working_hours": -0.5}, "negative_duration",
                 id="negative-hours"),
    pytest.param({"start": "2026-03-04T10:00", "working_days": 3651}, "duration_too_large",
                 id="too-many-days"),
    pytest.param({"start": "2026-03-04T10:00", "working_hours": 29200.5}, "duration_too_large",
                 id="too-many-hours"),
    pytest.param({"start": "13/02/2026", "working_days": 1}, "invalid_start", id="dmy-start"),
    pytest.param({"start": "2026-02-30T10:00", "working_days": 1}, "invalid_start",
                 id="impossible-date"),
    pytest.param({"start": "", "working_days": 1}, "invalid_start", id="empty-start"),
    pytest.param({"start": "1999-12-31T10:00", "working_days": 1}, "year_out_of_range",
                 id="start-before-2000"),
    pytest.param({"working_days": 1}, "invalid", id="missing-start"),
    pytest.param({"start": "2026-03-04T10:00", "working_days": "2.5"}, "invalid",
                 id="fractional-days"),
]


@pytest.mark.parametrize(("query", "code"), ERROR_CASES)
def test_due_errors(api_client, query, code):
    response = get(api_client, "/calendar/due", **query)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param({"start": "2026-03-04T10:00"},
                     "Give exactly one of working_days or working_hours.", id="neither"),
        pytest.param({"start": "2026-03-04T10:00", "working_days": 9999},
                     "At most 3650 working days (29200 working hours) can be added.",
                     id="too-large"),
        pytest.param({"start": "x", "working_days": 1},
                     "start must be an ISO 8601 date and time, e.g. 2026-02-13T10:00:00+07:00.",
                     id="bad-start"),
    ],
)
def test_due_error_messages_in_english(api_client, query, message):
    with translation.override("en"):
        response = get(api_client, "/calendar/due", **query)
    assert response.json()["error"]["message"] == message


# --- /holidays ----------------------------------------------------------------------------------


def test_holidays_of_year(api_client):
    calendar.calendar_seed()
    with translation.override("en"):
        body = get(api_client, "/calendar/holidays", year=2026).json()
    assert body == {
        "year": 2026,
        "non_working_days": [
            {"date": "2026-01-01", "name": "New Year's Day"},
            {"date": "2026-02-16", "name": "Lunar New Year's Eve"},
            {"date": "2026-02-17", "name": "Lunar New Year"},
            {"date": "2026-02-18", "name": "Second Day of Lunar New Year"},
            {"date": "2026-02-19", "name": "Third Day of Lunar New Year"},
            {"date": "2026-02-20", "name": "Fourth Day of Lunar New Year"},
            {"date": "2026-04-26", "name": "Hung Kings' Commemoration Day"},
            {"date": "2026-04-27", "name": "Hung Kings' Commemoration Day (observed)"},
            {"date": "2026-04-30", "name": "Liberation Day/Reunification Day"},
            {"date": "2026-05-01", "name": "International Labor Day"},
            {"date": "2026-08-31", "name": "Day off (substituted from 08/22/2026)"},
            {"date": "2026-09-01", "name": "National Day"},
            {"date": "2026-09-02", "name": "National Day"},
            {"date": "2026-11-24", "name": "Vietnam Cultural Day"},
        ],
        "makeup_working_days": [
            {"date": "2026-08-22", "name": "Làm bù cho ngày nghỉ 31/08/2026"},
        ],
    }


def test_holidays_in_vietnamese_with_admin_day_off(api_client):
    DayOff.objects.create(date=date(2025, 12, 31), name="Nghỉ cuối năm")
    calendar.clear_calendar_cache()
    with translation.override("vi"):
        body = get(api_client, "/calendar/holidays", year=2025).json()
    days = {d["date"]: d["name"] for d in body["non_working_days"]}
    assert days["2025-01-29"] == "Tết Nguyên Đán"
    assert days["2025-05-02"] == "Ngày nghỉ (thay cho ngày 26/04/2025)"
    assert days["2025-12-31"] == "Nghỉ cuối năm"
    assert len(days) == 14
    assert body["makeup_working_days"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param({"year": 1999}, "year_out_of_range", id="1999"),
        pytest.param({"year": 2101}, "year_out_of_range", id="2101"),
        pytest.param({"year": "abc"}, "invalid", id="not-a-number"),
        pytest.param({}, "invalid", id="missing"),
    ],
)
def test_holidays_errors(api_client, query, code):
    response = get(api_client, "/calendar/holidays", **query)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


# --- the real URL, once mounted ----------------------------------------------------------------


def test_real_due_url(mounted, client):
    # A "+" typed straight into the URL decodes to a space; the API still reads the offset.
    response = client.get(f"{DUE_URL}?start=2026-08-28T10:00:00+07:00&working_days=2")
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-08-28T10:00:00+07:00", "due": "2026-09-04T10:00:00+07:00",
        "working_days": 2, "working_hours": None,
    }


def test_real_due_url_error_in_request_language(mounted, client):
    response = client.get(DUE_URL, {"start": "2026-03-04T10:00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid_duration",
        "message": "Give exactly one of working_days or working_hours.",
        "details": [],
    }


@pytest.mark.parametrize(
    ("language", "name"),
    [("vi", "Tết Nguyên Đán"), ("en", "Lunar New Year")],
)
def test_real_holidays_url_follows_accept_language(mounted, client, language, name):
    response = client.get(HOLIDAYS_URL, {"year": 2026}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert {"date": "2026-02-17", "name": name} in response.json()["non_working_days"]
