"""Citizen pages: filing a dossier online, "my dossiers", and public tracking.

Each view parses its input with a form from `forms_citizen`, calls one action (or one of the
composite writes of `citizen`) or one query, and renders. Another citizen's dossier is a 404,
like a dossier that does not exist. Every page works without JavaScript; htmx only narrows
the ward list as the applicant types.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicport.core.auth import client_address
from civicport.publicservices import actions, citizen
from civicport.publicservices.files import dossier_file_open
from civicport.publicservices.forms_citizen import (
    WARD_SUFFIX,
    DossierForm,
    RatingForm,
    SubmitForm,
    SupplementForm,
    TrackingForm,
    WithdrawForm,
    ward_options,
)
from civicport.publicservices.models import Dossier, DossierStatus, Procedure
from civicport.publicservices.notices import receipt_pdf
from civicport.publicservices.tracking import (
    Tracked,
    TrackingThrottled,
    tracking_code_clean,
    tracking_lookup,
)
from civicport.publicservices.workflow import ActionDenied, WorkflowError, actions_allowed

PAGE_SIZE = 20
TEMPLATES = "publicservices/citizen/"


def _run(form, call: Callable[[], object]) -> tuple[int, object]:
    """Validate `form`, then `call()` the action: (200, result) on success, else (status,
    None) with the refusal on the form — 400 bad input, 403 not allowed, 409 wrong status or
    a stale page."""
    if not form.is_valid():
        return 400, None
    try:
        return 200, call()
    except ValidationError as exc:
        form.add_action_error(exc)
        return 400, None
    except WorkflowError as exc:
        form.add_error(None, ValidationError(exc.message, code=exc.code))
        return (403 if isinstance(exc, ActionDenied) else 409), None


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "d/m/Y H:i") if moment else "—"


# --- filing ------------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def apply(request, code: str):
    """/thu-tuc/<code>/nop/: the procedure's online form (a new draft)."""
    procedure = citizen.filing_procedure(code)
    if procedure is None:
        raise Http404(code)
    return _dossier_form(request, procedure=procedure, dossier=None)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    """/ho-so-cua-toi/<pk>/sua/: resume a draft."""
    dossier = citizen.applicant_dossier(request.user, pk)
    if dossier.status != DossierStatus.DRAFT:
        messages.info(request, _("This dossier has been submitted and can no longer be edited."))
        return redirect("citizen:dossier", dossier.pk)
    procedure = citizen.filing_procedure(dossier.procedure.code) or dossier.procedure
    return _dossier_form(request, procedure=procedure, dossier=dossier)


def _dossier_form(request, *, procedure: Procedure, dossier: Dossier | None):
    agencies = citizen.filing_agencies(procedure)
    if not (procedure.is_active and citizen.filing_open(procedure) and agencies):
        return render(request, TEMPLATES + "offline.html", {"procedure": procedure}, status=404)
    posted = request.method == "POST"
    mode = DossierForm.PREVIEW if request.POST.get("action") == "preview" else DossierForm.DRAFT
    form = DossierForm(
        request.POST if posted else None, request.FILES if posted else None,
        procedure=procedure, agencies=agencies, user=request.user, dossier=dossier, mode=mode,
    )
    status = 200
    if posted:
        status, draft = _run(form, lambda: citizen.draft_save_with_files(
            applicant=request.user, procedure=procedure, agency=form.chosen_agency,
            form_data=form.form_data, uploads=form.uploads, dossier=dossier,
            expected_version=form.cleaned_data.get("version") if dossier else None,
        ))
        if draft is not None:
            if mode == DossierForm.PREVIEW:
                return redirect("citizen:preview", draft.pk)
            messages.success(request, _("Your draft has been saved."))
            return redirect("citizen:edit", draft.pk)
    return render(request, TEMPLATES + "apply.html", {
        "procedure": procedure, "dossier": dossier, "form": form,
        "uploads_lost": posted and bool(request.FILES),
        "earlier_draft": citizen.applicant_draft_for(request.user, procedure)
        if dossier is None else None,
    }, status=status)


