"""Public catalogue pages (/thu-tuc/) and the catalogue API.

Requirements: the list searches and filters without JavaScript and answers htmx requests
with the results fragment; the detail page shows everything about a procedure and links the
online filing page only when the procedure can be filed online; unknown codes are 404; the
pages carry no inline scripts or styles; the API returns the documented shapes and errors.
"""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import translation

from civicport.core.tests.factories import router_client
from civicport.publicservices.api import router
from civicport.publicservices.models import Procedure, RequiredDocument
from civicport.publicservices.tests.test_catalogue import COMMUNE_CODES, seed_catalogue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("civicport.publicservices.tests.urls_for_tests"),
]


@pytest.fixture
def seeded(db):
    seed_catalogue()

LIST_URL = "/thu-tuc/"


def item_codes(response) -> list[str]:
    return re.findall(r'data-testid="procedure-item" data-code="([^"]+)"', response.content.decode())


def test_url_names():
    assert reverse("publicservices:catalogue") == "/thu-tuc/"
    assert reverse("publicservices:procedure", args=["1.001193"]) == "/thu-tuc/1.001193/"


# --- list ----------------------------------------------------------------------------------


def test_list_first_and_second_page(client, seeded):
    first = client.get(LIST_URL)
    body = first.content.decode()
    assert first.status_code == 200
    assert len(item_codes(first)) == 20
    assert 'data-testid="pagination"' in body and 'data-testid="page-next"' in body
    assert 'data-testid="catalogue-search"' in body and "<html" in body
    second = client.get(LIST_URL, {"page": 2})
    assert len(item_codes(second)) == 10
    assert set(item_codes(first)) | set(item_codes(second)) == set(
        Procedure.objects.values_list("code", flat=True)
    )


def test_search_without_javascript(client, seeded):
    response = client.get(LIST_URL, {"q": "giay phep lai xe"})
    assert item_codes(response) == ["3.000347"]
    assert 'value="giay phep lai xe"' in response.content.decode()


def test_htmx_request_gets_the_results_fragment(client, seeded):
    response = client.get(LIST_URL, {"q": "khai sinh"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="catalogue-search"' not in body
    assert sorted(item_codes(response)) == ["1.001193", "3.000722"]
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"agency": "xa"}, COMMUNE_CODES, id="communes"),
        pytest.param({"agency": "000.00.15.H31"}, {"0.000001", "3.000347"}, id="police"),
        pytest.param({"field": "chung-thuc"}, {"2.000815", "2.000884"}, id="field"),
        pytest.param({"level": "truc_tiep"}, {"2.000884"}, id="level"),
        pytest.param({"q": "dang ky", "field": "ho-tich", "level": "mot_phan"},
                     {"1.000894", "1.001022"}, id="combined"),
    ],
)
def test_filters(client, seeded, params, expected):
    assert set(item_codes(client.get(LIST_URL, params))) == expected


def test_unknown_filter_values_are_ignored(client, seeded):
    response = client.get(LIST_URL, {"agency": "nope", "level": "muc-4", "field": "x"})
    assert response.status_code == 200
    assert len(item_codes(response)) == 20


def test_filter_form_lists_departments_and_the_commune_group(client, seeded):
    body = client.get(LIST_URL, {"agency": "xa"}).content.decode()
    assert '<option value="000.00.15.H31">Công an thành phố</option>' in body
    assert '<option value="xa" selected>' in body
    assert 'for="catalogue-q"' in body and 'for="catalogue-agency"' in body


def test_no_results_message(client, seeded):
    response = client.get(LIST_URL, {"q": "khong co thu tuc nay"})
    assert item_codes(response) == []
    assert 'data-testid="no-results"' in response.content.decode()


def test_english_page(client, seeded):
    client.cookies["django_language"] = "en"
    body = client.get(LIST_URL, {"q": "khai sinh"}).content.decode()
    assert '<html lang="en">' in body
    assert "2 procedures found" in body
    assert "Administrative procedures" in body
    full = client.get("/thu-tuc/0.000007/").content.decode()
    assert 'data-testid="procedure-fee">3,000,000 đ<' in full


def test_no_inline_scripts_or_styles(client, seeded):
    for url in (LIST_URL, "/thu-tuc/1.001193/"):
        body = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert " style=" not in body and "<style" not in body, url
        assert "/static/css/publicservices.css" in body


# --- detail --------------------------------------------------------------------------------


