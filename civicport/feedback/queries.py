"""Reads of the feedback app, for its views and APIs and for other apps (the IOC, the datahub).

Public reads name their fields explicitly: the reporter's name, phone and e-mail never leave
through them. Statistics are aggregate queries over indexed columns (no Python loop over rows).
"""

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from civicport.core.geo import bounding_box, distance_m
from civicport.core.models import Agency, Ward
from civicport.core.text import fold
from civicport.feedback.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Category,
    Report,
    Status,
    Urgency,
)
from civicport.feedback.rules import (
    DUPLICATE_MIN_SIMILARITY,
    DUPLICATE_RADIUS_M,
    can_handle,
    is_operator,
    similarity,
)

__all__ = [
    "feedback_summary", "monthly_statistics_rows", "categories", "report_public",
    "reports_public_list", "map_points", "duplicates_near", "open311_requests",
]


# --- statistics (contract with the IOC) ----------------------------------------------------


def _local_range(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, ...]:
    """[start 00:00, end+1 00:00) in the city's time zone, as aware datetimes."""
    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


_ANSWERED = Q(answered_at__isnull=False)
_COUNTS = {
    "total": Count("id"),
    "answered": Count("id", filter=_ANSWERED),
    "answered_on_time": Count("id", filter=Q(answered_on_time=True)),
    "satisfaction": Avg("rating"),
    "rated": Count("id", filter=Q(rating__isnull=False)),
    "satisfied": Count("id", filter=Q(rating__gte=4)),
}
# Additive figures, so groups can be summed: means are rebuilt from sums and counts.
_SUMS = {
    "total": Count("id"),
    "answered": Count("id", filter=_ANSWERED),
    "answered_on_time": Count("id", filter=Q(answered_on_time=True)),
    "rating_sum": Sum("rating"),
    "rated": Count("id", filter=Q(rating__isnull=False)),
    "satisfied": Count("id", filter=Q(rating__gte=4)),
    "hours_sum": Sum("hours_to_answer"),
    "hours_count": Count("hours_to_answer"),
}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _scoped(start, end, agency_ids) -> QuerySet:
    lo, hi = _local_range(start, end)
    reports = Report.objects.filter(created_at__gte=lo, created_at__lt=hi)
    if agency_ids is not None:
        reports = reports.filter(agency_id__in=list(agency_ids))
    return reports


def _add(into: dict, group: dict) -> dict:
    for key in _SUMS:
        into[key] = into.get(key, 0) + (group[key] or 0)
    return into


def feedback_summary(*, start: datetime.date, end: datetime.date,
                     agency_ids: Iterable[int] | None = None) -> dict:
    """Reports received in [start, end] (local dates, inclusive), optionally of some agencies.

    Keys: total, answered, answered_on_time, on_time_rate (0..1 or None), mean_hours_to_answer,
    satisfaction (mean rating 1–5 or None), satisfaction_rate (share of ratings ≥ 4),
    overdue_open (open reports past their deadline now), by_agency, by_ward, by_month.

    One scan: the database groups the period's reports by (month, agency, ward) with additive
    sums; the totals and the three breakdowns are folded from those few thousand groups.
    """
    if agency_ids is not None:
        agency_ids = list(agency_ids)
    groups = (
        _scoped(start, end, agency_ids)
        .values("received_month", "agency_id", "ward_id")
        .annotate(**_SUMS)
        .order_by()
    )
    totals: dict = {}
    by_agency: dict = {}
    by_ward: dict = {}
    by_month: dict = {}
    for group in groups:
        _add(totals, group)
        _add(by_agency.setdefault(group["agency_id"], {}), group)
        if group["ward_id"] is not None:
            _add(by_ward.setdefault(group["ward_id"], {}), group)
        _add(by_month.setdefault(_month_label(group["received_month"]), {}), group)
    overdue = Report.objects.filter(status__in=OPEN_STATUSES, deadline__lt=timezone.now())
    if agency_ids is not None:
        overdue = overdue.filter(agency_id__in=agency_ids)
    names = dict(Agency.objects.filter(pk__in=[k for k in by_agency if k]).values_list(
        "pk", "name"))
    ward_names = dict(Ward.objects.filter(pk__in=list(by_ward)).values_list("pk", "name"))
    total = totals.get("total", 0)
    return {
        "total": total,
        "answered": totals.get("answered", 0),
        "answered_on_time": totals.get("answered_on_time", 0),
        "on_time_rate": _rate(totals.get("answered_on_time", 0), totals.get("answered", 0)),
        "mean_hours_to_answer": _rate(totals.get("hours_sum", 0), totals.get("hours_count", 0)),
        "satisfaction": _rate(totals.get("rating_sum", 0), totals.get("rated", 0)),
        "satisfaction_rate": _rate(totals.get("satisfied", 0), totals.get("rated", 0)),
        "overdue_open": overdue.count(),
        "by_agency": sorted(({
            "agency_id": agency_id, "agency_name": names.get(agency_id, ""),
            "total": r["total"], "answered": r["answered"],
            "on_time_rate": _rate(r["answered_on_time"], r["answered"]),
            "satisfaction": _rate(r["rating_sum"], r["rated"]),
        } for agency_id, r in by_agency.items()), key=lambda r: (-r["total"], r["agency_name"])),
        "by_ward": sorted(({
            "ward_code": ward_code, "ward_name": ward_names.get(ward_code, ""),
            "total": r["total"], "on_time_rate": _rate(r["answered_on_time"], r["answered"]),
        } for ward_code, r in by_ward.items()), key=lambda r: (-r["total"], r["ward_name"])),
        "by_month": [{
            "month": month, "total": r["total"], "answered": r["answered"],
            "on_time_rate": _rate(r["answered_on_time"], r["answered"]),
        } for month, r in sorted(by_month.items())],
    }


