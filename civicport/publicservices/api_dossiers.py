"""Dossier API (hồ sơ), mounted by the lead at /api/v1/dossiers/: token or session auth.

Citizens create a draft, fill it, upload documents, submit it (idempotently), follow it,
supply documents, withdraw it and rate it; officers move it through the one-stop workflow;
anyone tracks a dossier by its code and phone number (`GET /track`, no login). Each endpoint
parses its input, calls one action of `actions.py` (or the `citizen.py` write the citizen
pages use, so both check the same: required documents on submit) and renders the dossier.

Who sees what: the applicant their own dossiers (`citizen.applicant_dossiers`), officers
`queries.officer_scope`; the list is the applicant's dossiers or the officer's inbox
(`queries.officer_dossiers`). Timelines and files shown to the applicant follow the citizen
pages (`citizen.py`): no draft saves, only the notes meant for them, the result file once it
is theirs to download.

Errors (all `{"error": {"code", "message", "details"}}`):

* 404 `not_found` for a dossier the caller may not see, whatever the reason (it does not
  exist, it is someone else's, it is another agency's, it is a draft of a citizen): one
  answer, so ids reveal nothing;
* 403 `forbidden` when the caller sees the dossier but lacks the role for the action;
* 409 `illegal_transition` when the status does not allow the action, 409 `version_conflict`
  when `version` is stale (reload and retry);
* 422 `invalid` with one detail per field (`field`, `message`, `code`) for form and argument
  errors; uploads refused for their content answer 422 with the file's code (`file_type`,
  `file_too_large`, `file_empty`, `image_too_large`, `file_unsafe`).
* 429 `throttled` (with `Retry-After`) for too many failed tracking lookups.

A refused request changes nothing: the actions check everything before writing.
"""

import json
import re
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import File, Form, Header, P, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from civicport.core.access import can_act
from civicport.core.api import ApiError
from civicport.core.api_auth import REQUIRED
from civicport.core.models import Agency, Role
from civicport.publicservices import actions, api_tracking, citizen, queries
from civicport.publicservices.files import dossier_file_store, inspect_upload
from civicport.publicservices.models import (
    Dossier,
    DossierEvent,
    DossierStatus,
    FileKind,
    Procedure,
    ProcedureStep,
    RequiredDocument,
)
from civicport.publicservices.notices import receipt_pdf
from civicport.publicservices.schemas import (
    DossierCreateIn,
    DossierDetailOut,
    DossierFileOut,
    DossierOut,
    DossierUpdateIn,
    ErrorOut,
    OfficerAction,
    OfficerActionIn,
    RatingIn,
    SupplyIn,
    TrackingOut,
    UploadKind,
    WithdrawIn,
    api_may_act,
)
from civicport.publicservices.workflow import (
    ActionDenied,
    ConflictError,
    TransitionError,
    action_denied,
    may_act,
    permission_check,
    status_label,
    transition_check,
)

router = Router(tags=["dossiers"])

S = DossierStatus
# Field names of the actions' errors as the API calls them.
API_FIELDS = {"agency": "agency_id", "procedure": "procedure_code", "to_agency": "to_agency_id"}
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{8,64}$"  # visible ASCII, e.g. a UUID


def _errors(*statuses: int) -> dict:
    return dict.fromkeys(statuses, ErrorOut)


# --- reads -----------------------------------------------------------------------------------


def _visible(user) -> QuerySet:
    """Dossiers `user` may see: their own applications (drafts included) and, as an officer,
    the scope of `queries.officer_scope` (held by their agencies; the receiving desk also
    while another agency holds it; never a draft)."""
    return citizen.applicant_dossiers(user).order_by() | queries.officer_scope(user)


def _listed(user, status: str | None) -> QuerySet | queries.Listing:
    """`GET /`: an officer's inbox (`queries.officer_listing`: work in hand by urgency, or
    one status, read a page at a time); anyone else's own dossiers, newest first."""
    if queries.officer_pages_allowed(user):
        if status == S.DRAFT:
            return Dossier.objects.none()  # officers never see drafts
        return queries.officer_listing(user, status=status)
    dossiers = citizen.applicant_dossiers(user)
    return dossiers.filter(status=status) if status else dossiers