def test_detail_page(client, seeded):
    response = client.get("/thu-tuc/1.001193/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<h1 data-testid="procedure-name">Đăng ký khai sinh</h1>' in body
    assert 'data-level="toan_trinh"' in body
    assert body.count('data-testid="document"') == 3
    assert body.count('data-testid="step"') == 4
    assert "Luật Hộ tịch số 60/2014/QH13" in body
    assert 'href="/thu-tuc/1.001193/nop/" data-testid="submit-online"' in body
    assert "114" in re.search(r'data-testid="procedure-agencies">([^<]*)<', body).group(1)


def test_detail_of_an_in_person_procedure_has_no_online_filing(client, seeded):
    body = client.get("/thu-tuc/2.000884/").content.decode()
    assert 'data-testid="submit-online"' not in body
    assert 'data-testid="offline-only"' in body
    assert 'data-testid="procedure-fee">10.000 đ<' in body


def test_detail_shows_liên_thông_agency_and_template_link(client, seeded):
    document = RequiredDocument.objects.get(procedure__code="3.000722", order=1)
    document.template.name = "publicservices/templates/to-khai.docx"
    document.save()
    body = client.get("/thu-tuc/3.000722/").content.decode()
    assert 'href="/media/publicservices/templates/to-khai.docx"' in body
    assert "Công an thành phố" in body


def test_unknown_and_inactive_procedures_are_404(client, seeded):
    assert client.get("/thu-tuc/9.999999/").status_code == 404
    Procedure.objects.filter(code="1.001193").update(is_active=False)
    assert client.get("/thu-tuc/1.001193/").status_code == 404
    assert "1.001193" not in item_codes(client.get(LIST_URL, {"q": "khai sinh"}))


# --- API -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api():
    return router_client("/publicservices/", router)


def get(api, path: str, **query):
    return api.get(f"/publicservices{path}?{urlencode(query)}")


def test_api_list(api, seeded):
    response = get(api, "/procedures", q="giay phep lai xe")
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "items": [{
            "code": "3.000347", "name": "Đổi giấy phép lái xe",
            "field": {"code": "duong-bo", "name": "Đường bộ"},
            "level": "toan_trinh", "time_amount": 5.0, "time_unit": "working_days",
            "fee_amount": 135000,
            "implementing": {"agencies": [{"code": "000.00.15.H31",
                                           "name": "Công an thành phố Hải Phòng",
                                           "short_name": "Công an thành phố"}],
                             "commune_count": 0},
            "updated_at": Procedure.objects.get(code="3.000347").updated_at.isoformat(),
        }],
    }


def test_api_list_filters_and_pages(api, seeded):
    communes = get(api, "/procedures", agency="xa").json()
    assert communes["count"] == 13
    assert {i["code"] for i in communes["items"]} == COMMUNE_CODES
    assert communes["items"][0]["implementing"] == {"agencies": [], "commune_count": 114}
    everything = get(api, "/procedures").json()
    assert (everything["count"], len(everything["items"])) == (30, 30)
    assert get(api, "/procedures", page=2).json() == {"count": 30, "items": []}


def test_api_bad_filters(api, seeded):
    with translation.override("en"):
        response = api.get("/publicservices/procedures?level=muc4&field=nope",
                           headers={"accept-language": "en"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_filter"
    assert [d["field"] for d in error["details"]] == ["field", "level"]


def test_api_detail(api, seeded):
    body = get(api, "/procedures/3.000722").json()
    assert set(body) == {
        "code", "name", "field", "level", "time_amount", "time_unit", "fee_amount",
        "implementing", "updated_at", "fee_description", "legal_basis", "result_description",
        "requirements", "form_schema", "documents", "steps",
    }
    assert body["steps"][3] == {
        "order": 4, "name": "Đăng ký thường trú cho trẻ", "role": "processor", "hours": 16.0,
        "agency": {"code": "000.00.15.H31", "name": "Công an thành phố Hải Phòng",
                   "short_name": "Công an thành phố"},
    }
    assert body["steps"][0]["agency"] is None
    assert body["documents"][0] == {
        "order": 1, "is_required": True, "copies": "01 bản điện tử", "template_url": None,
        "name": "Tờ khai điện tử liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ "
                "bảo hiểm y tế",
    }
    assert body["form_schema"][1] == {
        "key": "child_sex", "label": "Giới tính", "type": "choice", "required": True,
        "choices": ["Nam", "Nữ"], "help": "",
    }
    assert [f["key"] for f in body["form_schema"]][-4:] == [
        "applicant_name", "applicant_id_number", "applicant_phone", "applicant_address",
    ]


def test_api_detail_unknown_code(api, seeded):
    response = api.get("/publicservices/procedures/9.999999", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_fields(api, seeded):
    fields = get(api, "/fields").json()
    assert len(fields) == 17
    assert fields[0] == {"code": "an-toan-thuc-pham", "name": "An toàn thực phẩm",
                         "procedure_count": 1}
    assert sum(f["procedure_count"] for f in fields) == 30


# --- no query per row ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        pytest.param(LIST_URL, 5, id="list"),  # count, page, agencies, filter options ×2
        pytest.param("/thu-tuc/?q=khai+sinh&agency=xa&page=1", 5, id="search"),
        pytest.param("/thu-tuc/3.000722/", 4, id="detail"),  # procedure, agencies, steps, docs
    ],
)
def test_pages_use_a_fixed_number_of_queries(client, seeded, django_assert_num_queries, url,
                                             queries):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_api_list_uses_a_fixed_number_of_queries(api, seeded, django_assert_num_queries):
    with django_assert_num_queries(3):  # count, page, agencies
        assert get(api, "/procedures", agency="xa").json()["count"] == 13
