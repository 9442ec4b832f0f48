"""Writes of the tourism app: plain functions, keyword-only arguments.

Every write runs in one transaction with its event row (models.Event) and its audit entry.
A venue change also rebuilds the venue's weekly open intervals, its search words, and bumps
the map version (so cached GeoJSON is dropped everywhere). Bad input raises ValidationError
with a Vietnamese message and changes nothing.
"""

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civicport.core.audit import audit_record
from civicport.core.geo import point_in_city
from civicport.core.models import Province, Ward
from civicport.core.search import search_index, search_unindex
from civicport.core.text import nfc
from civicport.tourism import hours
from civicport.tourism.mapversion import map_version_bump
from civicport.tourism.models import (
    Dish,
    Event,
    OpenInterval,
    Review,
    ReviewStatus,
    Venue,
)
from civicport.tourism.permissions import is_tourism_staff

VENUE_SCOPE = "tourism.venue"
DISH_SCOPE = "tourism.dish"
MAX_DISHES = 60
MAX_PRICE = 100_000_000
# Review floods: at most this many review writes (new or edited) per user per window.
REVIEW_LIMIT = 5
REVIEW_WINDOW = timedelta(hours=1)
FLAG_LIMIT = 20

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Vietnamese phone numbers as people type them: 0912 345 678, +84 912.345.678, 84-912-345-678.
_PHONE = re.compile(r"(?<!\w)(\+?84|0)([\s.\-]?\d){8,10}(?!\w)")


def _event(*, actor, action, venue=None, review=None, from_state="", to_state="", reason=""):
    Event.objects.create(actor=actor if getattr(actor, "is_authenticated", False) else None,
                         action=action, venue=venue, review=review, from_state=from_state,
                         to_state=to_state, reason=reason[:300])
    audit_record(actor=actor, action=f"tourism.{action}", obj=review or venue,
                 data={"from": from_state, "to": to_state, "reason": reason[:300]})


# --- venues -------------------------------------------------------------------------------


def _check_staff(actor) -> None:
    if not is_tourism_staff(actor):
        raise PermissionDenied(_("Only tourism department staff may manage venues."))


def venue_clean(data: dict) -> dict:
    """Check and normalise venue fields; raises ValidationError listing every problem."""
    errors: dict[str, list[str]] = {}
    clean = dict(data)
    for key in ("name", "address", "description", "phone", "website", "opening_hours"):
        clean[key] = nfc(str(clean.get(key) or "")).strip()
    if not clean["name"]:
        errors.setdefault("name", []).append(_("The venue needs a name."))
    if not clean["address"]:
        errors.setdefault("address", []).append(_("The venue needs an address."))
    ward = clean.get("ward")
    if not isinstance(ward, Ward):
        ward = Ward.objects.filter(pk=ward).first() if str(ward or "").isdigit() else None
        if ward is None:
            errors.setdefault("ward", []).append(_("Choose the venue's ward."))
    clean["ward"] = ward
    try:
        lat, lon = float(clean.get("lat")), float(clean.get("lon"))
    except (TypeError, ValueError):
        errors.setdefault("lat", []).append(_("Latitude and longitude must be numbers."))
    else:
        clean["lat"], clean["lon"] = lat, lon
        if not point_in_city(lat, lon):
            province = Province.objects.filter(pk=_province_code()).first()
            errors.setdefault("lat", []).append(
                _("The point (%(lat)s, %(lon)s) is outside %(city)s.")
                % {"lat": lat, "lon": lon, "city": province.name if province else _("the city")}
            )
    if clean["opening_hours"]:
        try:
            hours.parse(clean["opening_hours"])
        except hours.HoursError as exc:
            errors.setdefault("opening_hours", []).append(str(exc))
    dishes = []
    for index, item in enumerate(clean.get("dishes") or []):
        name, price = nfc(str(item.get("name") or "")).strip(), item.get("price")
        try:
            price = int(str(price).replace(".", "").replace(",", "").strip())
        except ValueError:
            price = -1
        if not name or not 0 <= price <= MAX_PRICE:
            errors.setdefault("dishes", []).append(
                _("Dish %(n)d needs a name and a price in VND.") % {"n": index + 1})
        else:
            dishes.append({"name": name[:120], "price": price})
    if len(dishes) > MAX_DISHES:
        errors.setdefault("dishes", []).append(_("At most %(n)d dishes.") % {"n": MAX_DISHES})
    clean["dishes"] = dishes
    tags = clean.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    clean["tags"] = sorted({nfc(t).strip()[:40] for t in tags if str(t).strip()})[:20]
    if errors:
        raise ValidationError(errors)
    return clean


