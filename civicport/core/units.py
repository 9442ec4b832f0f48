"""Administrative units: the wards in force since 1 July 2025, the former ones, addresses.

* `units_load` loads the configured province and its wards from `vietnam-provinces`.
* `legacy_load` loads `data/legacy_wards_<province>.json` (built by
  `scripts/build_legacy_wards.py`): every pre-2025 commune and the ward it became part of.
* `resolve_address` turns a free-text old or current address into the current `Ward`.
* `resolve_legacy` finds former communes by name (and district).
* `ward_search` finds current wards by name, also through the names of the units they absorbed.

All matching is on folded text (`civicport.core.text.fold`): case, diacritics and `đ` ignored.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from vietnam_provinces import Province as SourceProvince
from vietnam_provinces import Ward as SourceWard

from civicport.core.models import LegacyWard, Province, Ward
from civicport.core.text import fold, nfc, words

DATA_DIR = Path(__file__).resolve().parent / "data"

# vietnam-provinces' division types → Ward.Kind
_KIND_BY_TYPE = {"xã": Ward.Kind.COMMUNE, "phường": Ward.Kind.WARD, "đặc khu": Ward.Kind.SPECIAL_ZONE}

# Folded words that introduce a name in an address, and what they say the name is.
_UNIT_PREFIXES = {
    ("xa",): "xa", ("x",): "xa", ("phuong",): "phuong", ("p",): "phuong",
    ("thi", "tran"): "thi_tran", ("tt",): "thi_tran", ("dac", "khu"): "dac_khu",
}
_DISTRICT_PREFIXES = {
    ("huyen",), ("h",), ("quan",), ("q",), ("thi", "xa"), ("tx",), ("thanh", "pho"), ("tp",),
}
_PROVINCE_PREFIXES = {("tinh",)}
_NAME_PREFIXES = sorted(
    [*_UNIT_PREFIXES, *_DISTRICT_PREFIXES, *_PROVINCE_PREFIXES], key=len, reverse=True
)
_SEGMENT_SPLIT = re.compile(r"[,;|/\n()]+|\s[-–]\s")
_WORD = re.compile(r"\w+")
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_MAX_NAME_WORDS = 5


# --- names -------------------------------------------------------------------------------


def bare_name(name: str) -> str:
    """`name` without its leading kind: 'Thị trấn Núi Đối' → 'Núi Đối', 'TP Hải Dương' → 'Hải
    Dương'. Case and marks are kept."""
    original = name.split()
    folded = [fold(w).strip(".") for w in original]
    for prefix in _NAME_PREFIXES:
        n = len(prefix)
        if tuple(folded[:n]) == prefix and len(original) > n:
            return " ".join(original[n:])
    return " ".join(original)


def name_key(name: str) -> str:
    """Folded bare name, the key every lookup uses: 'Xã Đại Hợp' → 'dai hop'."""
    return " ".join(words(bare_name(name)))


def _tone_key(text: str) -> str:
    """Lower-case text with each syllable's tone mark moved to its end, so the two accepted
    spellings 'Hoà'/'Hòa' compare equal while 'Giang'/'Giàng' do not."""
    keyed = []
    for word in nfc(text).lower().split():
        chars = unicodedata.normalize("NFD", word)
        base = "".join(c for c in chars if c not in _TONE_MARKS)
        keyed.append(unicodedata.normalize("NFC", base) + "".join(sorted(set(chars) & _TONE_MARKS)))
    return " ".join(keyed)


def _has_marks(text: str) -> bool:
    return fold(text) != nfc(text).lower()


# --- loading -------------------------------------------------------------------------------


def upsert(model, lookup: dict, values: dict):
    """Create or update one row, saving only when something differs.

    Returns (row, outcome) with outcome 'created', 'updated' or 'unchanged', so loaders can be
    run any number of times and report what they really changed.
    """
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, values[name])
    row.save(update_fields=changed)
    return row, "updated"


def _tally(outcomes: list[str]) -> dict:
    return {key: outcomes.count(key) for key in ("created", "updated", "unchanged")}


@transaction.atomic
def units_load(province_code: int | None = None) -> dict:
    """Load the province and its current wards from vietnam-provinces (idempotent)."""
    code = province_code or settings.CIVICPORT_PROVINCE
    source = SourceProvince.from_code(code)
    province, _outcome = upsert(Province, {"code": code}, {
        "name": source.name, "division_type": source.division_type.value,
        "codename": source.codename,
    })
    outcomes = [
        upsert(Ward, {"code": int(ward.code)}, {
            "province": province, "name": ward.name,
            "kind": _KIND_BY_TYPE[ward.division_type.value], "codename": ward.codename,
            "name_folded": fold(ward.name),
        })[1]
        for ward in SourceWard.iter_by_province(code)
    ]
    return {"province": code, "wards": len(outcomes), **_tally(outcomes)}


def legacy_path(province_code: int) -> Path:
    return DATA_DIR / f"legacy_wards_{province_code}.json"


