"""The /api/v1/tourism/ router: places with q and filters, details, reviews, GeoJSON with
ETag and invalidation, the hours checker."""

import gzip
import json

import pytest

from civicport.core.tests.factories import router_client
from civicport.tourism import actions
from civicport.tourism.api import router


@pytest.fixture
def client():
    return router_client("/tourism/", router)


def test_places_search_and_open_at(client, make_venue):
    crab = make_venue()
    make_venue(name="Ốc đêm", hours="Mo-Su 17:00-02:00", dishes=(("Ốc", 80000),))
    body = client.get("/tourism/places?q=banh%20da%20cua").json()
    assert body["count"] == 1 and body["items"][0]["id"] == crab.pk
    assert body["items"][0]["ward"] == "Phường Ngô Quyền"
    tet = client.get("/tourism/places?open_at=2026-02-17T12:00:00%2B07:00").json()
    assert tet["count"] == 0
    ordinary = client.get("/tourism/places?open_at=2026-02-10T12:00").json()
    assert [i["id"] for i in ordinary["items"]] == [crab.pk]
    bad = client.get("/tourism/places?open_at=hôm-nay")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_open_at"


def test_place_detail_and_reviews(client, make_venue, make_user):
    venue = make_venue()
    actions.review_submit(actor=make_user(), venue_id=venue.pk, rating=4, text="Ngon")
    detail = client.get(f"/tourism/places/{venue.pk}").json()
    assert detail["dishes"][0] == {"name": "Bánh đa cua", "price": 35000}
    assert detail["hours_text"] == "Hằng ngày 06:00–22:00; nghỉ ngày lễ"
    assert detail["rating"] == 4 and detail["rating_count"] == 1
    reviews = client.get(f"/tourism/places/{venue.pk}/reviews").json()
    assert reviews[0]["text"] == "Ngon"
    assert client.get("/tourism/places/999999").status_code == 404


def test_review_needs_login(client, make_venue):
    venue = make_venue()
    response = client.post(f"/tourism/places/{venue.pk}/reviews", json={"rating": 5})
    assert response.status_code == 401


def test_geojson_cached_with_etag_and_invalidated(client, make_venue, staff):
    venue = make_venue()
    first = client.get("/tourism/geojson")
    assert first.status_code == 200
    feature = first.json()["features"][0]
    assert feature["id"] == venue.pk and feature["properties"]["n"] == venue.name
    etag = first["ETag"]
    assert client.get("/tourism/geojson", headers={"If-None-Match": etag}).status_code == 304
    actions.venue_update(actor=staff, venue_id=venue.pk, version=None, data={
        "name": "Tên mới", "address": venue.address, "ward": venue.ward, "lat": venue.lat,
        "lon": venue.lon, "opening_hours": venue.opening_hours, "dishes": []})
    again = client.get("/tourism/geojson", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again["ETag"] != etag
    assert again.json()["features"][0]["properties"]["n"] == "Tên mới"
    zipped = client.get("/tourism/geojson", headers={"Accept-Encoding": "gzip, br"})
    assert zipped["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.content)) == again.json()
    filtered = client.get("/tourism/geojson?q=khong%20co").json()
    assert filtered["features"] == []


def test_hours_check(client, db):
    ok = client.post("/tourism/hours/check", json={"opening_hours": "24/7"}).json()
    assert ok == {"valid": True, "text": "Mở cửa cả ngày, mọi ngày", "error": "",
                  "position": None}
    bad = client.post("/tourism/hours/check", json={"opening_hours": "Mo-Fr 8"}).json()
    assert bad["valid"] is False and bad["position"] == 6


def test_a_review_refreshes_the_map_rating(client, make_venue, make_user):
    venue = make_venue()
    etag = client.get("/tourism/geojson")["ETag"]
    actions.review_submit(actor=make_user(), venue_id=venue.pk, rating=4)
    fresh = client.get("/tourism/geojson")
    assert fresh["ETag"] != etag
    assert fresh.json()["features"][0]["properties"] == {"n": venue.name, "r": 4.0, "c": 1,
                                                         "p": 1}
    listed = client.get("/tourism/places").json()["items"][0]
    assert listed["rating"] == 4.0 and listed["rating_count"] == 1


def test_review_write_through_the_api(client, make_venue, make_user):
    venue = make_venue()
    user = make_user()
    ok = client.post(f"/tourism/places/{venue.pk}/reviews", json={"rating": 5, "text": "Ngon"},
                     user=user)
    assert ok.status_code == 200 and ok.json()["rating"] == 5
    again = client.post(f"/tourism/places/{venue.pk}/reviews", json={"rating": 3}, user=user)
    assert again.json()["id"] == ok.json()["id"] and again.json()["rating"] == 3
    bad = client.post(f"/tourism/places/{venue.pk}/reviews", json={"rating": 9}, user=user)
    assert bad.status_code == 422
    missing = client.post("/tourism/places/999999/reviews", json={"rating": 4}, user=user)
    assert missing.status_code == 404
