"""Current wards, former communes, address resolution, ward search and the units API."""

import json
from collections import Counter

import pytest
from vietnam_provinces import Ward as SourceWard

from civicport.core.api_units import router
from civicport.core.models import LegacyWard, Province, Ward
from civicport.core.tests.factories import router_client
from civicport.core.units import (
    bare_name,
    legacy_load,
    legacy_path,
    name_key,
    resolve_address,
    resolve_legacy,
    units_load,
    ward_search,
)


@pytest.fixture
def units(db):
    units_load()
    legacy_load()


@pytest.fixture(scope="module")
def api_client():
    return router_client("/units/", router)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "bare", "key"), [
    ("Xã Đại Hợp", "Đại Hợp", "dai hop"),
    ("Thị trấn Núi Đối", "Núi Đối", "nui doi"),
    ("TP. Hải Dương", "Hải Dương", "hai duong"),
    ("Đặc khu Bạch Long Vĩ", "Bạch Long Vĩ", "bach long vi"),
    ("Phường Đông Hải 1", "Đông Hải 1", "dong hai 1"),
    ("Phường", "Phường", "phuong"),
])
def test_bare_name_and_key(name, bare, key):
    assert bare_name(name) == bare
    assert name_key(name) == key


# --- current units ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_units_load_creates_the_114_units_of_hai_phong():
    counts = units_load()
    assert counts == {"province": 31, "wards": 114, "created": 114, "updated": 0, "unchanged": 0}
    assert Province.objects.get(code=31).name == "Thành phố Hải Phòng"
    kinds = Counter(Ward.objects.filter(province_id=31).values_list("kind", flat=True))
    assert kinds == {"xa": 67, "phuong": 45, "dac_khu": 2}
    hong_bang = Ward.objects.get(name="Phường Hồng Bàng")
    assert (hong_bang.kind, hong_bang.name_folded) == ("phuong", "phuong hong bang")


@pytest.mark.django_db
def test_units_load_twice_changes_nothing_and_repairs_edits():
    units_load()
    assert units_load()["unchanged"] == 114
    assert Ward.objects.count() == 114 and Province.objects.count() == 1
    Ward.objects.filter(name="Phường Hồng Bàng").update(name="sai", name_folded="sai")
    assert units_load()["updated"] == 1
    assert Ward.objects.filter(name_folded="phuong hong bang").count() == 1


# --- former units ----------------------------------------------------------------------------


def test_legacy_data_file_is_consistent():
    rows = json.loads(legacy_path(31).read_text(encoding="utf-8"))
    current = {int(w.code) for w in SourceWard.iter_by_province(31)}
    assert len({r["code"] for r in rows}) == len(rows) == 374
    assert Counter(r["province_code"] for r in rows) == {30: 207, 31: 167}
    assert {r["ward_code"] for r in rows} <= current
    # every current unit took over at least one former commune, except the island district
    # of Bạch Long Vĩ, which had no commune level
    assert current - {r["ward_code"] for r in rows} == {11948}


@pytest.mark.django_db
def test_legacy_load_is_idempotent(units):
    assert LegacyWard.objects.count() == 374
    again = legacy_load()
    assert (again["legacy"], again["unchanged"]) == (374, 374)
    assert LegacyWard.objects.count() == 374
    dai_hop = LegacyWard.objects.get(code=11752)
    assert (dai_hop.name, dai_hop.district_name) == ("Xã Đại Hợp", "Huyện Kiến Thuỵ")
    assert (dai_hop.name_folded, dai_hop.district_folded) == ("xa dai hop", "huyen kien thuy")


@pytest.mark.django_db
def test_legacy_load_loads_wards_first_when_missing():
    assert legacy_load()["legacy"] == 374
    assert Ward.objects.count() == 114


