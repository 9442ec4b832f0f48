"""The agency tree: the city People's Committee, its departments and the commune committees.

`agencies_load` builds it from `data/agencies_<province>.json` (the city and its departments,
with the sources they were taken from) and the province's current wards (one People's
Committee per ward). The loader keeps `path` ("/<id>/<id>/") and `name_folded` itself.

Unit codes follow the Circular 01/2018 form `V1V2V3.Z1Z2.Y1Y2.MX1X2` but are a PLACEHOLDER
scheme until the official TT 10/2016/TT-BTTTT codes of Hải Phòng are known:

* city People's Committee: `000.00.00.H31`;
* departments: `000.00.NN.H31`, NN fixed in the JSON file;
* commune committees: the ward code zero-padded to 7 digits and split 3.2.2, so the same
  ward always gets the same code (ward 11311 → `001.13.11.H31`). Ward codes are ≥ 100, so
  these never collide with the city's or the departments' codes.
"""

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from civicport.core.models import Agency, Ward
from civicport.core.text import fold, words
from civicport.core.units import DATA_DIR, bare_name, units_load, upsert, words_match

_KIND_LABEL = {
    Ward.Kind.COMMUNE: "xã", Ward.Kind.WARD: "phường", Ward.Kind.SPECIAL_ZONE: "đặc khu",
}


def agencies_path(province_code: int) -> Path:
    return DATA_DIR / f"agencies_{province_code}.json"


def commune_code(ward_code: int, province_code: int) -> str:
    """Placeholder unit code of a ward's People's Committee: 11311 → '001.13.11.H31'."""
    if not 100 <= ward_code <= 9_999_999:
        raise ValueError(f"ward code {ward_code} does not fit the placeholder scheme")
    digits = f"{ward_code:07d}"
    return f"{digits[:3]}.{digits[3:5]}.{digits[5:]}.H{province_code:02d}"


def commune_entry(ward: Ward) -> dict:
    """Code and names of the People's Committee of `ward`."""
    label = f"{_KIND_LABEL[ward.kind]} {bare_name(ward.name)}"
    return {
        "code": commune_code(ward.code, ward.province_id),
        "name": f"Ủy ban nhân dân {label}",
        "short_name": f"UBND {label}",
    }


@transaction.atomic
def agencies_load(province_code: int | None = None) -> dict:
    """Create or update the city's agency tree (idempotent); returns counts."""
    code = province_code or settings.CIVICPORT_PROVINCE
    data = json.loads(agencies_path(code).read_text(encoding="utf-8"))
    if not Ward.objects.filter(province_id=code).exists():
        units_load(code)
    city, outcome = _place(data["city"], Agency.Kind.CITY, parent=None)
    outcomes = [outcome]
    outcomes += [
        _place(entry, Agency.Kind.DEPARTMENT, parent=city)[1] for entry in data["departments"]
    ]
    wards = Ward.objects.filter(province_id=code).order_by("code")
    outcomes += [
        _place(commune_entry(ward), Agency.Kind.COMMUNE, parent=city, ward=ward)[1]
        for ward in wards
    ]
    return {
        "province": code, "agencies": len(outcomes), "departments": len(data["departments"]),
        "communes": len(wards),
        **{key: outcomes.count(key) for key in ("created", "updated", "unchanged")},
    }


def _place(entry: dict, kind: str, *, parent: Agency | None, ward: Ward | None = None):
    """Upsert one agency by code under `parent`, then fix its materialised path."""
    values = {
        "name": entry["name"], "short_name": entry["short_name"], "kind": kind,
        "parent": parent, "ward": ward, "name_folded": fold(entry["name"]),
    }
    agency, outcome = upsert(Agency, {"code": entry["code"]}, values)
    path = (parent.path if parent else "/") + f"{agency.pk}/"
    if agency.path != path:
        agency.path = path
        agency.save(update_fields=["path"])
        outcome = "created" if outcome == "created" else "updated"
    return agency, outcome


def agency_descendant_ids(agency: Agency, include_self: bool = False) -> set[int]:
    """Ids of every agency below `agency` in the tree (one indexed prefix query)."""
    if not agency.path:
        return {agency.pk} if include_self else set()
    ids = set(Agency.objects.filter(path__startswith=agency.path).values_list("id", flat=True))
    return ids if include_self else ids - {agency.pk}


def agency_list(query: str = "", kind: str = "") -> list[Agency]:
    """Agencies in tree order, optionally of one kind and matching `query` (every word of it
    starts a word of the name or short name, diacritics ignored: 'ubnd hong bang')."""
    agencies = Agency.objects.filter(is_active=True).order_by("path")
    if kind:
        agencies = agencies.filter(kind=kind)
    terms = words(query)
    if not terms:
        return list(agencies)
    return [a for a in agencies if words_match(terms, f"{a.name_folded} {fold(a.short_name)}")]
