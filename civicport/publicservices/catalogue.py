"""The procedure catalogue (danh mục thủ tục hành chính): reads and writes.

Reads: `procedure_search` (diacritics-insensitive, through the core search index),
`catalogue_filters` (turns request parameters into search arguments), facets and the
options of the filter form. Writes: `procedure_save` creates or updates one procedure with
its steps and required documents from a `ProcedureSpec`, saving only what differs and
reindexing it; the reference seed and the Excel import both go through it, so a file that
round-trips or a seed that runs twice changes nothing.
"""

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from civicport.core.models import Agency, SearchEntry
from civicport.core.search import search_filter, search_index, search_unindex
from civicport.core.text import fold
from civicport.publicservices.models import (
    Dossier,
    Field,
    Procedure,
    ProcedureLevel,
    ProcedureStep,
    RequiredDocument,
    TimeUnit,
)

SEARCH_SCOPE = "publicservices.procedure"
HOURS_PER_WORKING_DAY = 8
# Value of the agency filter meaning "any commune-level People's Committee".
COMMUNES = "xa"
# The agency label used for procedures that every commune-level committee handles.
COMMUNES_LABEL = "UBND cấp xã"

FORM_FIELD_TYPES = ("text", "number", "date", "choice", "id_number", "phone", "address", "file")
FORM_FIELD_KEYS = {"key", "label", "type", "required", "choices", "help"}
_FORM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
PROCEDURE_CODE = re.compile(r"^\d\.\d{6}(\.[0-9A-Za-z]+)*$")


# --- reads ---------------------------------------------------------------------------------


def procedure_search(
    *, q: str = "", agency_id: int | None = None, agency_kind: str | None = None,
    field_id: int | None = None, level: str | None = None, active_only: bool = True,
) -> QuerySet:
    """Procedures matching every word of `q` (diacritics ignored) and the filters.

    `agency_kind` keeps procedures handled by any agency of that kind (e.g. every commune
    procedure). Ordered by field, then code: stable on every database and collation.
    """
    procedures = Procedure.objects.all()
    if active_only:
        procedures = procedures.filter(is_active=True)
    if field_id:
        procedures = procedures.filter(field_id=field_id)
    if level:
        procedures = procedures.filter(level=level)
    links = Procedure.agencies.through.objects
    if agency_id:
        procedures = procedures.filter(
            pk__in=links.filter(agency_id=agency_id).values("procedure_id")
        )
    if agency_kind:
        procedures = procedures.filter(
            pk__in=links.filter(agency__kind=agency_kind).values("procedure_id")
        )
    procedures = search_filter(procedures, SEARCH_SCOPE, q)
    return procedures.select_related("field").order_by("field__code", "code")


def procedure_list(queryset: QuerySet) -> QuerySet:
    """`queryset` ready for a list: non-commune agencies prefetched, communes counted."""
    return queryset.annotate(
        commune_count=Count("agencies", filter=Q(agencies__kind=Agency.Kind.COMMUNE))
    ).prefetch_related(
        Prefetch(
            "agencies",
            queryset=Agency.objects.exclude(kind=Agency.Kind.COMMUNE).order_by("code"),
            to_attr="other_agencies",
        )
    )


def procedure_detail(code: str) -> Procedure | None:
    """One active procedure with everything a detail page or API shows, or None."""
    return (
        procedure_list(Procedure.objects.filter(code=code, is_active=True))
        .select_related("field")
        .prefetch_related(
            Prefetch("steps", queryset=ProcedureStep.objects.select_related("agency")),
            "documents",
        )
        .first()
    )


@dataclass
class CatalogueFilters:
    """Search arguments parsed from request parameters, plus what was not understood."""

    q: str = ""
    search: dict = dc_field(default_factory=dict)
    errors: dict = dc_field(default_factory=dict)
    agency: str = ""
    field_code: str = ""
    level: str = ""


