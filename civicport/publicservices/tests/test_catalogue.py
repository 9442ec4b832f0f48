"""The procedure catalogue: the seeded reference data, search, filters and writes.

Requirements: the real procedures load idempotently (a second load writes nothing); search
ignores Vietnamese accents and `đ`; filters by agency (or every commune), field and level
combine with it; saving a procedure changes only what differs and keeps it indexed.
"""

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import RequestFactory

from civicport.core.models import Agency, SearchEntry
from civicport.core.seeding import reference as core_reference
from civicport.publicservices import catalogue
from civicport.publicservices.admin import ProcedureAdmin
from civicport.publicservices.models import (
    Field,
    Procedure,
    ProcedureLevel,
    ProcedureStep,
    RequiredDocument,
)
from civicport.publicservices.seeding import procedures_path, reference
from civicport.publicservices.tests import factories

DATA = json.loads(procedures_path(31).read_text(encoding="utf-8"))
COMMUNE_CODES = {p["code"] for p in DATA["procedures"] if p["agencies"] == ["UBND cấp xã"]}


def seed_catalogue() -> None:
    """Units, agencies and the real catalogue, as `civicport seed` loads them."""
    core_reference()
    reference()


@pytest.fixture
def seeded(db):
    seed_catalogue()


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def search(**kwargs) -> set[str]:
    return codes(catalogue.procedure_search(**kwargs))


def snapshot() -> dict:
    return {
        "procedures": dict(Procedure.objects.values_list("code", "updated_at")),
        "steps": sorted(ProcedureStep.objects.values_list("pk", "procedure_id", "order", "name",
                                                          "hours")),
        "documents": sorted(RequiredDocument.objects.values_list("pk", "name", "copies")),
        "fields": sorted(Field.objects.values_list("pk", "code", "name")),
        "links": Procedure.agencies.through.objects.count(),
        "index": SearchEntry.objects.filter(scope=catalogue.SEARCH_SCOPE).count(),
    }


# --- the seed ------------------------------------------------------------------------------


def test_reference_loads_the_real_catalogue(seeded):
    assert Procedure.objects.count() == len(DATA["procedures"]) == 30
    assert Field.objects.count() == len(DATA["fields"]) == 17
    assert ProcedureStep.objects.count() == sum(len(p["steps"]) for p in DATA["procedures"])
    assert RequiredDocument.objects.count() == sum(len(p["documents"])
                                                    for p in DATA["procedures"])
    birth = Procedure.objects.get(code="1.001193")
    assert (birth.name, birth.field.name, birth.level) == (
        "Đăng ký khai sinh", "Hộ tịch", ProcedureLevel.FULL_ONLINE,
    )
    assert birth.agencies.count() == 114
    assert set(birth.agencies.values_list("kind", flat=True)) == {Agency.Kind.COMMUNE}
    licence = Procedure.objects.get(code="3.000347")
    assert list(licence.agencies.values_list("code", flat=True)) == ["000.00.15.H31"]
    assert (licence.time_amount, licence.time_unit, licence.fee_amount) == (
        Decimal("5.00"), "working_days", 135000,
    )


def test_commune_procedures_belong_to_every_commune(seeded):
    communes = Agency.objects.filter(kind=Agency.Kind.COMMUNE).count()
    assert communes == 114
    assert len(COMMUNE_CODES) == 13
    for code in COMMUNE_CODES:
        assert Procedure.objects.get(code=code).agencies.count() == communes, code


def test_liên_thông_step_is_at_the_police(seeded):
    steps = Procedure.objects.get(code="3.000722").steps.order_by("order")
    assert [(s.order, s.agency.code if s.agency else None, s.role) for s in steps] == [
        (1, None, "receiver"), (2, None, "processor"), (3, None, "approver"),
        (4, "000.00.15.H31", "processor"), (5, None, "processor"), (6, None, "receiver"),
    ]


def test_seeded_procedures_are_consistent(seeded):
    for procedure in Procedure.objects.prefetch_related("steps"):
        hours = sum(s.hours for s in procedure.steps.all())
        assert hours <= catalogue.total_hours(procedure.time_amount, procedure.time_unit), (
            procedure.code
        )
        assert catalogue.form_schema_errors(procedure.form_schema) == [], procedure.code
        assert catalogue.PROCEDURE_CODE.match(procedure.code), procedure.code
        assert [s.order for s in procedure.steps.all()] == list(
            range(1, procedure.steps.count() + 1)
        )


def test_every_entry_says_whether_its_code_is_verified():
    entries = DATA["procedures"]
    assert all(isinstance(e["_code_verified"], bool) for e in entries)
    placeholders = {e["code"] for e in entries if e["code"].startswith("0.")}
    assert not any(e["_code_verified"] for e in entries if e["code"] in placeholders)
    assert len({e["code"] for e in entries}) == len(entries)


