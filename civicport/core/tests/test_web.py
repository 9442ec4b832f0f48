import json
import logging

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_is_plain_and_fast(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


@pytest.mark.django_db
def test_home_page_is_vietnamese_by_default(client):
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in body
    assert "Dịch vụ công trực tuyến" in body


@pytest.mark.django_db
def test_language_switch_to_english_and_back(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.content.decode()
    assert "Online public services" in response.content.decode()
    response = client.post(reverse("set_language"), {"language": "vi", "next": "/"}, follow=True)
    assert '<html lang="vi">' in response.content.decode()


@pytest.mark.django_db
def test_pages_stay_vietnamese_for_an_english_browser_until_switched(client):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="vi">' in response.content.decode()


@pytest.mark.django_db
def test_api_honours_accept_language(client):
    response = client.get("/api/v1/units/wards/1", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No administrative unit has code 1."


@pytest.mark.django_db
def test_404_page_in_vietnamese(client, settings):
    settings.DEBUG = False
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_security_headers(client, db):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_request_id_and_json_log_line(client, caplog, db):
    caplog.set_level(logging.INFO, logger="civicport.request")
    response = client.get("/healthz", headers={"x-request-id": "abc12345-proxy"})
    assert response["X-Request-ID"] == "abc12345-proxy"
    record = next(r for r in caplog.records if r.name == "civicport.request")
    assert (record.request_id, record.status, record.path) == ("abc12345-proxy", 200, "/healthz")
    from civicport.core.logs import JsonFormatter

    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc12345-proxy" and line["duration_ms"] >= 0


def test_forged_request_id_is_replaced(client, db):
    response = client.get("/healthz", headers={"x-request-id": "bad id\nwith newline"})
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_account_page_requires_login(client):
    response = client.get(reverse("core:account"))
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
