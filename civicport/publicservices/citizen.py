"""The citizen side of dossiers: what the applicant's pages read, the public tracking lookup
with its throttle, and three writes that combine one action with file storage.

Reads:

* `filing_procedure`, `filing_agencies`, `agency_for_ward` — what can be filed online, where;
* `applicant_dossiers(user)`, `applicant_dossier(user, pk)` — only the user's own dossiers;
  anyone else's is `Http404`, exactly like a dossier that does not exist;
* `applicant_file` — a file of the user's dossier that the applicant may download (results
  only once the dossier is done or returned with online delivery);
* `dossier_timeline` — the events as the applicant (or, with `public=True`, the tracking page)
  may see them: action, time, agency and, for the applicant only, the public note. Officers'
  names and internal notes never appear;
* `name_initials` — all that public tracking (`tracking.py`) shows of the applicant.

Writes (each runs in one transaction, so a refused action stores no file, and a refused file
leaves the dossier unchanged; the business rules stay in `actions`):

* `draft_save_with_files` — `actions.dossier_draft_save` + `files.dossier_file_store`;
* `draft_submit` — checks the required documents are there, then `actions.dossier_submit`;
* `dossier_file_and_submit` — the two above in one transaction (the API's one-request
  submission): nothing is left behind when the submit is refused;
* `supplement_provide` — `actions.dossier_supply` + the supplement files.

The check "every required document is uploaded" and the pruning of replaced draft files belong
in `actions.dossier_submit` / `dossier_draft_save`; they live here until the actions grow them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicport.core.models import Agency, Ward
from civicport.publicservices import actions
from civicport.publicservices.actions import form_validate
from civicport.publicservices.files import Inspection, dossier_file_store, inspect_upload
from civicport.publicservices.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    DossierStatus,
    FileKind,
    Procedure,
    ProcedureLevel,
    RequiredDocument,
    ResultDelivery,
)
from civicport.publicservices.workflow import ACTION_LABELS, permission_check, transition_check

S = DossierStatus
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# --- procedures that can be filed online ------------------------------------------------------


def filing_procedure(code: str) -> Procedure | None:
    """The active procedure `code` with its documents, or None."""
    return (
        Procedure.objects.filter(code=code, is_active=True)
        .select_related("field")
        .prefetch_related("documents")
        .first()
    )


def filing_open(procedure: Procedure) -> bool:
    """Whether the procedure may be filed online at all (not desk-only)."""
    return procedure.level != ProcedureLevel.OFFLINE


def filing_agencies(procedure: Procedure) -> list[Agency]:
    """The active agencies handling `procedure`, by name (one, or e.g. every commune)."""
    return list(procedure.agencies.filter(is_active=True).order_by("name", "code"))


def agency_for_ward(agencies: list[Agency], ward_code) -> Agency | None:
    """Among `agencies`, the People's Committee of the ward `ward_code` (None if none)."""
    try:
        code = int(ward_code)
    except (TypeError, ValueError):
        return None
    return next((a for a in agencies if a.ward_id == code), None)


# --- the applicant's own dossiers ------------------------------------------------------------


def applicant_dossiers(user) -> QuerySet:
    """The user's dossiers, drafts included, newest first."""
    if not (user and user.is_authenticated):
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(applicant=user)
        .select_related("procedure", "agency")
        .order_by("-created_at", "-pk")
    )


def applicant_dossier(user, pk) -> Dossier:
    """The user's dossier `pk`; `Http404` for anyone else's (nothing is revealed)."""
    dossier = applicant_dossiers(user).select_related("current_agency").filter(pk=pk).first()
    if dossier is None:
        raise Http404("no such dossier")
    return dossier


def applicant_draft_for(user, procedure: Procedure) -> Dossier | None:
    """The user's latest draft of `procedure`, to offer resuming it."""
    return applicant_dossiers(user).filter(procedure=procedure, status=S.DRAFT).first()


def result_available(dossier: Dossier) -> bool:
    """Result files are the applicant's to download once the dossier is done or returned and
    its result is delivered online."""
    return (
        dossier.status in (S.DONE, S.RETURNED)
        and dossier.result_delivery == ResultDelivery.ONLINE
    )


def visible_files(dossier: Dossier) -> list[DossierFile]:
    """The dossier's files the applicant may see, in upload order."""
    rows = dossier.files.select_related("required_document").order_by("uploaded_at", "pk")
    if not result_available(dossier):
        rows = rows.exclude(kind=FileKind.RESULT)
    return list(rows)


def applicant_file(user, pk, file_pk) -> tuple[Dossier, DossierFile]:
    """A file of the user's dossier they may download; `Http404` otherwise."""
    dossier = applicant_dossier(user, pk)
    row = dossier.files.filter(pk=file_pk).first()
    if row is None or (row.kind == FileKind.RESULT and not result_available(dossier)):
        raise Http404("no such file")
    return dossier, row