def _month_label(value) -> str:
    if isinstance(value, datetime.datetime):
        value = value.astimezone(ZoneInfo(settings.TIME_ZONE)) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}"


def monthly_statistics_rows(*, year: int) -> list[dict]:
    """One row per agency × month of `year` (reports by received date): counts, on-time rate,
    satisfaction — the open dataset "1022 feedback by agency and month"."""
    reports = _scoped(datetime.date(year, 1, 1), datetime.date(year, 12, 31), None)
    rows = reports.values("received_month", "agency_id").annotate(**_COUNTS).order_by(
        "received_month", "agency_id")
    rows = list(rows)
    agencies = {a.pk: a for a in Agency.objects.filter(
        pk__in={r["agency_id"] for r in rows if r["agency_id"]})}
    result = []
    for r in rows:
        agency = agencies.get(r["agency_id"])
        result.append({
            "month": _month_label(r["received_month"]),
            "agency_code": agency.code if agency else "",
            "agency_name": agency.name if agency else "",
            "received": r["total"],
            "answered": r["answered"],
            "answered_on_time": r["answered_on_time"],
            "on_time_rate": _round(_rate(r["answered_on_time"], r["answered"])),
            "ratings": r["rated"],
            "satisfaction": _round(r["satisfaction"]),
        })
    return result


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def agency_ranking(*, start: datetime.date, end: datetime.date, limit: int = 20) -> list[dict]:
    """Agencies by on-time rate (then volume), for the monthly ranking on the stats page."""
    rows = [r for r in feedback_summary(start=start, end=end)["by_agency"] if r["answered"]]
    rows.sort(key=lambda r: (-(r["on_time_rate"] or 0), -r["total"]))
    return rows[:limit]


def by_category(*, start: datetime.date, end: datetime.date) -> list[dict]:
    rows = _scoped(start, end, None).values("category__name").annotate(**_COUNTS).order_by(
        "-total")
    return [{"name": r["category__name"], "total": r["total"], "answered": r["answered"],
             "on_time_rate": _rate(r["answered_on_time"], r["answered"]),
             "satisfaction": r["satisfaction"]} for r in rows]


# --- catalogue -----------------------------------------------------------------------------


def categories() -> QuerySet:
    return Category.objects.filter(is_active=True).select_related("default_urgency").order_by(
        "order", "code")


def urgencies() -> QuerySet:
    return Urgency.objects.all()


# --- public reads --------------------------------------------------------------------------