@transaction.atomic
def legacy_load(province_code: int | None = None) -> dict:
    """Load the former communes of the configured province from its JSON file (idempotent)."""
    code = province_code or settings.CIVICPORT_PROVINCE
    path = legacy_path(code)
    if not path.exists():
        return {"province": code, "legacy": 0, **_tally([])}
    if not Ward.objects.filter(province_id=code).exists():
        units_load(code)
    ward_codes = set(Ward.objects.filter(province_id=code).values_list("code", flat=True))
    rows = [r for r in json.loads(path.read_text(encoding="utf-8")) if r["ward_code"] in ward_codes]
    outcomes = [upsert(LegacyWard, {"code": r["code"]}, _legacy_values(r))[1] for r in rows]
    return {"province": code, "legacy": len(outcomes), **_tally(outcomes)}


def _legacy_values(row: dict) -> dict:
    return {
        "name": row["name"], "district_name": row["district_name"],
        "province_name": row["province_name"], "province_code": row["province_code"],
        "ward_id": row["ward_code"], "name_folded": fold(row["name"]),
        "district_folded": fold(row["district_name"]),
    }


# --- searching -----------------------------------------------------------------------------


def resolve_legacy(name: str, district: str | None = None) -> list[LegacyWard]:
    """Former communes called `name` (with or without 'xã'/'phường'/'thị trấn'), optionally
    only those of `district` (with or without 'huyện'/'quận'/'thị xã'/'thành phố')."""
    key = name_key(name)
    if not key:
        return []
    rows = LegacyWard.objects.select_related("ward").order_by("code")
    found = [r for r in rows.filter(name_folded__endswith=key) if name_key(r.name) == key]
    if district:
        wanted = name_key(district)
        found = [r for r in found if name_key(r.district_name) == wanted]
    return found


def ward_search(query: str, limit: int | None = 20) -> list[Ward]:
    """Current wards whose name, or the name of a former unit they absorbed, has words starting
    with every word of `query` ('hong ba' → Phường Hồng Bàng; 'Đại Hợp' → the two wards that
    took over a commune of that name). Direct matches come first."""
    terms = words(query)
    wards = list(Ward.objects.order_by("name"))
    if not terms:
        return wards[:limit]
    direct = [w for w in wards if words_match(terms, w.name_folded)]
    direct.sort(key=lambda w: (name_key(w.name) != " ".join(terms), w.name))
    legacy = LegacyWard.objects.select_related("ward").order_by("name")
    via_legacy = [r.ward for r in legacy if words_match(terms, r.name_folded)]
    unique = list({w.code: w for w in [*direct, *via_legacy]}.values())
    return unique[:limit]


def words_match(terms: list[str], folded_name: str) -> bool:
    """Does every folded query term start some word of `folded_name`?"""
    name_words = folded_name.split()
    return all(any(w.startswith(t) for w in name_words) for t in terms)


def ward_list(query: str = "", kind: str = "") -> list[Ward]:
    """Wards for the API: all, or those matching `query`, optionally of one kind."""
    wards = ward_search(query, limit=None)
    return [w for w in wards if w.kind == kind] if kind else wards


# --- addresses -----------------------------------------------------------------------------


@dataclass
class _Span:
    """A run of words of the address that is a known name."""

    key: str
    original: str
    prefix: str | None  # 'xa', 'phuong', 'thi_tran', 'dac_khu', 'district', 'province'
    position: int


@dataclass
class _Index:
    current: dict[str, list[Ward]] = field(default_factory=dict)
    legacy: dict[str, list[LegacyWard]] = field(default_factory=dict)
    districts: set[str] = field(default_factory=set)
    provinces: dict[str, set[int]] = field(default_factory=dict)

    def knows(self, key: str) -> bool:
        return key in self.current or key in self.legacy or key in self.districts or (
            key in self.provinces
        )


def _build_index() -> _Index:
    index = _Index()
    for ward in Ward.objects.all():
        index.current.setdefault(name_key(ward.name), []).append(ward)
    for row in LegacyWard.objects.select_related("ward"):
        index.legacy.setdefault(name_key(row.name), []).append(row)
        index.districts.add(name_key(row.district_name))
        index.provinces.setdefault(name_key(row.province_name), set()).add(row.province_code)
    for province in Province.objects.all():
        index.provinces.setdefault(name_key(province.name), set()).add(province.code)
    return index


def _segments(text: str) -> list[list[str]]:
    return [_WORD.findall(part) for part in _SEGMENT_SPLIT.split(nfc(text)) if part.strip()]


def _prefix_at(folded: list[str], i: int) -> tuple[str, int] | None:
    """The kind a prefix starting at word `i` announces, and its length in words."""
    for prefix in _NAME_PREFIXES:
        if tuple(folded[i:i + len(prefix)]) == prefix:
            if prefix in _UNIT_PREFIXES:
                return _UNIT_PREFIXES[prefix], len(prefix)
            return ("district" if prefix in _DISTRICT_PREFIXES else "province"), len(prefix)
    return None