@pytest.mark.django_db
def test_resolve_legacy_by_name_and_district(units):
    assert [r.district_name for r in resolve_legacy("Đại Hợp")] == [
        "Huyện Tứ Kỳ", "Huyện Kiến Thuỵ",
    ]
    [kien_thuy] = resolve_legacy("xã Dai Hop", district="huyện Kiến Thụy")
    assert kien_thuy.ward.name == "Xã Kiến Hải"
    [tu_ky] = resolve_legacy("DAI HOP", district="Tu Ky")
    assert tu_ky.ward.name == "Xã Tân Kỳ"
    assert resolve_legacy("Không Có") == [] and resolve_legacy("") == []


# --- addresses -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("address", "ward"), [
    # the example of the brief: an old Hải Phòng commune, merged into Xã Kiến Hải
    ("xã Đại Hợp, huyện Kiến Thụy", "Xã Kiến Hải"),
    ("Dai Hop, Kien Thuy, Hai Phong", "Xã Kiến Hải"),
    ("DAI HOP KIEN THUY", "Xã Kiến Hải"),
    ("Hải Phòng, huyện Kiến Thụy, xã Đại Hợp", "Xã Kiến Hải"),
    # the same old name in Hải Dương: the district decides
    ("xã Đại Hợp, huyện Tứ Kỳ, tỉnh Hải Dương", "Xã Tân Kỳ"),
    ("Đại Hợp, Hải Dương", "Xã Tân Kỳ"),
    ("phường Minh Đức, quận Đồ Sơn", "Phường Nam Đồ Sơn"),
    ("phường Minh Đức, TP Thủy Nguyên", "Phường Bạch Đằng"),
    ("Bàng La, Đồ Sơn", "Phường Nam Đồ Sơn"),  # completed from the GSO conversion table
    # old Hải Dương units
    ("phường Trần Hưng Đạo, TP Hải Dương, tỉnh Hải Dương", "Phường Hải Dương"),
    ("phường Phạm Thái, thị xã Kinh Môn, tỉnh Hải Dương", "Phường Phạm Sư Mạnh"),
    ("thị trấn Phú Thái, huyện Kim Thành", "Xã Phú Thái"),  # not 'Trần Phú'
    ("phường Quán Toan, quận Hồng Bàng", "Phường Hồng An"),  # not 'quận Toan'
    ("Huyện Thanh Hà, xã Thanh Sơn", "Xã Thanh Hà"),
    ("xã Cẩm Hoàng, Cẩm Giàng, Hải Dương", "Xã Cẩm Giang"),
    # an old name that is also a current one: without a district the current ward wins
    ("Phường Trần Hưng Đạo", "Phường Trần Hưng Đạo"),
    ("Phường Trần Hưng Đạo, Thủy Nguyên", "Phường Lưu Kiếm"),
    ("phường An Dương, quận Lê Chân", "Phường An Biên"),
    ("Phường An Dương", "Phường An Dương"),
    # current names, any spelling
    ("Phường Hồng Bàng", "Phường Hồng Bàng"),
    ("phuong hong bang, thanh pho hai phong", "Phường Hồng Bàng"),
    ("Phường Hòa Bình", "Phường Hoà Bình"),
    ("Đặc khu Bạch Long Vĩ", "Đặc khu Bạch Long Vĩ"),
    # đ folds to d, and a word 'xá' inside a name is not the prefix 'xã'
    ("xã Đoàn Xá, huyện Kiến Thụy", "Xã Kiến Hưng"),
    ("doan xa, kien thuy", "Xã Kiến Hưng"),
    ("đồ sơn", "Phường Đồ Sơn"),
    # folding makes Cẩm Giang and Cẩm Giàng equal: marks in the address tell them apart
    ("Cẩm Giang", "Xã Cẩm Giang"),
    ("Cẩm Giàng", "Xã Cẩm Giàng"),
    # the kind in the address: 'xã Tân Hưng' is the old commune, not Phường Tân Hưng
    ("xã Tân Hưng, Vĩnh Bảo", "Xã Vĩnh Bảo"),
    ("P. Đông Hải 1, Q. Hải An", "Phường Đông Hải"),
    ("Thị trấn Cát Bà, huyện Cát Hải", "Đặc khu Cát Hải"),
])
def test_resolve_address(units, address, ward):
    assert resolve_address(address).name == ward


