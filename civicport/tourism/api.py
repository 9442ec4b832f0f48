"""The tourism app's part of /api/v1/ (mounted at /api/v1/tourism/ by civicport/api.py).

Public reads: places (search `q` ignoring diacritics, filters incl. `open_at=<ISO 8601>`),
one place with dishes and hours, its reviews, dish names, tours, the map's GeoJSON (cached,
ETag), an opening-hours checker. Writing a review needs a login (session or bearer token).
"""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from civicport.core.api import ApiError
from civicport.tourism import actions, hours, queries
from civicport.tourism.forms import parse_moment

router = Router(tags=["tourism"])
MAX_LIMIT = 100


class PlaceFilterIn(Schema):
    q: str = Field("", max_length=200, description="Dish or venue; accents optional")
    dish: str = Field("", max_length=100)
    ward: int | None = None
    price_level: int | None = Field(None, ge=1, le=4)
    min_rating: float | None = Field(None, ge=0, le=5)
    open_now: bool = False
    open_at: str | None = Field(None, description="ISO 8601; without a zone: Hải Phòng time")

    def filters(self) -> queries.PlaceFilters:
        moment = None
        if self.open_at:
            moment = parse_moment(self.open_at)
            if moment is None:
                raise ApiError(422, "invalid_open_at",
                               _("open_at must be an ISO 8601 date and time."))
        elif self.open_now:
            moment = timezone.now()
        return queries.PlaceFilters(q=self.q, dish=self.dish, ward=self.ward,
                                    price_level=self.price_level, min_rating=self.min_rating,
                                    open_at=moment)


class DishOut(Schema):
    name: str
    price: int


class PlaceOut(Schema):
    id: int
    name: str
    address: str
    ward_code: int = Field(alias="ward_id")
    ward: str
    lat: float
    lon: float
    price_min: int
    price_max: int
    price_level: int
    rating: float = Field(alias="rating_mean")
    rating_count: int
    opening_hours: str
    url: str

    @staticmethod
    def resolve_ward(venue) -> str:
        return venue.ward.name

    @staticmethod
    def resolve_url(venue) -> str:
        return f"/am-thuc/dia-diem/{venue.pk}/"


class PlaceListOut(Schema):
    count: int
    items: list[PlaceOut]


class PlaceDetailOut(PlaceOut):
    hours_text: str
    open_now: bool | None
    dishes: list[DishOut]
    tags: list[str]
    phone: str
    website: str
    description: str

    @staticmethod
    def resolve_hours_text(venue) -> str:
        return queries.hours_text(venue)

    @staticmethod
    def resolve_open_now(venue) -> bool | None:
        return queries.venue_open_now(venue)

    @staticmethod
    def resolve_dishes(venue) -> list:
        return list(venue.dishes.all())


class ReviewOut(Schema):
    id: int
    rating: int
    text: str
    author: str
    verified_visit: bool
    reply: str
    updated_at: str

    @staticmethod
    def resolve_author(review) -> str:
        return review.user.full_name or _("Visitor")

    @staticmethod
    def resolve_updated_at(review) -> str:
        return review.updated_at.isoformat()


class ReviewIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    text: str = Field("", max_length=2000)


class DishNameOut(Schema):
    name: str
    venues: int
    lowest: int


class StopOut(Schema):
    position: int
    venue_id: int
    name: str
    lat: float
    lon: float


class TourOut(Schema):
    slug: str
    name: str
    description: str
    stops: list[StopOut]

    @staticmethod
    def resolve_stops(tour) -> list:
        return [{"position": s.position, "venue_id": s.venue_id, "name": s.venue.name,
                 "lat": s.venue.lat, "lon": s.venue.lon} for s in tour.stops.all()]


class HoursIn(Schema):
    opening_hours: str = Field(..., max_length=1000)


class HoursOut(Schema):
    valid: bool
    text: str = ""
    error: str = ""
    position: int | None = None


@router.get("/places", response=PlaceListOut, url_name="tourism_places")
def places(request, filters: Query[PlaceFilterIn], limit: int = 20, offset: int = 0):
    """Venues matching `q` and the filters, best rated first."""
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    selected = filters.filters()

    def render() -> bytes:
        count, items = queries.place_page(selected, offset, limit)
        return PlaceListOut.model_validate({"count": count, "items": items}).model_dump_json(
            ).encode()

    # The rendered page is cached with the search (same key and map version).
    body = queries.cached(("places", *queries.search_key(selected), offset, limit), render)
    return HttpResponse(body, content_type="application/json")


@router.get("/places/{int:place_id}", response=PlaceDetailOut, url_name="tourism_place")
def place(request, place_id: int):
    venue = queries.venue_get(place_id)
    if venue is None:
        raise ApiError(404, "not_found", _("This venue does not exist."))
    return venue


@router.get("/places/{int:place_id}/reviews", response=list[ReviewOut])
def place_reviews(request, place_id: int, limit: int = 50, offset: int = 0):
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    return list(queries.reviews_visible(place_id)[offset:offset + limit])


@router.post("/places/{int:place_id}/reviews", response={200: ReviewOut})
def review_write(request, place_id: int, payload: ReviewIn):
    """Create or edit the caller's one review of the venue (login needed)."""
    if not request.user.is_authenticated:
        raise ApiError(401, "unauthorized", _("Log in to review a venue."))
    try:
        return actions.review_submit(actor=request.user, venue_id=place_id,
                                     rating=payload.rating, text=payload.text)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    except ValidationError as exc:
        status = {"not_found": 404, "throttled": 429, "duplicate": 409}.get(exc.code or "", 422)
        raise ApiError(status, exc.code or "invalid", " ".join(exc.messages)) from exc


@router.get("/dishes", response=list[DishNameOut])
def dishes(request, q: str = ""):
    """Dish names with how many venues serve them and the lowest price."""
    return queries.dish_names(q[:100])


@router.get("/tours", response=list[TourOut])
def tours(request):
    return list(queries.tours())


@router.get("/geojson", url_name="tourism_geojson",
            openapi_extra={"responses": {200: {"description": "GeoJSON FeatureCollection: "
                                               "properties n=name, r=rating, c=reviews, "
                                               "p=price level 1-4"}}})
def geojson(request, filters: Query[PlaceFilterIn]):
    """The map's points. Without filters: every venue, cached and with an ETag that changes
    when any venue changes; with filters: the matching venues."""
    selected = filters.filters()
    if selected == queries.PlaceFilters():
        version, body, zipped = queries.map_geojson_both()
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        # Each encoding is its own representation, so each has its own validator.
        etag = f'"tourism-map-{version}{"-gz" if gzipped else ""}"'
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponse(status=304)
        elif gzipped:
            response = HttpResponse(zipped, content_type="application/geo+json")
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(body, content_type="application/geo+json")
        response["ETag"] = etag
        response["Vary"] = "Accept-Encoding"
        response["Cache-Control"] = "public, max-age=60"
        return response
    body = json.dumps(queries.geojson_features(queries.place_search(selected)),
                      ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, content_type="application/geo+json")


@router.post("/hours/check", response=HoursOut)
def hours_check(request, payload: HoursIn):
    """Check an opening_hours text: its Vietnamese rendering, or the error and its position."""
    try:
        return {"valid": True, "text": hours.describe(payload.opening_hours)}
    except hours.HoursError as exc:
        return {"valid": False, "error": str(exc), "position": exc.position}
