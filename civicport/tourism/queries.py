"""Reads of the tourism app, for its views and APIs and for other apps (the IOC).

"Open at" over thousands of venues is one indexed query on OpenInterval: each venue's
ordinary week and "all-holidays" week are stored as minute intervals per weekday, so a
moment becomes two range conditions — the intervals that started today (holiday flag of
today) and those that started yesterday and run past midnight (holiday flag of yesterday).
Whole-month rules (May-Sep) get rows per month; only the few venues with day-level date
ranges (Dec 24-Jan 02) are evaluated one by one in Python.
"""

import gzip
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from civicport.core.search import query_words, search_filter
from civicport.tourism import hours
from civicport.tourism.actions import DISH_SCOPE, VENUE_SCOPE
from civicport.tourism.mapversion import map_version
from civicport.tourism.models import (
    Dish,
    OpenInterval,
    Review,
    ReviewStatus,
    Tour,
    TourStop,
    Venue,
)
from civicport.tourism.permissions import is_tourism_staff  # noqa: F401  (re-exported)

PRICE_LEVELS = (1, 2, 3, 4)
_PRICE_BOUNDS = {1: (0, 50_000), 2: (50_000, 150_000), 3: (150_000, 300_000),
                 4: (300_000, None)}


@dataclass
class PlaceFilters:
    q: str = ""
    dish: str = ""
    ward: int | None = None
    price_level: int | None = None
    min_rating: float | None = None
    open_at: datetime | None = None


def published() -> QuerySet:
    return Venue.objects.filter(is_published=True)


def open_at_ids(moment: datetime) -> QuerySet | list:
    """Ids of the venues open at `moment` (Hải Phòng time, Vietnamese public holidays)."""
    here = hours.local(moment)
    today = here.date()
    yesterday = today - timedelta(days=1)
    minute = here.hour * 60 + here.minute
    condition = Q(holiday=hours.is_public_holiday(today), weekday=today.weekday(),
                  month__in=(0, today.month), start__lte=minute, end__gt=minute) | Q(
        holiday=hours.is_public_holiday(yesterday), weekday=yesterday.weekday(),
        month__in=(0, yesterday.month), start__lte=minute + hours.DAY,
        end__gt=minute + hours.DAY)
    return OpenInterval.objects.filter(condition).values("venue_id")


def _seasonal_open_ids(moment: datetime) -> list[int]:
    rows = published().filter(hours_seasonal=True).values_list("id", "opening_hours")
    return [pk for pk, text in rows if _safe_open(text, moment)]


def _safe_open(text: str, moment: datetime) -> bool:
    try:
        return hours.is_open_at(hours.parse(text), moment)
    except hours.HoursError:
        return False


def place_search(filters: PlaceFilters) -> QuerySet:
    """Published venues matching every given filter, best rated first."""
    rows = published()
    if filters.q:
        rows = search_filter(rows, VENUE_SCOPE, filters.q)
    if filters.dish:
        rows = search_filter(rows, DISH_SCOPE, filters.dish)
    if filters.ward:
        rows = rows.filter(ward_id=filters.ward)
    if filters.price_level in _PRICE_BOUNDS:
        low, high = _PRICE_BOUNDS[filters.price_level]
        rows = rows.filter(price_min__gte=low)
        if high is not None:
            rows = rows.filter(price_min__lt=high)
    if filters.min_rating:
        rows = rows.filter(rating_mean__gte=filters.min_rating)
    if filters.open_at is not None:
        date_bound = _seasonal_open_ids(filters.open_at)
        condition = Q(pk__in=open_at_ids(filters.open_at))
        rows = rows.filter(condition | Q(pk__in=date_bound) if date_bound else condition)
    return rows.select_related("ward").order_by("-rating_mean", "-rating_count", "name", "id")


def place_page(filters: PlaceFilters, offset: int, limit: int) -> tuple[int, list[Venue]]:
    """(count, venues of one page) for the API."""
    ids = place_ids(filters)
    return len(ids), venues_in_order(ids[offset:offset + limit], dishes=False)


# Ordered result ids per search, per process, until the map version changes (any venue or
# rating change bumps it): popular searches ("banh da cua") then cost one tiny version query
# plus fetching one page by primary key. "Open at" keys include the minute.
SEARCH_CACHE_SIZE = 512
_search_cache: OrderedDict[tuple, object] = OrderedDict()
_search_lock = Lock()


def cached(key: tuple, produce):
    """`produce()` once per (map version, key) in this process (LRU of SEARCH_CACHE_SIZE)."""
    full = (map_version(), *key)
    with _search_lock:
        if full in _search_cache:
            _search_cache.move_to_end(full)
            return _search_cache[full]
    value = produce()
    with _search_lock:
        _search_cache[full] = value
        while len(_search_cache) > SEARCH_CACHE_SIZE:
            _search_cache.popitem(last=False)
    return value


def search_key(filters: PlaceFilters) -> tuple:
    moment = hours.local(filters.open_at).strftime("%Y-%m-%dT%H:%M") if filters.open_at else ""
    return (tuple(sorted(query_words(filters.q))), tuple(sorted(query_words(filters.dish))),
            filters.ward, filters.price_level, filters.min_rating, moment)


def place_ids(filters: PlaceFilters) -> list[int]:
    """Ids of the matching venues in result order (cached, see above)."""
    return cached(("ids", *search_key(filters)),
                  lambda: list(place_search(filters).values_list("id", flat=True)))


def venues_in_order(ids: list[int], dishes: bool = True) -> list[Venue]:
    """The venues of `ids` (one page), in that order, with ward (and dishes)."""
    rows = Venue.objects.filter(pk__in=ids).select_related("ward")
    rows = (with_dishes(rows) if dishes else rows).in_bulk()
    return [rows[pk] for pk in ids if pk in rows]


