"""Who reads what (and the audit of non-open reads); the SQL sandbox refuses attacks."""

import pytest

from civicport.core.models import AuditEntry
from civicport.datahub import engine
from civicport.datahub.models import Dataset
from civicport.datahub.tests.factories import publish_wards

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(department, other_department):
    return {
        "open": publish_wards(publisher=department, slug="mo"),
        "shared": publish_wards(publisher=department, slug="chia-se", access="shared"),
        "restricted": publish_wards(publisher=department, slug="han-che", access="restricted"),
    }


def _search(client, version):
    return client.get("/api/3/action/datastore_search",
                      {"resource_id": str(version.resource_id)})


def test_open_data_is_public_shared_needs_an_officer_restricted_named_agencies(
        client, versions, publisher, outsider, other_department):
    assert _search(client, versions["open"]).status_code == 200
    assert _search(client, versions["shared"]).status_code == 403
    assert client.get("/du-lieu/han-che/").status_code == 404
    client.force_login(outsider)
    assert _search(client, versions["shared"]).status_code == 200
    assert _search(client, versions["restricted"]).status_code == 404
    Dataset.objects.get(slug="han-che").allowed_agencies.add(other_department)
    assert _search(client, versions["restricted"]).status_code == 200
    client.force_login(publisher)
    assert client.get("/du-lieu/han-che/").status_code == 200


def test_every_read_of_non_open_data_is_audited(client, versions, outsider):
    client.force_login(outsider)
    before = AuditEntry.objects.filter(action="datahub.read").count()
    _search(client, versions["open"])
    assert AuditEntry.objects.filter(action="datahub.read").count() == before
    _search(client, versions["shared"])
    resource = versions["shared"].resource
    client.get(f"/du-lieu/chia-se/tai-nguyen/{resource.pk}/tai-ve.csv")
    reads = AuditEntry.objects.filter(action="datahub.read").order_by("seq")
    assert reads.count() == before + 2
    assert reads.last().actor == outsider


@pytest.mark.parametrize(("sql", "kind"), [
    ("SELECT * FROM read_csv('/etc/passwd')", "authorization"),
    ("SELECT * FROM read_parquet('/tmp/x.parquet')", "authorization"),
    ("SELECT * FROM t; SELECT 2", "validation"),
    ("ATTACH '/tmp/evil.db' AS evil", "authorization"),
    ("COPY t TO '/tmp/out.csv'", "authorization"),
    ("PRAGMA database_list", "authorization"),
    ("SET enable_external_access = true", "authorization"),
    ("INSTALL httpfs", "authorization"),
    ("LOAD httpfs", "authorization"),
    ("SELECT * FROM duckdb_settings()", "authorization"),
    ("SELECT current_setting('memory_limit')", "authorization"),
    ("SELECT * FROM other_table", "authorization"),
    ("SELECT * FROM main.t", "authorization"),
    ("SELECT getenv('HOME')", "authorization"),
    ("DROP TABLE t", "authorization"),
    ("SELEC nonsense", "validation"),
])
def test_sql_attacks_are_refused(versions, sql, kind):
    with pytest.raises(engine.QueryError) as caught:
        engine.sql_run(sql, {"t": versions["open"].path})
    assert caught.value.kind == kind


def test_sql_runs_a_select_and_times_out(versions):
    result = engine.sql_run("SELECT ten, dan_so FROM t ORDER BY dan_so DESC LIMIT 1",
                            {"t": versions["open"].path})
    assert result["records"] == [{"ten": "Phường Hồng Bàng", "dan_so": 1234567}]
    with pytest.raises(engine.QueryError) as caught:
        engine.sql_run("SELECT count(*) FROM t a, t b, t c, t d, t e, t f, t g, t h, t i, t j, "
                       "t k, t l, t m", {"t": versions["open"].path}, timeout=0.5)
    assert caught.value.kind == "timeout"


def test_exports_neutralise_formula_cells(client, department):
    import io

    from openpyxl import load_workbook

    rows = [["1", "=HYPERLINK(\"http://evil\")", "1", "1", "01/01/2025"],
            ["2", "Phường An", "2", "2", "01/01/2025"]]
    version = publish_wards(publisher=department, slug="cong-thuc", rows=rows)
    base = f"/du-lieu/cong-thuc/tai-nguyen/{version.resource_id}/tai-ve"
    csv_text = b"".join(client.get(base + ".csv").streaming_content).decode()
    assert "'=HYPERLINK" in csv_text
    book = load_workbook(io.BytesIO(b"".join(client.get(base + ".xlsx").streaming_content)))
    assert book.active["B2"].value.startswith("'=")
    json_body = b"".join(client.get(base + ".json").streaming_content).decode()
    assert "Phường An" in json_body
    assert client.get(base + ".parquet").status_code == 200
