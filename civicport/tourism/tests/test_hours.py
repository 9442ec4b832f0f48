"""Opening hours: parsing, errors with positions, Vietnamese rendering, "open at" on ordinary
days, on Tết and other public holidays, and past midnight."""

from datetime import datetime

import pytest

from civicport.tourism import hours
from civicport.tourism.hours import HoursError, is_open_at, parse

HP = hours.TIMEZONE


def at(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=HP)


# 17 Feb 2026 is the first day of Tết Bính Ngọ (a Tuesday); 10 Feb 2026 an ordinary Tuesday.
TET = (2026, 2, 17)
ORDINARY = (2026, 2, 10)


@pytest.mark.parametrize("text, position", [
    ("Mo-Fr 25:00-22:00", 6),
    ("Mo-Fr 08:00-", 12),
    ("Mo-Xy 08:00-09:00", 3),
    ("Mo-Fr 08:00-12:00 13:00-17:00", 18),
    ("Mo-Fr 08:61-12:00", 6),
    ("Mo-Fr 08:00-12:00; ; Sa 08:00-10:00", 19),
    ("Mo-Fr 08:00~12:00", 11),
    ("SH off", 0),
    ("", 0),
])
def test_errors_point_at_the_position(text, position):
    with pytest.raises(HoursError) as err:
        parse(text)
    assert err.value.position == position
    assert f"ký tự thứ {position + 1}" in str(err.value)


def test_vietnamese_rendering(db):
    assert hours.describe("Mo-Fr 06:00-22:00; PH off") == (
        "Thứ Hai–Thứ Sáu 06:00–22:00; nghỉ ngày lễ")
    assert hours.describe("24/7") == "Mở cửa cả ngày, mọi ngày"
    assert hours.describe("Mo-Su 17:00-02:00") == "Hằng ngày 17:00–02:00"
    assert hours.describe("Sa,Su 07:00-11:00,16:00-22:00") == (
        "Thứ Bảy, Chủ Nhật 07:00–11:00, 16:00–22:00")


def test_ph_off_venue_is_closed_on_tet_and_open_on_an_ordinary_day(db):
    schedule = parse("Mo-Su 06:00-22:00; PH off")
    assert is_open_at(schedule, at(*ORDINARY, 12)) is True
    assert is_open_at(schedule, at(*TET, 12)) is False
    assert is_open_at(schedule, at(2026, 9, 2, 12)) is False  # National Day
    assert is_open_at(schedule, at(*ORDINARY, 23)) is False


def test_venue_without_ph_rule_opens_on_tet(db):
    assert is_open_at(parse("Mo-Su 06:00-22:00"), at(*TET, 12)) is True


def test_ph_hours_replace_the_weekday_hours_on_holidays(db):
    schedule = parse("Mo-Su 10:00-14:00,17:00-22:00; PH 10:00-22:00")
    assert is_open_at(schedule, at(*ORDINARY, 15)) is False
    assert is_open_at(schedule, at(*TET, 15)) is True


def test_past_midnight(db):
    schedule = parse("Mo-Su 17:00-02:00; PH off")
    assert is_open_at(schedule, at(*ORDINARY, 23, 30)) is True
    assert is_open_at(schedule, at(2026, 2, 11, 1, 30)) is True  # Wednesday morning
    assert is_open_at(schedule, at(2026, 2, 11, 2, 0)) is False
    # 15 Feb was ordinary: its night runs on into the morning of Tết's eve (16 Feb, a public
    # holiday), then the venue stays closed through Tết, nights included.
    assert is_open_at(schedule, at(2026, 2, 16, 1)) is True
    assert is_open_at(schedule, at(2026, 2, 16, 18)) is False
    assert is_open_at(schedule, at(*TET, 1)) is False
    friday = parse("Fr 20:00-03:00")
    assert is_open_at(friday, at(2026, 2, 14, 2)) is True  # Saturday 02:00
    assert is_open_at(friday, at(2026, 2, 15, 2)) is False


