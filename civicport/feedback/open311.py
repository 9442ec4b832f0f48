"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2), plus FixMyStreet's
`servicerequestupdates` and the `page`/`page_size` extension.

Format by extension (.xml or .json). JSON follows the spec's examples: bare top-level arrays
for services, requests and errors; codes and ids as strings. Errors are a list of
{code, description} with HTTP 400 (bad request), 403 (missing or invalid api_key) or 404.
Datetimes are W3C with the city's offset (e.g. 2026-11-20T08:15:30+07:00).
"""

import datetime
import gzip
import hashlib
import json
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicport.core.auth import client_address
from civicport.feedback import actions, queries
from civicport.feedback.models import CLOSED_STATUSES, Channel, Report
from civicport.feedback.rules import FeedbackError

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = datetime.timedelta(days=90)
DEFAULT_LIMIT = 1000
# XML element name of the items of each list.
_ITEM = {
    "services": "service", "service_requests": "request", "attributes": "attribute",
    "values": "value", "errors": "error", "endpoints": "endpoint", "formats": "format",
    "service_request_updates": "request_update",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | str | None = None):
        super().__init__(description)
        self.status, self.description, self.code = status, description, code or status


# --- rendering -----------------------------------------------------------------------------


def _xml(tag: str, value) -> str:
    if value is None:
        return f"<{tag}/>"
    if isinstance(value, dict):
        inner = "".join(_xml(k, v) for k, v in value.items() if v is not None)
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        item = _ITEM.get(tag, "item")
        return f"<{tag}>{''.join(_xml(item, v) for v in value)}</{tag}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """`data` is a list (rendered as <root><item>…) or a dict (rendered as <root>…)."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + _xml(root, data)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _errors(fmt: str, error: Open311Error) -> HttpResponse:
    return render(fmt if fmt in ("xml", "json") else "xml", "errors",
                  [{"code": error.code, "description": error.description}], error.status)


def endpoint(view):
    """Checks the format, turns Open311Error/FeedbackError into the spec's error list."""
    def wrapped(request, fmt, *args, **kwargs):
        try:
            if fmt not in ("xml", "json"):
                raise Open311Error(400, _("Unknown format: use .xml or .json."))
            return view(request, fmt, *args, **kwargs)
        except Open311Error as error:
            return _errors(fmt, error)
        except FeedbackError as error:
            status = error.status if error.status in (403, 404) else 400
            return _errors(fmt, Open311Error(status, error.message, error.code))
    wrapped.__name__ = view.__name__
    return csrf_exempt(wrapped)


def w3c(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(timespec="seconds")


# --- discovery and services ----------------------------------------------------------------


@endpoint
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("feedback:open311_root"))
    changeset = "2025-07-01T00:00:00+07:00"
    return render(fmt, "discovery", {
        "changeset": changeset,
        "contact": _("Hải Phòng 1022 switchboard: call 1022 or use the website."),
        "key_service": _("API keys are issued by the 1022 centre on request."),
        "endpoints": [{
            "specification": SPEC, "url": base.rstrip("/"), "changeset": changeset,
            "type": "production", "formats": ["text/xml", "application/json"],
        }],
    })


def _service(category) -> dict:
    return {
        "service_code": category.code, "service_name": category.name,
        "description": category.description, "metadata": category.attribute_count > 0,
        "type": "realtime", "keywords": category.keywords, "group": category.group,
    }


@endpoint
def services(request, fmt):
    from django.db.models import Count

    rows = queries.categories().annotate(attribute_count=Count("attributes"))
    return render(fmt, "services", [_service(c) for c in rows])


@endpoint
def service_definition(request, fmt, code):
    category = queries.categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("Unknown service_code: %(code)s") % {"code": code[:40]})
    attributes = [{
        "variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
        "datatype_description": "", "order": a.order, "description": a.description,
        **({"values": [{"key": v["key"], "name": v["name"]} for v in a.values]}
           if a.datatype in ("singlevaluelist", "multivaluelist") else {}),
    } for a in category.attributes.all()]
    return render(fmt, "service_definition", {"service_code": category.code,
                                              "attributes": attributes})


# --- requests ------------------------------------------------------------------------------


def _param(request, name: str) -> str:
    # "Optional" means empty == absent.
    return (request.GET.get(name) or "").strip()


def _when(value: str, name: str) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = parse_datetime(value.replace(" ", "+"))  # a '+' offset arrives as a space
    except ValueError:
        moment = None
    if moment is None:
        day = parse_date(value) if len(value) == 10 else None
        if day is None:
            raise Open311Error(400, _(
                "%(name)s is not a W3C date and time (e.g. 2026-01-31T08:00:00+07:00)."
            ) % {"name": name})
        moment = datetime.datetime.combine(day, datetime.time.min)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