@never_cache
@login_required
@require_GET
def preview(request, pk: int):
    """/ho-so-cua-toi/<pk>/xem-lai/: everything entered, then "Sửa" or "Nộp hồ sơ"."""
    dossier = citizen.applicant_dossier(request.user, pk)
    if dossier.status != DossierStatus.DRAFT:
        return redirect("citizen:dossier", dossier.pk)
    return _preview(request, dossier, SubmitForm.fresh())


def _preview(request, dossier: Dossier, form: SubmitForm, status: int = 200):
    return render(request, TEMPLATES + "preview.html", {
        "dossier": dossier, "form": form, "answers": citizen.form_answers(dossier),
        "files": citizen.visible_files(dossier), "problems": citizen.draft_problems(dossier),
    }, status=status)


@never_cache
@login_required
@require_POST
def submit(request, pk: int):
    """Submit the draft; the same `submit_key` twice gives the same dossier and code."""
    dossier = citizen.applicant_dossier(request.user, pk)
    form = SubmitForm(request.POST)
    status, submitted = _run(form, lambda: citizen.draft_submit(
        applicant=request.user, dossier=dossier, submit_key=form.cleaned_data["submit_key"],
    ))
    if submitted is None:
        return _preview(request, dossier, form, status)
    messages.success(request, _(
        "Your dossier has been submitted. Its code is %(code)s; the result is due on %(due)s."
    ) % {"code": submitted.code, "due": _local(submitted.due_at)})
    return redirect("citizen:dossier", submitted.pk)


# --- my dossiers -------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def dossier_list(request):
    """/ho-so-cua-toi/: the user's dossiers, drafts included."""
    page = Paginator(citizen.applicant_dossiers(request.user), PAGE_SIZE).get_page(
        request.GET.get("trang")
    )
    return render(request, TEMPLATES + "dossier_list.html", {"page": page})


@never_cache
@login_required
@require_GET
def dossier_detail(request, pk: int):
    return _detail(request, citizen.applicant_dossier(request.user, pk))


def _detail(request, dossier: Dossier, *, status: int = 200, **forms):
    allowed = actions_allowed(dossier)
    if "supply" in allowed:
        forms.setdefault("supplement_form", SupplementForm(dossier=dossier))
    if "rate" in allowed:
        forms.setdefault("rating_form", RatingForm(initial={
            "rating": dossier.rating, "comment": dossier.rating_comment,
            "version": dossier.version,
        }))
    return render(request, TEMPLATES + "dossier_detail.html", {
        "dossier": dossier,
        "timeline": citizen.dossier_timeline(dossier),
        "files": citizen.visible_files(dossier),
        "answers": citizen.form_answers(dossier),
        "supplement_request": citizen.supplement_request(dossier) if "supply" in allowed else None,
        "can_withdraw": "withdraw" in allowed,
        **forms,
    }, status=status)


@never_cache
@login_required
@require_POST
def supply(request, pk: int):
    """Upload the documents the agency asked for; the dossier goes back to processing."""
    dossier = citizen.applicant_dossier(request.user, pk)
    form = SupplementForm(request.POST, request.FILES, dossier=dossier)
    status, supplied = _run(form, lambda: citizen.supplement_provide(
        applicant=request.user, dossier=dossier, uploads=form.uploads,
        note=form.cleaned_data["note"], expected_version=form.cleaned_data["version"],
    ))
    if supplied is None:
        return _detail(request, dossier, status=status, supplement_form=form)
    messages.success(request, _("Thank you: the documents have been sent to the agency."))
    return redirect("citizen:dossier", dossier.pk)


