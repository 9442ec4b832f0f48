"""Public and officer pages, the JSON API; the reporter's contact never public."""

import json

import pytest

from civicport.core.tests.factories import router_client
from civicport.feedback import actions
from civicport.feedback.api import router
from civicport.feedback.models import Report, Status
from civicport.feedback.tests import factories
from civicport.feedback.tests.conftest import image_bytes

pytestmark = pytest.mark.django_db
SECRET = ("Nguyễn Thị Bí Mật", "0987654321", "bimat@example.vn")


def _private_report(**fields):
    return factories.report(reporter_name=SECRET[0], reporter_phone=SECRET[1],
                            reporter_email=SECRET[2], **fields)


def _no_secret(content: bytes):
    text = content.decode()
    for secret in SECRET:
        assert secret not in text


def test_form_creates_a_report_with_photo_and_pin(client):
    page = client.get("/phan-anh/gui/")
    assert page.status_code == 200 and "Gửi phản ánh" in page.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/phan-anh/gui/", {
        "category": "chieu-sang", "description": factories.LIGHT_TEXT, "lat": "20.8449",
        "lon": "106.6881", "ward": str(factories.ward().code), "phone": SECRET[1],
        "photos": SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg"),
        "idempotency_key": "k1",
    })
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/phan-anh/{report.pk}/"
    assert report.photos.count() == 1 and report.reporter_phone == SECRET[1]
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    _no_secret(detail.content)
    photo = report.photos.get()
    assert client.get(f"/phan-anh/anh/{photo.public_name}").status_code == 200
    assert client.get(f"/phan-anh/anh/{photo.original_name}").status_code == 404


def test_form_errors_in_vietnamese_and_nothing_saved(client):
    response = client.post("/phan-anh/gui/", {"category": "chieu-sang", "description": "x",
                                              "lat": "21.0285", "lon": "105.8542"})
    assert response.status_code == 400
    assert "ngoài" in response.content.decode() and "Hải Phòng" in response.content.decode()
    response = client.post("/phan-anh/gui/", {"category": "chieu-sang", "description": "",
                                              "lat": "20.8449", "lon": "106.6881"})
    assert response.status_code == 400 and Report.objects.count() == 0


def test_form_offers_a_nearby_duplicate_first(client):
    first = factories.report()
    data = {"category": "chieu-sang", "description": "Đèn đường phố Lạch Tray hỏng tối om",
            "lat": "20.8452", "lon": "106.6881"}
    response = client.post("/phan-anh/gui/", data)
    assert response.status_code == 200 and f"/phan-anh/{first.pk}/" in response.content.decode()
    assert Report.objects.count() == 1
    assert client.post("/phan-anh/gui/", {**data, "confirm_new": "1"}).status_code == 302
    assert Report.objects.count() == 2


def test_list_map_stats_pages_keep_contacts_private(client):
    report = _private_report()
    for url in ("/phan-anh/", f"/phan-anh/{report.pk}/", "/phan-anh/ban-do/",
                "/phan-anh/thong-ke/", "/phan-anh/?status=open&category=chieu-sang&q=lach+tray",
                "/api/v1/feedback/reports" if False else "/phan-anh/?ward=abc&from=bad"):
        response = client.get(url)
        assert response.status_code == 200, url
        _no_secret(response.content)
    data = client.get("/phan-anh/ban-do/du-lieu.json")
    assert data.status_code == 200
    body = json.loads(data.content)
    assert body["points"][0][0] == report.pk and len(body["points"][0]) == 5
    _no_secret(data.content)
    again = client.get("/phan-anh/ban-do/du-lieu.json", HTTP_IF_NONE_MATCH=data["ETag"])
    assert again.status_code == 304
    listed = client.get("/phan-anh/?q=LACH TRAY")
    assert f"#{report.pk}" in listed.content.decode()


