"""The CKAN Action API driven by the real `ckanapi` client against the live server."""

import io

import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError

from civicport.core.auth import api_token_create
from civicport.datahub.tests.factories import WARDS_ROWS, publish_wards, table_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server, department, other_department):
    publish_wards(publisher=department)
    publish_wards(publisher=other_department, slug="tram-y-te")
    return live_server.url


def test_status_search_with_facets_and_show(site, department):
    ckan = RemoteCKAN(site)
    status = ckan.action.status_show()
    assert status["site_url"] == site and status["locale_default"] == "vi"
    result = ckan.action.package_search(q="*:*", rows=0, **{"facet.field": '["organization"]'})
    assert result["count"] == 2 and result["results"] == []
    items = result["search_facets"]["organization"]["items"]
    assert sorted(i["count"] for i in items) == [1, 1]
    assert {i["display_name"] for i in items} == {"Sở Giáo dục và Đào tạo", "Sở Y tế"}
    org = next(i["name"] for i in items if i["display_name"] == department.name)
    only = ckan.action.package_search(fq=f"organization:{org}")
    assert [d["name"] for d in only["results"]] == ["phuong-xa"]
    found = ckan.action.package_search(q="phuong xa hanh chinh")
    assert found["count"] == 2
    shown = ckan.action.package_show(id="phuong-xa")
    assert shown["title"] == "Danh sách phường, xã" and shown["num_resources"] == 1
    assert shown["resources"][0]["datastore_active"] is True
    assert ckan.action.package_list() == ["phuong-xa", "tram-y-te"]
    assert "hành chính" in ckan.action.tag_list()
    assert len(ckan.action.organization_list()) == 2
    with pytest.raises(NotFound):
        ckan.action.package_show(id="khong-ton-tai")


def test_datastore_search_filters_q_without_diacritics_and_lists(site):
    ckan = RemoteCKAN(site)
    resource_id = ckan.action.package_show(id="phuong-xa")["resources"][0]["id"]
    meta = ckan.action.datastore_search(resource_id=resource_id, limit=0)
    assert meta["fields"][0] == {"id": "_id", "type": "int"}
    assert meta["total"] == len(WARDS_ROWS)
    with_marks = ckan.action.datastore_search(resource_id=resource_id, q="Kiến Thụy")
    without = ckan.action.datastore_search(resource_id=resource_id, q="kien thuy")
    assert with_marks["records"] == without["records"]
    assert [r["ten"] for r in without["records"]] == ["Xã Kiến Thụy"]
    filtered = ckan.action.datastore_search(resource_id=resource_id,
                                            filters={"ten": "Phường Lê Chân"})
    assert filtered["total"] == 1 and filtered["records"][0]["dan_so"] == 98765
    lists = ckan.action.datastore_search(resource_id=resource_id, records_format="lists",
                                         sort="dan_so desc", fields=["ten", "dan_so"], limit=2)
    assert lists["records"][0] == ["Phường Hồng Bàng", 1234567]
    sql = ckan.action.datastore_search_sql(
        sql=f'SELECT count(*) AS n FROM "{resource_id}" WHERE dien_tich > 10')
    assert sql["records"] == [{"n": 3}]
    with pytest.raises(NotAuthorized):
        ckan.action.datastore_search_sql(sql=f"SELECT * FROM read_csv('/etc/passwd') "
                                             f"-- {resource_id}")
    with pytest.raises(ValidationError):
        ckan.action.datastore_search_sql(sql=f'SELECT 1 FROM "{resource_id}"; SELECT 2')


def test_create_dataset_and_upload_a_resource_with_a_token(site, publisher, outsider):
    _row, token = api_token_create(user=publisher)
    ckan = RemoteCKAN(site, apikey=token)
    with pytest.raises(ValidationError):
        ckan.action.package_create(title="Thiếu tên")
    org = ckan.action.organization_list()[0]
    created = ckan.action.package_create(name="truong-hoc", title="Trường học",
                                         owner_org=str(publisher.memberships.get().agency_id),
                                         notes="Danh sách trường học", tags=[{"name": "giáo dục"}])
    assert created["name"] == "truong-hoc" and org
    resource = ckan.action.resource_create(
        package_id="truong-hoc", name="Danh sách",
        upload=("truong.csv", io.BytesIO(table_text().encode("cp1258", errors="ignore")
                                         if False else table_text().encode())),
    )
    assert resource["datastore_active"] is True and resource["format"] == "CSV"
    rows = ckan.action.datastore_search(resource_id=resource["id"], q="hong bang")
    assert rows["total"] == 1
    patched = ckan.action.package_patch(id="truong-hoc", notes="Đã cập nhật")
    assert patched["notes"] == "Đã cập nhật" and patched["title"] == "Trường học"
    _row2, other_token = api_token_create(user=outsider)
    with pytest.raises(NotAuthorized):
        RemoteCKAN(site, apikey=other_token).action.package_patch(id="truong-hoc", notes="x")
    with pytest.raises(NotAuthorized):
        RemoteCKAN(site).action.package_create(name="an-danh", title="Ẩn danh", owner_org=org)
    ckan.action.resource_delete(id=resource["id"])
    assert ckan.action.package_show(id="truong-hoc")["num_resources"] == 0


def test_envelope_status_codes_and_unknown_action(client, site):
    response = client.get("/api/3/action/status_show")
    body = response.json()
    assert response.status_code == 200 and body["success"] is True
    assert body["help"].endswith("help_show?name=status_show")
    missing = client.post("/api/action/package_show", {"id": "khong-co"},
                          content_type="application/json")
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error"
    unknown = client.get("/api/3/action/khong_biet")
    assert unknown.status_code == 400 and unknown.json().startswith("Bad request")
    clamped = client.get("/api/3/action/package_search", {"rows": 5000})
    assert clamped.status_code == 200
    assert client.get("/api/3/action/package_create").status_code == 400


def test_resource_upload_past_the_limit_is_refused(site, publisher, settings):
    settings.CIVICPORT_DATAHUB_MAX_UPLOAD_BYTES = 2000
    _row, token = api_token_create(user=publisher)
    ckan = RemoteCKAN(site, apikey=token)
    ckan.action.package_create(name="lon", title="Lớn",
                               owner_org=str(publisher.memberships.get().agency_id))
    with pytest.raises(ValidationError) as caught:
        ckan.action.resource_create(package_id="lon", name="Lớn",
                                    upload=("lon.csv", io.BytesIO(b"a,b\n" + b"1,2\n" * 5000)))
    assert "MB" in str(caught.value.error_dict["upload"])
    assert ckan.action.package_show(id="lon")["num_resources"] == 0