def test_second_load_changes_nothing(seeded):
    before = snapshot()
    assert reference() == "30 procedures in 17 fields (created 0, updated 0, unchanged 30)"
    assert snapshot() == before


def test_reload_repairs_only_what_was_edited(seeded):
    before = snapshot()
    Procedure.objects.filter(code="1.000894").update(name="Sửa tay")
    step = ProcedureStep.objects.get(procedure__code="1.000656", order=2)
    step.hours = Decimal("1")
    step.save()
    assert reference().endswith("(created 0, updated 2, unchanged 28)")
    after = snapshot()
    assert Procedure.objects.get(code="1.000894").name == "Đăng ký kết hôn"
    assert after["steps"] == before["steps"]  # updated in place: same primary keys
    changed = {code for code, at in after["procedures"].items()
               if at != before["procedures"][code]}
    assert changed == {"1.000894", "1.000656"}


# --- search --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("khai sinh", {"1.001193", "3.000722"}, id="no-accents"),
        pytest.param("Đăng ký khai sinh", {"1.001193", "3.000722"}, id="accents"),
        pytest.param("dang ky ket hon", {"1.000894"}, id="marriage"),
        pytest.param("ĐỔI GIẤY PHÉP LÁI XE", {"3.000347"}, id="upper-case-đ"),
        pytest.param("xac nhan tinh trang hon nhan", {"1.004873"}, id="marital-status"),
        pytest.param("khai tu", {"1.000656", "1.001193", "3.000722"}, id="word-prefix"),
        pytest.param("giay phep lai xe", {"3.000347"}, id="driving-licence"),
        pytest.param("ly lich tu phap", {"0.000001"}, id="criminal-record"),
        # Every word is a prefix: "chứng nhận … thực phẩm" matches too.
        pytest.param("chung thuc", {"2.000815", "2.000884", "0.000010"}, id="field-name"),
        pytest.param("dat dai", {"0.000005", "0.000006"}, id="đất-đai"),
        pytest.param("001193", {"1.001193"}, id="code"),
        pytest.param("cong an", {"0.000001", "3.000347"}, id="agency-name"),
        pytest.param("so y te", {"0.000009", "0.000010"}, id="department"),
        pytest.param("khai sinh xyz", set(), id="no-match"),
    ],
)
def test_search(seeded, query, expected):
    assert search(q=query) == expected


def test_commune_label_finds_every_commune_procedure(seeded):
    assert search(q="ubnd cap xa") == COMMUNE_CODES


def test_empty_query_lists_everything_in_a_stable_order(seeded):
    rows = list(catalogue.procedure_search().values_list("field__code", "code"))
    assert len(rows) == 30
    assert rows == sorted(rows)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({"level": "truc_tiep"}, {"2.000884"}, id="level"),
        pytest.param({"q": "khai sinh", "level": "toan_trinh"}, {"1.001193", "3.000722"},
                     id="query-and-level"),
        pytest.param({"q": "chung thuc", "level": "truc_tiep"}, {"2.000884"}, id="narrowed"),
    ],
)
def test_filters(seeded, filters, expected):
    assert search(**filters) == expected


def test_agency_and_field_filters(seeded):
    home_affairs = Agency.objects.get(short_name="Sở Nội vụ")
    assert search(agency_id=home_affairs.pk) == {"1.014199", "1.014748"}
    assert search(agency_kind=Agency.Kind.COMMUNE) == COMMUNE_CODES
    one_commune = Agency.objects.filter(kind=Agency.Kind.COMMUNE).first()
    assert search(agency_id=one_commune.pk) == COMMUNE_CODES
    civil_status = Field.objects.get(code="ho-tich")
    assert search(field_id=civil_status.pk) == {
        "1.001193", "3.000722", "1.000894", "1.000656", "1.001022", "1.004873", "2.000635",
    }
    assert search(field_id=civil_status.pk, q="ket hon") == {"1.000894"}


def test_inactive_procedures_are_hidden_unless_asked(seeded):
    Procedure.objects.filter(code="1.000894").update(is_active=False)
    assert search(q="ket hon") == set()
    assert search(q="ket hon", active_only=False) == {"1.000894"}


def test_catalogue_filters_resolve_codes_and_report_unknown_values(seeded):
    parsed = catalogue.catalogue_filters(
        q="  khai sinh ", agency=catalogue.COMMUNES, field_code="ho-tich", level="toan_trinh"
    )
    assert parsed.errors == {}
    assert parsed.search == {
        "q": "khai sinh", "agency_kind": Agency.Kind.COMMUNE,
        "field_id": Field.objects.get(code="ho-tich").pk, "level": "toan_trinh",
    }
    police = catalogue.catalogue_filters(agency="000.00.15.H31")
    assert police.search["agency_id"] == Agency.objects.get(code="000.00.15.H31").pk
    bad = catalogue.catalogue_filters(agency="nope", field_code="nope", level="nope")
    assert set(bad.errors) == {"agency", "field", "level"}
    assert bad.search == {"q": ""}