def catalogue_filters(*, q="", agency="", field_code="", level="") -> CatalogueFilters:
    """Turn `agency` (an agency code or `xa`), `field_code` and `level` into arguments of
    `procedure_search`; unknown values are reported in `errors` and ignored."""
    result = CatalogueFilters(q=(q or "").strip()[:200])
    result.search["q"] = result.q
    if agency:
        if agency == COMMUNES:
            result.search["agency_kind"] = Agency.Kind.COMMUNE
            result.agency = agency
        elif (found := Agency.objects.filter(code=agency).values_list("pk", flat=True).first()):
            result.search["agency_id"] = found
            result.agency = agency
        else:
            result.errors["agency"] = _("Unknown agency: %(value)s.") % {"value": agency}
    if field_code:
        if found := Field.objects.filter(code=field_code).values_list("pk", flat=True).first():
            result.search["field_id"] = found
            result.field_code = field_code
        else:
            result.errors["field"] = _("Unknown field: %(value)s.") % {"value": field_code}
    if level:
        if level in ProcedureLevel.values:
            result.search["level"] = level
            result.level = level
        else:
            result.errors["level"] = _("Unknown level: %(value)s.") % {"value": level}
    return result


def procedure_facets(queryset: QuerySet) -> dict:
    """Counts of `queryset` by field and by level (two grouped queries)."""
    rows = queryset.order_by().values("field__code", "field__name").annotate(n=Count("id"))
    levels = queryset.order_by().values("level").annotate(n=Count("id"))
    return {
        "fields": sorted(
            ({"code": r["field__code"], "name": r["field__name"], "count": r["n"]} for r in rows),
            key=lambda r: r["code"],
        ),
        "levels": {r["level"]: r["n"] for r in levels},
    }


def field_list() -> QuerySet:
    """Fields with the number of active procedures in each, by code."""
    return Field.objects.annotate(
        procedure_count=Count("procedures", filter=Q(procedures__is_active=True))
    ).order_by("code")


def agency_options() -> list[Agency]:
    """Non-commune agencies that handle at least one active procedure, by code."""
    ids = Procedure.agencies.through.objects.filter(procedure__is_active=True).values("agency_id")
    return list(
        Agency.objects.filter(pk__in=ids).exclude(kind=Agency.Kind.COMMUNE).order_by("code")
    )


def commune_agencies() -> QuerySet:
    return Agency.objects.filter(kind=Agency.Kind.COMMUNE, is_active=True)


# --- the search index ----------------------------------------------------------------------


def procedure_index_texts(procedure: Procedure) -> list[str]:
    """What a procedure is found by: code, name, field, result and its agencies' names.

    Commune committees are indexed as one label: 114 ward names would make every commune
    procedure match any place name.
    """
    agencies = list(procedure.agencies.values_list("kind", "name", "short_name"))
    texts = [procedure.code, procedure.name, procedure.field.name, procedure.result_description]
    texts += [f"{name} {short}" for kind, name, short in agencies if kind != Agency.Kind.COMMUNE]
    if any(kind == Agency.Kind.COMMUNE for kind, _name, _short in agencies):
        texts.append(f"{COMMUNES_LABEL} Ủy ban nhân dân cấp xã")
    return texts


def procedure_index(procedure: Procedure) -> None:
    """(Re)index one procedure in the core search index."""
    search_index(SEARCH_SCOPE, procedure.pk, *procedure_index_texts(procedure))


def procedure_unindex(procedure_id: int) -> None:
    search_unindex(SEARCH_SCOPE, procedure_id)


# --- writes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    order: int
    name: str
    role: str
    hours: Decimal
    agency_id: int | None = None


@dataclass(frozen=True)
class DocumentSpec:
    order: int
    name: str
    is_required: bool = True
    copies: str = ""


@dataclass
class ProcedureSpec:
    """Everything about one procedure, validated, with agencies and field resolved to ids."""

    code: str
    name: str
    field_id: int
    agency_ids: set[int]
    level: str
    time_amount: Decimal
    time_unit: str
    fee_amount: int = 0
    fee_description: str = ""
    legal_basis: str = ""
    result_description: str = ""
    requirements: str = ""
    form_schema: list = dc_field(default_factory=list)
    is_active: bool = True
    steps: list[StepSpec] = dc_field(default_factory=list)
    documents: list[DocumentSpec] = dc_field(default_factory=list)

    SCALARS = (
        "name", "field_id", "level", "time_amount", "time_unit", "fee_amount", "fee_description",
        "legal_basis", "result_description", "requirements", "form_schema", "is_active",
    )


def total_hours(time_amount: Decimal, time_unit: str) -> Decimal:
    """The processing time in working hours (8 per working day)."""
    if time_unit == TimeUnit.WORKING_DAYS:
        return time_amount * HOURS_PER_WORKING_DAY
    return time_amount


