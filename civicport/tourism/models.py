"""Data of the tourism app: venues with dishes and hours, photos, reviews, curated tours."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicport.core.models import Ward


class Venue(models.Model):
    """A place to eat (quán ăn) on the food-tour map."""

    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="venues",
                             verbose_name=_("ward"))
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    opening_hours = models.CharField(_("opening hours"), max_length=500, blank=True)
    # Hours with day-level date ranges (Dec 24-Jan 02) cannot go into the interval table and
    # are evaluated one by one (hours.py); whole-month rules (May-Sep) can.
    hours_seasonal = models.BooleanField(default=False, editable=False)
    price_min = models.PositiveIntegerField(_("lowest price (VND)"), default=0)
    price_max = models.PositiveIntegerField(_("highest price (VND)"), default=0)
    description = models.TextField(_("description"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    website = models.URLField(_("website"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="tourism_venues",
                              verbose_name=_("owner"))
    is_published = models.BooleanField(_("published"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    # Rating aggregate of the visible reviews, kept in the same transaction as every review
    # change (reviews.rating_refresh), so lists sort and filter without counting reviews.
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_sum = models.PositiveIntegerField(default=0, editable=False)
    rating_mean = models.FloatField(default=0, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["is_published", "price_min"], name="tourism_venue_price"),
            models.Index(fields=["ward", "is_published"], name="tourism_venue_ward"),
        ]

    def __str__(self):
        return self.name

    @property
    def price_level(self) -> int:
        """1 (under 50,000 VND) … 4 (from 300,000 VND), from the cheapest dish."""
        for level, limit in ((1, 50_000), (2, 150_000), (3, 300_000)):
            if self.price_min < limit:
                return level
        return 4


class Dish(models.Model):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="dishes")
    name = models.CharField(_("dish"), max_length=120)
    price = models.PositiveIntegerField(_("price (VND)"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("dish")
        verbose_name_plural = _("dishes")
        ordering = ["venue", "position", "id"]

    def __str__(self):
        return self.name


class OpenInterval(models.Model):
    """One open interval of a venue's ordinary week (holiday=False) or of a week whose days
    are all public holidays (holiday=True), in minutes from the start of `weekday`; `end`
    may pass 1440 (after midnight); `month` 0 = every month, 1-12 for whole-month rules.
    "Open at" is then one indexed query (queries.py)."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField()
    holiday = models.BooleanField()
    month = models.PositiveSmallIntegerField(default=0)
    start = models.PositiveSmallIntegerField()
    end = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["holiday", "weekday", "month", "start", "end"],
                                name="tourism_interval_at")]

    def __str__(self):
        return f"{self.venue_id} {self.weekday} {self.start}-{self.end}"


class Photo(models.Model):
    """A venue photo, re-encoded without EXIF and stored in the data directory (not the web
    root); served by a view."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="photos")
    file = models.CharField(max_length=200)  # storage name
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["venue", "id"]

    def __str__(self):
        return self.file


class ReviewStatus(models.TextChoices):
    VISIBLE = "visible", _("visible")
    FLAGGED = "flagged", _("flagged, awaiting moderation")
    HIDDEN = "hidden", _("hidden by a moderator")


class Review(models.Model):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="tourism_reviews")
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    text = models.TextField(_("review"), blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices,
                              default=ReviewStatus.VISIBLE)
    verified_visit = models.BooleanField(_("verified visit"), default=False)
    flag_count = models.PositiveIntegerField(default=0)
    reply = models.TextField(_("owner's reply"), blank=True, max_length=2000)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "user"], name="tourism_review_one_per_user"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5),
                                   name="tourism_review_rating_range"),
        ]
        indexes = [models.Index(fields=["venue", "status", "-updated_at"],
                                name="tourism_review_list"),
                   models.Index(fields=["status"], name="tourism_review_status")]

    def __str__(self):
        return f"{self.venue} · {self.rating}★"


class Event(models.Model):
    """Append-only history of the app: who did what to which venue or review, and why."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=40)
    venue = models.ForeignKey(Venue, null=True, on_delete=models.SET_NULL, related_name="events")
    review = models.ForeignKey(Review, null=True, on_delete=models.SET_NULL,
                               related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "action", "at"], name="tourism_event_actor")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class Tour(models.Model):
    """A curated route: venues in order, drawn as a line on the map."""

    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TourStop(models.Model):
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="stops")
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="tour_stops")
    position = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["tour", "position"]
        constraints = [models.UniqueConstraint(fields=["tour", "position"],
                                               name="tourism_stop_position")]

    def __str__(self):
        return f"{self.tour} #{self.position}"


class MapVersion(models.Model):
    """One row: bumped in the transaction of every venue change, so every web process knows
    when its cached map GeoJSON is stale (the process caches are per process)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=1)

    def __str__(self):
        return str(self.version)