def slot_files(dossier: Dossier | None) -> dict[str, DossierFile]:
    """The current file of each upload slot of a draft: `doc-<id>` for a required document,
    the form key for a file field of the form (matched by the SHA-256 in `form_data`)."""
    if dossier is None or dossier.pk is None:
        return {}
    rows = dossier.files.filter(kind=FileKind.DOCUMENT).order_by("uploaded_at", "pk")
    return _slots(((row.required_document_id, row.sha256, row) for row in rows), dossier.form_data)


def _slots(files, form_data) -> dict:
    """Slot name -> item, from (required document id or None, sha256, item) in upload order:
    a later file of a slot replaces the earlier one."""
    slots, by_hash = {}, {}
    for document_id, sha256, item in files:
        if document_id is not None:
            slots[f"doc-{document_id}"] = item
        else:
            by_hash[sha256] = item
    for key, value in (form_data or {}).items():
        if isinstance(value, dict) and value.get("sha256") in by_hash:
            slots[key] = by_hash[value["sha256"]]
    return slots


def missing_documents(dossier: Dossier) -> list[str]:
    """Names of required uploads (documents and required file fields) the draft lacks."""
    return _missing(dossier.procedure, slot_files(dossier))


def _missing(procedure: Procedure, present) -> list[str]:
    missing = [
        doc.name for doc in procedure.documents.all()
        if doc.is_required and f"doc-{doc.pk}" not in present
    ]
    missing += [
        item.get("label") or item["key"] for item in file_items(procedure.form_schema)
        if item.get("required") and item["key"] not in present
    ]
    return missing


def _documents_required_check(missing: list[str]) -> None:
    if missing:
        raise ValidationError(
            {
                "documents": ValidationError(
                    _("Upload the required documents: %(names)s.")
                    % {"names": "; ".join(missing)},
                    code="document_required",
                )
            }
        )


def file_items(schema) -> list[dict]:
    """The `file` fields of a form schema."""
    return [
        item for item in schema or []
        if isinstance(item, dict) and item.get("key") and item.get("type") == "file"
    ]


def choice_options(choices) -> list[tuple[str, str]]:
    """(value, label) of a schema's choices: strings, {"value", "label"} or [value, label]."""
    options = []
    for choice in choices or []:
        if isinstance(choice, dict):
            value = str(choice.get("value"))
            options.append((value, str(choice.get("label") or value)))
        elif isinstance(choice, list | tuple) and choice:
            options.append((str(choice[0]), str(choice[-1])))
        else:
            options.append((str(choice), str(choice)))
    return options


@dataclass(frozen=True)
class Answer:
    """One question of the online form and what the applicant entered, for display."""

    key: str
    label: str
    text: str
    file: DossierFile | None = None


def form_answers(dossier: Dossier) -> list[Answer]:
    """The form as entered: choices by their label, dates dd/mm/yyyy, addresses with the
    ward's name, file fields with their stored file."""
    data = dossier.form_data or {}
    items = [i for i in dossier.procedure.form_schema or [] if isinstance(i, dict) and i.get("key")]
    ward_ids = {
        int(v["ward"]) for v in data.values()
        if isinstance(v, dict) and str(v.get("ward", "")).isdigit()
    }
    wards = dict(Ward.objects.filter(code__in=ward_ids).values_list("code", "name"))
    files = slot_files(dossier)
    answers = []
    for item in items:
        key, kind, value = item["key"], item.get("type", "text"), data.get(item["key"])
        text = "" if value is None else str(value)
        if kind == "address" and isinstance(value, dict):
            ward = str(value.get("ward", ""))
            name = wards.get(int(ward)) if ward.isdigit() else ""
            text = ", ".join(part for part in (value.get("line", ""), name) if part)
        elif kind == "choice":
            text = dict(choice_options(item.get("choices"))).get(text, text)
        elif kind == "date" and _ISO_DAY.match(text):
            text = f"{text[8:10]}/{text[5:7]}/{text[:4]}"
        elif kind == "file":
            text = value.get("name", "") if isinstance(value, dict) else ""
        answers.append(Answer(key, item.get("label") or key, text, files.get(key)))
    return answers