def spec_problems(spec: ProcedureSpec) -> list[tuple[str, str]]:
    """Rules across a procedure's parts that a single value cannot break, as
    (attribute, message) pairs: the Excel import points at the cell, the seed at the entry."""
    problems = []
    if not PROCEDURE_CODE.match(spec.code):
        problems.append(("code", _(
            "The procedure code %(code)s is not of the form 1.001193 (optionally followed by "
            "a local suffix such as .H31)."
        ) % {"code": spec.code}))
    steps_total = sum((s.hours for s in spec.steps), Decimal(0))
    allowed = total_hours(spec.time_amount, spec.time_unit)
    if steps_total > allowed:
        problems.append(("time_amount", _(
            "The steps take %(steps)s working hours, more than the processing time "
            "(%(total)s working hours)."
        ) % {"steps": _number(steps_total), "total": _number(allowed)}))
    if not spec.agency_ids:
        problems.append(("agencies", _("The procedure has no implementing agency.")))
    problems += [("form_schema", message) for message in form_schema_errors(spec.form_schema)]
    return problems


def spec_errors(spec: ProcedureSpec) -> list[str]:
    return [message for _attribute, message in spec_problems(spec)]


def form_schema_errors(schema) -> list[str]:
    """Problems of an online-form definition (see the Procedure model), as messages."""
    if not isinstance(schema, list):
        return [_("The online form must be a list of fields.")]
    errors: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(schema, start=1):
        errors += [
            _("Online form, field %(n)d: %(problem)s") % {"n": position, "problem": problem}
            for problem in _form_field_problems(item, seen)
        ]
    return errors


def _form_field_problems(item, seen: set[str]) -> list[str]:
    if not isinstance(item, dict):
        return [_("each field must be an object with key, label and type.")]
    problems = []
    unknown = sorted(set(item) - FORM_FIELD_KEYS)
    if unknown:
        problems.append(_("unknown properties %(names)s.") % {"names": ", ".join(unknown)})
    key = item.get("key")
    if not isinstance(key, str) or not _FORM_KEY.match(key):
        problems.append(_("the key must be lower-case letters, digits and underscores."))
    elif key in seen:
        problems.append(_("the key %(key)s is used twice.") % {"key": key})
    else:
        seen.add(key)
    if not isinstance(item.get("label"), str) or not item["label"].strip():
        problems.append(_("the label is missing."))
    kind = item.get("type")
    if kind not in FORM_FIELD_TYPES:
        problems.append(_("the type must be one of %(types)s.")
                        % {"types": ", ".join(FORM_FIELD_TYPES)})
    if not isinstance(item.get("required", False), bool):
        problems.append(_("required must be true or false."))
    choices = item.get("choices")
    if kind == "choice" and not (
        isinstance(choices, list) and choices
        and all(isinstance(c, str) and c.strip() for c in choices)
    ):
        problems.append(_("a choice field needs a list of choices."))
    if kind != "choice" and choices is not None:
        problems.append(_("only choice fields have choices."))
    if not isinstance(item.get("help", ""), str):
        problems.append(_("the help text must be text."))
    return problems


def steps_in_use(spec: ProcedureSpec) -> list[int]:
    """Orders of existing steps that `spec` would remove although a dossier is at them."""
    existing = ProcedureStep.objects.filter(procedure__code=spec.code)
    kept = {s.order for s in spec.steps}
    removed = existing.exclude(order__in=kept).values("pk")
    return sorted(
        Dossier.objects.filter(current_step__in=removed)
        .values_list("current_step__order", flat=True).distinct()
    )


