"""The agency tree of Hải Phòng: city, departments, commune committees, codes and paths."""

import json
import re
from collections import Counter

import pytest

from civicport.core.agencies import (
    agencies_load,
    agencies_path,
    agency_descendant_ids,
    agency_list,
    commune_code,
)
from civicport.core.models import Agency, Ward
from civicport.core.text import fold

DEPARTMENTS = json.loads(agencies_path(31).read_text(encoding="utf-8"))["departments"]
CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H31$")


@pytest.fixture
def tree(db):
    return agencies_load()


@pytest.fixture
def city(tree):
    return Agency.objects.get(kind=Agency.Kind.CITY)


def test_commune_code_is_derived_from_the_ward_code():
    assert commune_code(11311, 31) == "001.13.11.H31"
    assert commune_code(10507, 31) == "001.05.07.H31"
    with pytest.raises(ValueError):
        commune_code(7, 31)  # would read as a department code


def test_department_list_after_the_2025_mergers():
    names = {d["short_name"] for d in DEPARTMENTS}
    assert {"Sở Khoa học và Công nghệ", "Sở Nông nghiệp và Môi trường",
            "Sở Văn hóa, Thể thao và Du lịch", "Sở Nội vụ", "Sở Tài chính"} <= names
    # merged away on 1 March 2025
    assert not names & {"Sở Thông tin và Truyền thông", "Sở Du lịch", "Sở Kế hoạch và Đầu tư",
                        "Sở Giao thông vận tải", "Sở Lao động - Thương binh và Xã hội"}


@pytest.mark.django_db
def test_tree_has_city_departments_and_114_communes(tree):
    assert tree["agencies"] == 1 + len(DEPARTMENTS) + 114 == 130
    kinds = Counter(Agency.objects.values_list("kind", flat=True))
    assert kinds == {"city": 1, "department": len(DEPARTMENTS), "commune": 114}
    city = Agency.objects.get(kind="city")
    assert (city.code, city.name) == ("000.00.00.H31", "Ủy ban nhân dân thành phố Hải Phòng")
    assert set(Agency.objects.exclude(pk=city.pk).values_list("parent_id", flat=True)) == {
        city.pk
    }


@pytest.mark.django_db
def test_each_commune_committee_is_linked_to_its_ward(tree):
    communes = Agency.objects.filter(kind="commune").select_related("ward")
    assert {a.ward_id for a in communes} == set(Ward.objects.values_list("code", flat=True))
    for agency in communes:
        assert agency.code == commune_code(agency.ward.code, 31)
    hong_bang = Ward.objects.get(name="Phường Hồng Bàng").committee
    assert (hong_bang.name, hong_bang.short_name) == (
        "Ủy ban nhân dân phường Hồng Bàng", "UBND phường Hồng Bàng",
    )
    assert Ward.objects.get(name="Đặc khu Cát Hải").committee.name == (
        "Ủy ban nhân dân đặc khu Cát Hải"
    )
    assert not Agency.objects.exclude(kind="commune").filter(ward__isnull=False).exists()


@pytest.mark.django_db
def test_codes_are_unique_and_well_formed(tree):
    codes = list(Agency.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 130
    assert all(CODE.match(code) for code in codes)


@pytest.mark.django_db
def test_paths_and_folded_names(tree, city):
    assert city.path == f"/{city.pk}/"
    for agency in Agency.objects.exclude(pk=city.pk):
        assert agency.path == f"{city.path}{agency.pk}/"
    for agency in Agency.objects.all():
        assert agency.name_folded == fold(agency.name)


@pytest.mark.django_db
def test_loading_twice_changes_nothing(tree):
    again = agencies_load()
    assert (again["agencies"], again["unchanged"]) == (130, 130)
    assert Agency.objects.count() == 130


@pytest.mark.django_db
def test_loading_repairs_a_broken_path_and_name(tree):
    science = Agency.objects.get(short_name="Sở Khoa học và Công nghệ")
    Agency.objects.filter(pk=science.pk).update(path="/wrong/", name="x", name_folded="x")
    assert agencies_load()["updated"] == 1
    science.refresh_from_db()
    assert science.path.endswith(f"/{science.pk}/") and science.name_folded.startswith("so khoa")


@pytest.mark.django_db
def test_descendants_use_the_path(tree, city):
    everyone = set(Agency.objects.values_list("id", flat=True))
    assert agency_descendant_ids(city) == everyone - {city.pk}
    assert agency_descendant_ids(city, include_self=True) == everyone
    department = Agency.objects.get(code="000.00.06.H31")
    assert agency_descendant_ids(department) == set()
    unit = Agency.objects.create(
        code="001.00.06.H31", name="Trung tâm Chuyển đổi số", kind="unit", parent=department
    )
    unit.path = f"{department.path}{unit.pk}/"
    unit.save(update_fields=["path"])
    assert agency_descendant_ids(department) == {unit.pk}
    assert unit.pk in agency_descendant_ids(city)
    assert agency_descendant_ids(Agency(pk=999, path="")) == set()


@pytest.mark.django_db
def test_agency_list_filters(tree):
    assert len(agency_list()) == 130
    assert len(agency_list(kind="department")) == len(DEPARTMENTS)
    assert [a.short_name for a in agency_list("ubnd kien hai")] == ["UBND xã Kiến Hải"]
    assert [a.code for a in agency_list("so y te")] == ["000.00.08.H31"]