def _positive(value: str, name: str, default: int, maximum: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise Open311Error(400, _("%(name)s must be a whole number from 1 to %(max)d.")
                           % {"name": name, "max": maximum})
    return int(value)


def request_dict(row: dict, base: str) -> dict:
    closed = row["status"] in CLOSED_STATUSES
    notes = row["answer"] or row["status_note"] or None
    return {
        "service_request_id": str(row["id"]),
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": row["category__name"],
        "service_code": row["category__code"],
        "description": row["description"],
        "agency_responsible": row["agency__name"],
        "service_notice": None,
        "requested_datetime": w3c(row["created_at"]),
        "updated_datetime": w3c(row["closed_at"] if closed and row["closed_at"]
                                else row["updated_at"]),
        "expected_datetime": w3c(row["deadline"]),
        "address": ", ".join(p for p in (row["address"], row["ward__name"]) if p) or None,
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": f"{base}{reverse('feedback:photo', args=[row['photo']])}"
        if row.get("photo") else None,
    }


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@endpoint
def requests_view(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        raise Open311Error(400, _("Use GET or POST."))
    # Lists are cached per data version (any new or changed report makes a new key) and per
    # hour (the default 90-day window moves), so repeated polls cost two index lookups.
    key = "feedback:o311:" + hashlib.sha1("|".join((
        fmt, request.GET.urlencode(), queries.data_version(),
        timezone.now().strftime("%Y%m%d%H"), translation.get_language() or "",
    )).encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        response = _list(request, fmt)
        cached = (response.status_code, response.content, gzip.compress(response.content, 6),
                  response["Content-Type"])
        cache.set(key, cached, 3600)
    status, body, zipped, content_type = cached
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(zipped, status=status, content_type=content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, status=status, content_type=content_type)
    response["Vary"] = "Accept-Encoding"
    return response


def _list(request, fmt):
    ids_param = _param(request, "service_request_id")
    page_size = _positive(_param(request, "page_size"), "page_size", DEFAULT_LIMIT, DEFAULT_LIMIT)
    page = _positive(_param(request, "page"), "page", 1, 100_000)
    if ids_param:
        ids = []
        for part in ids_param.split(","):
            if not part.strip().isdigit():
                raise Open311Error(400, _("service_request_id must be numbers."))
            ids.append(int(part))
        rows = queries.open311_requests(ids=ids)
    else:
        start = _when(_param(request, "start_date"), "start_date")
        end = _when(_param(request, "end_date"), "end_date")
        if start and end and end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if start and end and end - start > MAX_SPAN:
            raise Open311Error(400, _("The date range may not span more than 90 days."))
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            start = end - MAX_SPAN
        elif end is None:
            end = start + MAX_SPAN
        statuses = [s.strip() for s in _param(request, "status").split(",") if s.strip()]
        if not set(statuses) <= {"open", "closed"}:
            raise Open311Error(400, _("status must be open, closed or both."))
        codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
        rows = queries.open311_requests(
            service_codes=codes, start=start, end=end, statuses=statuses,
            limit=page_size, offset=(page - 1) * page_size)
    base = _base(request)
    return render(fmt, "service_requests", [request_dict(r, base) for r in rows])


@endpoint
def request_detail(request, fmt, request_id):
    if not request_id.isdigit():
        raise Open311Error(404, _("Unknown service_request_id."))
    rows = queries.open311_requests(ids=[int(request_id)])
    if not rows:
        raise Open311Error(404, _("Unknown service_request_id: %(id)s") % {"id": request_id})
    return render(fmt, "service_requests", [request_dict(rows[0], _base(request))])


@endpoint
def token_detail(request, fmt, token):
    report = Report.objects.filter(token=token).values("id", "token").first()
    if report is None:
        raise Open311Error(404, _("Unknown token."))
    return render(fmt, "service_requests", [{"service_request_id": str(report["id"]),
                                             "token": report["token"]}])


def _attributes(post) -> dict:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2."""
    found: dict = {}
    for key in post:
        if not key.startswith("attribute[") or "]" not in key:
            continue
        code = key[len("attribute["):key.index("]")]
        values = post.getlist(key)
        found[code] = values if key.endswith("[]") else values[-1]
    return found


def _float(value: str, name: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name}) from None


def _create(request, fmt):
    post = request.POST
    if actions.open311_key_check(post.get("api_key", "") or request.GET.get("api_key", "")) is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    code = (post.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    if not queries.categories().filter(code=code).exists():
        raise Open311Error(404, _("Unknown service_code: %(code)s") % {"code": code[:40]})
    lat, lon = _float(post.get("lat", ""), "lat"), _float(post.get("long", ""), "long")
    address = (post.get("address_string") or "").strip()
    if lat is None and lon is None and not address and not post.get("address_id"):
        raise Open311Error(400, _("A location is required: lat and long, or address_string."))
    name = " ".join(p.strip() for p in (post.get("first_name", ""), post.get("last_name", ""))
                    if p.strip())
    intake = actions.Intake(
        description=post.get("description", ""), channel=Channel.OPEN311, category_code=code,
        lat=lat, lon=lon, address=address[:300], attributes=_attributes(post),
        reporter_name=name, reporter_phone=post.get("phone", ""),
        reporter_email=post.get("email", ""),
    )
    report = actions.report_create(intake=intake, address=client_address(request),
                                   rate_limited=False)
    return render(fmt, "service_requests", [{
        "service_request_id": str(report.pk),
        "service_notice": _("Expected answer by %(when)s") % {"when": w3c(report.deadline)},
    }])


# --- FixMyStreet extension -----------------------------------------------------------------


@endpoint
def updates(request, fmt):
    start = _when(_param(request, "start_date"), "start_date")
    end = _when(_param(request, "end_date"), "end_date") or timezone.now()
    start = start or end - MAX_SPAN
    if end < start or end - start > MAX_SPAN:
        raise Open311Error(400, _("The date range may not span more than 90 days."))
    rows = queries.open311_updates(start=start, end=end)
    return render(fmt, "service_request_updates", [{
        "update_id": str(r["id"]), "service_request_id": str(r["report_id"]),
        "status": "closed" if r["to_status"] in CLOSED_STATUSES else "open",
        "updated_datetime": w3c(r["at"]), "description": r["note"], "media_url": None,
    } for r in rows])


def root(request):
    """The endpoint root: a pointer to discovery (the spec suggests serving something here)."""
    return discovery(request, "xml")