def _with_refs(dossiers: QuerySet | queries.Listing) -> QuerySet | queries.Listing:
    return dossiers.select_related("procedure", "agency", "current_agency", "current_step")


def _dossier_get(user, dossier_id: int) -> Dossier:
    dossier = _with_refs(_visible(user)).filter(pk=dossier_id).first()
    if dossier is None:
        raise _not_found()
    return dossier


def _detail(dossier_id: int) -> Dossier:
    """The dossier with its timeline and files, for the answer after a check or a change."""
    return (
        _with_refs(Dossier.objects.filter(pk=dossier_id))
        .prefetch_related(
            Prefetch("events", queryset=DossierEvent.objects.select_related("agency")),
            "files",
        )
        .get()
    )


def _not_found() -> ApiError:
    return ApiError(404, "not_found", _("No dossier was found."))


# --- errors -----------------------------------------------------------------------------------


def _field_error(field: str, message: str, code: str) -> ApiError:
    return ApiError(
        422,
        "invalid",
        _("The request is not valid."),
        [{"field": field, "message": message, "code": code}],
    )


def _validation_details(
    exc: DjangoValidationError, form_keys=frozenset(), renames: dict | None = None
) -> list[dict]:
    groups = exc.error_dict.items() if hasattr(exc, "error_dict") else [("", exc.error_list)]
    fields = {**API_FIELDS, **(renames or {})}
    details = []
    for field, errors in groups:
        name = f"form_data.{field}" if field in form_keys else fields.get(field, field)
        for error in errors:
            details.append(
                {"field": name, "message": citizen.error_message(error),
                 "code": error.code or "invalid"}
            )
    return details


@contextmanager
def _mapped_errors(form_keys=frozenset(), renames: dict | None = None):
    """Turn the workflow's refusals into API errors (see the module docstring). Errors of
    form fields are reported as `form_data.<key>`; `renames` maps other field names."""
    try:
        yield
    except (TransitionError, ConflictError) as exc:
        raise ApiError(409, exc.code, exc.message) from exc
    except ActionDenied as exc:
        raise ApiError(403, exc.code, exc.message) from exc
    except DjangoValidationError as exc:
        raise ApiError(
            422,
            "invalid",
            _("The request is not valid."),
            _validation_details(exc, form_keys, renames),
        ) from exc


def _form_keys(procedure: Procedure) -> frozenset:
    return frozenset(
        item["key"]
        for item in procedure.form_schema or []
        if isinstance(item, dict) and item.get("key")
    )


# --- citizen ------------------------------------------------------------------------------------


def _agency_for(procedure: Procedure, agency_id: int | None) -> Agency:
    agency = actions.procedure_agency(procedure, agency_id)
    if agency is None and agency_id is None:
        raise _field_error(
            "agency_id",
            _("Choose the agency that should receive the dossier."),
            "agency_required",
        )
    if agency is None:
        raise _field_error(
            "agency_id", _("This agency does not handle this procedure."), "agency_not_offering"
        )
    return agency


@router.post(
    "/",
    response={201: DossierDetailOut, **_errors(401, 422)},
    auth=REQUIRED,
    summary="Create a draft dossier",
)
def dossier_create(request, payload: DossierCreateIn):
    """Start an online application for a procedure (`procedure_code` from the catalogue). The
    applicant's name, phone and e-mail come from the account; the citizen ID number and the
    address come from the form's `id_number` and `address` fields on submit. Nothing but the
    shape of `form_data` is checked until submit."""
    procedure = Procedure.objects.filter(code=payload.procedure_code).first()
    if procedure is None:
        raise _field_error("procedure_code", _("No procedure has this code."), "unknown_procedure")
    agency = _agency_for(procedure, payload.agency_id)
    with _mapped_errors(_form_keys(procedure)):
        draft = actions.dossier_draft_save(
            applicant=request.user,
            procedure=procedure,
            agency=agency,
            form_data=payload.form_data,
        )
    return Status(201, draft)  # loaded by the action: no re-read