def draft_problems(dossier: Dossier) -> list[str]:
    """Why the draft cannot be submitted yet (empty: it can): form errors and missing
    documents, as messages."""
    problems = []
    try:
        form_validate(dossier.procedure.form_schema, dossier.form_data)
    except ValidationError as exc:
        labels = {
            i.get("key"): i.get("label") or i.get("key")
            for i in dossier.procedure.form_schema or [] if isinstance(i, dict)
        }
        by_field = exc.error_dict if hasattr(exc, "error_dict") else {"": exc.error_list}
        for key, errors in by_field.items():
            prefix = f"{labels.get(key, key)}: " if key else ""
            problems += [prefix + error_message(e) for e in errors]
    missing = missing_documents(dossier)
    if missing:
        problems.append(
            _("Upload the required documents: %(names)s.") % {"names": "; ".join(missing)}
        )
    return problems


def error_message(error: ValidationError) -> str:
    """The text of one ValidationError, its parameters filled in."""
    return str(error.message % error.params) if error.params else str(error.message)


def supplement_request(dossier: Dossier) -> DossierEvent | None:
    """The latest supplement request (its note says what the agency asked for)."""
    return dossier.events.filter(action="request_supplement").order_by("-at", "-pk").first()


# --- the timeline ------------------------------------------------------------------------------

# How each event reads to the applicant; officers' own words stay in ACTION_LABELS.
CITIZEN_EVENT_LABELS = {
    "submit": gettext_lazy("Submitted online"),
    "register": gettext_lazy("Received at the one-stop desk"),
    "receive": gettext_lazy("Received by the one-stop desk"),
    "refuse": gettext_lazy("Refused"),
    "process": gettext_lazy("Processing started"),
    "forward": gettext_lazy("Transferred for processing"),
    "request_supplement": gettext_lazy("Additional documents requested"),
    "supply": gettext_lazy("Additional documents supplied"),
    "request_fee": gettext_lazy("Fee payment requested"),
    "pay_fee": gettext_lazy("Fee paid"),
    "approve": gettext_lazy("Processing completed"),
    "stop": gettext_lazy("Processing stopped"),
    "withdraw": gettext_lazy("Withdrawn by the applicant"),
    "return": gettext_lazy("Result returned"),
    "apologize": gettext_lazy("Apology and new appointment"),
    "rate": gettext_lazy("Rated by the applicant"),
}
# Notes written for the applicant (the agency's reasons) or by them; others are internal.
PUBLIC_NOTE_ACTIONS = frozenset(
    {"request_supplement", "refuse", "stop", "apologize", "withdraw", "supply", "rate"}
)
# Draft saves are the applicant's own keystrokes, not steps of the dossier.
HIDDEN_ACTIONS = frozenset({"draft_save"})


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    label: str
    agency: str
    to_agency: str
    note: str
    status: str


def dossier_timeline(dossier: Dossier, *, public: bool = False) -> list[TimelineEntry]:
    """The dossier's events for the applicant; `public` (tracking page) drops every note."""
    events = [
        e for e in dossier.events.select_related("agency").order_by("at", "pk")
        if e.action not in HIDDEN_ACTIONS
    ]
    moved_to = {e.pk: moved_to_agency(e.data) for e in events if e.action == "forward"}
    names = dict(
        Agency.objects.filter(pk__in={i for i in moved_to.values() if i}).values_list("pk", "name")
    )
    return [
        TimelineEntry(
            at=e.at,
            action=e.action,
            label=str(CITIZEN_EVENT_LABELS.get(e.action) or ACTION_LABELS.get(e.action, e.action)),
            agency=e.agency.name if e.agency_id else "",
            to_agency=names.get(moved_to.get(e.pk), ""),
            note="" if public or e.action not in PUBLIC_NOTE_ACTIONS else e.note,
            status=e.to_status,
        )
        for e in events
    ]


def moved_to_agency(data) -> int | None:
    """The agency a "forward" event moved the dossier to: its data is {"agency": [from, to]}
    (a dict, or its JSON text when read by a plain cursor)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    change = data.get("agency") if isinstance(data, dict) else None
    if isinstance(change, list) and len(change) == 2 and change[0] != change[1]:
        return change[1]
    return None


# --- public tracking: see tracking.py -----------------------------------------------------------


def name_initials(name: str) -> str:
    """`Nguyễn Văn An` → `N. V. A.`: all the tracking page shows of the applicant."""
    return " ".join(f"{word[0].upper()}." for word in (name or "").split())


# --- writes: one action plus files, in one transaction -------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An upload for a slot: a required document, or a file field `key` of the form."""

    file: object
    required_document: RequiredDocument | None = None
    key: str = ""
    checked: Inspection | None = None  # from `files.inspect_upload`, not to read it twice


