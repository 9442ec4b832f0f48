"""Open311 GeoReport v2: shapes per the spec, errors, POST with api_key, tokens, updates."""

import datetime
import json
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from civicport.feedback import actions
from civicport.feedback.models import Report
from civicport.feedback.tests import factories

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
SERVICE_KEYS = {"service_code", "service_name", "description", "metadata", "type", "keywords",
                "group"}
REQUEST_KEYS = {"service_request_id", "status", "service_name", "service_code", "description",
                "requested_datetime", "updated_datetime", "lat", "long"}


@pytest.fixture
def api_key():
    return actions.open311_key_create(name="test app")[1]


def _json(response, status=200):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def _xml(response, status=200):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def test_services_json_and_xml(client):
    services = _json(client.get(f"{BASE}/services.json"))
    assert isinstance(services, list) and len(services) >= 12
    assert all(set(s) == SERVICE_KEYS for s in services)
    light = next(s for s in services if s["service_code"] == "chieu-sang")
    assert light["metadata"] is True and light["type"] == "realtime"
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and all(child.tag == "service" for child in root)
    assert root.find("service/metadata").text in ("true", "false")


def test_service_definition(client):
    definition = _json(client.get(f"{BASE}/services/chieu-sang.json"))
    assert definition["service_code"] == "chieu-sang"
    orders = [a["order"] for a in definition["attributes"]]
    assert orders == sorted(set(orders)) and all(o > 0 for o in orders)
    listed = next(a for a in definition["attributes"] if a["datatype"] == "singlevaluelist")
    assert {"key", "name"} == set(listed["values"][0])
    root = _xml(client.get(f"{BASE}/services/chieu-sang.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key") is not None
    assert _json(client.get(f"{BASE}/services/nope.json"), 404)[0]["code"] == 404


def test_post_request_raw_http_then_read_it(client, api_key):
    body = {"api_key": api_key, "service_code": "chieu-sang", "lat": "20.8449",
            "long": "106.6881", "description": "Đèn đường hỏng trước cổng chợ Cát Bi",
            "first_name": "Lan", "last_name": "Trần", "email": "lan@example.vn",
            "phone": "0912345678", "attribute[nguy-hiem]": "co"}
    created = _json(client.post(f"{BASE}/requests.json", body))
    assert isinstance(created, list) and set(created[0]) == {"service_request_id",
                                                             "service_notice"}
    report = Report.objects.get(pk=int(created[0]["service_request_id"]))
    assert report.channel == "open311" and report.attributes == {"nguy-hiem": "co"}
    got = _json(client.get(f"{BASE}/requests/{report.pk}.json"))
    assert isinstance(got, list) and len(got) == 1 and set(got[0]) >= REQUEST_KEYS
    assert got[0]["status"] == "open" and got[0]["service_code"] == "chieu-sang"
    assert got[0]["requested_datetime"].endswith("+07:00")
    text = json.dumps(got, ensure_ascii=False)
    assert "lan@example.vn" not in text and "0912345678" not in text and "Trần" not in text
    root = _xml(client.get(f"{BASE}/requests/{report.pk}.xml"))
    assert root.tag == "service_requests" and root.find("request/long").text == "106.6881"
    token = _json(client.get(f"{BASE}/tokens/{report.token}.json"))
    assert token == [{"service_request_id": str(report.pk), "token": report.token}]


def test_post_errors(client, api_key):
    before = Report.objects.count()
    body = {"service_code": "chieu-sang", "lat": "20.8449", "long": "106.6881",
            "description": "Đèn hỏng"}
    errors = _json(client.post(f"{BASE}/requests.json", body), 403)
    assert errors[0]["code"] == 403 and "api_key" in errors[0]["description"]
    _json(client.post(f"{BASE}/requests.json", {**body, "api_key": "bad"}), 403)
    root = _xml(client.post(f"{BASE}/requests.xml", {**body, "api_key": "bad"}), 403)
    assert root.tag == "errors" and root.find("error/code").text == "403"
    _json(client.post(f"{BASE}/requests.json", {**body, "api_key": api_key,
                                                   "service_code": ""}), 400)
    _json(client.post(f"{BASE}/requests.json", {**body, "api_key": api_key,
                                                   "service_code": "nope"}), 404)
    outside = _json(client.post(f"{BASE}/requests.json", {**body, "api_key": api_key,
                                                             "lat": "21.0285",
                                                             "long": "105.8542"}), 400)
    assert "Hải Phòng" in outside[0]["description"]
    _json(client.post(f"{BASE}/requests.json", {"api_key": api_key,
                                                   "service_code": "chieu-sang",
                                                   "description": "x"}), 400)
    _json(client.post(f"{BASE}/requests.json", {**body, "api_key": api_key,
                                                   "description": ""}), 400)
    assert Report.objects.count() == before


def test_get_requests_filters_and_defaults(client):
    light = factories.report()
    garbage = factories.report(category="rac-thai", description="Rác tồn đọng ở đầu ngõ.")
    old = factories.report()
    Report.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=120))
    actions.report_reject(report_id=garbage.pk, user=factories.operator(), reason="Trùng lặp.")
    ids = [r["service_request_id"] for r in _json(client.get(f"{BASE}/requests.json"))]
    assert ids == [str(garbage.pk), str(light.pk)]  # newest first, last 90 days only
    only_open = _json(client.get(f"{BASE}/requests.json", {"status": "open"}))
    assert [r["service_request_id"] for r in only_open] == [str(light.pk)]
    closed = _json(client.get(f"{BASE}/requests.json", {"status": "closed"}))
    assert closed[0]["status"] == "closed" and closed[0]["status_notes"] == "Trùng lặp."
    by_code = _json(client.get(f"{BASE}/requests.json", {"service_code": "rac-thai,x"}))
    assert [r["service_request_id"] for r in by_code] == [str(garbage.pk)]
    start = (timezone.now() - datetime.timedelta(days=130)).isoformat()
    end = (timezone.now() - datetime.timedelta(days=100)).isoformat()
    dated = _json(client.get(f"{BASE}/requests.json", {"start_date": start, "end_date": end}))
    assert [r["service_request_id"] for r in dated] == [str(old.pk)]
    by_ids = _json(client.get(f"{BASE}/requests.json", {
        "service_request_id": f"{old.pk},{light.pk}", "status": "closed"}))
    assert {r["service_request_id"] for r in by_ids} == {str(old.pk), str(light.pk)}
    empty = _json(client.get(f"{BASE}/requests.json", {"status": "", "service_code": ""}))
    assert len(empty) == 2  # empty optional parameters are the same as absent ones
    paged = _json(client.get(f"{BASE}/requests.json", {"page_size": "1", "page": "2"}))
    assert [r["service_request_id"] for r in paged] == [str(light.pk)]


