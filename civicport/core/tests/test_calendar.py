"""Working-time calendar: holidays of the pinned library, make-up days, due dates, caching.

Expected values are worked out by hand from the official calendars (services.md §5 and §7).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from civicport.core import calendar
from civicport.core.calendar import Holiday
from civicport.core.models import DayOff, MakeupWorkday

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NAIVE = datetime(2026, 3, 4, 10)  # noqa: DTZ001 (the calendar must refuse it)


def hp(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Hải Phòng time."""
    return datetime(year, month, day, hour, minute, tzinfo=HCM)


@pytest.fixture(autouse=True)
def fresh_calendar(db):
    # The calendar caches table rows per process; rolled-back rows must not leak across tests.
    calendar.clear_calendar_cache()
    yield
    calendar.clear_calendar_cache()


@pytest.fixture
def seeded(fresh_calendar):
    calendar.calendar_seed()


# --- the pinned library ------------------------------------------------------------------------


def test_holidays_library_is_the_pinned_version():
    # Older versions give six Tết days and no second National Day (services.md §5).
    assert holidays.__version__ == "0.109"


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        pytest.param(2024, [
            (1, 1), (2, 8), (2, 9), (2, 10), (2, 11), (2, 12), (2, 13), (2, 14), (4, 18),
            (4, 29), (4, 30), (5, 1), (9, 2), (9, 3),
        ], id="2024"),
        pytest.param(2025, [
            (1, 1), (1, 27), (1, 28), (1, 29), (1, 30), (1, 31), (2, 1), (4, 7), (4, 30),
            (5, 1), (5, 2), (9, 1), (9, 2),
        ], id="2025"),
        pytest.param(2026, [
            (1, 1), (2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (4, 26), (4, 27), (4, 30),
            (5, 1), (8, 31), (9, 1), (9, 2), (11, 24),
        ], id="2026"),
    ],
)
def test_non_working_days_of_year(year, expected):
    days = calendar.non_working_days(year)
    assert [h.date for h in days] == [date(year, m, d) for m, d in expected]
    assert {h.kind for h in days} == {"holiday"}


def test_holiday_names_follow_the_active_language():
    with translation.override("vi"):
        vi = {h.date: h.name for h in calendar.non_working_days(2026)}
    with translation.override("en"):
        en = {h.date: h.name for h in calendar.non_working_days(2026)}
    assert vi[date(2026, 2, 17)] == "Tết Nguyên Đán"
    assert en[date(2026, 2, 17)] == "Lunar New Year"
    assert vi[date(2026, 4, 27)] == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert en[date(2026, 4, 27)] == "Hung Kings' Commemoration Day (observed)"
    assert vi[date(2026, 8, 31)] == "Ngày nghỉ (thay cho ngày 22/08/2026)"
    assert en[date(2026, 11, 24)] == "Vietnam Cultural Day"


def test_default_language_is_vietnamese():
    translation.deactivate()  # as outside any request: settings.LANGUAGE_CODE applies
    assert calendar.non_working_days(2026)[0] == Holiday(date(2026, 1, 1), "Tết Dương lịch")


# --- make-up working days ---------------------------------------------------------------------


def test_calendar_seed_is_idempotent():
    assert calendar.calendar_seed() == 4
    assert calendar.calendar_seed() == 0
    assert list(MakeupWorkday.objects.values_list("date", "name")) == [
        (date(2024, 5, 4), "Làm bù cho ngày nghỉ 29/04/2024"),
        (date(2025, 2, 15), "Làm bù cho ngày nghỉ 27/01/2025 (Tết Ất Tỵ)"),
        (date(2025, 4, 26), "Làm bù cho ngày nghỉ 02/05/2025"),
        (date(2026, 8, 22), "Làm bù cho ngày nghỉ 31/08/2026"),
    ]