@pytest.mark.django_db
@pytest.mark.parametrize("address", [
    "", "   ", "asdf qwerty", "Hà Nội", "tỉnh Hải Dương",
    "Đại Hợp",  # two former communes, no district
    "xã Hòa Bình",  # two former communes (Kim Thành, Vĩnh Bảo), and Phường Hoà Bình is no xã
])
def test_resolve_address_gives_none_when_unsure(units, address):
    assert resolve_address(address) is None


@pytest.mark.django_db
def test_resolve_address_without_data_is_none():
    assert resolve_address("Phường Hồng Bàng") is None


# --- search ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ward_search(units):
    assert [w.name for w in ward_search("hong ba")] == ["Phường Hồng Bàng"]
    assert {w.name for w in ward_search("Đại Hợp")} == {"Xã Kiến Hải", "Xã Tân Kỳ"}
    assert ward_search("Kiến Hải")[0].name == "Xã Kiến Hải"
    # a ward's own name first, then wards that absorbed a unit of that name
    assert [w.name for w in ward_search("an duong")] == [
        "Phường An Dương", "Xã Đường An", "Phường An Biên",
    ]
    assert len(ward_search("")) == 20 and len(ward_search("", limit=5)) == 5
    assert len(ward_search("", limit=None)) == 114
    assert ward_search("zzz") == []


# --- API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_wards_list_filter_and_kind(units, api_client):
    everything = api_client.get("/units/wards").json()
    assert len(everything) == 114
    assert everything[0].keys() == {"code", "name", "kind", "province_code"}
    zones = api_client.get("/units/wards?kind=dac_khu").json()
    assert {w["name"] for w in zones} == {"Đặc khu Cát Hải", "Đặc khu Bạch Long Vĩ"}
    found = api_client.get("/units/wards", query_params={"q": "dai hop", "kind": "xa"}).json()
    assert {w["name"] for w in found} == {"Xã Kiến Hải", "Xã Tân Kỳ"}
    bad = api_client.get("/units/wards?kind=huyen")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_kind"


@pytest.mark.django_db
def test_api_ward_detail_lists_former_units(units, api_client):
    body = api_client.get("/units/wards/11749").json()
    assert (body["name"], body["kind"], body["province_code"]) == ("Xã Kiến Hải", "xa", 31)
    assert {u["name"] for u in body["legacy_units"]} == {
        "Xã Tân Phong", "Xã Tú Sơn", "Xã Đại Hợp",
    }
    missing = api_client.get("/units/wards/99999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_api_resolve(units, api_client):
    body = api_client.get(
        "/units/resolve", query_params={"address": "xã Đại Hợp, huyện Kiến Thụy"}
    ).json()
    assert body["input"] == "xã Đại Hợp, huyện Kiến Thụy"
    assert body["ward"] == {"code": 11749, "name": "Xã Kiến Hải", "kind": "xa",
                            "province_code": 31}
    unknown = api_client.get("/units/resolve", query_params={"address": "asdf"}).json()
    assert unknown == {"input": "asdf", "ward": None}
    for params in ({}, {"address": ""}, {"address": "  "}, {"address": "x" * 501}):
        response = api_client.get("/units/resolve", query_params=params)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
def test_api_agencies(api_client):
    from civicport.core.agencies import agencies_load

    agencies_load()
    everything = api_client.get("/units/agencies").json()
    assert len(everything) == 130
    assert everything[0]["kind"] == "city" and everything[0]["parent_id"] is None
    communes = api_client.get("/units/agencies?kind=commune&q=ubnd hong bang").json()
    assert [(a["name"], a["ward_code"], a["code"]) for a in communes] == [
        ("Ủy ban nhân dân phường Hồng Bàng", 11311, "001.13.11.H31"),
    ]
    assert communes[0]["parent_id"] == everything[0]["id"]
    science = api_client.get("/units/agencies", query_params={"q": "khoa hoc cong nghe"}).json()
    assert [a["name"] for a in science] == ["Sở Khoa học và Công nghệ thành phố Hải Phòng"]
    assert api_client.get("/units/agencies?kind=ministry").status_code == 422