def test_get_requests_bad_arguments(client):
    assert _json(client.get(f"{BASE}/requests.json", {"start_date": "hôm qua"}), 400)
    too_long = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    assert "90" in _json(client.get(f"{BASE}/requests.json", too_long), 400)[0]["description"]
    _json(client.get(f"{BASE}/requests.json", {"status": "pending"}), 400)
    _json(client.get(f"{BASE}/requests.json", {"service_request_id": "1;drop"}), 400)
    _json(client.get(f"{BASE}/requests/999999.json"), 404)
    _xml(client.get(f"{BASE}/requests/abc.xml"), 404)
    _xml(client.get(f"{BASE}/tokens/nope.xml"), 404)
    assert client.get(f"{BASE}/services.html").status_code == 400


def test_discovery_and_updates(client):
    discovery = _json(client.get(f"{BASE}/discovery.json"))
    assert set(discovery) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json"]
    report = factories.report()
    actions.report_triage(report_id=report.pk, user=factories.operator(),
                          category_code="chieu-sang")
    updates = _json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert updates[0]["service_request_id"] == str(report.pk)
    assert set(updates[0]) == {"update_id", "service_request_id", "status", "updated_datetime",
                               "description", "media_url"}
    root = _xml(client.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates" and root[0].tag == "request_update"
