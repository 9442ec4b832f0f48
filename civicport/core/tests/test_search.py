import pytest

from civicport.core.models import Agency
from civicport.core.search import (
    query_words,
    search_filter,
    search_index,
    search_reindex,
    word_matches,
)
from civicport.core.text import fold, identifier, slugify, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bánh đa cua", "banh da cua"),
        ("ĐẠI HỢP", "dai hop"),
        ("Thuỷ Nguyên", "thuy nguyen"),
        ("Thủy Nguyên", "thuy nguyen"),
        ("Hòa Bình", "hoa binh"),
        ("", ""),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


def test_fold_handles_decomposed_input():
    # The same word typed with combining marks (NFD), as some keyboards and files do.
    assert fold("Ha\u0309i Pho\u0300ng") == "hai phong"


def test_slugify_and_identifier():
    assert slugify("Phường Hồng Bàng") == "phuong-hong-bang"
    assert identifier("Số hồ sơ (đã nhận)") == "so_ho_so_da_nhan"
    assert identifier("2024 Dân số") == "c_2024_dan_so"
    assert words("Xã Đại Hợp, huyện Kiến Thụy") == ["xa", "dai", "hop", "huyen", "kien", "thuy"]


@pytest.fixture
def indexed(db):
    rows = {}
    for name in ["Sở Tư pháp", "Sở Y tế", "UBND Phường Đồ Sơn", "UBND Xã Đại Hợp"]:
        agency = Agency.objects.create(code=name, name=name, kind="department")
        search_index("test.agency", agency.pk, name)
        rows[name] = agency
    return rows


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("dai hop", {"UBND Xã Đại Hợp"}),
        ("ĐẠI", {"UBND Xã Đại Hợp"}),
        ("so", {"Sở Tư pháp", "Sở Y tế", "UBND Phường Đồ Sơn"}),
        ("do son", {"UBND Phường Đồ Sơn"}),
        ("tu ph", {"Sở Tư pháp"}),
        ("y te xyz", set()),
        ("", {"Sở Tư pháp", "Sở Y tế", "UBND Phường Đồ Sơn", "UBND Xã Đại Hợp"}),
    ],
)
def test_search_filter(indexed, query, names):
    found = search_filter(Agency.objects.all(), "test.agency", query)
    assert {a.name for a in found} == names


def test_reindexing_replaces_old_words(indexed):
    agency = indexed["Sở Y tế"]
    search_index("test.agency", agency.pk, "Sở Giáo dục")
    assert not search_filter(Agency.objects.all(), "test.agency", "y te").exists()
    assert search_filter(Agency.objects.all(), "test.agency", "giao duc").get() == agency


def test_bulk_reindex_and_scopes_are_separate(indexed):
    written = search_reindex("other", [(1, ["Hải Phòng"]), (2, ["Hải Dương"])])
    assert written == 4
    assert not search_filter(Agency.objects.all(), "other", "so").exists()
    assert search_filter(Agency.objects.all(), "test.agency", "so").count() == 3


def test_query_words_are_bounded():
    assert len(query_words(" ".join(f"w{i}" for i in range(50)))) == 8


@pytest.mark.parametrize(
    ("prefix", "bound"), [("hop", "hoq"), ("ha9", "haa"), ("haz", "hb"), ("zz", None), ("a", "b")]
)
def test_prefix_upper_bound(prefix, bound):
    from civicport.core.search import _prefix_upper_bound

    assert _prefix_upper_bound(prefix) == bound


def test_prefix_ending_in_z_still_matches(db):
    search_index("test.z", 1, "Quạt gió hazzard")
    search_index("test.z", 2, "hb")
    assert list(word_matches("test.z", "haz").values_list("object_id", flat=True)) == [1]
    assert set(word_matches("test.z", "h").values_list("object_id", flat=True)) == {1, 2}


def test_word_lookup_is_a_range_on_the_index(db):
    """The query plan reads the (scope, word) index, on SQLite and on PostgreSQL."""
    from django.db import connection

    search_reindex("test.plan", ((i, [f"tu{i} pháp"]) for i in range(3000)))
    sql, params = word_matches("test.plan", "tu123").values("object_id").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE core_searchentry")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "search_scope_word" in plan, plan