# Fields a public list or map may carry. Never the reporter's contact fields.
PUBLIC_FIELDS = (
    "id", "category_id", "category__code", "category__name", "description", "lat", "lon",
    "address", "ward_id", "ward__name", "agency_id", "agency__name", "status", "created_at",
    "updated_at", "deadline", "answered_at", "answer", "status_note", "rating",
    "duplicate_of_id",
)


def report_public(report_id: int) -> Report | None:
    return (
        Report.objects.select_related("category", "ward", "agency", "urgency", "duplicate_of")
        .prefetch_related("photos", "duplicates")
        .filter(pk=report_id)
        .first()
    )


def public_events(report: Report) -> QuerySet:
    return report.events.filter(public=True).order_by("at", "id")


def reports_public_list(*, category: str = "", status: str = "", ward: int | None = None,
                        agency: int | None = None, date_from: datetime.date | None = None,
                        date_to: datetime.date | None = None, q: str = "") -> QuerySet:
    reports = Report.objects.all()
    if category:
        reports = reports.filter(category__code=category)
    if status == "open":
        reports = reports.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        reports = reports.filter(status__in=CLOSED_STATUSES)
    elif status in Status.values:
        reports = reports.filter(status=status)
    if ward:
        reports = reports.filter(ward_id=ward)
    if agency:
        reports = reports.filter(agency_id=agency)
    if date_from or date_to:
        lo, hi = _local_range(date_from or datetime.date(2000, 1, 1),
                              date_to or datetime.date(2100, 1, 1))
        reports = reports.filter(created_at__gte=lo, created_at__lt=hi)
    if q.strip():
        reports = reports.filter(description_folded__contains=fold(q.strip())[:100])
    return reports.order_by("-created_at", "-id").values(*PUBLIC_FIELDS)


MAP_LIMIT = 20_000


def map_points(*, category: str = "", include_closed_days: int = 0) -> list[list]:
    """Compact map data: [id, lat, lon, category index, open?] for open reports with a pin
    (plus, if asked, those closed in the last N days). A list of lists, no keys, so the whole
    city fits in a few hundred kB; the view caches it and serves it with an ETag."""
    codes = list(Category.objects.order_by("order", "code").values_list("code", flat=True))
    index = {code: i for i, code in enumerate(codes)}
    statuses = list(OPEN_STATUSES)
    reports = Report.objects.filter(lat__isnull=False)
    condition = Q(status__in=statuses)
    if include_closed_days:
        since = timezone.now() - datetime.timedelta(days=include_closed_days)
        condition |= Q(updated_at__gte=since)
    reports = reports.filter(condition)
    if category:
        reports = reports.filter(category__code=category)
    rows = reports.order_by("-id").values_list("id", "lat", "lon", "category__code", "status")
    return [
        [rid, round(lat, 5), round(lon, 5), index.get(code, -1), int(status in statuses)]
        for rid, lat, lon, code, status in rows[:MAP_LIMIT]
    ]


def data_version() -> str:
    """Changes whenever a report is created or changes (every change sets updated_at): the
    key of cached public data (map, Open311 lists). Two index-only lookups."""
    versions = Report.objects.aggregate(last_id=Max("id"), last_change=Max("updated_at"))
    change = versions["last_change"]
    return f"{versions['last_id'] or 0}-{change.timestamp() if change else 0}"


map_version = data_version


def duplicates_near(*, category_code: str, lat: float | None, lon: float | None,
                    description: str, exclude_id: int | None = None, limit: int = 5) -> list:
    """Open reports of the same category within DUPLICATE_RADIUS_M with similar text, nearest
    first: the bounding box is the indexed pre-filter, distance_m the exact test."""
    if lat is None or lon is None or not category_code:
        return []
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, DUPLICATE_RADIUS_M)
    candidates = Report.objects.filter(
        lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon,
        category__code=category_code, status__in=OPEN_STATUSES,
    ).values("id", "lat", "lon", "description", "description_folded", "created_at",
             "status")[:200]
    folded = fold(description)
    found = []
    for row in candidates:
        if row["id"] == exclude_id:
            continue
        distance = distance_m(lat, lon, row["lat"], row["lon"])
        if distance > DUPLICATE_RADIUS_M:
            continue
        score = similarity(folded, row["description_folded"])
        if score >= DUPLICATE_MIN_SIMILARITY:
            found.append({**row, "distance_m": round(distance), "similarity": round(score, 2)})
    found.sort(key=lambda r: r["distance_m"])
    return found[:limit]


