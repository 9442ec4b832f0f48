"""`GET /api/v1/dossiers/track`, the public lookup, answered outside django-ninja.

It is the platform's hottest request (citizens, the receipt's QR code) and the benchmark
asks for half the throughput of `/healthz`. ninja's URL resolver, parameter model and
operation machinery cost about 0.2 ms of a lookup's 0.6 ms, so the site's URLconf routes the
path to `track` here (`urls_api.py`, before the ninja API). The ninja operation
`api_dossiers.dossier_track` documents the endpoint in the OpenAPI document and returns the
same `track_answer`, so both give the same answers (tested).
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from civicport.core.api import error_body
from civicport.core.auth import client_address
from civicport.publicservices import tracking
from civicport.publicservices.schemas import tracking_body

# name: (max length, description for the OpenAPI document)
PARAMETERS = {
    "code": (100, "The dossier code on the receipt."),
    "phone": (30, "The applicant's phone number, or their 12-digit citizen ID number."),
}


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _invalid(request) -> JsonResponse | None:
    details = []
    for name, (limit, _description) in PARAMETERS.items():
        value = request.GET.get(name)
        if value is None:
            details.append({"field": name, "message": _("This field is required.")})
        elif len(value) > limit:
            details.append({
                "field": name,
                "message": _("At most %(limit)d characters.") % {"limit": limit},
            })
    if not details:
        return None
    return _answer(error_body("invalid", _("The request is not valid."), details), 422)


def track_answer(request) -> JsonResponse:
    """200 with `TrackingOut`; 422 `invalid`, 404 `not_found` or 429 `throttled` (with
    Retry-After) in the API's error format. Never cached."""
    invalid = _invalid(request)
    if invalid is not None:
        return invalid
    try:
        dossier = tracking.tracking_lookup(
            code=request.GET["code"], second_factor=request.GET["phone"],
            address=client_address(request),
        )
    except tracking.TrackingThrottled as exc:
        message = ngettext(
            "Too many failed lookups. Try again in %(minutes)d minute.",
            "Too many failed lookups. Try again in %(minutes)d minutes.",
            exc.minutes,
        ) % {"minutes": exc.minutes}
        throttled = _answer(error_body("throttled", message), 429)
        throttled["Retry-After"] = str(exc.minutes * 60)
        return throttled
    if dossier is None:
        message = _("No dossier matches this code and phone number or ID number.")
        return _answer(error_body("not_found", message), 404)
    return _answer(tracking_body(dossier))


track = require_GET(track_answer)