def test_calendar_seed_restores_an_edited_reason():
    calendar.calendar_seed()
    MakeupWorkday.objects.filter(date=date(2025, 4, 26)).update(name="sai")
    assert calendar.calendar_seed() == 1
    assert MakeupWorkday.objects.get(date=date(2025, 4, 26)).name == (
        "Làm bù cho ngày nghỉ 02/05/2025"
    )
    assert MakeupWorkday.objects.count() == 4


@pytest.mark.parametrize(
    ("workday", "swapped", "_note"), calendar.KNOWN_MAKEUP_WORKDAYS,
    ids=[str(w) for w, _s, _n in calendar.KNOWN_MAKEUP_WORKDAYS],
)
def test_known_makeup_days_pay_back_a_library_day_off(workday, swapped, _note):
    assert workday.weekday() == 5
    assert swapped in {h.date for h in calendar.non_working_days(swapped.year)}


def test_makeup_workdays_of_year(seeded):
    assert calendar.makeup_workdays(2025) == [
        Holiday(date(2025, 2, 15), "Làm bù cho ngày nghỉ 27/01/2025 (Tết Ất Tỵ)", "makeup"),
        Holiday(date(2025, 4, 26), "Làm bù cho ngày nghỉ 02/05/2025", "makeup"),
    ]
    assert calendar.makeup_workdays(2023) == []


@pytest.mark.parametrize(
    ("day", "seed", "expected"),
    [
        pytest.param(date(2026, 3, 9), False, True, id="plain-monday"),
        pytest.param(date(2026, 3, 7), False, False, id="plain-saturday"),
        pytest.param(date(2026, 3, 8), False, False, id="plain-sunday"),
        pytest.param(date(2026, 2, 16), False, False, id="tet-eve-2026"),
        pytest.param(date(2026, 4, 27), False, False, id="hung-kings-observed-2026"),
        pytest.param(date(2026, 11, 24), False, False, id="vietnam-culture-day-2026"),
        pytest.param(date(2025, 5, 2), False, False, id="swapped-day-off-2025"),
        pytest.param(date(2025, 4, 26), False, False, id="makeup-saturday-not-seeded"),
        pytest.param(date(2025, 4, 26), True, True, id="makeup-saturday-seeded"),
        pytest.param(date(2025, 2, 15), True, True, id="tet-2025-makeup-saturday"),
        pytest.param(date(2024, 5, 4), True, True, id="makeup-saturday-2024"),
        pytest.param(date(2026, 8, 22), True, True, id="makeup-saturday-2026"),
        pytest.param(date(2026, 8, 29), True, False, id="ordinary-saturday-2026"),
    ],
)
def test_is_working_day(day, seed, expected):
    if seed:
        calendar.calendar_seed()
    assert calendar.is_working_day(day) is expected


def test_is_working_day_refuses_a_datetime():
    with pytest.raises(TypeError):
        calendar.is_working_day(hp(2026, 3, 9))


def test_makeup_day_wins_over_a_holiday_and_leaves_the_holiday_list():
    MakeupWorkday.objects.create(date=date(2025, 5, 2), name="Đi làm")
    calendar.clear_calendar_cache()
    assert calendar.is_working_day(date(2025, 5, 2))
    assert date(2025, 5, 2) not in {h.date for h in calendar.non_working_days(2025)}


# --- due dates in working days (services.md §7 cases 3-7) -----------------------------------