@router.patch(
    "/{int:dossier_id}",
    response={200: DossierDetailOut, **_errors(401, 403, 404, 409, 422)},
    auth=REQUIRED,
    summary="Update a draft",
)
def dossier_update(request, dossier_id: int, payload: DossierUpdateIn):
    """Replace the draft's form data (and/or its receiving agency). Send the `version` you
    read: a stale one answers 409 `version_conflict`; a submitted dossier 409
    `illegal_transition`."""
    dossier = _dossier_get(request.user, dossier_id)
    agency = (
        dossier.agency
        if payload.agency_id is None
        else _agency_for(dossier.procedure, payload.agency_id)
    )
    form_data = dossier.form_data if payload.form_data is None else payload.form_data
    with _mapped_errors(_form_keys(dossier.procedure)):
        actions.dossier_draft_save(
            applicant=request.user,
            procedure=dossier.procedure,
            agency=agency,
            form_data=form_data,
            dossier=dossier,
            expected_version=payload.version,
        )
    return _detail(dossier.pk)


# Who may add which kind of file, and in which status. The rule sits here until actions.py
# grows a `dossier_file_add` (files are not status changes: no event, no version bump).
def _upload_check(user, dossier: Dossier, kind: str) -> None:
    if kind == UploadKind.DOCUMENT:
        action, statuses, allowed = "draft_save", {S.DRAFT}, may_act(user, dossier, "draft_save")
    elif kind == UploadKind.SUPPLEMENT:
        action, statuses, allowed = "supply", {S.SUPPLEMENT}, may_act(user, dossier, "supply")
    else:
        action, statuses = "approve", {S.PROCESSING}
        allowed = any(
            can_act(user, dossier.current_agency_id, role)
            for role in (Role.PROCESSOR, Role.APPROVER)
        )
    if not allowed:
        raise action_denied(action)
    if dossier.status not in statuses:
        raise TransitionError(
            _("Files of this kind cannot be added to a dossier with status “%(status)s”.")
            % {"status": status_label(dossier.status)}
        )


@router.post(
    "/{int:dossier_id}/files",
    response={201: DossierFileOut, **_errors(401, 403, 404, 409, 422)},
    auth=REQUIRED,
    summary="Upload a file of a dossier",
)
def file_upload(
    request,
    dossier_id: int,
    file: File[UploadedFile, P(description="PDF, JPEG or PNG; checked by its content.")],
    kind: Form[UploadKind] = UploadKind.DOCUMENT,
    required_document_id: Form[int | None] = None,
):
    """Multipart upload (field `file`). `kind`: `document` (the applicant, while a draft),
    `supplement` (the applicant, when a supplement was requested) or `result` (a processor or
    approver of the agency holding the dossier, while processing — upload the result, then
    approve). `required_document_id` names the document of the procedure it answers."""
    dossier = _dossier_get(request.user, dossier_id)
    document = None
    if required_document_id is not None:
        document = RequiredDocument.objects.filter(
            pk=required_document_id, procedure_id=dossier.procedure_id
        ).first()
        if document is None:
            raise _field_error(
                "required_document_id",
                _("This procedure has no such document."),
                "unknown_document",
            )
    with _mapped_errors(), transaction.atomic():
        locked = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        _upload_check(request.user, locked, kind)
        try:
            row = dossier_file_store(
                dossier=locked,
                upload=file,
                kind=FileKind(kind.value),
                required_document=document,
                user=request.user,
            )
        except DjangoValidationError as exc:
            error = exc.error_list[0]
            message = citizen.error_message(error)
            raise ApiError(
                422,
                error.code or "invalid",
                message,
                [{"field": "file", "message": message, "code": error.code or "invalid"}],
            ) from exc
    return Status(201, row)


@router.post(
    "/{int:dossier_id}/submit",
    response={200: DossierDetailOut, 201: DossierDetailOut, **_errors(401, 403, 404, 409, 422)},
    auth=REQUIRED,
    summary="Submit a draft (idempotent)",
)
def dossier_submit(
    request,
    dossier_id: int,
    idempotency_key: Header[
        str,
        P(
            alias="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY,
            description="8–64 visible ASCII characters, new for each dossier (e.g. a UUID).",
        ),
    ],
):
    """Check the form in full, issue the official dossier code and the appointment (`due_at`)
    and start the clock. 201 when this request submitted the draft; a retry with the same key,
    or any later submit of the same dossier, answers 200 with the dossier as submitted. Form
    errors are 422 with one detail per field (`form_data.<key>`); a required document not yet
    uploaded is 422 `document_required` (a required `file` field of the form is answered by
    uploading the file, then setting the field to `{"name": …, "sha256": …}` of the upload)."""
    dossier = _dossier_get(request.user, dossier_id)
    was_draft, version = dossier.status == S.DRAFT, dossier.version
    with _mapped_errors(_form_keys(dossier.procedure)):
        result = citizen.draft_submit(
            applicant=request.user, dossier=dossier, submit_key=idempotency_key
        )
    created = was_draft and result.submit_key == idempotency_key and result.version == version + 1
    return Status(201 if created else 200, _detail(result.pk))


