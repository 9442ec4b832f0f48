"""Writes of the dossier workflow: every change of a dossier goes through one of these.

Each action runs in one transaction and, through `_apply`:

1. locks the dossier row and checks the actor (`workflow.permission_check`), the version the
   caller read (`expected_version`: a stale one raises `ConflictError`) and the status
   (`workflow.transition_check`);
2. writes the new values with a compare-and-set on `version` (bumped by one);
3. appends a `DossierEvent` and an audit entry, and queues the applicant's SMS and e-mail
   (sent only if the transaction commits).

Any refusal raises before anything is written. Officers must always pass the version they
read; applicants may pass None (their screens rarely race, and a retried request should not
fail).

Decisions (see also deadlines.py):

* Pauses: a supplement request and a fee request stop the clock (`paused_at`); the end of the
  pause (supply, payment, or a stop/withdrawal meanwhile) moves `due_at`, `original_due_at`
  and `step_due_at` by the WORKING time paused. Only supplements count towards the 766 rule
  "more than one supplement request = late".
* Apology (template 04): needs a reason and a new appointment later than the current one;
  `due_at` takes the new date, `original_due_at` keeps the legal one for reporting.
* Rating: one rating per dossier (1–5, optional comment) by the applicant once the dossier is
  done or returned; it may be changed until 30 days after the dossier finished, then it is
  final. Every change is an event, so earlier values stay in the history.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicport.core.access import can_act
from civicport.core.audit import audit_append, audit_entry
from civicport.core.auth import normalize_phone
from civicport.core.calendar import add_working_hours, working_time_between
from civicport.core.models import Agency, Membership, Notification, Role, User, Ward
from civicport.core.notify import notification_send
from civicport.publicservices import deadlines
from civicport.publicservices.codes import dossier_code_next
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierStatus,
    Procedure,
    ProcedureLevel,
    ProcedureStep,
    ResultDelivery,
)
from civicport.publicservices.workflow import (
    ActionDenied,
    ConflictError,
    TransitionError,
    action_denied,
    permission_check,
    transition_check,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ActionDenied",
    "ConflictError",
    "TransitionError",
    "dossier_apologize",
    "dossier_approve",
    "dossier_draft_save",
    "dossier_forward",
    "dossier_pay_fee",
    "dossier_process",
    "dossier_rate",
    "dossier_receive",
    "dossier_refuse",
    "dossier_register",
    "dossier_request_fee",
    "dossier_request_supplement",
    "dossier_return",
    "dossier_stop",
    "dossier_submit",
    "dossier_submit_new",
    "dossier_supply",
    "dossier_withdraw",
    "form_validate",
    "procedure_agency",
    "step_reminders_send",
    "submit_key_reused",
]

# Applicant notifications per action (templates notifications/<name>.<channel>.txt).
NOTIFY_TEMPLATES = {
    "submit": "dossier_submitted",
    "register": "dossier_received",
    "receive": "dossier_received",
    "refuse": "dossier_refused",
    "request_supplement": "dossier_supplement",
    "approve": "dossier_done",
    "stop": "dossier_stopped",
    "return": "dossier_returned",
    "apologize": "dossier_apology",
}
REMINDER_TEMPLATE = "dossier_step_reminder"
REMINDER_WINDOW_HOURS = 4
RATING_WINDOW = timedelta(days=30)
NOTE_MAX = 2000
SUBMIT_KEY_MAX = Dossier._meta.get_field("submit_key").max_length

Changes = dict | Callable[[Dossier, datetime], dict]


# --- the one write path -----------------------------------------------------------------------


def _apply(
    *,
    dossier: Dossier,
    actor,
    action: str,
    expected_version: int | None,
    changes: Changes | None = None,
    note: str = "",
    data: dict | None = None,
) -> Dossier:
    """Lock, check, compare-and-set, record: the shared body of every dossier action.

    `changes` is a dict of new field values or a function (locked row, now) -> dict; it may
    raise ValidationError. `data` (JSON-serialisable) goes to the event and the audit entry.
    """
    with transaction.atomic():
        fresh = (
            # Lock the dossier row only, not the joined rows (shared by many dossiers).
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure", "applicant", "agency", "current_step")
            .get(pk=dossier.pk)
        )
        permission_check(actor, fresh, action)
        if expected_version is not None and fresh.version != expected_version:
            raise ConflictError()
        from_status, acting_agency_id = fresh.status, fresh.current_agency_id
        to_status = transition_check(fresh, action)
        before = _tracked(fresh)
        now = timezone.now()
        values = changes(fresh, now) if callable(changes) else dict(changes or {})
        values.update(status=to_status, version=F("version") + 1, updated_at=now)
        if Dossier.objects.filter(pk=fresh.pk, version=fresh.version).update(**values) != 1:
            raise ConflictError()  # unreachable under the row lock; kept for safety
        _written(fresh, values)
        _record(
            dossier=fresh, actor=actor, action=action, from_status=from_status,
            agency_id=acting_agency_id, at=now, note=note,
            data={**_changed(before, _tracked(fresh)), **(data or {})},
        )
    return fresh


def _written(fresh: Dossier, values: dict) -> None:
    """Set what the update wrote on the locked row in memory: no re-read (the row lock
    guarantees nobody else changed it). Only expressions other than the version bump are
    read back from the database."""
    values = {**values, "version": fresh.version + 1}
    computed = [name for name, value in values.items() if hasattr(value, "resolve_expression")]
    for name, value in values.items():
        if name not in computed:
            setattr(fresh, name, value)
    if computed:
        fresh.refresh_from_db(fields=computed)


def _tracked(dossier: Dossier) -> dict:
    """Values whose changes every event records: where the dossier is, when it is due."""
    return {
        "agency": dossier.current_agency_id, "step": dossier.current_step_id,
        "due_at": _iso(dossier.due_at), "rating": dossier.rating,
    }


def _changed(before: dict, after: dict) -> dict:
    """{name: [old, new]} of the tracked values that changed."""
    return {key: [before[key], after[key]] for key in before if before[key] != after[key]}


@dataclass(frozen=True)
class _Step:
    """One recorded change: the event's fields and the dossier's code and version after it."""

    action: str
    from_status: str
    to_status: str
    agency_id: int | None
    code: str
    version: int
    note: str
    data: dict


def _record(
    *, dossier: Dossier, actor, action: str, from_status: str, agency_id: int | None,
    at: datetime, note: str = "", data: dict | None = None,
) -> DossierEvent:
    """Event, audit entry and applicant notifications of one change (inside its transaction)."""
    step = _Step(
        action, from_status, dossier.status, agency_id, dossier.code or "", dossier.version,
        note, data or {},
    )
    return _record_steps(dossier=dossier, actor=actor, at=at, steps=[step])[0]


def _record_steps(*, dossier: Dossier, actor, at: datetime, steps: list[_Step]) -> list:
    """`_record` of several changes at once: one INSERT for the events, one for the audit
    entries; the applicant is notified of those that have a template."""
    events = DossierEvent.objects.bulk_create([
        DossierEvent(
            dossier=dossier, at=at, actor=_user_or_none(actor), action=step.action,
            from_status=step.from_status, to_status=step.to_status, agency_id=step.agency_id,
            note=step.note, data=step.data,
        )
        for step in steps
    ])
    audit_append([
        audit_entry(
            actor=actor, action=f"dossier.{step.action}", obj=dossier, at=at,
            data={
                "code": step.code, "from": step.from_status, "to": step.to_status,
                "version": step.version, "event": event.pk,
                **({"note": step.note} if step.note else {}), **step.data,
            },
        )
        for step, event in zip(steps, events, strict=True)
    ])
    for step, event in zip(steps, events, strict=True):
        if step.action in NOTIFY_TEMPLATES:
            _notify_applicant(dossier=dossier, event=event, template=NOTIFY_TEMPLATES[step.action])
    return events


def _user_or_none(actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


# --- citizen: draft and online submission ----------------------------------------------------


def dossier_draft_save(
    *,
    applicant: User,
    procedure: Procedure,
    agency: Agency,
    form_data: dict,
    dossier: Dossier | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """Create or update the applicant's draft; nothing is validated but the shape, since a
    draft may be incomplete. The form is checked in full on submit. A new draft comes back
    with its events and files loaded."""
    _procedure_offered_check(procedure=procedure, agency=agency, online=True)
    if not isinstance(form_data, dict):
        raise _invalid("form_data", _("The form data must be an object."), "invalid")
    if dossier is not None:
        return _apply(
            dossier=dossier, actor=applicant, action="draft_save",
            expected_version=expected_version,
            changes={
                "procedure": procedure, "agency": agency, "current_agency": agency,
                "form_data": form_data, **_applicant_contact(applicant),
            },
        )
    _applicant_active_check(applicant)
    with transaction.atomic():
        now = timezone.now()
        draft = _new_draft(applicant, procedure, agency, form_data, now)
        draft.save(force_insert=True)
        event = _record(
            dossier=draft, actor=applicant, action="draft_save", from_status="",
            agency_id=agency.pk, at=now,
        )
    event.agency = agency
    _related_known(draft, events=[event], files=[])
    return draft


def dossier_submit(*, dossier: Dossier, submit_key: str, applicant: User | None = None) -> Dossier:
    """Submit a draft online: validate the form, issue the code, start the clock (status new).

    Idempotent: a retried request with the same `submit_key` gets the same dossier, and a
    second submit of a dossier already submitted returns it unchanged. Web and API callers
    pass the requesting user as `applicant`; without it the dossier's own applicant acts.
    """
    key = _submit_key_clean(submit_key)
    if applicant is not None and dossier.applicant_id != applicant.pk:
        raise action_denied("submit")
    actor = applicant or dossier.applicant
    earlier = _submitted_with_key(key, dossier)
    if earlier is not None:
        return earlier
    try:
        return _apply(
            dossier=dossier, actor=actor, action="submit", expected_version=None,
            changes=lambda fresh, now: _submit_values(fresh, key, now),
        )
    except TransitionError:
        current = Dossier.objects.get(pk=dossier.pk)
        if current.channel == Channel.ONLINE and current.submitted_at is not None:
            return current
        raise
    except IntegrityError:
        # The same key won a race on another request for this dossier.
        earlier = _submitted_with_key(key, dossier)
        if earlier is None:
            raise
        return earlier


def dossier_submit_new(
    *,
    applicant: User,
    procedure: Procedure,
    agency: Agency,
    form_data: dict,
    submit_key: str,
    attach: Callable[[Dossier], list[DossierFile]] | None = None,
) -> Dossier:
    """`dossier_draft_save` of a new draft followed by `dossier_submit`, written at once: the
    same checks, the same two events and audit entries (draft save, submit) and the receipt
    notification, but one INSERT of the submitted row instead of a draft re-read and updated.

    `attach(dossier)` runs in the same transaction once the row exists and returns the files
    it stored. The dossier comes back with its events and files loaded. A `submit_key` already
    taken raises IntegrityError (nothing is kept): the caller looks up who has it.
    """
    key = _submit_key_clean(submit_key)
    _applicant_active_check(applicant)
    if not isinstance(form_data, dict):
        raise _invalid("form_data", _("The form data must be an object."), "invalid")
    with transaction.atomic():
        now = timezone.now()
        dossier = _new_draft(applicant, procedure, agency, form_data, now)
        draft = _tracked(dossier)
        for name, value in _submit_values(dossier, key, now).items():
            setattr(dossier, name, value)
        dossier.status, dossier.version = DossierStatus.NEW, 2  # saved (1), then submitted
        dossier.save(force_insert=True)
        files = attach(dossier) if attach else []
        events = _record_steps(dossier=dossier, actor=applicant, at=now, steps=[
            _Step("draft_save", "", DossierStatus.DRAFT, agency.pk, "", 1, "", {}),
            _Step("submit", DossierStatus.DRAFT, DossierStatus.NEW, agency.pk, dossier.code,
                  2, "", _changed(draft, _tracked(dossier))),
        ])
    for event in events:
        event.agency = agency
    _related_known(dossier, events=events, files=files)
    return dossier


def _applicant_active_check(applicant) -> None:
    if not (applicant and applicant.is_authenticated and applicant.is_active):
        raise action_denied("draft_save")


def _new_draft(applicant: User, procedure: Procedure, agency: Agency, form_data: dict,
               now: datetime) -> Dossier:
    """An unsaved new online draft (the caller has checked the applicant)."""
    return Dossier(
        procedure=procedure, agency=agency, current_agency=agency, applicant=applicant,
        channel=Channel.ONLINE, status=DossierStatus.DRAFT, form_data=form_data,
        created_at=now, **_applicant_contact(applicant),
    )


def _submit_key_clean(submit_key: str) -> str:
    key = (submit_key or "").strip()
    if not key or len(key) > SUBMIT_KEY_MAX:
        raise _invalid(
            "submit_key",
            _("The submission key must have 1 to 64 characters."),
            "invalid_submit_key",
        )
    return key


def _submit_values(fresh: Dossier, key: str, now: datetime) -> dict:
    """What submitting the draft `fresh` writes: the form checked in full, the applicant's
    details from it, the code, the appointment and the first step."""
    _procedure_offered_check(procedure=fresh.procedure, agency=fresh.agency, online=True)
    cleaned = form_validate(fresh.procedure.form_schema, fresh.form_data)
    from_form = _form_applicant_fields(fresh.procedure.form_schema, cleaned)
    if fresh.applicant_phone:
        # The account's phone stays the contact (and tracking) number; the form's
        # fills in only for accounts registered with an e-mail address.
        from_form.pop("applicant_phone", None)
    return {
        "form_data": cleaned, "submit_key": key, "submitted_at": now,
        "channel": Channel.ONLINE,
        **from_form,
        **_receipt_values(fresh, now, received=False),
    }


def _related_known(dossier: Dossier, **rows: list) -> None:
    """Make `dossier.<name>.all()` answer `rows[name]` without a query (as a prefetch would)."""
    cache = dossier.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, found in rows.items():
        queryset = getattr(dossier, name).get_queryset()
        queryset._result_cache, queryset._prefetch_done = list(found), True
        cache[name] = queryset


def _submitted_with_key(key: str, dossier: Dossier) -> Dossier | None:
    earlier = Dossier.objects.filter(submit_key=key).first()
    if earlier is not None and earlier.pk != dossier.pk:
        raise submit_key_reused()
    return earlier


def submit_key_reused() -> ValidationError:
    """A key names one submission of one dossier; reusing it elsewhere is a client bug."""
    return _invalid(
        "submit_key",
        _("This submission key was already used for another dossier."),
        "submit_key_reused",
    )


# --- one-stop desk ------------------------------------------------------------------------------


def dossier_register(
    *,
    officer: User,
    procedure: Procedure,
    agency: Agency,
    applicant_name: str,
    form_data: dict | None = None,
    channel: str = Channel.IN_PERSON,
    applicant: User | None = None,
    applicant_id_number: str = "",
    applicant_phone: str = "",
    applicant_email: str = "",
    applicant_address: str = "",
    applicant_ward: Ward | None = None,
    result_delivery: str = ResultDelivery.IN_PERSON,
) -> Dossier:
    """Register a walk-in or postal dossier at the one-stop desk: created and received at once
    (draft → received), with its code, appointment and receipt notification."""
    if channel not in (Channel.IN_PERSON, Channel.POSTAL):
        raise _invalid("channel", _("Choose in person or by post."), "invalid")
    if result_delivery not in ResultDelivery.values:
        raise _invalid("result_delivery", _("Choose how the result is returned."), "invalid")
    if not can_act(officer, agency, Role.RECEIVER):
        raise action_denied("register")
    _procedure_offered_check(procedure=procedure, agency=agency, online=False)
    contact = _contact_clean(
        name=applicant_name, id_number=applicant_id_number, phone=applicant_phone,
        email=applicant_email,
    )
    cleaned = form_validate(procedure.form_schema, form_data or {})
    with transaction.atomic():
        draft = Dossier.objects.create(
            procedure=procedure, agency=agency, current_agency=agency, applicant=applicant,
            channel=channel, status=DossierStatus.DRAFT, form_data=cleaned,
            applicant_address=(applicant_address or "").strip(), applicant_ward=applicant_ward,
            result_delivery=result_delivery, **contact,
        )
        return _apply(
            dossier=draft, actor=officer, action="register", expected_version=draft.version,
            changes=lambda fresh, now: {
                "submitted_at": now, **_receipt_values(fresh, now, received=True),
            },
            data={"channel": channel},
        )


def dossier_receive(*, officer: User, dossier: Dossier, expected_version: int) -> Dossier:
    """Accept an online dossier as complete (template 01): the reception step is done."""
    return _apply(
        dossier=dossier, actor=officer, action="receive", expected_version=expected_version,
        changes=lambda fresh, now: _after_reception(fresh, now),
    )


def dossier_refuse(
    *, officer: User, dossier: Dossier, expected_version: int, reason: str
) -> Dossier:
    """Refuse to receive an online dossier (template 03): the reason is required."""
    return _apply(
        dossier=dossier, actor=officer, action="refuse", expected_version=expected_version,
        note=_reason_required(reason), changes=_end_values,
    )


def dossier_return(
    *, officer: User, dossier: Dossier, expected_version: int, delivery: str
) -> Dossier:
    """Hand the result back (at the desk, by post or online)."""
    if delivery not in ResultDelivery.values:
        raise _invalid("delivery", _("Choose how the result is returned."), "invalid")
    return _apply(
        dossier=dossier, actor=officer, action="return", expected_version=expected_version,
        changes=lambda fresh, now: {"returned_at": now, "result_delivery": delivery},
        data={"delivery": delivery},
    )


# --- processing ------------------------------------------------------------------------------


def dossier_process(*, officer: User, dossier: Dossier, expected_version: int) -> Dossier:
    """A processor takes a received dossier into processing (its step is already running)."""
    return _apply(
        dossier=dossier, actor=officer, action="process", expected_version=expected_version
    )


def dossier_forward(
    *,
    officer: User,
    dossier: Dossier,
    expected_version: int,
    to_step: ProcedureStep | None = None,
    to_agency: Agency | None = None,
    note: str = "",
) -> Dossier:
    """Move the dossier to another step and/or agency (liên thông); the step's clock restarts.

    Without `to_step` the dossier goes to the next step by order (or stays on its step when
    only `to_agency` is given). The agency is `to_agency`, else the step's own agency, else
    the receiving agency.
    """

    def changes(fresh: Dossier, now: datetime) -> dict:
        step = to_step
        if step is None:
            step = fresh.current_step if to_agency is not None else _next_step(fresh)
            if step is None and to_agency is None:
                raise _invalid(
                    "to_step",
                    _("This is the last step: approve the dossier instead."),
                    "no_next_step",
                )
        elif step.procedure_id != fresh.procedure_id:
            raise _invalid("to_step", _("This step belongs to another procedure."), "invalid")
        if to_agency is not None and not to_agency.is_active:
            raise _invalid("to_agency", _("This agency is not active."), "invalid")
        return _enter_step(fresh, step, now, agency=to_agency)

    return _apply(
        dossier=dossier, actor=officer, action="forward", expected_version=expected_version,
        changes=changes, note=_note_clean(note),
    )


def dossier_request_supplement(
    *, officer: User, dossier: Dossier, expected_version: int, reason: str
) -> Dossier:
    """Ask the applicant for more documents (template 02); the clock stops until they supply."""
    return _apply(
        dossier=dossier, actor=officer, action="request_supplement",
        expected_version=expected_version, note=_reason_required(reason),
        changes=lambda fresh, now: {
            "paused_at": now, "supplement_count": fresh.supplement_count + 1,
        },
    )


def dossier_supply(
    *, applicant: User, dossier: Dossier, expected_version: int | None = None, note: str = ""
) -> Dossier:
    """The applicant has supplied what was asked (the files are stored separately): the clock
    runs again and every deadline moves by the working time paused."""
    return _apply(
        dossier=dossier, actor=applicant, action="supply", expected_version=expected_version,
        changes=_resume_values, note=_note_clean(note),
    )


def dossier_request_fee(
    *, officer: User, dossier: Dossier, expected_version: int, amount: int | None = None
) -> Dossier:
    """Ask for the fee (the procedure's unless `amount` is given); the clock stops until paid."""

    def changes(fresh: Dossier, now: datetime) -> dict:
        fee = fresh.procedure.fee_amount if amount is None else amount
        if isinstance(fee, bool) or not isinstance(fee, int) or fee <= 0:
            raise _invalid("amount", _("Enter a fee greater than zero."), "invalid_fee")
        return {"fee_amount": fee, "paused_at": now}

    return _apply(
        dossier=dossier, actor=officer, action="request_fee", expected_version=expected_version,
        changes=changes,
    )


def dossier_pay_fee(
    *, actor: User, dossier: Dossier, online: bool, expected_version: int | None = None
) -> Dossier:
    """Record the fee as paid (online by the applicant, or at the desk by a receiver)."""
    return _apply(
        dossier=dossier, actor=actor, action="pay_fee", expected_version=expected_version,
        changes=lambda fresh, now: {
            "fee_paid_at": now, "paid_online": bool(online), **_resume_values(fresh, now),
        },
        data={"online": bool(online)},
    )


def dossier_approve(*, officer: User, dossier: Dossier, expected_version: int) -> Dossier:
    """Processing is finished with a result: the dossier goes back to the receiving desk."""
    return _apply(
        dossier=dossier, actor=officer, action="approve", expected_version=expected_version,
        changes=_end_values,
    )


def dossier_stop(*, officer: User, dossier: Dossier, expected_version: int, reason: str) -> Dossier:
    """Stop processing (e.g. the supplement never came, or the request is unlawful)."""
    return _apply(
        dossier=dossier, actor=officer, action="stop", expected_version=expected_version,
        note=_reason_required(reason), changes=_end_values,
    )


def dossier_withdraw(
    *, applicant: User, dossier: Dossier, reason: str, expected_version: int | None = None
) -> Dossier:
    """The applicant withdraws the dossier (or the desk records their written request)."""
    return _apply(
        dossier=dossier, actor=applicant, action="withdraw", expected_version=expected_version,
        note=_reason_required(reason), changes=_end_values,
    )


def dossier_apologize(
    *, officer: User, dossier: Dossier, expected_version: int, reason: str, new_due_at: datetime
) -> Dossier:
    """Apologise for a delay and set a new appointment (template 04). Reporting keeps judging
    against `original_due_at` (see deadlines.py)."""
    note = _reason_required(reason)
    if not isinstance(new_due_at, datetime) or timezone.is_naive(new_due_at):
        raise _invalid("new_due_at", _("Enter the new appointment date and time."), "invalid")

    def changes(fresh: Dossier, now: datetime) -> dict:
        current = fresh.due_at
        if current is not None and new_due_at <= current:
            raise _invalid(
                "new_due_at",
                _("The new appointment must be later than the current one."),
                "not_later",
            )
        return {"due_at": new_due_at, "original_due_at": fresh.original_due_at or current}

    return _apply(
        dossier=dossier, actor=officer, action="apologize", expected_version=expected_version,
        note=note, changes=changes,
    )


def dossier_rate(
    *, applicant: User, dossier: Dossier, rating: int, comment: str = "",
    expected_version: int | None = None,
) -> Dossier:
    """Rate the handling 1–5. One rating per dossier, changeable for 30 days after it ended."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise _invalid("rating", _("Choose a rating from 1 to 5."), "invalid_rating")
    text = _note_clean(comment)

    def changes(fresh: Dossier, now: datetime) -> dict:
        if fresh.finished_at is not None and now - fresh.finished_at > RATING_WINDOW:
            raise _invalid(
                "rating", _("Ratings can be given or changed only within 30 days."), "rating_closed"
            )
        return {"rating": rating, "rating_comment": text}

    return _apply(
        dossier=dossier, actor=applicant, action="rate", expected_version=expected_version,
        changes=changes, note=text,
    )


# --- values shared by the actions ---------------------------------------------------------------


def _receipt_values(fresh: Dossier, now: datetime, *, received: bool) -> dict:
    """Code, appointment and first step of a dossier entering the system at `now`."""
    due = deadlines.due_compute(procedure=fresh.procedure, start=now)
    first = fresh.procedure.steps.select_related("agency").order_by("order").first()
    values = {
        # The counter stays locked until commit: take it as late as possible.
        "code": dossier_code_next(agency=fresh.agency, day=deadlines.local_day(now)),
        "received_at": now, "due_at": due, "original_due_at": due,
        "fee_amount": fresh.procedure.fee_amount,
    }
    values |= _enter_step(fresh, first, now)
    if received:
        fresh.current_step = first
        values |= _after_reception(fresh, now)
    return values


def _after_reception(fresh: Dossier, now: datetime) -> dict:
    """The desk's reception step is done: enter the next one (if the current step is it)."""
    step = fresh.current_step
    if step is None or step.role != Role.RECEIVER:
        return {}
    following = _next_step(fresh)
    return _enter_step(fresh, following, now) if following is not None else {}


def _next_step(fresh: Dossier) -> ProcedureStep | None:
    steps = fresh.procedure.steps.order_by("order")
    if fresh.current_step_id is not None:
        steps = steps.filter(order__gt=fresh.current_step.order)
    return steps.first()


def _enter_step(
    fresh: Dossier, step: ProcedureStep | None, now: datetime, *, agency: Agency | None = None
) -> dict:
    holder = agency or (step.agency if step is not None and step.agency_id else None)
    return {
        "current_step": step,
        "current_agency": holder or fresh.agency,
        "step_due_at": deadlines.step_due_compute(step=step, start=now),
    }


def _resume_values(fresh: Dossier, now: datetime) -> dict:
    """End a pause: move every deadline by the working time the clock was stopped."""
    if fresh.paused_at is None:
        return {}
    paused = working_time_between(fresh.paused_at, now)
    return {
        "paused_at": None,
        "due_at": deadlines.deadline_shift(fresh.due_at, paused),
        "original_due_at": deadlines.deadline_shift(fresh.original_due_at, paused),
        "step_due_at": deadlines.deadline_shift(fresh.step_due_at, paused),
    }


def _end_values(fresh: Dossier, now: datetime) -> dict:
    """Handling ended (done, refused, stopped, withdrawn): the result goes back to the desk."""
    return {
        **_resume_values(fresh, now),
        "finished_at": now, "current_agency": fresh.agency, "current_step": None,
        "step_due_at": None,
    }


def procedure_agency(procedure: Procedure, agency_id: int | None) -> Agency | None:
    """The agency `agency_id` if it handles `procedure`; without an id, the one active agency
    handling it; else None. Remembered on the procedure object, so the actions' own check of
    the pair needs no second query."""
    if agency_id is None:
        agencies = list(procedure.agencies.filter(is_active=True)[:2])
        agency = agencies[0] if len(agencies) == 1 else None
    else:
        agency = procedure.agencies.filter(pk=agency_id).first()
    if agency is not None:
        procedure.__dict__.setdefault("_offered_by", set()).add(agency.pk)
    return agency


def _procedure_offered_check(*, procedure: Procedure, agency: Agency, online: bool) -> None:
    if not procedure.is_active:
        raise _invalid("procedure", _("This procedure is no longer offered."), "procedure_inactive")
    if agency.pk not in procedure.__dict__.get("_offered_by", ()) and not (
        procedure.agencies.filter(pk=agency.pk).exists()
    ):
        raise _invalid(
            "agency", _("This agency does not handle this procedure."), "agency_not_offering"
        )
    if online and procedure.level == ProcedureLevel.OFFLINE:
        raise _invalid(
            "procedure", _("This procedure can only be filed at the one-stop desk."), "not_online"
        )


def _applicant_contact(applicant: User) -> dict:
    return {
        "applicant_name": (applicant.full_name or applicant.username)[:200],
        "applicant_phone": normalize_phone(applicant.phone) or "",
        "applicant_email": applicant.email or "",
    }


def _contact_clean(*, name: str, id_number: str, phone: str, email: str) -> dict:
    """Desk-entered applicant details, checked like the online form's."""
    errors = {}
    name = " ".join((name or "").split())
    if not name:
        errors["applicant_name"] = ValidationError(_("This field is required."), code="required")
    id_number = re.sub(r"\s", "", id_number or "")
    if id_number and not _ID_NUMBER.match(id_number):
        errors["applicant_id_number"] = _id_number_error()
    normalized = normalize_phone(phone) if phone else ""
    if normalized is None:
        errors["applicant_phone"] = _phone_error()
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["applicant_email"] = ValidationError(
                _("Enter a valid e-mail address."), code="invalid_email"
            )
    if errors:
        raise ValidationError(errors)
    return {
        "applicant_name": name[:200], "applicant_id_number": id_number,
        "applicant_phone": normalized, "applicant_email": email,
    }


def _form_applicant_fields(schema: list, cleaned: dict) -> dict:
    """Copy the applicant's ID number, phone and address from the form to the dossier.

    The applicant fragment's own keys (applicant_id_number, applicant_phone,
    applicant_address) win: a birth registration also asks for the mother's ID number and
    the place of birth, which must not be taken for the applicant's. Without them, the
    first field of each type is the applicant's.
    """
    fields = [item for item in schema or [] if isinstance(item, dict)]
    values = {}
    for kind, column in (("id_number", "applicant_id_number"), ("phone", "applicant_phone"),
                         ("address", "applicant_address")):
        candidates = [item for item in fields if item.get("type") == kind]
        preferred = [item for item in candidates if item.get("key") == column] or candidates
        value = next(
            (cleaned.get(item["key"]) for item in preferred
             if cleaned.get(item.get("key")) not in (None, "", {})),
            None,
        )
        if value is None:
            continue
        if kind == "address":
            values["applicant_ward_id"] = value["ward"]
            values["applicant_address"] = value.get("line", "")[:500]
        elif kind == "phone":
            values["applicant_phone"] = normalize_phone(value) or ""
        else:
            values[column] = value
    return values


def _invalid(field: str, message: str, code: str) -> ValidationError:
    """A ValidationError on one field with a stable code (the API reports both)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _reason_required(reason: str) -> str:
    text = _note_clean(reason)
    if not text:
        raise _invalid("reason", _("Give the reason."), "reason_required")
    return text


def _note_clean(text: str) -> str:
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise _invalid("note", _("Use at most %(max)d characters.") % {"max": NOTE_MAX}, "too_long")
    return text


def _iso(moment: datetime | None) -> str | None:
    """Local (Hải Phòng) ISO time for event data: readable as it stands in the history."""
    if moment is None:
        return None
    return timezone.localtime(moment, timezone.get_default_timezone()).isoformat()


# --- notifications ---------------------------------------------------------------------------


def _notify_applicant(*, dossier: Dossier, event: DossierEvent, template: str) -> None:
    """SMS and e-mail to the applicant, keyed by the event so a retry sends nothing twice."""
    language = dossier.applicant.preferred_language if dossier.applicant_id else "vi"
    context = {
        "dossier": dossier, "code": dossier.code or "", "procedure": dossier.procedure.name,
        "agency": dossier.agency.name, "status": dossier.get_status_display(),
        "note": event.note, "due_at": dossier.due_at, "event": event,
    }
    for channel, recipient in (
        (Notification.Channel.SMS, dossier.applicant_phone),
        (Notification.Channel.EMAIL, dossier.applicant_email),
    ):
        if not recipient:
            continue
        try:
            notification_send(
                channel=channel, recipient=recipient, template=template, context=context,
                idempotency_key=f"dossier:{dossier.pk}:{event.pk}:{channel}", language=language,
                new_key=True,  # the event is new in this transaction
            )
        except ValidationError as exc:
            # A bad phone or address must not undo the dossier's change: log and go on.
            logger.warning("dossier %s: %s not sent to %r: %s", dossier.pk, channel,
                           recipient, exc)


def step_reminders_send(now: datetime | None = None) -> int:
    """E-mail the officers of the current agency (holding the current step's role) about
    running dossiers whose step is due within 4 working hours or overdue.

    Idempotent per dossier, step, day and officer; returns how many e-mails were queued. Meant
    to run periodically (e.g. every 30 minutes in office hours).
    """
    now = now or timezone.now()
    horizon = add_working_hours(now, REMINDER_WINDOW_HOURS)
    due = list(
        Dossier.objects.filter(
            status__in=[DossierStatus.NEW, DossierStatus.RECEIVED, DossierStatus.PROCESSING],
            paused_at__isnull=True, step_due_at__lte=horizon,
        )
        .select_related("current_step", "current_agency", "procedure")
        .order_by("step_due_at", "pk")
    )
    officers = _officers_by_agency_role({d.current_agency_id for d in due})
    day = deadlines.local_day(now)
    queued = 0
    for dossier in due:
        role = dossier.current_step.role if dossier.current_step else _STATUS_ROLE[dossier.status]
        for officer in officers.get((dossier.current_agency_id, role), []):
            step_id = dossier.current_step_id or 0
            key = f"dossier-reminder:{dossier.pk}:{step_id}:{day:%Y%m%d}:{officer.pk}"
            if Notification.objects.filter(idempotency_key=key).exists():
                continue
            with transaction.atomic():
                notification_send(
                    channel=Notification.Channel.EMAIL, recipient=officer.email,
                    template=REMINDER_TEMPLATE, idempotency_key=key,
                    language=officer.preferred_language,
                    context={
                        "dossier": dossier, "officer": officer, "step": dossier.current_step,
                        "step_due_at": dossier.step_due_at,
                        "overdue": dossier.step_due_at < now,
                    },
                )
            queued += 1
    return queued


_STATUS_ROLE = {
    DossierStatus.NEW: Role.RECEIVER,
    DossierStatus.RECEIVED: Role.PROCESSOR,
    DossierStatus.PROCESSING: Role.PROCESSOR,
}


def _officers_by_agency_role(agency_ids: set[int]) -> dict[tuple[int, str], list[User]]:
    rows = (
        Membership.objects.filter(agency_id__in=agency_ids, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    officers: dict[tuple[int, str], list[User]] = {}
    for row in rows:
        officers.setdefault((row.agency_id, row.role), []).append(row.user)
    return officers


# --- the online form -----------------------------------------------------------------------------

_ID_NUMBER = re.compile(r"^\d{12}$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
TEXT_MAX = 1000


def form_validate(schema: list, data: dict) -> dict:
    """Check `data` against a procedure's `form_schema`; return the cleaned values.

    Raises ValidationError {key: [error]} with stable codes: required, invalid_id_number
    (12 digits), invalid_phone, invalid_date (dd/mm/yyyy or yyyy-mm-dd), invalid_number,
    out_of_range, invalid_choice, invalid_address, unknown_ward, too_long. Cleaned values:
    text stripped, numbers as int/float, dates ISO, phones 0xxxxxxxxx, addresses
    {"line": str, "ward": int}. Keys outside the schema are dropped; file fields are passed
    through (uploads are checked where they are stored).
    """
    if not isinstance(data, dict):
        raise _invalid("form_data", _("The form data must be an object."), "invalid")
    cleaned, errors = {}, {}
    for item in schema or []:
        if not isinstance(item, dict) or not item.get("key"):
            continue
        key, kind = item["key"], item.get("type", "text")
        value = data.get(key)
        if kind == "file":
            if value is not None:
                cleaned[key] = value
            continue
        if _blank(value):
            if item.get("required"):
                errors[key] = ValidationError(_("This field is required."), code="required")
            continue
        try:
            cleaned[key] = _FIELD_CLEANERS.get(kind, _clean_text)(value, item)
        except ValidationError as exc:
            errors[key] = exc
    if errors:
        raise ValidationError(errors)
    return cleaned


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


def _clean_text(value, item: dict) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValidationError(_("Enter a text."), code="invalid")
    text = str(value).strip()
    limit = item.get("max_length") or TEXT_MAX
    if len(text) > limit:
        raise ValidationError(
            _("Use at most %(max)d characters.") % {"max": limit}, code="too_long"
        )
    return text


def _id_number_error() -> ValidationError:
    return ValidationError(
        _("Enter the 12-digit citizen ID number (digits only)."), code="invalid_id_number"
    )


def _phone_error() -> ValidationError:
    return ValidationError(
        _("Enter a Vietnamese phone number (e.g. 0912345678)."), code="invalid_phone"
    )


def _clean_id_number(value, item: dict) -> str:
    text = re.sub(r"\s", "", value) if isinstance(value, str) else ""
    if not _ID_NUMBER.match(text):
        raise _id_number_error()
    return text


def _clean_phone(value, item: dict) -> str:
    phone = normalize_phone(value) if isinstance(value, str) else None
    if phone is None:
        raise _phone_error()
    return phone


def _clean_date(value, item: dict) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    text = value.strip() if isinstance(value, str) else ""
    if match := _DMY.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        day = month = year = 0
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValidationError(
            _("Enter a date as dd/mm/yyyy, e.g. 27/02/2026."), code="invalid_date"
        ) from None


def _clean_number(value, item: dict) -> int | float:
    number = None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
    elif isinstance(value, str) and _NUMBER.match(value.strip()):
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise ValidationError(_("Enter a number."), code="invalid_number")
    low, high = item.get("min"), item.get("max")
    if (low is not None and number < Decimal(str(low))) or (
        high is not None and number > Decimal(str(high))
    ):
        raise ValidationError(
            _("Enter a number from %(min)s to %(max)s.")
            % {"min": "…" if low is None else low, "max": "…" if high is None else high},
            code="out_of_range",
        )
    return int(number) if number == number.to_integral_value() else float(number)


def _choice_values(choices) -> list[str]:
    values = []
    for choice in choices or []:
        if isinstance(choice, dict):
            values.append(str(choice.get("value")))
        elif isinstance(choice, list | tuple) and choice:
            values.append(str(choice[0]))
        else:
            values.append(str(choice))
    return values


def _clean_choice(value, item: dict) -> str:
    text = str(value).strip() if isinstance(value, str | int) else None
    if text is None or text not in _choice_values(item.get("choices")):
        raise ValidationError(_("Choose one of the options."), code="invalid_choice")
    return text


def _clean_address(value, item: dict) -> dict:
    if not isinstance(value, dict):
        raise ValidationError(
            _("Enter the address with its commune or ward."), code="invalid_address"
        )
    ward = value.get("ward")
    if isinstance(ward, str) and ward.strip().isdigit():
        ward = int(ward.strip())
    if isinstance(ward, bool) or not isinstance(ward, int):
        raise ValidationError(
            _("Enter the address with its commune or ward."), code="invalid_address"
        )
    if not Ward.objects.filter(code=ward).exists():
        raise ValidationError(_("This commune or ward does not exist."), code="unknown_ward")
    line = _clean_text(value.get("line") or "", {"max_length": 400})
    return {"line": line, "ward": ward}


_FIELD_CLEANERS = {
    "text": _clean_text,
    "number": _clean_number,
    "date": _clean_date,
    "choice": _clean_choice,
    "id_number": _clean_id_number,
    "phone": _clean_phone,
    "address": _clean_address,
}