DAY_CASES = [
    pytest.param(hp(2026, 2, 13), 5, hp(2026, 2, 27), id="case3-tet-2026"),
    pytest.param(hp(2026, 2, 13, 17, 30), 5, hp(2026, 2, 27, 17), id="case3-tet-2026-after-hours"),
    pytest.param(hp(2026, 4, 24), 3, hp(2026, 5, 4), id="case4-hung-kings-observed-30-4-1-5"),
    pytest.param(hp(2025, 4, 25), 2, hp(2025, 4, 28), id="case5-makeup-saturday-counts"),
    pytest.param(hp(2025, 4, 25), 1, hp(2025, 4, 26), id="case5-due-on-makeup-saturday"),
    pytest.param(hp(2026, 8, 28), 2, hp(2026, 9, 4), id="case6-national-day-2026"),
    pytest.param(hp(2026, 8, 21), 1, hp(2026, 8, 22), id="national-day-2026-makeup-saturday"),
    pytest.param(hp(2024, 8, 30), 2, hp(2024, 9, 5), id="national-day-2024-2-3-9"),
    pytest.param(hp(2025, 8, 29), 2, hp(2025, 9, 4), id="national-day-2025-1-2-9"),
    pytest.param(hp(2025, 1, 24), 5, hp(2025, 2, 7), id="tet-2025-27-1-to-1-2"),
    pytest.param(hp(2025, 2, 14), 1, hp(2025, 2, 15), id="tet-2025-makeup-saturday-15-2"),
    pytest.param(hp(2025, 2, 14), 2, hp(2025, 2, 17), id="tet-2025-after-makeup-saturday"),
    pytest.param(hp(2024, 4, 26), 3, hp(2024, 5, 4), id="swap-2024-makeup-saturday-4-5"),
    pytest.param(hp(2025, 12, 31), 1, hp(2026, 1, 2), id="new-year-2026"),
    pytest.param(hp(2026, 11, 23), 1, hp(2026, 11, 25), id="vietnam-culture-day-2026"),
    pytest.param(hp(2026, 3, 8, 15), 1, hp(2026, 3, 9, 17), id="received-on-sunday"),
    pytest.param(hp(2026, 4, 30, 9), 1, hp(2026, 5, 4, 17), id="received-on-holiday"),
    pytest.param(hp(2026, 3, 9, 6, 15), 1, hp(2026, 3, 9, 17), id="received-before-hours"),
    pytest.param(hp(2026, 3, 9, 12), 1, hp(2026, 3, 10, 11, 30), id="received-at-lunch"),
    pytest.param(hp(2026, 3, 13, 17, 30), 1, hp(2026, 3, 16, 17), id="friday-after-hours"),
    pytest.param(hp(2026, 3, 9, 10), 0, hp(2026, 3, 9, 10), id="zero-days"),
]


@pytest.mark.parametrize(("start", "days", "expected"), DAY_CASES)
def test_add_working_days(seeded, start, days, expected):
    due = calendar.add_working_days(start, days)
    assert due == expected
    assert due.tzinfo == HCM


def test_makeup_saturday_only_counts_once_seeded():
    # Case 5 pinned the other way: without the make-up list Sat 26/4 is off and 30/4-2/5 too.
    assert calendar.add_working_days(hp(2025, 4, 25), 2) == hp(2025, 4, 29)


def test_admin_day_off_shifts_the_due_date():
    assert calendar.add_working_days(hp(2026, 3, 9), 1) == hp(2026, 3, 10)
    DayOff.objects.create(date=date(2026, 3, 10), name="Nghỉ đột xuất")
    calendar.clear_calendar_cache()
    assert calendar.add_working_days(hp(2026, 3, 9), 1) == hp(2026, 3, 11)
    assert Holiday(date(2026, 3, 10), "Nghỉ đột xuất", "day_off") in calendar.non_working_days(
        2026
    )


def test_other_processes_see_table_changes_after_the_ttl(monkeypatch):
    assert calendar.add_working_days(hp(2026, 3, 9), 1) == hp(2026, 3, 10)
    DayOff.objects.create(date=date(2026, 3, 10), name="Nghỉ đột xuất")
    # Not cleared: this process still trusts its copy until it expires.
    assert calendar.add_working_days(hp(2026, 3, 9), 1) == hp(2026, 3, 10)
    monkeypatch.setattr(calendar, "OVERRIDES_TTL_SECONDS", -1)
    assert calendar.add_working_days(hp(2026, 3, 9), 1) == hp(2026, 3, 11)


