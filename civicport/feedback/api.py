"""The feedback app's part of /api/v1/ (mounted at /api/v1/feedback/ by civicport/api.py).

Public reads (categories, suggestion, reports, map, summary) need no login; creating a report
works anonymously or with a session/bearer token (then the report is the account's). Photos
come base64-encoded in the JSON body. Errors: {"error": {"code", "message", "details"}}; a
refused report changes nothing (400 invalid input with the field in details, 429 flood).
"""

import base64
import binascii
import datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from civicport.core.api import ApiError
from civicport.core.api_auth import auth_methods
from civicport.core.auth import client_address
from civicport.feedback import actions, queries
from civicport.feedback.models import Channel
from civicport.feedback.photos import MAX_PHOTOS
from civicport.feedback.rules import FeedbackError

router = Router(tags=["feedback"])
OPTIONAL = auth_methods(optional=True)


class CategoryOut(Schema):
    code: str
    name: str
    group: str
    keywords: str
    urgency: str


class ReportIn(Schema):
    category: str = ""
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    ward: int | None = None
    attributes: dict = {}
    name: str = ""
    phone: str = ""
    email: str = ""
    photos: list[str] = []  # base64 JPEG/PNG/WebP/GIF
    idempotency_key: str = ""


class ReportOut(Schema):
    id: int
    category: str
    category_name: str
    description: str
    status: str
    lat: float | None
    lon: float | None
    address: str
    ward: str | None
    agency: str | None
    created_at: datetime.datetime
    deadline: datetime.datetime | None
    answer: str
    rating: int | None
    url: str


class CreatedOut(ReportOut):
    token: str  # lets the reporter rate or reopen without an account
    suggested_category: str | None
    suggested_agency: str | None


def _out(report, *, with_token: bool = False) -> dict:
    data = {
        "id": report.pk, "category": report.category.code, "category_name": report.category.name,
        "description": report.description, "status": report.status, "lat": report.lat,
        "lon": report.lon, "address": report.address,
        "ward": report.ward.name if report.ward else None,
        "agency": report.agency.name if report.agency else None,
        "created_at": report.created_at, "deadline": report.deadline, "answer": report.answer,
        "rating": report.rating, "url": f"/phan-anh/{report.pk}/",
    }
    if with_token:
        data.update(token=report.token,
                    suggested_category=report.suggested_category.code
                    if report.suggested_category else None,
                    suggested_agency=report.suggested_agency.name
                    if report.suggested_agency else None)
    return data


def _raise(error: FeedbackError):
    field = [{"field": error.field, "message": error.message}] if error.field else []
    raise ApiError(error.status, error.code, error.message, field)


@router.get("/categories", response=list[CategoryOut], auth=None)
def category_list(request):
    return [{"code": c.code, "name": c.name, "group": c.group, "keywords": c.keywords,
             "urgency": c.default_urgency.code} for c in queries.categories()]


@router.get("/suggest", auth=None)
def suggest(request, text: str, ward: int | None = None):
    """Category and agency suggested for a description (the classifier + routing rules)."""
    return queries.suggestion_for(text[:4000], ward)


@router.post("/reports", response={201: CreatedOut}, auth=OPTIONAL)
def report_create(request, payload: ReportIn):
    if len(payload.photos) > MAX_PHOTOS:
        raise ApiError(400, "too_many_photos", _("At most %(n)d photos.") % {"n": MAX_PHOTOS})
    photos = []
    for i, encoded in enumerate(payload.photos, 1):
        try:
            photos.append((f"photo {i}", base64.b64decode(encoded, validate=True)))
        except (binascii.Error, ValueError):
            raise ApiError(400, "photo_not_image", _("Photo %(n)d is not valid base64.")
                           % {"n": i}) from None
    intake = actions.Intake(
        description=payload.description, channel=Channel.API, category_code=payload.category,
        lat=payload.lat, lon=payload.lon, address=payload.address[:300],
        ward_code=payload.ward, attributes=payload.attributes, reporter_name=payload.name,
        reporter_phone=payload.phone, reporter_email=payload.email, photos=photos,
        idempotency_key=payload.idempotency_key,
    )
    try:
        report = actions.report_create(intake=intake, user=request.user,
                                       address=client_address(request))
    except FeedbackError as error:
        _raise(error)
    return Status(201, _out(report, with_token=True))


@router.get("/reports/{report_id}", response=ReportOut, auth=None)
def report_get(request, report_id: int):
    report = queries.report_public(report_id)
    if report is None:
        raise ApiError(404, "not_found", _("Report not found."))
    return _out(report)


class ListFilters(Schema):
    category: str = ""
    status: str = ""
    ward: int | None = None
    agency: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str = ""
    limit: int = 50
    offset: int = 0


@router.get("/reports", auth=None)
def report_list(request, filters: Query[ListFilters]):
    """Public list, newest first; never the reporter's contact."""
    limit = max(1, min(filters.limit, 200))
    rows = queries.reports_public_list(
        category=filters.category, status=filters.status, ward=filters.ward,
        agency=filters.agency, date_from=filters.date_from, date_to=filters.date_to,
        q=filters.q)[filters.offset:filters.offset + limit]
    return {"results": list(rows), "limit": limit, "offset": filters.offset}


@router.get("/map", auth=None)
def map_data(request, category: str = ""):
    """Compact map rows [id, lat, lon, category index, open] (same as the map page's data)."""
    from civicport.feedback.views import map_data as view

    response: HttpResponse = view(request)
    return response


@router.get("/summary", auth=None)
def summary(request, start: datetime.date, end: datetime.date):
    """The public statistics (same figures as the statistics page)."""
    if end < start or (end - start).days > 731:
        raise ApiError(400, "bad_range", _("Choose a period of at most two years."))
    return queries.feedback_summary(start=start, end=end)