def test_rule_order_and_additional_rules(db):
    schedule = parse("Mo-Su 08:00-22:00; We off, We 18:00-20:00")
    wednesday = (2026, 2, 11)
    assert is_open_at(schedule, at(*wednesday, 10)) is False
    assert is_open_at(schedule, at(*wednesday, 19)) is True
    wrap = parse("Fr-Mo 10:00-14:00")
    assert sorted(wrap.rules[0].weekdays) == [0, 4, 5, 6]


def test_seasonal_rules(db):
    schedule = parse("May-Sep Mo-Su 09:00-23:00; Oct-Apr Mo-Su 10:00-21:00")
    assert schedule.seasonal
    assert is_open_at(schedule, at(2026, 7, 1, 22)) is True
    assert is_open_at(schedule, at(2026, 12, 1, 22)) is False
    closed = parse("Mo-Su 08:00-20:00; Dec 24-Jan 02 off")
    assert is_open_at(closed, at(2026, 12, 30, 12)) is False
    assert is_open_at(closed, at(2026, 12, 20, 12)) is True


def test_always_open_and_off(db):
    assert is_open_at(parse("24/7"), at(*TET, 3)) is True
    assert is_open_at(parse("24/7; PH off"), at(*TET, 3)) is False
    assert is_open_at(parse("off"), at(*ORDINARY, 12)) is False


def test_timezone_is_hai_phong(db):
    from datetime import UTC
    schedule = parse("Mo-Su 06:00-22:00")
    # 23:30 UTC is 06:30 the next morning in Hải Phòng.
    assert is_open_at(schedule, datetime(2026, 2, 9, 23, 30, tzinfo=UTC)) is True
    with pytest.raises(ValueError):
        is_open_at(schedule, datetime(2026, 2, 9, 12))  # noqa: DTZ001  (the point)


def test_weekly_intervals_have_holiday_rows():
    rows = hours.weekly_intervals(parse("Mo-Fr 17:00-02:00; PH off"))
    assert (0, False, 0, 17 * 60, 26 * 60) in rows
    assert not [r for r in rows if r[1]]  # nothing open on a holiday
    assert not [r for r in rows if r[0] >= 5]
    summer = hours.weekly_intervals(parse("May-Sep Mo-Su 09:00-23:00"))
    assert {r[2] for r in summer} == {5, 6, 7, 8, 9}
    with pytest.raises(ValueError):
        hours.weekly_intervals(parse("Mo-Su 08:00-20:00; Dec 24-Jan 02 off"))


def test_editor_rows_from_text(db):
    rows, ph_off = hours.editor_rows("Mo-Fr 06:00-10:00,16:00-22:00; Sa 07:00-02:00; PH off")
    assert rows[0] == {"open": True, "spans": [("06:00", "10:00"), ("16:00", "22:00")]}
    assert rows[5] == {"open": True, "spans": [("07:00", "02:00")]}
    assert rows[6] == {"open": False, "spans": []} and ph_off is True
    assert hours.editor_rows("Mo-Su 08:00-09:00")[1] is False
    assert hours.editor_rows("May-Sep 09:00-10:00")[0][0]["open"] is False
    assert hours.editor_rows("Mo-Fr 8")[0][0]["open"] is False


def test_real_world_strings(db):
    tuesday = at(*ORDINARY, 12)
    cases = {
        "Mo-Su 07:00-22:00; PH closed": True,
        "Mo-Fr 10:00-14:00, 17:00-22:00": True,
        'Mo-Sa 10:00-22:00; Su 10:00-20:00 "bán đến hết hàng"': True,
        "Mo-Fr 08:00-17:00; Sa 08:00-12:00; Su,PH off": True,
        'Mo-Fr 08:00-11:00; "nghỉ Tết"': False,
        'Mo-Su 10:00-20:00 || "gọi trước"': True,
        "Tu 12:00-14:00 off; Mo-Su 08:00-20:00": True,
        "Jan 01 off; Mo-Su 08:00-20:00": True,
    }
    for text, expected in cases.items():
        assert is_open_at(parse(text), tuesday) is expected, text
    assert hours.describe('Mo-Fr 08:00-11:00; "nghỉ Tết"') == (
        "Thứ Hai–Thứ Sáu 08:00–11:00; Nghỉ Tết")
    assert is_open_at(parse("Mo-Su 08:00-20:00; Jan 01 off"), at(2026, 1, 1, 12)) is False