def test_facets(seeded):
    facets = catalogue.procedure_facets(catalogue.procedure_search(q="dang ky"))
    assert facets["levels"] == {"toan_trinh": 5, "mot_phan": 4}
    assert {f["code"]: f["count"] for f in facets["fields"]} == {
        "dang-ky-doanh-nghiep": 1, "dat-dai": 1, "dau-tu": 1, "ho-kinh-doanh": 1, "ho-tich": 5,
    }


def test_field_list_and_agency_options(seeded):
    fields = {f.code: f.procedure_count for f in catalogue.field_list()}
    assert len(fields) == 17 and sum(fields.values()) == 30 and fields["ho-tich"] == 7
    options = [a.short_name for a in catalogue.agency_options()]
    assert options == [
        "Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng", "Sở Nông nghiệp và Môi trường",
        "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Công Thương",
        "Sở Văn hóa, Thể thao và Du lịch", "Ban Quản lý Khu kinh tế", "Công an thành phố",
    ]


# --- writes --------------------------------------------------------------------------------


def _spec(procedure: Procedure, **changes) -> catalogue.ProcedureSpec:
    values = {
        "code": procedure.code, "name": procedure.name, "field_id": procedure.field_id,
        "agency_ids": set(procedure.agencies.values_list("pk", flat=True)),
        "level": procedure.level, "time_amount": procedure.time_amount,
        "time_unit": procedure.time_unit,
        "steps": [catalogue.StepSpec(order=s.order, name=s.name, role=s.role, hours=s.hours,
                                     agency_id=s.agency_id) for s in procedure.steps.all()],
    }
    return catalogue.ProcedureSpec(**(values | changes))


def test_procedure_save_indexes_new_names(db):
    procedure = factories.procedure(name="Thủ tục cũ")
    saved, outcome = catalogue.procedure_save(_spec(procedure, name="Cấp giấy phép đặc biệt"))
    assert (saved.pk, outcome) == (procedure.pk, "updated")
    assert search(q="giay phep dac biet") == {procedure.code}
    assert search(q="thu tuc cu") == set()
    assert catalogue.procedure_save(_spec(saved))[1] == "unchanged"


def test_step_in_use_by_a_dossier_cannot_be_removed(db):
    procedure = factories.procedure()
    step = procedure.steps.get(order=3)
    factories.dossier(procedure=procedure, current_step=step)
    spec = _spec(procedure)
    spec.steps = spec.steps[:2]
    assert catalogue.steps_in_use(spec) == [3]


def test_spec_problems_name_the_attribute(db):
    procedure = factories.procedure(hours=4)
    spec = _spec(procedure, code="x1", agency_ids=set(), form_schema=[{"key": "A"}])
    attributes = [attribute for attribute, _message in catalogue.spec_problems(spec)]
    assert list(dict.fromkeys(attributes)) == ["code", "time_amount", "agencies", "form_schema"]


@pytest.mark.parametrize(
    ("schema", "count"),
    [
        pytest.param([], 0, id="empty"),
        pytest.param([{"key": "a", "label": "A", "type": "text", "required": True}], 0, id="ok"),
        pytest.param({"key": "a"}, 1, id="not-a-list"),
        pytest.param([{"key": "a", "label": "A", "type": "colour"}], 1, id="bad-type"),
        pytest.param([{"key": "a", "label": "A", "type": "choice"}], 1, id="choice-no-choices"),
        pytest.param([{"key": "a", "label": "A", "type": "text", "choices": ["x"]}], 1,
                     id="choices-on-text"),
        pytest.param([{"key": "a", "label": "A", "type": "text"}] * 2, 1, id="duplicate-key"),
        pytest.param([{"key": "A b", "label": "", "type": "text", "x": 1}], 3, id="many"),
    ],
)
def test_form_schema_errors(schema, count):
    assert len(catalogue.form_schema_errors(schema)) == count


def test_admin_save_reindexes(seeded, admin_user):
    procedure = Procedure.objects.get(code="1.000894")
    procedure.name = "Đăng ký kết hôn lưu động"
    procedure.save()
    request = RequestFactory().post("/")
    request.user = admin_user
    form = SimpleNamespace(instance=procedure, save_m2m=lambda: None)
    ProcedureAdmin(Procedure, admin.site).save_related(request, form, [], change=True)
    assert search(q="luu dong") == {"1.000894"}


def test_admin_pages_render(seeded, admin_client):
    procedure = Procedure.objects.get(code="3.000722")
    assert admin_client.get("/admin/publicservices/procedure/?q=khai").status_code == 200
    page = admin_client.get(f"/admin/publicservices/procedure/{procedure.pk}/change/")
    assert page.status_code == 200
    assert admin_client.get("/admin/publicservices/field/").status_code == 200