def test_day_off_on_a_library_holiday_is_listed_once():
    DayOff.objects.create(date=date(2026, 9, 2), name="Trùng")
    DayOff.objects.create(date=date(2027, 1, 4), name="Năm sau")
    calendar.clear_calendar_cache()
    days = [h for h in calendar.non_working_days(2026) if h.date == date(2026, 9, 2)]
    assert [h.kind for h in days] == ["holiday"]
    assert date(2027, 1, 4) not in {h.date for h in calendar.non_working_days(2026)}


def test_due_dates_are_cached_not_queried_each_time(django_assert_num_queries):
    with django_assert_num_queries(2):
        for offset in range(200):
            calendar.add_working_days(hp(2025, 1, 1) + timedelta(days=offset), 10)


# --- due dates in working hours ---------------------------------------------------------------

HOUR_CASES = [
    pytest.param(hp(2026, 3, 4, 10), 4, hp(2026, 3, 4, 16), id="case7-4h-from-10-00"),
    pytest.param(hp(2026, 3, 4, 17, 30), 1, hp(2026, 3, 5, 8), id="case7-after-hours"),
    pytest.param(hp(2026, 3, 4, 17), 1, hp(2026, 3, 5, 8), id="at-17-00-exactly"),
    pytest.param(hp(2026, 3, 4, 12), 1, hp(2026, 3, 4, 14, 30), id="during-lunch"),
    pytest.param(hp(2026, 3, 4, 11, 30), 1, hp(2026, 3, 4, 14, 30), id="at-11-30-exactly"),
    pytest.param(hp(2026, 3, 4, 6), 1, hp(2026, 3, 4, 8), id="before-hours"),
    pytest.param(hp(2026, 3, 4, 9), 2.5, hp(2026, 3, 4, 11, 30), id="ends-at-lunch"),
    pytest.param(hp(2026, 3, 4, 13, 30), 3.5, hp(2026, 3, 4, 17), id="ends-at-17-00"),
    pytest.param(hp(2026, 3, 4, 7), 8, hp(2026, 3, 4, 17), id="full-day-ends-same-day"),
    pytest.param(hp(2026, 3, 6, 16), 2, hp(2026, 3, 9, 8), id="over-the-weekend"),
    pytest.param(hp(2026, 3, 4, 10), Decimal("0.25"), hp(2026, 3, 4, 10, 15), id="decimal"),
    pytest.param(hp(2026, 3, 4, 11), 1.5, hp(2026, 3, 4, 14, 30), id="float-across-lunch"),
    pytest.param(hp(2026, 3, 9, 7), 40, hp(2026, 3, 13, 17), id="one-week"),
    pytest.param(hp(2026, 3, 4, 10), 0, hp(2026, 3, 4, 10), id="zero-in-session"),
    pytest.param(hp(2026, 3, 4, 17, 30), 0, hp(2026, 3, 5, 7), id="zero-after-hours"),
    pytest.param(hp(2026, 3, 4, 17), 0, hp(2026, 3, 5, 7), id="zero-at-closing-time"),
    pytest.param(hp(2026, 2, 13, 16), 2, hp(2026, 2, 23, 8), id="over-tet-2026"),
]


@pytest.mark.parametrize(("start", "hours", "expected"), HOUR_CASES)
def test_add_working_hours(start, hours, expected):
    assert calendar.add_working_hours(start, hours) == expected


# --- time zones and bad input -------------------------------------------------------------------


