import pytest

from civicport.core.auth import api_token_create


@pytest.mark.django_db
def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "CivicPort API"
    assert "/api/v1/me" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "unsafe-inline" in docs["Content-Security-Policy"]


@pytest.mark.django_db
def test_me_anonymous_token_and_session(client, make_user):
    user = make_user(username="an", full_name="Nguyễn Văn An")
    assert client.get("/api/v1/me").json() == {"authenticated": False, "user": None}
    _, token = api_token_create(user=user)
    body = client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).json()
    assert body["user"]["full_name"] == "Nguyễn Văn An"
    client.force_login(user)
    assert client.get("/api/v1/me").json()["authenticated"] is True


@pytest.mark.django_db
def test_bad_token_gets_error_format_in_vietnamese(client):
    response = client.get("/api/v1/me/agencies", headers={"authorization": "Bearer cvp_nope"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert error["message"] == "Vui lòng đăng nhập hoặc gửi mã truy cập hợp lệ."


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404


@pytest.mark.django_db
def test_session_post_without_csrf_is_not_authenticated(make_user):
    from django.test import Client

    user = make_user(username="an")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/me/ping", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert "CSRF" in response.json()["error"]["message"]