@transaction.atomic
def procedure_save(spec: ProcedureSpec) -> tuple[Procedure, str]:
    """Create or update the procedure `spec.code`; returns (procedure, outcome).

    Outcome is 'created', 'updated' or 'unchanged'. Nothing is written when nothing
    differs (so `updated_at` stays); steps and documents are matched by order and updated
    in place, which keeps dossiers' references to steps and documents' template files.
    """
    procedure = Procedure.objects.filter(code=spec.code).first()
    values = {name: getattr(spec, name) for name in ProcedureSpec.SCALARS}
    if procedure is None:
        procedure = Procedure.objects.create(code=spec.code, **values)
        outcome = "created"
    else:
        changed = [name for name, value in values.items() if getattr(procedure, name) != value]
        for name in changed:
            setattr(procedure, name, values[name])
        outcome = "updated" if changed else "unchanged"
    agencies_changed = set(procedure.agencies.values_list("pk", flat=True)) != spec.agency_ids
    if agencies_changed:
        procedure.agencies.set(spec.agency_ids)
    parts_changed = _sync_steps(procedure, spec.steps) | _sync_documents(procedure, spec.documents)
    if outcome == "unchanged" and (agencies_changed or parts_changed):
        outcome = "updated"
    if outcome == "updated":
        procedure.save()  # bumps updated_at even when only steps or documents changed
    if outcome != "unchanged" or not _is_indexed(procedure):
        procedure_index(procedure)
    return procedure, outcome


def _sync_steps(procedure: Procedure, steps: list[StepSpec]) -> bool:
    current = {s.order: s for s in procedure.steps.all()}
    changed = False
    for spec in steps:
        values = {"name": spec.name, "role": spec.role, "hours": spec.hours,
                  "agency_id": spec.agency_id}
        changed |= _sync_row(ProcedureStep, procedure, current.pop(spec.order, None),
                             spec.order, values)
    if current:
        ProcedureStep.objects.filter(pk__in=[s.pk for s in current.values()]).delete()
        changed = True
    return changed


def _sync_documents(procedure: Procedure, documents: list[DocumentSpec]) -> bool:
    current = {d.order: d for d in procedure.documents.all()}
    changed = False
    for spec in documents:
        values = {"name": spec.name, "is_required": spec.is_required, "copies": spec.copies}
        changed |= _sync_row(RequiredDocument, procedure, current.pop(spec.order, None),
                             spec.order, values)
    if current:
        RequiredDocument.objects.filter(pk__in=[d.pk for d in current.values()]).delete()
        changed = True
    return changed


def _sync_row(model, procedure: Procedure, row, order: int, values: dict) -> bool:
    """Create the row of `order` or update it where it differs; True when written."""
    if row is None:
        model.objects.create(procedure=procedure, order=order, **values)
        return True
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save(update_fields=changed)
    return bool(changed)


def _is_indexed(procedure: Procedure) -> bool:
    return SearchEntry.objects.filter(scope=SEARCH_SCOPE, object_id=procedure.pk).exists()


# --- small shared helpers ------------------------------------------------------------------


def agency_resolve(token: str) -> list[Agency] | None:
    """Agencies named by `token`: the label `UBND cấp xã` (every commune committee), a unit
    code, or a department's short or full name (diacritics and case ignored). `"code (name)"`
    is accepted as written by the export. None when nothing matches."""
    text = re.sub(r"\s*\(.*\)\s*$", "", token or "").strip()
    if not text:
        return None
    if fold(text) in {fold(COMMUNES_LABEL), COMMUNES}:
        communes = list(commune_agencies().order_by("code"))
        return communes or None
    by_code = Agency.objects.filter(code=text).first()
    if by_code is not None:
        return [by_code]
    folded = fold(text)
    for agency in Agency.objects.exclude(kind=Agency.Kind.COMMUNE).order_by("code"):
        if folded in (fold(agency.short_name), agency.name_folded or fold(agency.name)):
            return [agency]
    return None


def agency_summary(procedure: Procedure) -> dict:
    """Agencies for display: the non-commune ones and how many commune committees."""
    others = getattr(procedure, "other_agencies", None)
    if others is None:
        others = list(procedure.agencies.exclude(kind=Agency.Kind.COMMUNE).order_by("code"))
    communes = getattr(procedure, "commune_count", None)
    if communes is None:
        communes = procedure.agencies.filter(kind=Agency.Kind.COMMUNE).count()
    return {"agencies": others, "commune_count": communes}


def format_vnd(amount: int) -> str:
    """An amount of đồng in the active language's grouping: 135.000 đ (vi), 135,000 đ (en)."""
    return numberformat.format(
        amount, get_format("DECIMAL_SEPARATOR"), decimal_pos=0, grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"), force_grouping=True,
    ) + " đ"


def _number(value: Decimal) -> str:
    """Decimal without trailing zeros: 8.00 → '8', 1.50 → '1.5'."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

