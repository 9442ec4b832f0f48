"""Schemas of the dossier API (`api_dossiers.py`): what clients send (…In) and get (…Out).

Out schemas show a dossier to its applicant and to the officers who may handle it, and
nothing about anyone else: timeline entries say whether the applicant, an officer or the
system acted, never who; files never say who uploaded them; the submission key stays
internal. The applicant's view follows the citizen pages (`citizen.py`): no draft saves in
the timeline, only the notes meant for them, the result file once it is theirs. The public
tracking answer has initials instead of the name and no notes. Every moment is ISO 8601 in
Hải Phòng time (+07:00), whatever the server's time zone.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from civicport.core.access import can_act
from civicport.publicservices import citizen
from civicport.publicservices.models import DossierStatus, FileKind, ResultDelivery
from civicport.publicservices.workflow import (
    ACTION_LABELS,
    APPLICANT,
    RECEIVING_AGENCY,
    TRANSITIONS,
    actions_allowed,
    may_act,
    status_label,
)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Workflow actions with no API of their own (registration happens at the desk).
_NOT_IN_API = frozenset({"register"})


def _local(value: datetime | None) -> datetime | None:
    return None if value is None else timezone.localtime(value, LOCAL_TZ)


LocalDateTime = Annotated[datetime, AfterValidator(_local)]
OptionalLocalDateTime = Annotated[datetime | None, AfterValidator(_local)]


class OfficerAction(StrEnum):
    """Actions of `POST /{id}/actions/{action}`."""

    RECEIVE = "receive"
    REFUSE = "refuse"
    PROCESS = "process"
    FORWARD = "forward"
    REQUEST_SUPPLEMENT = "request_supplement"
    REQUEST_FEE = "request_fee"
    PAY_FEE = "pay_fee"
    APPROVE = "approve"
    STOP = "stop"
    RETURN = "return"
    APOLOGIZE = "apologize"


_OFFICER_ACTIONS = frozenset(OfficerAction)


class UploadKind(StrEnum):
    """Files a client may upload: the applicant's documents (draft), supplements (when asked)
    and the result (officers, while processing). Receipts and notices are generated."""

    DOCUMENT = "document"
    SUPPLEMENT = "supplement"
    RESULT = "result"


# --- errors (for the OpenAPI document; raised as core.api.ApiError) -------------------------


class ErrorDetailOut(Schema):
    field: str
    message: str
    code: str | None = None


class ErrorBodyOut(Schema):
    code: str
    message: str
    details: list[ErrorDetailOut]


class ErrorOut(Schema):
    error: ErrorBodyOut


# --- input ----------------------------------------------------------------------------------


class _In(Schema):
    # Unknown fields are refused, so a misspelt or unsupported field is not silently lost.
    model_config = ConfigDict(extra="forbid")


class DossierCreateIn(_In):
    procedure_code: str = Field(..., max_length=40, description="Procedure code, e.g. 1.001193.")
    agency_id: int | None = Field(
        None,
        description="Receiving agency; may be left out when only one agency handles the procedure.",
    )
    form_data: dict[str, Any] = Field(
        default_factory=dict,
        description="Values of the procedure's online form by key. A draft may be incomplete; "
        "the form is checked in full on submit.",
    )


class DossierUpdateIn(_In):
    version: int = Field(..., description="The `version` of the dossier the client read.")
    form_data: dict[str, Any] | None = Field(
        None, description="The whole form (replaces the stored values); left out: unchanged."
    )
    agency_id: int | None = Field(None, description="Another receiving agency; left out: same.")


class SupplyIn(_In):
    note: str = ""
    version: int | None = Field(None, description="Optional for the applicant.")


class WithdrawIn(_In):
    reason: str
    version: int | None = Field(None, description="Optional for the applicant.")


class RatingIn(_In):
    rating: int = Field(..., ge=1, le=5)
    comment: str = ""
    version: int | None = Field(None, description="Optional for the applicant.")


class OfficerActionIn(_In):
    version: int = Field(..., description="The `version` of the dossier the officer read.")
    reason: str = Field("", description="refuse, request_supplement, stop, apologize.")
    note: str = Field("", description="forward: a note for the next officer.")
    to_step: int | None = Field(
        None, description="forward: the ORDER of the procedure step (default: the next one)."
    )
    to_agency_id: int | None = Field(None, description="forward: another agency (liên thông).")
    delivery: ResultDelivery | None = Field(None, description="return: how the result goes back.")
    new_due_at: datetime | None = Field(
        None, description="apologize: the new appointment, with its offset (+07:00)."
    )
    amount: int | None = Field(None, description="request_fee: VND (default: the procedure's).")
    online: bool = Field(False, description="pay_fee: paid online rather than at the desk.")


# --- output ---------------------------------------------------------------------------------


class ProcedureRefOut(Schema):
    code: str
    name: str


class AgencyRefOut(Schema):
    id: int
    code: str
    name: str


class StepRefOut(Schema):
    order: int
    name: str
    role: str


class ApplicantOut(Schema):
    name: str = Field(..., alias="applicant_name")
    id_number: str = Field(..., alias="applicant_id_number")
    phone: str = Field(..., alias="applicant_phone")
    email: str = Field(..., alias="applicant_email")
    address: str = Field(..., alias="applicant_address")
    ward_code: int | None = Field(None, alias="applicant_ward_id")


class DossierOut(Schema):
    id: int
    code: str | None
    status: str
    status_label: str
    procedure: ProcedureRefOut
    agency: AgencyRefOut
    current_agency: AgencyRefOut
    current_step: StepRefOut | None
    channel: str
    applicant: ApplicantOut
    form_data: dict[str, Any]
    result_delivery: str
    created_at: LocalDateTime
    submitted_at: OptionalLocalDateTime
    received_at: OptionalLocalDateTime
    due_at: OptionalLocalDateTime = Field(description="The appointment (ngày hẹn trả).")
    step_due_at: OptionalLocalDateTime
    finished_at: OptionalLocalDateTime
    returned_at: OptionalLocalDateTime
    paused: bool = Field(description="The clock is stopped (supplement or fee requested).")
    supplement_count: int
    fee_amount: int
    fee_paid_at: OptionalLocalDateTime
    paid_online: bool
    rating: int | None
    rating_comment: str
    version: int = Field(description="Send it back with the next change (optimistic locking).")
    updated_at: LocalDateTime

    @staticmethod
    def resolve_status_label(dossier) -> str:
        return status_label(dossier.status)

    @staticmethod
    def resolve_applicant(dossier):
        return dossier

    @staticmethod
    def resolve_paused(dossier) -> bool:
        return dossier.paused_at is not None


class EventOut(Schema):
    at: LocalDateTime
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor: str = Field(description="applicant, officer or system; never a name.")
    agency: AgencyRefOut | None
    note: str


class DossierFileOut(Schema):
    id: int
    kind: str
    required_document_id: int | None
    name: str = Field(..., alias="original_name")
    content_type: str
    size: int
    sha256: str
    uploaded_at: LocalDateTime


class DossierDetailOut(DossierOut):
    actions: list[str] = Field(description="What the caller may do to the dossier now.")
    events: list[EventOut]
    files: list[DossierFileOut]

    @staticmethod
    def resolve_actions(dossier, context) -> list[str]:
        viewer = _viewer(context)
        return [
            name
            for name in actions_allowed(dossier)
            if name not in _NOT_IN_API and api_may_act(viewer, dossier, name)
        ]

    @staticmethod
    def resolve_events(dossier, context) -> list[dict]:
        """Officers get every event with its note. The applicant gets the timeline of the
        citizen pages: no draft saves, their wording, only the notes meant for them."""
        for_applicant = _is_applicant(_viewer(context), dossier)
        rows = []
        for event in dossier.events.all():
            if for_applicant and event.action in citizen.HIDDEN_ACTIONS:
                continue
            label = ACTION_LABELS.get(event.action, event.action)
            note = event.note
            if for_applicant:
                label = citizen.CITIZEN_EVENT_LABELS.get(event.action) or label
                note = note if event.action in citizen.PUBLIC_NOTE_ACTIONS else ""
            rows.append(
                {
                    "at": event.at,
                    "action": event.action,
                    "action_label": str(label),
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "actor": _actor_kind(event, dossier),
                    "agency": event.agency,
                    "note": note,
                }
            )
        return rows

    @staticmethod
    def resolve_files(dossier, context) -> list:
        """The applicant sees the result only once it is theirs to download."""
        files = list(dossier.files.all())
        if _is_applicant(_viewer(context), dossier) and not citizen.result_available(dossier):
            files = [row for row in files if row.kind != FileKind.RESULT]
        return files


class TrackingEventOut(Schema):
    at: LocalDateTime
    action: str
    label: str
    agency: str
    to_agency: str
    status: str


class TrackingOut(Schema):
    """What the public tracking page shows: no names (initials), no notes, no files. Read
    from `tracking.Tracked`."""

    code: str
    status: str
    status_label: str
    procedure: ProcedureRefOut
    agency: AgencyRefOut
    current_agency: AgencyRefOut
    applicant_initials: str
    received_at: OptionalLocalDateTime
    due_at: OptionalLocalDateTime = Field(description="The appointment (ngày hẹn trả).")
    finished_at: OptionalLocalDateTime
    returned_at: OptionalLocalDateTime
    paused: bool
    timeline: list[TrackingEventOut]


def tracking_body(tracked) -> dict:
    """`TrackingOut` of a `tracking.Tracked` as the JSON dict ninja would make, built by hand:
    ninja's validation of the nested output costs about 0.5 ms, more than the lookup's own
    SQL, on the platform's hottest request. A test compares the two."""

    def moment(value):
        return None if value is None else _local(value).isoformat()

    def ref(item, with_id=True):
        return {"id": item.id, "code": item.code, "name": item.name} if with_id else {
            "code": item.code, "name": item.name}

    return {
        "code": tracked.code,
        "status": tracked.status,
        "status_label": str(tracked.status_label),
        "procedure": ref(tracked.procedure, with_id=False),
        "agency": ref(tracked.agency),
        "current_agency": ref(tracked.current_agency),
        "applicant_initials": tracked.applicant_initials,
        "received_at": moment(tracked.received_at),
        "due_at": moment(tracked.due_at),
        "finished_at": moment(tracked.finished_at),
        "returned_at": moment(tracked.returned_at),
        "paused": tracked.paused,
        "timeline": [
            {"at": moment(e.at), "action": e.action, "label": e.label, "agency": e.agency,
             "to_agency": e.to_agency, "status": e.status}
            for e in tracked.timeline
        ],
    }


