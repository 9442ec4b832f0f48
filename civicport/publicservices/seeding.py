"""Reference data of the public-services app: Hải Phòng's procedure catalogue.

`reference()` loads `data/procedures_<province>.json` (its header says what each key means
and how sure we are of each code) through `catalogue.procedure_save`, so running it again
changes nothing. Needs core's agencies, which `civicport seed` loads first.
"""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from civicport.publicservices.catalogue import (
    DocumentSpec,
    ProcedureSpec,
    StepSpec,
    agency_resolve,
    procedure_save,
    spec_errors,
)
from civicport.publicservices.models import Field

DATA_DIR = Path(__file__).resolve().parent / "data"


def procedures_path(province_code: int) -> Path:
    return DATA_DIR / f"procedures_{province_code}.json"


def reference() -> str:
    counts = procedures_load()
    return (
        f"{counts['procedures']} procedures in {counts['fields']} fields "
        f"(created {counts['created']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']})"
    )


def demo(scale: int = 1) -> str:
    """A month of demo dossiers, 600 × scale (see demo_dossiers: idempotent, tops up)."""
    from civicport.publicservices.demo_dossiers import demo_dossiers_seed

    return demo_dossiers_seed(scale)


@transaction.atomic
def procedures_load(province_code: int | None = None) -> dict:
    """Create or update the fields and procedures of the data file (idempotent)."""
    data = json.loads(
        procedures_path(province_code or settings.CIVICPORT_PROVINCE).read_text(encoding="utf-8")
    )
    fields = {}
    for entry in data["fields"]:
        row, _created = Field.objects.get_or_create(code=entry["code"],
                                                    defaults={"name": entry["name"]})
        if row.name != entry["name"]:
            row.name = entry["name"]
            row.save(update_fields=["name"])
        fields[row.code] = row
    outcomes = [
        procedure_save(_spec(entry, data.get("forms", {}), fields))[1]
        for entry in data["procedures"]
    ]
    return {
        "procedures": len(outcomes), "fields": len(fields),
        **{key: outcomes.count(key) for key in ("created", "updated", "unchanged")},
    }


def _spec(entry: dict, forms: dict, fields: dict[str, Field]) -> ProcedureSpec:
    code = entry["code"]
    agency_ids: set[int] = set()
    for token in entry["agencies"]:
        agency_ids |= {a.pk for a in _agencies(token, code)}
    spec = ProcedureSpec(
        code=code,
        name=entry["name"],
        field_id=fields[entry["field"]].pk,
        agency_ids=agency_ids,
        level=entry["level"],
        time_amount=_decimal(entry["time_amount"]),
        time_unit=entry["time_unit"],
        fee_amount=int(entry.get("fee_amount", 0)),
        fee_description=entry.get("fee_description", ""),
        legal_basis=entry.get("legal_basis", ""),
        result_description=entry.get("result_description", ""),
        requirements=entry.get("requirements", ""),
        form_schema=_expand_form(entry.get("form", []), forms),
        steps=[
            StepSpec(
                order=order, name=name, role=role, hours=_decimal(hours),
                agency_id=_agencies(agency, code)[0].pk if agency else None,
            )
            for order, (name, agency, role, hours) in enumerate(entry.get("steps", []), start=1)
        ],
        documents=[
            DocumentSpec(order=order, name=doc[0], copies=doc[1],
                         is_required=doc[2] if len(doc) > 2 else True)
            for order, doc in enumerate(entry.get("documents", []), start=1)
        ],
    )
    errors = spec_errors(spec)
    if errors:
        raise ValueError(f"procedure {code} in the data file: {'; '.join(errors)}")
    return spec


def _agencies(token: str, code: str) -> list:
    found = agency_resolve(token)
    if not found:
        raise ValueError(
            f"procedure {code}: no agency {token!r} (load core's agencies first: civicport seed)"
        )
    return found


def _expand_form(items: list, fragments: dict) -> list:
    """Replace each '@name' by the fields of fragment `name`."""
    expanded = []
    for item in items:
        if isinstance(item, str) and item.startswith("@"):
            expanded.extend(fragments[item[1:]])
        else:
            expanded.append(item)
    return expanded


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