def test_utc_input_is_converted_to_local_time():
    due = calendar.add_working_hours(datetime(2026, 3, 4, 3, tzinfo=UTC), 4)
    assert due.isoformat() == "2026-03-04T16:00:00+07:00"
    assert due.tzinfo == HCM


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # 20:00 UTC on Tuesday is 03:00 on Wednesday in Hải Phòng: before office hours.
        pytest.param(datetime(2026, 3, 3, 20, tzinfo=UTC), 1, hp(2026, 3, 4, 17), id="utc-night"),
        # 10:30 UTC is 17:30 local: after hours, clock starts after Tết.
        pytest.param(datetime(2026, 2, 13, 10, 30, tzinfo=UTC), 5, hp(2026, 2, 27, 17),
                     id="utc-after-hours-tet"),
        pytest.param(datetime(2026, 3, 4, 4, tzinfo=ZoneInfo("Europe/Paris")), 1,
                     hp(2026, 3, 5, 10), id="paris"),
    ],
)
def test_aware_input_in_any_zone(start, days, expected):
    assert calendar.add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(lambda: calendar.add_working_days(NAIVE, 1), ValueError, id="naive-days"),
        pytest.param(lambda: calendar.add_working_hours(NAIVE, 1), ValueError, id="naive-hours"),
        pytest.param(lambda: calendar.working_time_between(NAIVE, hp(2026, 3, 5)), ValueError,
                     id="naive-between"),
        pytest.param(lambda: calendar.add_working_days(hp(2026, 3, 4), -1), ValueError,
                     id="negative-days"),
        pytest.param(lambda: calendar.add_working_hours(hp(2026, 3, 4), -0.5), ValueError,
                     id="negative-hours"),
        pytest.param(lambda: calendar.add_working_days(hp(2026, 3, 4), 3651), ValueError,
                     id="too-many-days"),
        pytest.param(lambda: calendar.add_working_hours(hp(2026, 3, 4), 29200.5), ValueError,
                     id="too-many-hours"),
        pytest.param(lambda: calendar.add_working_hours(hp(2026, 3, 4), float("nan")),
                     ValueError, id="nan-hours"),
        pytest.param(lambda: calendar.add_working_hours(hp(2026, 3, 4), Decimal("Infinity")),
                     ValueError, id="infinite-hours"),
        pytest.param(lambda: calendar.add_working_days(hp(2026, 3, 4), 1.5), TypeError,
                     id="fractional-days"),
        pytest.param(lambda: calendar.add_working_days(hp(2026, 3, 4), True), TypeError,
                     id="bool-days"),
        pytest.param(lambda: calendar.add_working_hours(hp(2026, 3, 4), "4"), TypeError,
                     id="string-hours"),
        pytest.param(lambda: calendar.add_working_days(date(2026, 3, 4), 1), TypeError,
                     id="date-not-datetime"),
    ],
)
def test_bad_input_is_rejected(call, error):
    with pytest.raises(error):
        call()


def test_longest_accepted_duration_round_trips():
    start = hp(2026, 1, 5, 7)
    due = calendar.add_working_days(start, calendar.MAX_WORKING_DAYS)
    assert due.year == 2040
    assert calendar.working_time_between(start, due) == timedelta(hours=8 * 3650)


# --- elapsed working time -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(hp(2026, 3, 4, 11), hp(2026, 3, 4, 14), timedelta(hours=1), id="lunch"),
        pytest.param(hp(2026, 3, 6, 16), hp(2026, 3, 9, 8), timedelta(hours=2), id="weekend"),
        pytest.param(hp(2026, 3, 9, 0), hp(2026, 3, 14, 0), timedelta(hours=40), id="week"),
        pytest.param(hp(2026, 3, 4, 17, 30), hp(2026, 3, 5, 6), timedelta(0), id="night"),
        pytest.param(hp(2026, 2, 13, 17), hp(2026, 2, 23, 7), timedelta(0), id="tet-2026"),
        pytest.param(hp(2025, 4, 25, 17), hp(2025, 4, 28, 7), timedelta(hours=8),
                     id="makeup-saturday-2025"),
        pytest.param(hp(2026, 3, 5), hp(2026, 3, 4), timedelta(0), id="reversed"),
        pytest.param(hp(2026, 3, 5), hp(2026, 3, 5), timedelta(0), id="equal"),
        pytest.param(datetime(2026, 3, 4, 1, tzinfo=UTC), hp(2026, 3, 4, 13, 45),
                     timedelta(hours=3, minutes=45), id="utc-start"),
    ],
)
def test_working_time_between(seeded, a, b, expected):
    assert calendar.working_time_between(a, b) == expected