def suggestion_for(text: str, ward_code: int | None = None) -> dict:
    """The classifier's category for `text` and the agency routing would pick for it."""
    from civicport.feedback import classifier
    from civicport.feedback.rules import route

    guess = classifier.suggest(text)
    if guess is None:
        return {"category": None}
    category = Category.objects.filter(code=guess[0]).first()
    if category is None:
        return {"category": None}
    ward = Ward.objects.filter(code=ward_code).first() if ward_code else None
    agency = route(category, ward)
    return {
        "category": category.code, "category_name": category.name, "score": round(guess[1], 3),
        "agency_id": agency.pk if agency else None, "agency_name": agency.name if agency else "",
    }


# --- officer reads -------------------------------------------------------------------------


def inbox(user, *, status: str = "", q: str = "") -> QuerySet:
    """Reports an operator (everything) or an agency officer (their agencies) works on."""
    from civicport.core.access import scope_to_user

    reports = Report.objects.select_related("category", "agency", "ward", "suggested_category")
    if not is_operator(user):
        reports = scope_to_user(reports, user)
    if status == "triage":
        reports = reports.filter(status=Status.RECEIVED)
    elif status == "overdue":
        reports = reports.filter(status__in=OPEN_STATUSES, deadline__lt=timezone.now())
    elif status in Status.values:
        reports = reports.filter(status=status)
    else:
        reports = reports.filter(status__in=OPEN_STATUSES)
    if q.strip():
        reports = reports.filter(description_folded__contains=fold(q.strip())[:100])
    return reports.order_by("deadline", "id")


def report_for_officer(user, report_id: int) -> Report | None:
    report = report_public(report_id)
    if report is None or not can_handle(user, report):
        return None
    return report


# --- Open311 -------------------------------------------------------------------------------


def open311_requests(*, ids: list[int] | None = None, service_codes: list[str] | None = None,
                     start: datetime.datetime | None = None, end: datetime.datetime | None = None,
                     statuses: list[str] | None = None, limit: int = 1000,
                     offset: int = 0) -> list[dict]:
    """Rows for GET requests: by ids (overrides every other filter), else filtered by
    service codes, requested datetime in [start, end] and open/closed. Newest first."""
    reports = Report.objects.all()
    if ids is not None:
        reports = reports.filter(pk__in=ids[:1000])
    else:
        if service_codes:
            reports = reports.filter(category__code__in=service_codes)
        if start is not None:
            reports = reports.filter(created_at__gte=start)
        if end is not None:
            reports = reports.filter(created_at__lte=end)
        if statuses and set(statuses) != {"open", "closed"}:
            wanted = OPEN_STATUSES if "open" in statuses else CLOSED_STATUSES
            reports = reports.filter(status__in=wanted)
    rows = reports.order_by("-created_at", "-id").values(
        "id", "status", "status_note", "category__name", "category__code", "description",
        "agency__name", "created_at", "updated_at", "deadline", "address", "ward__name", "lat",
        "lon", "answer", "closed_at",
    )[offset:offset + limit]
    rows = list(rows)
    if rows:
        from civicport.feedback.models import ReportPhoto

        photos = {}
        for report_id, name in ReportPhoto.objects.filter(
            report_id__in=[r["id"] for r in rows], kind=ReportPhoto.Kind.REPORT
        ).order_by("-id").values_list("report_id", "public_name"):
            photos[report_id] = name
        for row in rows:
            row["photo"] = photos.get(row["id"])
    return rows


def open311_updates(*, start: datetime.datetime, end: datetime.datetime,
                    limit: int = 1000) -> list[dict]:
    """Public events in [start, end]: FixMyStreet's servicerequestupdates."""
    from civicport.feedback.models import ReportEvent

    return list(
        ReportEvent.objects.filter(at__gte=start, at__lte=end, public=True)
        .exclude(action="created")
        .order_by("at", "id")
        .values("id", "report_id", "to_status", "at", "note", "action")[:limit]
    )
