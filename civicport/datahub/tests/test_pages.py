"""Portal pages: search ignoring diacritics, dataset page, publisher upload flow, dashboard,
DCAT documents and schema.org JSON-LD."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from civicport.datahub.models import IngestJob
from civicport.datahub.tests.factories import WARDS_ROWS, publish_wards, table_text

pytestmark = pytest.mark.django_db


def test_catalogue_search_ignores_diacritics_and_shows_facets(client, department):
    publish_wards(publisher=department)
    for q in ("phường xã", "phuong xa", "PHUONG XA"):
        page = client.get("/du-lieu/", {"q": q})
        assert page.status_code == 200
        assert "Danh sách phường, xã" in page.content.decode()
    facets = client.get("/du-lieu/", {"tags": "hành chính"}).content.decode()
    assert "Sở Giáo dục và Đào tạo" in facets and "CSV" in facets
    assert "Danh sách phường" not in client.get("/du-lieu/", {"q": "xe buyt"}).content.decode()


def test_dataset_page_has_preview_chart_downloads_versions_and_json_ld(client, department):
    publish_wards(publisher=department)
    publish_wards(publisher=department, rows=WARDS_ROWS[:4])
    page = client.get("/du-lieu/phuong-xa/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Phường Hồng Bàng" in html and "<svg" in html and "tai-ve.xlsx" in html
    assert "phien-ban=1" in html
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert data["@type"] == "Dataset" and data["name"] == "Danh sách phường, xã"
    old = client.get(f"/du-lieu/phuong-xa/tai-nguyen/"
                     f"{data['distribution'][0]['contentUrl'].split('/')[-2]}/tai-ve.csv",
                     {"phien-ban": 1})
    assert b"".join(old.streaming_content).decode().count("\n") == len(WARDS_ROWS) + 1


def test_publisher_uploads_sees_errors_fixes_and_republishes(
        client, publisher, department, django_capture_on_commit_callbacks):
    client.force_login(publisher)
    rows = [list(r) for r in WARDS_ROWS * 4]
    rows[2][2] = "khoảng 5 nghìn"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/du-lieu/dang-tai/", {
            "title": "Dân số phường", "publisher": department.pk, "description": "Thử",
            "tags": "dân số", "access": "open", "frequency": "yearly", "licence": "cc-by-4.0",
            "file": SimpleUploadedFile("dan-so.csv", table_text(rows=rows).encode()),
        })
    job = IngestJob.objects.get()
    assert response.status_code == 302 and response.url == f"/du-lieu/tai-len/{job.pk}/"
    page = client.get(response.url).content.decode()
    assert job.status == IngestJob.Status.INVALID
    assert "khoảng 5 nghìn" in page and 'data-testid="job-error"' in page
    rows[2][2] = "5.000"
    with django_capture_on_commit_callbacks(execute=True):
        fixed = client.post(
            f"/du-lieu/dan-so-phuong/tai-nguyen/{job.resource_id}/tai-len/",
            {"file": SimpleUploadedFile("dan-so.csv", table_text(rows=rows).encode())})
    done = IngestJob.objects.latest("pk")
    assert fixed.url == f"/du-lieu/tai-len/{done.pk}/"
    assert done.status == IngestJob.Status.DONE and done.version.number == 1
    polled = client.get(fixed.url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in polled and "hx-get" not in polled


def test_upload_over_the_limit_is_refused_with_a_message(client, publisher, department,
                                                         settings):
    settings.CIVICPORT_DATAHUB_MAX_UPLOAD_BYTES = 1000
    client.force_login(publisher)
    response = client.post("/du-lieu/dang-tai/", {
        "title": "Quá lớn", "publisher": department.pk, "access": "open",
        "frequency": "yearly", "licence": "cc-by-4.0",
        "file": SimpleUploadedFile("lon.csv", b"a,b\n" + b"1,2\n" * 5000),
    }, follow=True)
    assert "MB" in response.content.decode()
    assert not IngestJob.objects.exists()


def test_upload_page_is_for_publishers_only(client, make_user):
    assert client.get("/du-lieu/dang-tai/").status_code == 302
    client.force_login(make_user())
    assert client.get("/du-lieu/dang-tai/").status_code == 403


def test_dashboard_and_dcat_documents(client, department):
    publish_wards(publisher=department)
    assert "1 / 1" in client.get("/du-lieu/bang-dieu-khien/").content.decode()
    turtle = client.get("/catalog.ttl", {"page": 1})
    graph = Graph().parse(data=turtle.content.decode(), format="turtle")
    assert list(graph.subjects(RDF.type, DCAT.Catalog))
    assert "hydra" in turtle.content.decode() and "totalItems" in turtle.content.decode()
    jsonld = client.get("/dataset/phuong-xa.jsonld")
    graph = Graph().parse(data=jsonld.content.decode(), format="json-ld")
    assert list(graph.subjects(RDF.type, DCAT.Dataset))
    xml = client.get("/du-lieu/phuong-xa.rdf")
    assert list(Graph().parse(data=xml.content.decode(), format="xml")
                .subjects(RDF.type, DCAT.Distribution))
