"""Pages for the 1022 operators and the agencies' officers (/phan-anh/can-bo/...)."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicport.core.auth import client_address
from civicport.core.models import Agency, Ward
from civicport.feedback import actions, queries
from civicport.feedback.forms import form_values, intake_from_post, parse_int, read_photos
from civicport.feedback.models import Channel
from civicport.feedback.rules import FeedbackError, is_operator


def _officer(request) -> bool:
    return is_operator(request.user) or request.user.memberships.exists()


@login_required
def inbox(request):
    if not _officer(request):
        raise Http404
    status = request.GET.get("status", "")[:20]
    reports = queries.inbox(request.user, status=status, q=request.GET.get("q", ""))
    return render(request, "feedback/officer/inbox.html", {
        "page": Paginator(reports, 30).get_page(request.GET.get("page")), "status": status,
        "is_operator": is_operator(request.user), "q": request.GET.get("q", ""),
    })


@login_required
def desk(request, report_id: int):
    report = queries.report_for_officer(request.user, report_id)
    if report is None:
        raise Http404
    return render(request, "feedback/officer/desk.html", {
        "report": report, "events": report.events.select_related("actor").order_by("at", "id"),
        "is_operator": is_operator(request.user), "categories": queries.categories(),
        "urgencies": queries.urgencies(),
        "ward_committee": Agency.objects.filter(ward_id=report.ward_id).first()
        if report.ward_id else None,
        "agencies": Agency.objects.filter(is_active=True).exclude(
            kind=Agency.Kind.COMMUNE).order_by("name"),
        "duplicates": queries.duplicates_near(
            category_code=report.category.code, lat=report.lat, lon=report.lon,
            description=report.description, exclude_id=report.pk),
    })


def _agency_choice(request) -> int | None:
    return parse_int(request.POST.get("agency"))


ACTIONS = {
    "triage": lambda r, rid, v: actions.report_triage(
        report_id=rid, user=r.user, version=v, category_code=r.POST.get("category", ""),
        agency_id=_agency_choice(r), urgency_code=r.POST.get("urgency", "")),
    "start": lambda r, rid, v: actions.report_start(report_id=rid, user=r.user, version=v),
    "transfer": lambda r, rid, v: actions.report_transfer(
        report_id=rid, user=r.user, version=v, agency_id=_agency_choice(r) or 0,
        reason=r.POST.get("reason", "")),
    "request_info": lambda r, rid, v: actions.report_request_info(
        report_id=rid, user=r.user, version=v, question=r.POST.get("question", "")),
    "answer": lambda r, rid, v: actions.report_answer(
        report_id=rid, user=r.user, version=v, answer=r.POST.get("answer", ""),
        photos=read_photos(r.FILES)),
    "reject": lambda r, rid, v: actions.report_reject(
        report_id=rid, user=r.user, version=v, reason=r.POST.get("reason", "")),
    "merge": lambda r, rid, v: actions.report_merge(
        report_id=rid, user=r.user, version=v, into_id=parse_int(r.POST.get("into")) or 0),
}


@login_required
@require_POST
def act(request, report_id: int, action: str):
    run = ACTIONS.get(action)
    if run is None:
        raise Http404
    try:
        run(request, report_id, parse_int(request.POST.get("version")))
    except FeedbackError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done."))
    return redirect("feedback:desk", report_id=report_id)


@login_required
@require_http_methods(["GET", "POST"])
def phone_intake(request):
    """An operator types in a phone call: for the caller (their contact) or anonymously."""
    if not is_operator(request.user):
        raise Http404
    errors = defaultdict(str)
    values = form_values(request.POST if request.method == "POST" else {})
    if request.method == "POST":
        intake = intake_from_post(request.POST, request.FILES, Channel.PHONE)
        if request.POST.get("anonymous"):
            intake.reporter_name = intake.reporter_phone = intake.reporter_email = ""
        try:
            report = actions.report_create(intake=intake, user=request.user, on_behalf=True,
                                           address=client_address(request))
        except FeedbackError as error:
            errors[error.field or "general"] = error.message
        else:
            messages.success(request, _("Report #%(id)d recorded.") % {"id": report.pk})
            return redirect("feedback:desk", report_id=report.pk)
    return render(request, "feedback/officer/phone.html", {
        "categories": queries.categories(), "wards": Ward.objects.order_by("name"),
        "values": values, "errors": errors,
    }, status=400 if errors else 200)
