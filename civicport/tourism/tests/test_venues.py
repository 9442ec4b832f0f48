"""Venues: checks with nothing changed on bad input, derived data, search and filters,
the indexed "open at" filter agreeing with the evaluator."""

import random
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicport.core.models import AuditEntry, SearchEntry
from civicport.tourism import actions, hours, queries
from civicport.tourism.models import Event, OpenInterval, Venue

HP = hours.TIMEZONE


def test_create_derives_prices_intervals_search_and_records_history(make_venue, staff):
    venue = make_venue()
    assert (venue.price_min, venue.price_max) == (10000, 35000)
    assert OpenInterval.objects.filter(venue=venue, holiday=False).count() == 7
    assert not OpenInterval.objects.filter(venue=venue, holiday=True).exists()
    assert SearchEntry.objects.filter(scope=actions.VENUE_SCOPE, object_id=venue.pk).exists()
    assert Event.objects.filter(venue=venue, action="venue_create", actor=staff).exists()
    assert AuditEntry.objects.filter(action="tourism.venue_create").exists()


def test_outside_the_city_is_refused_naming_the_city(make_venue):
    with pytest.raises(ValidationError) as err:
        make_venue(lat=21.03, lon=105.85)  # Hà Nội
    assert "Hải Phòng" in str(err.value.message_dict["lat"])
    assert not Venue.objects.exists()


def test_bad_hours_are_refused_with_position(make_venue):
    with pytest.raises(ValidationError) as err:
        make_venue(hours="Mo-Fr 08:00-")
    assert "ký tự thứ 13" in err.value.message_dict["opening_hours"][0]
    assert not Venue.objects.exists()


def test_bad_dish_price_and_missing_fields(staff, wards):
    with pytest.raises(ValidationError) as err:
        actions.venue_create(actor=staff, data={"name": "", "address": "", "ward": "",
                                                "lat": "x", "lon": 1,
                                                "dishes": [{"name": "Ốc", "price": "abc"}]})
    assert set(err.value.message_dict) == {"name", "address", "ward", "lat", "dishes"}


def test_only_tourism_staff_manage_venues(wards, make_user):
    with pytest.raises(PermissionDenied):
        actions.venue_create(actor=make_user(), data={})


def test_stale_edit_is_refused(make_venue, staff):
    venue = make_venue()
    data = {"name": "Tên mới", "address": venue.address, "ward": venue.ward, "lat": venue.lat,
            "lon": venue.lon, "opening_hours": "24/7", "dishes": [{"name": "Ốc", "price": 1}]}
    actions.venue_update(actor=staff, venue_id=venue.pk, version=1, data=data)
    with pytest.raises(ValidationError) as err:
        actions.venue_update(actor=staff, venue_id=venue.pk, version=1, data=data)
    assert err.value.code == "stale"
    venue.refresh_from_db()
    assert venue.version == 2 and venue.name == "Tên mới"
    assert OpenInterval.objects.filter(venue=venue, holiday=True).count() == 7


@pytest.mark.parametrize("query", ["banh da cua", "bánh đa cua", "BÁNH ĐA", "Banh Da"])
def test_search_ignores_diacritics(make_venue, query):
    crab = make_venue()
    make_venue(name="Ốc Lạch Tray", dishes=(("Ốc hương", 120000),))
    found = list(queries.place_search(queries.PlaceFilters(q=query)))
    assert found == [crab]


def test_filters(make_venue):
    cheap = make_venue(name="Bánh mì cay Lê Lợi", dishes=(("Bánh mì cay", 3000),),
                       ward="Phường Ngô Quyền")
    dear = make_venue(name="Tôm sú hấp", dishes=(("Tôm sú hấp", 350000),),
                      ward="Phường Đồ Sơn", lat=20.71, lon=106.78)
    search = queries.place_search
    assert list(search(queries.PlaceFilters(price_level=1))) == [cheap]
    assert list(search(queries.PlaceFilters(price_level=4))) == [dear]
    assert list(search(queries.PlaceFilters(ward=dear.ward_id))) == [dear]
    assert list(search(queries.PlaceFilters(dish="banh mi"))) == [cheap]
    Venue.objects.filter(pk=dear.pk).update(rating_mean=4.5)
    assert list(search(queries.PlaceFilters(min_rating=4))) == [dear]


def test_open_at_filter_on_tet_and_an_ordinary_day(make_venue):
    closes = make_venue(name="Quán nghỉ lễ", hours="Mo-Su 06:00-22:00; PH off")
    always = make_venue(name="Quán mở Tết", hours="Mo-Su 06:00-22:00")
    night = make_venue(name="Quán đêm", hours="Mo-Su 17:00-02:00")
    season = make_venue(name="Quán mùa hè", hours="May-Sep Mo-Su 09:00-23:00")

    def open_at(*args):
        return set(queries.place_search(queries.PlaceFilters(open_at=datetime(*args,
                                                                              tzinfo=HP))))

    assert open_at(2026, 2, 10, 12) == {closes, always}
    assert open_at(2026, 2, 17, 12) == {always}            # Tết
    assert open_at(2026, 2, 11, 1, 30) == {night}          # after midnight
    assert open_at(2026, 7, 1, 22) == {night, season}


def test_indexed_open_at_agrees_with_the_evaluator(make_venue):
    texts = ["Mo-Fr 06:00-22:00; PH off", "Mo-Su 17:00-02:00; PH off", "24/7",
             "Sa,Su 07:00-11:00,16:00-23:30", "Mo-Su 10:00-14:00; PH 09:00-23:00",
             "Fr-Mo 20:00-03:00", "Mo-Su 08:00-20:00; We off",
             "May-Sep Mo-Su 09:00-23:00; Oct-Apr Mo-Su 17:00-01:00; PH off",
             "Mo-Su 08:00-20:00; Dec 24-Jan 02 off"]
    venues = [make_venue(name=f"Quán {i}", hours=t) for i, t in enumerate(texts)]
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=HP)
    for _ in range(200):
        moment = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        expected = {v for v in venues if hours.is_open_at(hours.parse(v.opening_hours), moment)}
        got = set(queries.place_search(queries.PlaceFilters(open_at=moment)))
        assert got == expected, moment


def test_summary_for_the_ioc(make_venue, make_user):
    venue = make_venue()
    make_venue(name="Quán đêm", hours="Mo-Su 17:00-02:00")
    actions.review_submit(actor=make_user(), venue_id=venue.pk, rating=4)
    summary = queries.tourism_summary(datetime(2026, 2, 10, 12, tzinfo=HP))
    assert summary == {"venues": 2, "open_now": 1, "reviews": 1, "mean_rating": 4.0,
                       "awaiting_moderation": 0}