def _submission_uploads(request, procedure: Procedure) -> list[citizen.Upload]:
    """The multipart files `document_<id>` of a one-request submission, each checked by its
    content and matched to a required document of `procedure`."""
    documents = {row.pk: row for row in procedure.documents.all()}
    uploads = []
    for name, upload in request.FILES.items():
        match = re.fullmatch(r"document_(\d{1,9})", name)
        document = documents.get(int(match.group(1))) if match else None
        if document is None:
            raise _field_error(
                name, _("This procedure has no such document."), "unknown_document"
            )
        try:
            checked = inspect_upload(upload)
        except DjangoValidationError as exc:
            error = exc.error_list[0]
            raise _field_error(name, citizen.error_message(error), error.code or "invalid") from exc
        uploads.append(citizen.Upload(file=upload, required_document=document, checked=checked))
    return uploads


@router.post(
    "/submissions",
    response={200: DossierDetailOut, 201: DossierDetailOut, **_errors(401, 403, 409, 422)},
    auth=REQUIRED,
    summary="Create, attach the documents and submit in one request (idempotent)",
)
def dossier_submission(
    request,
    idempotency_key: Header[
        str,
        P(
            alias="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY,
            description="8–64 visible ASCII characters, new for each dossier (e.g. a UUID).",
        ),
    ],
    procedure_code: Form[str, P(max_length=40)],
    form_data: Form[str, P(description="The form's answers as a JSON object.")] = "{}",
    agency_id: Form[int | None] = None,
):
    """Multipart form: `procedure_code`, `form_data` (JSON), optionally `agency_id`, and one
    file per required document named `document_<required document id>` (PDF, JPEG or PNG,
    checked by content). All or nothing: on any error (422 with one detail per field, as for
    `POST /{id}/submit`) no draft is left behind. 201 with the submitted dossier (its code and
    appointment); a retry with the same `Idempotency-Key` answers 200 with the same dossier.
    The same as `POST /`, `POST /{id}/files` and `POST /{id}/submit` in one round trip."""
    procedure = Procedure.objects.filter(code=procedure_code).prefetch_related("documents").first()
    if procedure is None:
        raise _field_error("procedure_code", _("No procedure has this code."), "unknown_procedure")
    try:
        answers = json.loads(form_data)
    except ValueError:
        answers = None
    if not isinstance(answers, dict):
        raise _field_error(
            "form_data", _("The form data must be a JSON object."), "invalid_form_data"
        )
    agency = _agency_for(procedure, agency_id)
    uploads = _submission_uploads(request, procedure)
    with _mapped_errors(_form_keys(procedure)):
        dossier, created = citizen.dossier_file_and_submit(
            applicant=request.user, procedure=procedure, agency=agency, form_data=answers,
            uploads=uploads, submit_key=idempotency_key,
        )
    # A new dossier comes back with everything the answer shows: no re-read.
    return Status(201, dossier) if created else Status(200, _detail(dossier.pk))


@router.get(
    "/track",
    auth=None,
    response={200: TrackingOut, **_errors(404, 422, 429)},
    summary="Public tracking: a dossier's status by its code and phone number",
    openapi_extra={
        "parameters": [
            {"in": "query", "name": name, "required": True, "description": description,
             "schema": {"type": "string", "maxLength": limit}}
            for name, (limit, description) in api_tracking.PARAMETERS.items()
        ]
    },
)
def dossier_track(request):
    """No login. `code` and `phone` (query): the status, the appointment and a timeline
    summary (no names, no notes, no files) when the code and the phone number (or citizen ID)
    belong together. Any mismatch — unknown code, wrong phone, a draft — gets the same 404.
    Too many failures from one address within the window get 429 `throttled` with
    `Retry-After` (the same counter as the tracking page)."""
    # The site serves this path with api_tracking.track, outside ninja (speed); this
    # operation documents it and gives the same answers.
    return api_tracking.track_answer(request)


