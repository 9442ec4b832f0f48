"""The /api/v1/datahub/ router and the datahub_import command."""

import json
from urllib.parse import urlencode

import pytest
from django.core.management import call_command

from civicport.core.tests.factories import router_client
from civicport.datahub.api import router
from civicport.datahub.models import Dataset
from civicport.datahub.tests.factories import publish_wards, table_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return router_client("/datahub/", router)


def test_summary_search_detail_rows_and_sql(api, department):
    version = publish_wards(publisher=department)
    assert api.get("/datahub/summary").json()["datasets_open"] == 1
    found = api.get("/datahub/datasets?q=phuong+xa").json()
    assert found["count"] == 1 and found["results"][0]["slug"] == "phuong-xa"
    detail = api.get("/datahub/datasets/phuong-xa").json()
    rid = detail["resources"][0]["id"]
    assert rid == str(version.resource_id)
    rows = api.get(f"/datahub/resources/{rid}/rows?q=kien+thuy&fields=ten,dan_so").json()
    assert rows["records"] == [{"ten": "Xã Kiến Thụy", "dan_so": 45000}] and rows["total"] == 1
    query = urlencode({"filters": json.dumps({"ma": [31135, 31136]}), "sort": "ma desc"})
    filtered = api.get(f"/datahub/resources/{rid}/rows?{query}")
    assert [r["ma"] for r in filtered.json()["records"]] == [31136, 31135]
    assert api.get(f"/datahub/resources/{rid}/rows?sort=khong_co").status_code == 422
    result = api.post(f"/datahub/resources/{rid}/sql",
                      json={"sql": "SELECT sum(dan_so) AS n FROM t"}).json()
    assert result["records"] == [{"n": 1234567 + 98765 + 45000 + 1000 + 120300}]
    refused = api.post(f"/datahub/resources/{rid}/sql",
                       json={"sql": "SELECT * FROM read_text('/etc/passwd')"})
    assert refused.status_code == 403
    assert api.get("/datahub/datasets/khong-co").status_code == 404


def test_import_command_loads_a_directory_and_reports_json(department, tmp_path, capsys):
    (tmp_path / "phuong-xa.csv").write_bytes(table_text().encode("utf-8"))
    (tmp_path / "hong.csv").write_bytes(b"")
    call_command("datahub_import", str(tmp_path), "--json", "--publisher", department.code)
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [f["dataset"] for f in report["files"]] == ["phuong-xa"]
    assert report["files"][0]["rows"] == 5 and report["errors"][0]["file"] == "hong.csv"
    assert Dataset.objects.get(slug="phuong-xa").publisher == department
    call_command("datahub_import", str(tmp_path / "phuong-xa.csv"), "--json")
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["files"][0]["version"] == 1  # unchanged content: no new version