@never_cache
@login_required
@require_POST
def rate(request, pk: int):
    dossier = citizen.applicant_dossier(request.user, pk)
    form = RatingForm(request.POST)
    status, rated = _run(form, lambda: actions.dossier_rate(
        applicant=request.user, dossier=dossier, rating=form.cleaned_data["rating"],
        comment=form.cleaned_data["comment"], expected_version=form.cleaned_data["version"],
    ))
    if rated is None:
        return _detail(request, dossier, status=status, rating_form=form)
    messages.success(request, _("Thank you for your rating."))
    return redirect("citizen:dossier", dossier.pk)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, pk: int):
    """/ho-so-cua-toi/<pk>/rut/: confirm, with a reason, that the dossier is withdrawn."""
    dossier = citizen.applicant_dossier(request.user, pk)
    status = 200
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        status, withdrawn = _run(form, lambda: actions.dossier_withdraw(
            applicant=request.user, dossier=dossier, reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ))
        if withdrawn is not None:
            messages.success(request, _("Your dossier has been withdrawn."))
            return redirect("citizen:dossier", dossier.pk)
    elif "withdraw" not in actions_allowed(dossier):
        messages.error(request, _("This dossier can no longer be withdrawn."))
        return redirect("citizen:dossier", dossier.pk)
    else:
        form = WithdrawForm(initial={"version": dossier.version})
    return render(
        request, TEMPLATES + "withdraw.html", {"dossier": dossier, "form": form}, status=status
    )


@never_cache
@login_required
@require_GET
def receipt(request, pk: int):
    """The receipt and appointment slip (template 01), made on the fly."""
    dossier = citizen.applicant_dossier(request.user, pk)
    if not dossier.code:
        raise Http404("a draft has no receipt")
    response = HttpResponse(
        receipt_pdf(dossier, base_url=request.build_absolute_uri("/")),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"giay-tiep-nhan-{dossier.code}.pdf"
    )
    return response


@never_cache
@login_required
@require_GET
def dossier_file(request, pk: int, file_pk: int):
    """A file of the user's dossier, streamed after the ownership check (never a media URL)."""
    _dossier, row = citizen.applicant_file(request.user, pk, file_pk)
    return FileResponse(
        dossier_file_open(row), as_attachment=True, filename=row.original_name,
        content_type=row.content_type,
    )


# --- public ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def tracking(request):
    """/tra-cuu/: code + phone number (or citizen ID). A wrong combination and an unknown code
    get the same answer; too many failures from one address get 429."""
    context, status = {"searched": False}, 200
    if request.method == "POST":
        posted = TrackingForm(request.POST)
        if posted.is_valid():
            code = posted.cleaned_data["code"]
            try:
                dossier = tracking_lookup(
                    code=code, second_factor=posted.cleaned_data["second_factor"],
                    address=client_address(request),
                )
            except TrackingThrottled as exc:
                # The login page's wording (and its translation).
                context["throttled"] = _(
                    "Too many failed attempts. Please wait %(minutes)d minutes and try again."
                ) % {"minutes": exc.minutes}
                status = 429
                dossier = None
            context["searched"] = True
            context |= _tracked(dossier) if dossier else {}
            # A fresh form: the second factor is never echoed back.
            form = TrackingForm(initial={"code": tracking_code_clean(code)})
        else:
            form, status = posted, 400
    else:
        form = TrackingForm(initial={"code": tracking_code_clean(request.GET.get("ma"))})
    context["form"] = form
    return render(request, TEMPLATES + "tracking.html", context, status=status)


def _tracked(found: Tracked) -> dict:
    return {"tracked": found, "initials": found.applicant_initials, "timeline": found.timeline}


@require_GET
def ward_choices_fragment(request):
    """htmx: the <option>s of a ward select narrowed to `q` (old commune names work too)."""
    selected = next((v for k, v in request.GET.items() if k.endswith(WARD_SUFFIX)), "")
    return render(request, TEMPLATES + "_ward_options.html", {
        "choices": ward_options(request.GET.get("q", ""), selected), "selected": selected,
    })