def draft_save_with_files(
    *,
    applicant,
    procedure: Procedure,
    agency: Agency,
    form_data: dict,
    uploads: list[Upload],
    dossier: Dossier | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Save the draft (new or existing) and store its new files as documents, replacing the
    file each slot had. Uploads must have passed `files.file_validate` (the store checks them
    again: a bad one raises and nothing is kept). File fields of the form hold
    `{"name", "sha256"}` in `form_data`, which `slot_files` resolves to the stored file."""
    with transaction.atomic():
        draft = actions.dossier_draft_save(
            applicant=applicant, procedure=procedure, agency=agency, form_data=form_data,
            dossier=dossier, expected_version=expected_version,
        )
        if _store_documents(draft, uploads, applicant):
            # A new draft comes back with its (no) files loaded: forget that list.
            getattr(draft, "_prefetched_objects_cache", {}).pop("files", None)
        _prune_slot_files(draft)
    return draft


def _prune_slot_files(draft: Dossier) -> None:
    """Drop the draft's document files no slot points at any more (replaced uploads)."""
    keep = {row.pk for row in slot_files(draft).values()}
    stale = list(draft.files.filter(kind=FileKind.DOCUMENT).exclude(pk__in=keep))
    if not stale:
        return
    DossierFile.objects.filter(pk__in=[row.pk for row in stale]).delete()
    names = [(row.file.storage, row.file.name) for row in stale]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


def draft_submit(*, applicant, dossier: Dossier, submit_key: str) -> Dossier:
    """Submit the applicant's draft (idempotent on `submit_key`, see `actions.dossier_submit`);
    a draft lacking a required document gets ValidationError `document_required`."""
    if dossier.status == S.DRAFT:
        _documents_required_check(missing_documents(dossier))
    return actions.dossier_submit(dossier=dossier, submit_key=submit_key, applicant=applicant)


def _store_documents(draft: Dossier, uploads: list[Upload], user) -> list[DossierFile]:
    return [
        dossier_file_store(
            dossier=draft, upload=upload.file, kind=FileKind.DOCUMENT,
            required_document=upload.required_document, user=user, checked=upload.checked,
        )
        for upload in uploads
    ]


def dossier_file_and_submit(
    *,
    applicant,
    procedure: Procedure,
    agency: Agency,
    form_data: dict,
    uploads: list[Upload],
    submit_key: str,
) -> tuple[Dossier, bool]:
    """Create the draft, store its documents and submit it, all or nothing: a form error or a
    missing document leaves no draft behind. Returns (dossier, created). A retry with the same
    `submit_key` (also one racing this call) returns the dossier that key submitted; the new
    dossier comes back with its events and files loaded (`actions.dossier_submit_new`)."""
    key = (submit_key or "").strip()
    found = _submitted_by(applicant, key)
    if found is not None:
        return found, False
    # Every required slot must get a file: checked on the uploads, before anything is written.
    uploads = [u if u.checked else replace(u, checked=inspect_upload(u.file)) for u in uploads]
    present = _slots(
        ((u.required_document.pk if u.required_document else None, u.checked.sha256, u)
         for u in uploads),
        form_data,
    )
    _documents_required_check(_missing(procedure, present))
    try:
        dossier = actions.dossier_submit_new(
            applicant=applicant, procedure=procedure, agency=agency, form_data=form_data,
            submit_key=key, attach=lambda draft: _store_documents(draft, uploads, applicant),
        )
    except IntegrityError:
        # A twin request with the same key committed first; ours was rolled back.
        found = _submitted_by(applicant, key)
        if found is None:
            raise
        return found, False
    return dossier, True


def _submitted_by(applicant, key: str) -> Dossier | None:
    """The dossier `applicant` submitted with `key`; ValidationError `submit_key_reused` when
    the key is someone else's (a key names one submission of one dossier)."""
    if not key:
        return None
    # Two columns, not the whole row: nearly always nothing is found.
    found = Dossier.objects.filter(submit_key=key).values_list("pk", "applicant_id").first()
    if found is None:
        return None
    if found[1] != getattr(applicant, "pk", None):
        raise actions.submit_key_reused()
    return Dossier.objects.get(pk=found[0])


def supplement_provide(
    *,
    applicant,
    dossier: Dossier,
    uploads: list[Upload],
    note: str = "",
    expected_version: int | None = None,
) -> Dossier:
    """Store the supplied files (kind supplement) and resume the dossier (`dossier_supply`).
    The action runs first, so a refused one (wrong status, stale version) stores nothing."""
    if not uploads:
        raise ValidationError(
            {"files": ValidationError(_("Upload at least one document."), code="file_required")}
        )
    permission_check(applicant, dossier, "supply")
    transition_check(dossier, "supply")
    with transaction.atomic():
        supplied = actions.dossier_supply(
            applicant=applicant, dossier=dossier, expected_version=expected_version, note=note
        )
        for upload in uploads:
            dossier_file_store(
                dossier=supplied, upload=upload.file, kind=FileKind.SUPPLEMENT,
                required_document=upload.required_document, user=applicant,
            )
    return supplied