def _name_at(folded: list[str], i: int, index: _Index) -> int:
    """End of the longest known name starting at word `i`, or `i` if none does."""
    for j in range(min(len(folded), i + _MAX_NAME_WORDS), i, -1):
        if index.knows(" ".join(folded[i:j])):
            return j
    return i


def _spans(text: str, index: _Index) -> list[_Span]:
    """Known names in the address, left to right, longest first, never across a comma. A name
    is tried before a prefix at each word, so 'Quán Toan' is not 'quận Toan'."""
    spans: list[_Span] = []
    for segment in _segments(text):
        folded = [fold(w) for w in segment]
        i, pending = 0, None
        while i < len(folded):
            end = _name_at(folded, i, index)
            if end > i:
                key, original = " ".join(folded[i:end]), " ".join(segment[i:end])
                spans.append(_Span(key, original, pending, len(spans)))
                i, pending = end, None
            elif prefix := _prefix_at(folded, i):
                pending, i = prefix[0], i + prefix[1]
            else:
                i, pending = i + 1, None
    return spans


def _is_unit(span: _Span, index: _Index) -> bool:
    return span.prefix not in ("district", "province") and (
        span.key in index.current or span.key in index.legacy
    )


def _is_context(span: _Span, index: _Index) -> bool:
    as_district = span.prefix in (None, "district") and span.key in index.districts
    as_province = span.prefix in (None, "district", "province") and span.key in index.provinces
    return as_district or as_province


def _candidates(span: _Span, index: _Index) -> tuple[list[Ward], list[LegacyWard]]:
    """Current wards and former communes `span` may name. When the address gives the kind
    ('xã …') or writes the name with marks, and some candidate of either list agrees, both
    lists keep only the agreeing ones ('xã Tân Hưng' is not 'Phường Tân Hưng'; 'Cẩm Giang'
    is not 'Cẩm Giàng')."""
    current = index.current.get(span.key, [])
    legacy = index.legacy.get(span.key, [])
    if span.prefix in _UNIT_PREFIXES.values():
        current, legacy = _agreeing(current, legacy, lambda o: _kind(o) == span.prefix)
    if _has_marks(span.original):
        wanted = _tone_key(span.original)
        current, legacy = _agreeing(
            current, legacy, lambda o: _tone_key(bare_name(o.name)) == wanted
        )
    return current, legacy


def _agreeing(current: list, legacy: list, agrees) -> tuple[list, list]:
    kept = [o for o in current if agrees(o)], [o for o in legacy if agrees(o)]
    return kept if kept[0] or kept[1] else (current, legacy)


def _kind(unit: Ward | LegacyWard) -> str:
    """'xa', 'phuong', 'dac_khu' or 'thi_tran', from the start of the folded name."""
    head = unit.name_folded.split(" ", 1)[0]
    return {"xa": "xa", "phuong": "phuong", "dac": "dac_khu", "thi": "thi_tran"}.get(head, "")


def _only(wards: list[Ward]) -> Ward | None:
    distinct = {w.code: w for w in wards}
    return next(iter(distinct.values())) if len(distinct) == 1 else None


def _score(span: _Span, others: list[_Span], index: _Index) -> tuple[int, Ward | None]:
    """How well `span` read as the unit explains the address: 4 = former commune confirmed by
    its district, 3 = a current ward, 2 = former commune of the named province, 1 = former
    commune with a unique successor; 0 = no single ward."""
    current, legacy = _candidates(span, index)
    districts = {s.key for s in others if s.prefix in (None, "district")}
    provinces = set().union(*(index.provinces.get(s.key, set()) for s in others))
    by_district = [r.ward for r in legacy if name_key(r.district_name) in districts]
    by_province = [r.ward for r in legacy if r.province_code in provinces]
    readings = ((4, by_district), (3, current), (2, by_province), (1, [r.ward for r in legacy]))
    for score, wards in readings:
        ward = _only(wards)
        if ward is not None:
            return score, ward
    return 0, None


def resolve_address(text: str) -> Ward | None:
    """The current ward an old or current address is in, or None.

    'xã Đại Hợp, huyện Kiến Thụy', 'Dai Hop, Kien Thuy, Hai Phong', 'phường Trần Hưng Đạo,
    TP Hải Dương' and 'Phường Hồng Bàng' all work. Each known name in the text is tried as the
    unit, the others as its district/province; the reading that leaves no name unexplained
    and scores best (see `_score`) wins, the earlier name on a tie. A name shared by former
    communes of several districts needs the district (or province) in the text.
    """
    if not text or not text.strip():
        return None
    index = _build_index()
    spans = _spans(text[:500], index)
    best: tuple | None = None
    for span in spans:
        if not _is_unit(span, index):
            continue
        others = [s for s in spans if s is not span]
        score, ward = _score(span, others, index)
        if ward is None:
            continue
        unexplained = sum(not _is_context(s, index) for s in others)
        rank = (-unexplained, score, -span.position)
        if best is None or rank > best[0]:
            best = (rank, ward)
    return best[1] if best else None
