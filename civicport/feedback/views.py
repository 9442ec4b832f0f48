"""Public pages of the feedback app (/phan-anh/...): list, map, report form, report page,
statistics, photos."""

import datetime
import gzip
import hashlib
import json
import secrets
from collections import defaultdict

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from civicport.core.auth import client_address
from civicport.core.geo import city_centre
from civicport.core.models import Agency, Ward
from civicport.feedback import actions, queries
from civicport.feedback.forms import form_values, intake_from_post, parse_date, parse_int
from civicport.feedback.models import Channel, Status
from civicport.feedback.photos import public_path
from civicport.feedback.rules import REOPEN_DAYS, FeedbackError, is_operator

SESSION_TOKENS = "feedback_tokens"


def _remember(request, report) -> None:
    """The browser that sent a report may rate and reopen it without an account."""
    tokens = dict(request.session.get(SESSION_TOKENS, {}))
    tokens[str(report.pk)] = report.token
    request.session[SESSION_TOKENS] = dict(list(tokens.items())[-50:])


def _token_for(request, report_id: int) -> str:
    return request.GET.get("t") or request.POST.get("token") or request.session.get(
        SESSION_TOKENS, {}).get(str(report_id), "")


def _filters(request) -> dict:
    return {
        "category": request.GET.get("category", "")[:40],
        "status": request.GET.get("status", "")[:20],
        "ward": parse_int(request.GET.get("ward")),
        "agency": parse_int(request.GET.get("agency")),
        "date_from": parse_date(request.GET.get("from")),
        "date_to": parse_date(request.GET.get("to")),
        "q": request.GET.get("q", "")[:100],
    }


def index(request):
    """Entry page: how to report, the filtered list of reports, links to map and statistics."""
    filters = _filters(request)
    page = Paginator(queries.reports_public_list(**filters), 20).get_page(request.GET.get("page"))
    return render(request, "feedback/index.html", {
        "page": page, "filters": filters, "categories": queries.categories(),
        "wards": Ward.objects.order_by("name"), "statuses": Status.choices,
        "agencies": Agency.objects.exclude(kind=Agency.Kind.COMMUNE).order_by("name"),
        "query": request.GET.urlencode(),
    })


def map_page(request):
    lat, lon, zoom = city_centre()
    return render(request, "feedback/map.html", {
        "centre": f"{lat},{lon},{zoom}",
        "categories": list(queries.categories().values_list("code", "name")),
    })


def map_data(request):
    """Open reports as compact rows. Built once per data version and kept in the cache (raw
    and gzipped); answered with an ETag, so an unchanged map costs the browser a 304."""
    category = request.GET.get("category", "")[:40]
    version = queries.map_version()
    etag = '"' + hashlib.sha1(f"{version}:{category}".encode()).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    key = f"feedback:map:{etag}"
    bodies = cache.get(key)
    if bodies is None:
        codes = list(queries.categories().values_list("code", flat=True))
        raw = json.dumps({"categories": codes, "points": queries.map_points(category=category)},
                         separators=(",", ":")).encode()
        bodies = (raw, gzip.compress(raw, compresslevel=6))
        cache.set(key, bodies, 600)
    zipped = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(bodies[1] if zipped else bodies[0], content_type="application/json")
    if zipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=30"
    return response


@require_http_methods(["GET", "POST"])
def report_new(request):
    """The web form: category, description, pin or ward/address, photo, optional contact."""
    values = form_values(request.POST if request.method == "POST" else {})
    values.setdefault("idempotency_key", secrets.token_hex(16))
    errors, duplicates = defaultdict(str), []
    if request.method == "POST":
        intake = intake_from_post(request.POST, request.FILES, Channel.WEB)
        if not request.POST.get("confirm_new"):
            duplicates = queries.duplicates_near(
                category_code=intake.category_code, lat=intake.lat, lon=intake.lon,
                description=intake.description)
        if not duplicates:
            try:
                report = actions.report_create(intake=intake, user=request.user,
                                               address=client_address(request))
            except FeedbackError as error:
                errors[error.field or "general"] = error.message
            else:
                _remember(request, report)
                messages.success(request, _("Thank you! Your report #%(id)d has been received.")
                                 % {"id": report.pk})
                return redirect("feedback:report", report_id=report.pk)
    lat, lon, zoom = city_centre()
    return render(request, "feedback/new.html", {
        "categories": queries.categories(), "wards": Ward.objects.order_by("name"),
        "values": values, "errors": errors, "duplicates": duplicates,
        "default_name": request.user.full_name if request.user.is_authenticated else "",
        "centre": f"{lat},{lon},{zoom}",
    }, status=400 if errors else 200)