def api_may_act(user, dossier, action: str) -> bool:
    """`workflow.may_act`, except that an action of the officer endpoint which the workflow
    also grants the applicant (`pay_fee`) is the desk's only through this API: there is no
    online payment yet, and a citizen must not mark their own fee as paid."""
    if not may_act(user, dossier, action):
        return False
    transition = TRANSITIONS[action]
    if action in _OFFICER_ACTIONS and transition.actor == APPLICANT:
        agency_id = (
            dossier.agency_id
            if transition.agency == RECEIVING_AGENCY
            else dossier.current_agency_id
        )
        return bool(transition.on_behalf) and can_act(user, agency_id, transition.on_behalf)
    return True


def _viewer(context):
    request = (context or {}).get("request")
    return getattr(request, "user", None)


def _is_applicant(viewer, dossier) -> bool:
    return viewer is not None and viewer.pk is not None and viewer.pk == dossier.applicant_id


def _actor_kind(event, dossier) -> str:
    if event.actor_id is None:
        return "system"
    return "applicant" if event.actor_id == dossier.applicant_id else "officer"


__all__ = [
    "ApplicantOut",
    "DossierCreateIn",
    "DossierDetailOut",
    "DossierFileOut",
    "DossierOut",
    "DossierStatus",
    "DossierUpdateIn",
    "ErrorOut",
    "EventOut",
    "OfficerAction",
    "OfficerActionIn",
    "RatingIn",
    "SupplyIn",
    "TrackingEventOut",
    "TrackingOut",
    "UploadKind",
    "WithdrawIn",
    "api_may_act",
]