def with_dishes(rows: QuerySet) -> QuerySet:
    return rows.prefetch_related(Prefetch("dishes", queryset=Dish.objects.order_by("position")))


def venue_get(pk: int) -> Venue | None:
    return (with_dishes(published().select_related("ward", "owner"))
            .prefetch_related("photos").filter(pk=pk).first())


def venue_open_now(venue: Venue, moment: datetime | None = None) -> bool | None:
    """True/False, or None when the venue has no (valid) hours."""
    if not venue.opening_hours:
        return None
    try:
        return hours.is_open_at(hours.parse(venue.opening_hours), moment or timezone.now())
    except hours.HoursError:
        return None


def hours_text(venue: Venue) -> str:
    try:
        return hours.describe(venue.opening_hours) if venue.opening_hours else ""
    except hours.HoursError:
        return venue.opening_hours


def reviews_visible(venue_id: int) -> QuerySet:
    return (Review.objects.filter(venue_id=venue_id, status=ReviewStatus.VISIBLE)
            .select_related("user").order_by("-updated_at", "-id"))


def review_of(venue_id: int, user) -> Review | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Review.objects.filter(venue_id=venue_id, user=user).first()


def moderation_queue() -> QuerySet:
    return (Review.objects.exclude(status=ReviewStatus.VISIBLE)
            .select_related("venue", "user").order_by("-flag_count", "-updated_at"))


def dish_names(query: str = "", limit: int = 50) -> list[dict]:
    """Distinct dish names with how many venues serve them and the lowest price."""
    from django.db.models import Count, Min

    rows = Dish.objects.filter(venue__is_published=True)
    if query:
        rows = rows.filter(venue_id__in=search_filter(published(), DISH_SCOPE, query)
                           .values("id"))
    return list(rows.values("name").annotate(venues=Count("venue", distinct=True),
                                             lowest=Min("price"))
                .order_by("-venues", "name")[:limit])


def tours() -> QuerySet:
    return Tour.objects.prefetch_related(
        Prefetch("stops", queryset=TourStop.objects.select_related("venue").order_by("position")))


def tour_get(slug: str) -> Tour | None:
    return tours().filter(slug=slug).first()


# --- the map ---------------------------------------------------------------------------------


def geojson_features(rows: QuerySet) -> dict:
    """A compact FeatureCollection: id, name, rating, reviews, price level and coordinates
    rounded to about a metre (5 decimals)."""
    values = rows.values_list("id", "name", "lat", "lon", "rating_mean", "rating_count",
                              "price_min")
    features = [
        {"type": "Feature", "id": pk,
         "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
         "properties": {"n": name, "r": rating, "c": count,
                        "p": _price_level(price)}}
        for pk, name, lat, lon, rating, count, price in values
    ]
    return {"type": "FeatureCollection", "features": features}


def _price_level(price: int) -> int:
    return Venue(price_min=price).price_level


_map_cache: dict[str, tuple[int, bytes, bytes]] = {}


def map_geojson_both() -> tuple[int, bytes, bytes]:
    """(version, body, gzipped body) of every published venue, cached per process until a
    venue or a rating changes. 10,000 venues are ~1.6 MB of JSON, ~0.3 MB gzipped: the
    compressed copy is made once per version, not per request."""
    version = map_version()
    cached = _map_cache.get("all")
    if cached and cached[0] == version:
        return cached
    body = json.dumps(geojson_features(published().order_by("id")), ensure_ascii=False,
                      separators=(",", ":")).encode()
    entry = (version, body, gzip.compress(body, compresslevel=6, mtime=0))
    _map_cache["all"] = entry
    return entry


def map_geojson() -> tuple[int, bytes]:
    version, body, _zipped = map_geojson_both()
    return version, body


def open_dataset_rows() -> tuple[list[str], list[list]]:
    """The venue list as an open dataset: (columns, rows)."""
    columns = ["id", "name", "address", "ward_code", "ward", "lat", "lon", "opening_hours",
               "price_min_vnd", "price_max_vnd", "dishes", "rating", "reviews", "phone",
               "website", "tags", "demo"]
    rows = []
    for venue in with_dishes(published().select_related("ward").order_by("id")):
        rows.append([
            venue.pk, venue.name, venue.address, venue.ward_id, venue.ward.name, venue.lat,
            venue.lon, venue.opening_hours, venue.price_min, venue.price_max,
            "; ".join(f"{d.name}: {d.price}" for d in venue.dishes.all()),
            venue.rating_mean, venue.rating_count, venue.phone, venue.website,
            ", ".join(venue.tags), venue.is_demo,
        ])
    return columns, rows


def tourism_summary(moment: datetime | None = None) -> dict:
    """Headline figures for the IOC dashboard: venues, how many are open now, reviews, the
    mean rating and the moderation backlog."""
    from django.db.models import Avg, Count, Sum

    moment = moment or timezone.now()
    totals = published().aggregate(venues=Count("id"), reviews=Sum("rating_count"),
                                   rated=Count("id", filter=Q(rating_count__gt=0)),
                                   mean=Avg("rating_mean", filter=Q(rating_count__gt=0)))
    return {
        "venues": totals["venues"],
        "open_now": place_search(PlaceFilters(open_at=moment)).count(),
        "reviews": totals["reviews"] or 0,
        "mean_rating": round(totals["mean"] or 0, 2),
        "awaiting_moderation": Review.objects.filter(status=ReviewStatus.FLAGGED).count(),
    }