def report_detail(request, report_id: int):
    report = queries.report_public(report_id)
    if report is None:
        raise Http404
    token = _token_for(request, report_id)
    is_reporter = bool(token and token == report.token) or (
        request.user.is_authenticated and report.reporter_id == request.user.pk)
    if is_reporter and request.GET.get("t"):
        _remember(request, report)
    can_reopen = report.answered_at is not None and (
        timezone.now() - report.answered_at <= datetime.timedelta(days=REOPEN_DAYS))
    return render(request, "feedback/report.html", {
        "report": report, "events": queries.public_events(report),
        "photos": [p for p in report.photos.all() if p.kind == "report"],
        "answer_photos": [p for p in report.photos.all() if p.kind == "answer"],
        "is_reporter": is_reporter, "can_reopen": can_reopen, "token": token,
        "is_officer": request.user.is_authenticated and (
            is_operator(request.user) or request.user.memberships.exists()),
    })


def _citizen_action(request, report_id: int, run) -> HttpResponse:
    try:
        run(_token_for(request, report_id))
    except FeedbackError as error:
        messages.error(request, error.message)
    return redirect("feedback:report", report_id=report_id)


@require_POST
def report_rate(request, report_id: int):
    def run(token):
        actions.report_rate(report_id=report_id, user=request.user, token=token,
                            rating=parse_int(request.POST.get("rating")) or 0,
                            comment=request.POST.get("comment", ""))
        messages.success(request, _("Thank you for rating the answer."))
    return _citizen_action(request, report_id, run)


@require_POST
def report_reopen(request, report_id: int):
    def run(token):
        actions.report_reopen(report_id=report_id, user=request.user, token=token,
                              reason=request.POST.get("reason", ""))
        messages.success(request, _("The report has been sent back to the agency."))
    return _citizen_action(request, report_id, run)


@require_POST
def report_info(request, report_id: int):
    def run(token):
        actions.report_provide_info(report_id=report_id, user=request.user, token=token,
                                    text=request.POST.get("text", ""))
        messages.success(request, _("Your information has been sent to the agency."))
    return _citizen_action(request, report_id, run)


@require_POST
def report_follow(request, report_id: int):
    def run(_token):
        actions.report_follow(report_id=report_id, user=request.user,
                              email=request.POST.get("email", ""),
                              phone=request.POST.get("phone", ""))
        messages.success(request, _("You will be notified when this report changes."))
    return _citizen_action(request, report_id, run)


def photo(request, name: str):
    path = public_path(name)
    if path is None:
        raise Http404
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def stats(request):
    from civicport.feedback.stats import stats_context

    return render(request, "feedback/stats.html", stats_context(request.GET))


def suggest(request):
    """Category and agency guessed from the text (used live by the form)."""
    ward = parse_int(request.GET.get("ward"))
    return JsonResponse(queries.suggestion_for(request.GET.get("text", "")[:4000], ward))


@csrf_exempt
def sms_webhook(request):
    """SMS gateway → report. Authenticated by a shared secret in the X-Feedback-Secret header.
    Answers JSON: {"id": …} or {"error": …}."""
    from civicport.feedback.channels import report_from_sms, sms_secret_ok

    if request.method != "POST":
        return JsonResponse({"error": "method"}, status=405)
    if not sms_secret_ok(request.headers.get("X-Feedback-Secret", "")):
        return JsonResponse({"error": _("Invalid secret.")}, status=403)
    try:
        report = report_from_sms(sender=request.POST.get("from", ""),
                                 text=request.POST.get("text", ""),
                                 message_id=request.POST.get("id", ""))
    except FeedbackError as error:
        return JsonResponse({"error": error.message, "code": error.code}, status=error.status)
    return JsonResponse({"id": report.pk}, status=201)