def test_working_days_between_is_fractional():
    assert calendar.working_days_between(hp(2026, 3, 9, 0), hp(2026, 3, 14, 0)) == 5.0
    assert calendar.working_days_between(hp(2026, 3, 9, 7), hp(2026, 3, 9, 11)) == 0.5


@pytest.mark.parametrize("hours", [0.5, 3, 8, 17.25, 100, 1000])
@pytest.mark.parametrize(
    "start",
    [hp(2026, 2, 13, 15), hp(2025, 4, 25, 12, 10), hp(2026, 8, 28, 18), hp(2024, 8, 31, 9)],
    ids=["before-tet-2026", "lunch-before-makeup", "evening-before-2-9", "saturday"],
)
def test_adding_then_measuring_gives_back_the_hours(seeded, start, hours):
    due = calendar.add_working_hours(start, hours)
    assert calendar.working_time_between(start, due) == timedelta(hours=hours)


# --- next holiday -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(date(2026, 1, 2), Holiday(date(2026, 2, 16), "Lunar New Year's Eve"),
                     id="tet"),
        pytest.param(date(2026, 4, 26), Holiday(
            date(2026, 4, 27), "Hung Kings' Commemoration Day (observed)"), id="skips-sunday"),
        pytest.param(date(2026, 4, 30), Holiday(
            date(2026, 4, 30), "Liberation Day/Reunification Day"), id="today-included"),
        pytest.param(date(2026, 11, 25), Holiday(date(2027, 1, 1), "New Year's Day"),
                     id="next-year"),
    ],
)
def test_next_holiday(today, expected):
    with translation.override("en"):
        assert calendar.next_holiday(today) == expected


def test_next_holiday_includes_admin_days_off():
    DayOff.objects.create(date=date(2026, 1, 5), name="Nghỉ bù bầu cử")
    calendar.clear_calendar_cache()
    assert calendar.next_holiday(date(2026, 1, 2)) == Holiday(
        date(2026, 1, 5), "Nghỉ bù bầu cử", "day_off"
    )


# --- office hours -------------------------------------------------------------------------------


def test_custom_office_hours_change_the_result(settings):
    assert calendar.add_working_hours(hp(2026, 3, 4, 10), 4) == hp(2026, 3, 4, 16)
    settings.CIVICPORT_OFFICE_HOURS = "08:00-12:00, 13:00-17:00"
    assert calendar.add_working_hours(hp(2026, 3, 4, 10), 4) == hp(2026, 3, 4, 15)
    assert calendar.add_working_days(hp(2026, 3, 4, 7, 30), 1) == hp(2026, 3, 4, 17)


def test_single_session_makes_a_longer_day(settings):
    settings.CIVICPORT_OFFICE_HOURS = "07:30-16:30"
    assert calendar.working_day_length() == timedelta(hours=9)
    assert calendar.add_working_days(hp(2026, 3, 4, 12), 1) == hp(2026, 3, 5, 12)
    assert calendar.add_working_hours(hp(2026, 3, 4, 16), 1) == hp(2026, 3, 5, 8)


@pytest.mark.parametrize(
    "value",
    [
        "", "   ", "7-11", "07:00", "11:30-07:00", "07:00-07:00", "07:00-11:30,11:00-17:00",
        "13:30-17:00,07:00-11:30", "25:00-26:00", "07:00-11:60", "07:00-11:30;13:30-17:00",
        "07:00-11:30,",
    ],
)
def test_malformed_office_hours_raise(settings, value):
    settings.CIVICPORT_OFFICE_HOURS = value
    with pytest.raises(ImproperlyConfigured, match="CIVICPORT_OFFICE_HOURS"):
        calendar.add_working_hours(hp(2026, 3, 4, 10), 1)