def _province_code() -> int:
    from django.conf import settings

    return settings.CIVICPORT_PROVINCE


def venue_refresh(venue: Venue) -> None:
    """Derived data of one venue: price range, weekly intervals, search words."""
    dishes = list(venue.dishes.all())
    prices = [d.price for d in dishes]
    venue.price_min, venue.price_max = (min(prices), max(prices)) if prices else (0, 0)
    schedule = hours.parse(venue.opening_hours) if venue.opening_hours else None
    venue.hours_seasonal = bool(schedule and schedule.date_bound)
    Venue.objects.filter(pk=venue.pk).update(
        price_min=venue.price_min, price_max=venue.price_max,
        hours_seasonal=venue.hours_seasonal)
    OpenInterval.objects.filter(venue=venue).delete()
    if schedule and not schedule.date_bound:
        OpenInterval.objects.bulk_create(
            OpenInterval(venue=venue, weekday=w, holiday=h, month=m, start=s, end=e)
            for w, h, m, s, e in hours.weekly_intervals(schedule))
    if venue.is_published:
        dish_names = [d.name for d in dishes]
        search_index(VENUE_SCOPE, venue.pk, venue.name, venue.address, venue.ward.name,
                     *dish_names, *venue.tags)
        search_index(DISH_SCOPE, venue.pk, *dish_names)
    else:
        search_unindex(VENUE_SCOPE, venue.pk)
        search_unindex(DISH_SCOPE, venue.pk)
    map_version_bump()


_VENUE_FIELDS = ("name", "address", "ward", "lat", "lon", "opening_hours", "description",
                 "phone", "website", "tags")


@transaction.atomic
def venue_create(*, actor, data: dict, is_demo: bool = False) -> Venue:
    _check_staff(actor)
    clean = venue_clean(data)
    venue = Venue.objects.create(is_demo=is_demo, is_published=clean.get("is_published", True),
                                 owner=clean.get("owner"),
                                 **{k: clean[k] for k in _VENUE_FIELDS})
    Dish.objects.bulk_create(Dish(venue=venue, position=i, **d)
                             for i, d in enumerate(clean["dishes"]))
    venue_refresh(venue)
    _event(actor=actor, action="venue_create", venue=venue, to_state="published"
           if venue.is_published else "draft")
    return venue


@transaction.atomic
def venue_update(*, actor, venue_id: int, version: int | None, data: dict) -> Venue:
    """Update a venue; `version` is what the editor saw (stale → ValidationError 'stale')."""
    _check_staff(actor)
    venue = Venue.objects.select_for_update().filter(pk=venue_id).first()
    if venue is None:
        raise ValidationError(_("This venue does not exist."), code="not_found")
    if version is not None and venue.version != version:
        raise ValidationError(
            _("Someone else changed this venue meanwhile; reload the page and try again."),
            code="stale")
    clean = venue_clean(data)
    for key in _VENUE_FIELDS:
        setattr(venue, key, clean[key])
    if "is_published" in clean:
        venue.is_published = bool(clean["is_published"])
    venue.version += 1
    venue.save()
    venue.dishes.all().delete()
    Dish.objects.bulk_create(Dish(venue=venue, position=i, **d)
                             for i, d in enumerate(clean["dishes"]))
    venue_refresh(venue)
    _event(actor=actor, action="venue_update", venue=venue, to_state=str(venue.version))
    return venue


# --- reviews -------------------------------------------------------------------------------


def review_text_clean(text: str) -> str:
    """Strip e-mail addresses and phone numbers (other people's personal data, spam)."""
    text = nfc(text or "").strip()
    text = _EMAIL.sub(_("[removed]"), text)
    return _PHONE.sub(_("[removed]"), text)


def rating_refresh(venue_id: int) -> None:
    """Recount the visible reviews of a venue into its aggregate, under the venue row lock
    the caller holds: concurrent reviews cannot lose an update."""
    totals = Review.objects.filter(venue_id=venue_id, status=ReviewStatus.VISIBLE).aggregate(
        n=Count("id"), s=Sum("rating"))
    count, total = totals["n"] or 0, totals["s"] or 0
    Venue.objects.filter(pk=venue_id).update(
        rating_count=count, rating_sum=total, rating_mean=round(total / count, 2) if count else 0)
    map_version_bump()  # the map and cached searches show ratings and sort by them


def _lock_venue(venue_id: int) -> Venue:
    venue = Venue.objects.select_for_update().filter(pk=venue_id, is_published=True).first()
    if venue is None:
        raise ValidationError(_("This venue does not exist."), code="not_found")
    return venue


