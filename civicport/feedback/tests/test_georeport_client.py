"""The `georeport` PyPI client against a live server: list services, read a request posted
over raw HTTP, filter by status and dates, in JSON and XML."""

import datetime

import pytest
import requests
from django.utils import timezone
from georeport import GeoReport

from civicport.feedback import actions
from civicport.feedback.classifier import suggest
from civicport.feedback.models import Report


@pytest.fixture
def live_open311(live_server, transactional_db):
    from civicport.core import seeding as core_seeding
    from civicport.feedback import seeding

    core_seeding.reference()
    seeding.reference()
    suggest("đèn đường hỏng")  # load the classifier before the server's first request
    return f"{live_server.url}/open311/v2"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_round_trip(live_open311, fmt):
    key = actions.open311_key_create(name="client")[1]
    posted = requests.post(f"{live_open311}/requests.json", data={
        "api_key": key, "service_code": "chieu-sang", "lat": "20.8449", "long": "106.6881",
        "description": "Đèn đường hỏng ở phố Lạch Tray", "email": "an@example.vn",
    }, timeout=60)
    assert posted.status_code == 200
    request_id = posted.json()[0]["service_request_id"]
    posted_two = requests.post(f"{live_open311}/requests.json", data={
        "api_key": key, "service_code": "rac-thai", "address_string": "phường Hồng Bàng",
        "description": "Rác tồn đọng nhiều ngày",
    }, timeout=60)
    assert posted_two.status_code == 200
    other_id = posted_two.json()[0]["service_request_id"]
    Report.objects.filter(pk=int(other_id)).update(status="closed")

    client = GeoReport(live_open311, output_format=fmt)
    services = client.get_service_list()
    assert "chieu-sang" in {s["service_code"] for s in services}
    definition = client.get_service_definition("chieu-sang")
    assert definition["service_code"] == "chieu-sang"

    got = client.get_service_request(request_id)
    assert got["service_request_id"] == request_id and got["status"] == "open"
    assert got["service_code"] == "chieu-sang" and "email" not in got

    now = timezone.now()
    window = {"start_date": (now - datetime.timedelta(days=1)).isoformat(timespec="seconds"),
              "end_date": (now + datetime.timedelta(hours=1)).isoformat(timespec="seconds")}
    opened = client.get_service_requests(status="open", **window)
    closed = client.get_service_requests(status="closed", **window)
    # xmltodict gives a dict for a single element, a list for several.
    opened = opened if isinstance(opened, list) else [opened]
    closed = closed if isinstance(closed, list) else [closed]
    assert [r["service_request_id"] for r in opened] == [request_id]
    assert [r["service_request_id"] for r in closed] == [other_id]
    both = client.get_service_requests(status="open,closed", **window)
    assert len(both) == 2
    long_ago = {"start_date": "2020-01-01T00:00:00+07:00", "end_date": "2020-02-01T00:00:00Z"}
    if fmt == "json":
        assert client.get_service_requests(**long_ago) == []