@router.get("/", response=list[DossierOut], auth=REQUIRED, summary="My dossiers / my inbox")
@paginate(PageNumberPagination)
def dossier_list(request, status: DossierStatus | None = None):
    """A citizen's own dossiers, drafts included, newest first. For an officer, the inbox of
    the officer pages: the work in hand (new to done) of the dossiers their agencies hold (and,
    for the receiving desk, received), most urgent first; `status` lists one status instead
    (finished ones newest first; never drafts)."""
    return _with_refs(_listed(request.user, status.value if status else None))


@router.get(
    "/{int:dossier_id}",
    response={200: DossierDetailOut, **_errors(401, 404)},
    auth=REQUIRED,
    summary="One dossier with its timeline and files",
)
def dossier_detail(request, dossier_id: int):
    """The dossier, its timeline (who acted is given as applicant/officer/system), the
    metadata of its files and `actions`: what the caller may do to it now."""
    return _detail(_dossier_get(request.user, dossier_id).pk)


@router.get(
    "/{int:dossier_id}/receipt.pdf",
    response={404: ErrorOut, 401: ErrorOut},
    auth=REQUIRED,
    summary="Receipt and appointment slip (Mẫu 01) as PDF",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The A5 PDF of template 01 (Circular 01/2018/TT-VPCP).",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def dossier_receipt(request, dossier_id: int):
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả, once the dossier has its code (after
    submission); 404 before."""
    dossier = _dossier_get(request.user, dossier_id)
    if not dossier.code:
        raise ApiError(404, "not_found", _("This dossier has no receipt yet."))
    content = receipt_pdf(dossier, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"giay-tiep-nhan-{dossier.code}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _supplement_uploaded_check(user, dossier: Dossier) -> None:
    """The applicant supplies files: at least one since the latest request, as the web form
    asks (`citizen.supplement_provide`). Permission and status are checked first, so a wrong
    status is still a 409. Belongs in `actions.dossier_supply` once it knows about files."""
    if user.pk != dossier.applicant_id:
        return  # the desk records papers brought in person
    permission_check(user, dossier, "supply")
    transition_check(dossier, "supply")
    asked = citizen.supplement_request(dossier)
    files = dossier.files.filter(kind=FileKind.SUPPLEMENT)
    if asked is not None:
        files = files.filter(uploaded_at__gte=asked.at)
    if not files.exists():
        raise DjangoValidationError(
            {
                "files": DjangoValidationError(
                    _("Upload at least one document."), code="file_required"
                )
            }
        )


@router.post(
    "/{int:dossier_id}/supply",
    response={200: DossierDetailOut, **_errors(401, 403, 404, 409, 422)},
    auth=REQUIRED,
    summary="Tell the agency the requested supplement is uploaded",
)
def dossier_supply(request, dossier_id: int, payload: SupplyIn):
    """After uploading the files (`kind=supplement`, at least one since the request): the
    clock runs again and every deadline moves by the working time it was stopped. The
    receiving desk may record it for a walk-in applicant (papers brought to the desk)."""
    dossier = _dossier_get(request.user, dossier_id)
    with _mapped_errors():
        _supplement_uploaded_check(request.user, dossier)
        actions.dossier_supply(
            applicant=request.user,
            dossier=dossier,
            expected_version=payload.version,
            note=payload.note,
        )
    return _detail(dossier.pk)


@router.post(
    "/{int:dossier_id}/withdraw",
    response={200: DossierDetailOut, **_errors(401, 403, 404, 409, 422)},
    auth=REQUIRED,
    summary="Withdraw a dossier",
)
def dossier_withdraw(request, dossier_id: int, payload: WithdrawIn):
    """Withdraw a submitted dossier still being handled; the reason is required."""
    dossier = _dossier_get(request.user, dossier_id)
    with _mapped_errors():
        actions.dossier_withdraw(
            applicant=request.user,
            dossier=dossier,
            reason=payload.reason,
            expected_version=payload.version,
        )
    return _detail(dossier.pk)


@router.post(
    "/{int:dossier_id}/rating",
    response={200: DossierDetailOut, **_errors(401, 403, 404, 409, 422)},
    auth=REQUIRED,
    summary="Rate the handling of a dossier (1–5)",
)
def dossier_rating(request, dossier_id: int, payload: RatingIn):
    """Once the dossier is done or returned, its applicant rates it 1–5 with an optional
    comment; the rating may be changed for 30 days after the dossier ended."""
    dossier = _dossier_get(request.user, dossier_id)
    with _mapped_errors(renames={"note": "comment"}):
        actions.dossier_rate(
            applicant=request.user,
            dossier=dossier,
            rating=payload.rating,
            comment=payload.comment,
            expected_version=payload.version,
        )
    return _detail(dossier.pk)


# --- officers -----------------------------------------------------------------------------------


def _officer_action(action: OfficerAction, user, dossier: Dossier, payload: OfficerActionIn):
    common = {"officer": user, "dossier": dossier, "expected_version": payload.version}
    match action:
        case OfficerAction.RECEIVE:
            return actions.dossier_receive(**common)
        case OfficerAction.REFUSE:
            return actions.dossier_refuse(**common, reason=payload.reason)
        case OfficerAction.PROCESS:
            return actions.dossier_process(**common)
        case OfficerAction.FORWARD:
            return actions.dossier_forward(
                **common,
                to_step=_step(dossier, payload.to_step),
                to_agency=_to_agency(payload.to_agency_id),
                note=payload.note,
            )
        case OfficerAction.REQUEST_SUPPLEMENT:
            return actions.dossier_request_supplement(**common, reason=payload.reason)
        case OfficerAction.REQUEST_FEE:
            return actions.dossier_request_fee(**common, amount=payload.amount)
        case OfficerAction.PAY_FEE:
            return actions.dossier_pay_fee(
                actor=user,
                dossier=dossier,
                online=payload.online,
                expected_version=payload.version,
            )
        case OfficerAction.APPROVE:
            return actions.dossier_approve(**common)
        case OfficerAction.STOP:
            return actions.dossier_stop(**common, reason=payload.reason)
        case OfficerAction.RETURN:
            delivery = payload.delivery.value if payload.delivery is not None else ""
            return actions.dossier_return(**common, delivery=delivery)
        case OfficerAction.APOLOGIZE:
            return actions.dossier_apologize(
                **common, reason=payload.reason, new_due_at=payload.new_due_at
            )
    raise ValueError(action)  # unreachable: the path parameter is an OfficerAction


def _step(dossier: Dossier, order: int | None) -> ProcedureStep | None:
    if order is None:
        return None
    step = ProcedureStep.objects.filter(procedure_id=dossier.procedure_id, order=order).first()
    if step is None:
        raise _field_error(
            "to_step", _("The procedure has no step with this number."), "unknown_step"
        )
    return step


def _to_agency(agency_id: int | None) -> Agency | None:
    if agency_id is None:
        return None
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise _field_error("to_agency_id", _("This agency does not exist."), "unknown_agency")
    return agency


@router.post(
    "/{int:dossier_id}/actions/{action}",
    response={200: DossierDetailOut, **_errors(401, 403, 404, 409, 422)},
    auth=REQUIRED,
    summary="Officer: move a dossier through the one-stop workflow",
)
def dossier_act(request, dossier_id: int, action: OfficerAction, payload: OfficerActionIn):
    """`version` is required. `receive` / `refuse` (reason) a new online dossier; `process`;
    `forward` to the next step, the step numbered `to_step` and/or the agency `to_agency_id`
    (`note` for the next officer); `request_supplement` (reason) and `request_fee` (`amount`,
    default the procedure's fee) stop the clock; `pay_fee` (`online`) records the payment;
    `approve` (upload the result first: `POST /{id}/files`, `kind=result`); `stop` (reason);
    `return` the result (`delivery`: in_person, post, online); `apologize` (reason,
    `new_due_at`: template 04). The caller's role is checked at the agency holding the dossier
    (the receiving desk for payment, supplement and withdrawal on the applicant's behalf)."""
    dossier = _dossier_get(request.user, dossier_id)
    with _mapped_errors():
        if not api_may_act(request.user, dossier, action.value):
            # The actions check the actor first too; this also keeps `pay_fee` the desk's.
            raise action_denied(action.value)
        _officer_action(action, request.user, dossier, payload)
    return _detail(dossier.pk)