def _throttled(user, action: str, limit: int) -> bool:
    since = timezone.now() - REVIEW_WINDOW
    return Event.objects.filter(actor=user, action=action, at__gte=since).count() >= limit


@transaction.atomic
def review_submit(*, actor, venue_id: int, rating, text: str = "",
                  verified_visit: bool = False) -> Review:
    """Create or edit the actor's one review of a venue."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to review a venue."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Choose a rating from 1 to 5 stars.")]})
    text = review_text_clean(text)
    if len(text) > 2000:
        raise ValidationError({"text": [_("A review has at most 2,000 characters.")]})
    venue = _lock_venue(venue_id)
    if _throttled(actor, "review_submit", REVIEW_LIMIT):
        raise ValidationError(
            _("Too many reviews in a short time. Please try again in an hour."),
            code="throttled")
    review = Review.objects.filter(venue=venue, user=actor).first()
    before = ""
    if review is None:
        try:
            with transaction.atomic():
                review = Review.objects.create(venue=venue, user=actor, rating=rating, text=text,
                                               verified_visit=verified_visit)
        except IntegrityError as exc:  # a double submission raced us
            raise ValidationError(_("You have already reviewed this venue."),
                                  code="duplicate") from exc
    else:
        before = str(review.rating)
        review.rating, review.text = rating, text
        review.verified_visit = review.verified_visit or verified_visit
        review.save()
    rating_refresh(venue.pk)
    _event(actor=actor, action="review_submit", venue=venue, review=review, from_state=before,
           to_state=str(rating))
    return review


@transaction.atomic
def review_flag(*, actor, review_id: int, reason: str = "") -> Review:
    """Anyone logged in may flag a review: it leaves the page until a moderator decides."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to report a review."))
    review = Review.objects.select_related("venue").filter(pk=review_id).first()
    if review is None:
        raise ValidationError(_("This review does not exist."), code="not_found")
    _lock_venue(review.venue_id)
    review.refresh_from_db()
    if _throttled(actor, "review_flag", FLAG_LIMIT):
        raise ValidationError(_("Too many reports in a short time."), code="throttled")
    before = review.status
    review.flag_count += 1
    if review.status == ReviewStatus.VISIBLE:
        review.status = ReviewStatus.FLAGGED
    review.save(update_fields=["flag_count", "status"])
    rating_refresh(review.venue_id)
    _event(actor=actor, action="review_flag", venue=review.venue, review=review,
           from_state=before, to_state=review.status, reason=nfc(reason or "").strip())
    return review


@transaction.atomic
def review_moderate(*, actor, review_id: int, decision: str, reason: str = "") -> Review:
    """Tourism staff hide a review or restore it (decision "hide" or "restore")."""
    if not is_tourism_staff(actor):
        raise PermissionDenied(_("Only tourism department staff may moderate reviews."))
    target = {"hide": ReviewStatus.HIDDEN, "restore": ReviewStatus.VISIBLE}.get(decision)
    if target is None:
        raise ValidationError(_("Unknown moderation decision."))
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        raise ValidationError(_("This review does not exist."), code="not_found")
    Venue.objects.select_for_update().filter(pk=review.venue_id).first()
    review.refresh_from_db()
    before = review.status
    review.status = target
    if target == ReviewStatus.VISIBLE:
        review.flag_count = 0
    review.save(update_fields=["status", "flag_count"])
    rating_refresh(review.venue_id)
    _event(actor=actor, action=f"review_{decision}", venue=review.venue, review=review,
           from_state=before, to_state=target, reason=nfc(reason or "").strip())
    return review


@transaction.atomic
def review_reply(*, actor, review_id: int, text: str) -> Review:
    """The venue's owner (or tourism staff) answers a review."""
    review = Review.objects.select_related("venue").filter(pk=review_id).first()
    if review is None:
        raise ValidationError(_("This review does not exist."), code="not_found")
    is_owner = getattr(actor, "is_authenticated", False) and review.venue.owner_id == actor.pk
    if not (is_owner or is_tourism_staff(actor)):
        raise PermissionDenied(_("Only the venue's owner may reply to its reviews."))
    text = review_text_clean(text)
    if not text or len(text) > 2000:
        raise ValidationError({"reply": [_("Write a reply of at most 2,000 characters.")]})
    review.reply, review.replied_at = text, timezone.now()
    review.save(update_fields=["reply", "replied_at"])
    _event(actor=actor, action="review_reply", venue=review.venue, review=review)
    return review