def test_citizen_rates_from_the_same_browser(client):
    client.post("/phan-anh/gui/", {"category": "chieu-sang", "description": factories.LIGHT_TEXT,
                                   "lat": "20.8449", "lon": "106.6881"})
    report = Report.objects.get()
    actions.report_triage(report_id=report.pk, user=factories.operator(),
                          category_code="chieu-sang")
    actions.report_answer(report_id=report.pk, user=factories.agency_officer(),
                          answer="Đã thay bóng đèn.")
    page = client.get(f"/phan-anh/{report.pk}/").content.decode()
    assert "Đã thay bóng đèn." in page and 'data-testid="rate-box"' in page
    client.post(f"/phan-anh/{report.pk}/danh-gia/", {"rating": "5"})
    report.refresh_from_db()
    assert report.status == Status.CLOSED and report.rating == 5
    other = client.__class__()
    assert 'data-testid="rate-box"' not in other.get(f"/phan-anh/{report.pk}/").content.decode()


def test_officer_desk_and_permissions(client):
    report = _private_report()
    outsider = factories.agency_officer("000.00.08.H31")
    client.force_login(outsider)
    assert client.get(f"/phan-anh/can-bo/{report.pk}/").status_code == 404
    assert client.post(f"/phan-anh/can-bo/{report.pk}/answer/",
                       {"answer": "x"}).status_code == 302
    assert Report.objects.get(pk=report.pk).status == Status.RECEIVED
    operator = factories.operator()
    client.force_login(operator)
    desk = client.get(f"/phan-anh/can-bo/{report.pk}/").content.decode()
    assert SECRET[1] in desk  # officers see the contact
    client.post(f"/phan-anh/can-bo/{report.pk}/triage/", {"category": "chieu-sang",
                                                          "version": report.version})
    assert Report.objects.get(pk=report.pk).status == Status.ASSIGNED
    inbox = client.get("/phan-anh/can-bo/?status=triage")
    assert inbox.status_code == 200
    phone = client.post("/phan-anh/can-bo/tiep-nhan/", {
        "description": "Người dân gọi điện báo cây đổ chắn đường ở phường Kiến An",
        "address": "phường Kiến An", "anonymous": "1", "phone": "0911111111"})
    assert phone.status_code == 302
    call = Report.objects.latest("id")
    assert call.channel == "phone" and call.reporter_phone == "" and call.reporter is None


def test_json_api_create_get_list_suggest():
    api = router_client("/feedback/", router)
    created = api.post("/feedback/reports", json={
        "category": "chieu-sang", "description": factories.LIGHT_TEXT, "lat": 20.8449,
        "lon": 106.6881, "email": SECRET[2]})
    assert created.status_code == 201
    body = created.json()
    assert body["suggested_category"] == "chieu-sang" and body["token"]
    got = api.get(f"/feedback/reports/{body['id']}")
    assert got.status_code == 200 and "token" not in got.json()
    _no_secret(got.content)
    listed = api.get("/feedback/reports?status=open")
    assert [r["id"] for r in listed.json()["results"]] == [body["id"]]
    _no_secret(listed.content)
    bad = api.post("/feedback/reports", json={"category": "nope", "description": "x",
                                              "lat": 20.8449, "lon": 106.6881})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_category"
    bad_photo = api.post("/feedback/reports", json={
        "category": "chieu-sang", "description": "x", "lat": 20.8449, "lon": 106.6881,
        "photos": ["bm90IGFuIGltYWdl"]})
    assert bad_photo.json()["error"]["code"] == "photo_not_image"
    assert Report.objects.count() == 1
    suggestion = api.get("/feedback/suggest?text=đèn đường hỏng không sáng").json()
    assert suggestion["category"] == "chieu-sang"
    assert suggestion["agency_name"] == "Sở Xây dựng thành phố Hải Phòng"
    assert api.get("/feedback/categories").status_code == 200
    summary = api.get("/feedback/summary?start=2026-01-01&end=2026-12-31")
    assert summary.status_code == 200 and "by_agency" in summary.json()
