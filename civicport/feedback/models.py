"""Citizen feedback 1022 (phản ánh, kiến nghị): categories (Open311 services), routing rules,
reports with their events and photos, followers and Open311 API keys."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicport.core.models import Agency, Ward


class Urgency(models.Model):
    """An urgency level (khẩn / bình thường / phức tạp) with its SLA in working time."""

    class Unit(models.TextChoices):
        HOURS = "hours", _("working hours")
        DAYS = "days", _("working days")

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sla_amount = models.PositiveIntegerField(_("time limit"))
    sla_unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("urgency level")
        verbose_name_plural = _("urgency levels")
        ordering = ["order"]

    def __str__(self):
        return self.name


class Category(models.Model):
    """A kind of report; exposed as an Open311 service (`code` = service_code)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    default_urgency = models.ForeignKey(Urgency, on_delete=models.PROTECT, related_name="+")
    # Where reports go when no routing rule names an agency; None = the ward's committee.
    default_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class CategoryAttribute(models.Model):
    """An extra question of a category (an Open311 service definition attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("short text")
        NUMBER = "number", _("number")
        DATETIME = "datetime", _("date and time")
        TEXT = "text", _("long text")
        SINGLE = "singlevaluelist", _("one choice")
        MULTI = "multivaluelist", _("several choices")

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(max_length=40)
    description = models.CharField(_("question"), max_length=300)
    datatype = models.CharField(max_length=16, choices=Datatype.choices)
    required = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField()
    values = models.JSONField(default=list, blank=True)  # [{"key", "name"}] for list types

    class Meta:
        ordering = ["category", "order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="feedback_attr_code"),
            models.UniqueConstraint(fields=["category", "order"], name="feedback_attr_order"),
        ]

    def __str__(self):
        return f"{self.category.code}:{self.code}"


class RoutingRule(models.Model):
    """Category (+ optionally one ward) → the responsible agency. A rule with a ward beats one
    without; `to_ward_committee` sends the report to the ward's People's Committee."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    ward = models.ForeignKey(Ward, null=True, blank=True, on_delete=models.CASCADE)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE)
    to_ward_committee = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "ward"], name="feedback_rule_unique"),
            models.CheckConstraint(
                condition=Q(agency__isnull=False) | Q(to_ward_committee=True),
                name="feedback_rule_has_target",
            ),
        ]

    def __str__(self):
        return f"{self.category_id}/{self.ward_id} → {self.agency_id or 'ward'}"


class Status(models.TextChoices):
    RECEIVED = "received", _("received")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    INFO_REQUESTED = "info_requested", _("more information requested")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged into another report")


# Statuses in which the report still waits for the agency (counts for SLA / overdue).
OPEN_STATUSES = (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.INFO_REQUESTED)
# What Open311 calls "closed": resolved one way or another.
CLOSED_STATUSES = (Status.ANSWERED, Status.CLOSED, Status.REJECTED, Status.MERGED)


class Channel(models.TextChoices):
    WEB = "web", _("website")
    API = "api", _("app / JSON API")
    OPEN311 = "open311", _("Open311")
    PHONE = "phone", _("1022 phone line")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


def local_month(moment) -> "datetime.date":
    """First day of the month `moment` falls in, in the city's time zone."""
    return timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE)).date().replace(day=1)


class Report(models.Model):
    """A citizen's report. The reporter's contact fields are private: never rendered in public
    pages, Open311 output or map data (see queries.public_* which list fields explicitly)."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    description = models.TextField(_("description"))
    description_folded = models.TextField(editable=False, default="")
    attributes = models.JSONField(default=dict, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    ward = models.ForeignKey(Ward, null=True, blank=True, on_delete=models.PROTECT)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="feedback_reports"
    )
    urgency = models.ForeignKey(Urgency, on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # Private: who reported, and how to reach them.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="feedback_reports",
    )
    reporter_name = models.CharField(max_length=150, blank=True)
    reporter_phone = models.CharField(max_length=15, blank=True)
    reporter_email = models.EmailField(blank=True)
    # Suggestion made at intake, and whether an operator has confirmed the category since
    # (confirmed reports are the training data of the next classifier).
    suggested_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestion_score = models.FloatField(null=True, blank=True)
    category_confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # First day of the local (Hải Phòng) month of created_at, set once at creation: statistics
    # group by it without converting every row's time zone.
    received_month = models.DateField(editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_on_time = models.BooleanField(null=True)
    hours_to_answer = models.FloatField(null=True, blank=True)  # wall-clock, for the mean
    answer = models.TextField(_("answer"), blank=True)
    status_note = models.CharField(max_length=500, blank=True)  # public, e.g. reject reason
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    token = models.CharField(max_length=32, unique=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["created_at"], name="fb_report_created"),
            models.Index(fields=["updated_at"], name="fb_report_updated"),
            models.Index(fields=["status", "deadline"], name="fb_report_status_deadline"),
            models.Index(fields=["agency", "created_at"], name="fb_report_agency_created"),
            models.Index(fields=["ward", "created_at"], name="fb_report_ward_created"),
            models.Index(fields=["category", "status"], name="fb_report_cat_status"),
            models.Index(fields=["lat", "lon"], name="fb_report_latlon"),
        ]
        # PostgreSQL also has the covering index fb_report_stats (migration 0003) for the
        # statistics' index-only scans; SQLite has no INCLUDE, so it is not declared here.

    def __str__(self):
        return f"#{self.pk} {self.category_id}"

    def save(self, *args, **kwargs):
        if self.received_month is None:
            self.received_month = local_month(self.created_at)
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < timezone.now()


EVENT_LABELS = {
    "created": _("Report received"),
    "triaged": _("Checked and assigned by the 1022 centre"),
    "started": _("Agency started handling"),
    "transferred": _("Transferred to another agency"),
    "info_requested": _("More information requested"),
    "info_provided": _("Reporter added information"),
    "answered": _("Answer published"),
    "rated": _("Reporter rated the answer"),
    "reopened": _("Reopened by the reporter"),
    "rejected": _("Rejected"),
    "merged": _("Merged as a duplicate"),
    "duplicate_added": _("A duplicate report was merged here"),
    "escalated": _("Overdue: escalated to the city"),
    "closed": _("Closed"),
}


class ReportEvent(models.Model):
    """One step of a report's history (append-only). `public` events show on its page."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="fb_event_at")]

    def __str__(self):
        return f"{self.report_id} {self.action}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


class ReportPhoto(models.Model):
    """A photo: the original stays private (outside the web root); `public_name` is a
    re-encoded copy without EXIF, served by the app."""

    class Kind(models.TextChoices):
        REPORT = "report", _("reporter's photo")
        ANSWER = "answer", _("answer photo")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.REPORT)
    original_name = models.CharField(max_length=100)
    public_name = models.CharField(max_length=100, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.public_name


class Follow(models.Model):
    """Someone who wants to hear about a report's progress."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=15, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "user"], condition=Q(user__isnull=False),
                name="feedback_follow_user",
            ),
        ]

    def __str__(self):
        return f"{self.report_id}"


class Open311Key(models.Model):
    """An Open311 API key for a client app; only its SHA-256 digest is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IntakeHit(models.Model):
    """One intake attempt, for the per-address and per-account rate limits."""

    address = models.GenericIPAddressField(null=True)
    user_id = models.BigIntegerField(null=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["address", "at"], name="fb_hit_addr_at"),
            models.Index(fields=["user_id", "at"], name="fb_hit_user_at"),
        ]

    def __str__(self):
        return f"{self.address} {self.at}"
