"""Core data shared by every module: places, agencies, people, calendar, audit, messages."""

import hashlib
import json

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """A province-level unit (tỉnh / thành phố trực thuộc trung ương), post-2025."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    division_type = models.CharField(max_length=40)
    codename = models.SlugField(max_length=100)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class Ward(models.Model):
    """A commune-level unit (xã, phường, đặc khu) as in force since 1 July 2025."""

    class Kind(models.TextChoices):
        COMMUNE = "xa", _("commune")
        WARD = "phuong", _("ward")
        SPECIAL_ZONE = "dac_khu", _("special zone")

    code = models.PositiveIntegerField(primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    codename = models.SlugField(max_length=100)
    name_folded = models.CharField(max_length=100, db_index=True, editable=False)

    class Meta:
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        ordering = ["name"]

    def __str__(self):
        return self.name


class LegacyWard(models.Model):
    """A pre-July-2025 commune-level unit and the current ward it became part of.

    Old addresses ("xã Đại Hợp, huyện Kiến Thụy") keep arriving for years; this table lets
    every module resolve them to the unit that handles them today.
    """

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    district_name = models.CharField(max_length=100)
    province_name = models.CharField(max_length=100)
    province_code = models.PositiveIntegerField()
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="legacy_units")
    name_folded = models.CharField(max_length=100, db_index=True, editable=False)
    district_folded = models.CharField(max_length=100, editable=False)

    class Meta:
        verbose_name = _("former administrative unit")
        verbose_name_plural = _("former administrative units")

    def __str__(self):
        return f"{self.name}, {self.district_name}, {self.province_name}"


class Agency(models.Model):
    """An agency in the city's tree: the People's Committee, departments, commune committees."""

    class Kind(models.TextChoices):
        CITY = "city", _("city People's Committee")
        DEPARTMENT = "department", _("department or sector")
        COMMUNE = "commune", _("commune-level People's Committee")
        UNIT = "unit", _("other unit")

    code = models.CharField(
        _("unit code"),
        max_length=40,
        unique=True,
        help_text=_("The unit code used as the prefix of dossier codes."),
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    ward = models.OneToOneField(
        Ward, null=True, blank=True, on_delete=models.PROTECT, related_name="committee"
    )
    # Materialised path ("/1/7/"): descendants are one indexed prefix query on any database.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    name_folded = models.CharField(max_length=200, db_index=True, editable=False, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["path"]

    def __str__(self):
        return self.name


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("citizen or business")
    OFFICER = "officer", _("officer")


class CivicUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: username})


class User(AbstractUser):
    """Anyone who logs in. Citizens log in with phone or e-mail; officers too."""

    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone number"), max_length=15, blank=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=UserKind.choices, default=UserKind.CITIZEN)
    is_city_admin = models.BooleanField(_("city administrator"), default=False)
    is_ioc_viewer = models.BooleanField(_("IOC viewer"), default=False)
    preferred_language = models.CharField(max_length=8, default="vi")

    objects = CivicUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Phone and e-mail are login names: unique when present.
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="user_email_unique"
            ),
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="user_phone_unique"
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def has_memberships(self) -> bool:
        """Whether the user belongs to any agency (the header's link to the inbox). Kept on
        the object, so once per request; a page that has read the memberships anyway
        records the answer with `core.access.note_memberships`, and the header costs no
        query of its own."""
        known = getattr(self, MEMBERSHIPS_KNOWN, None)
        if known is None:
            known = self.memberships.exists()
            setattr(self, MEMBERSHIPS_KNOWN, known)
        return known


# Attribute of a User object that caches `User.has_memberships`.
MEMBERSHIPS_KNOWN = "_civicport_has_memberships"


class Role(models.TextChoices):
    RECEIVER = "receiver", _("receiver")
    PROCESSOR = "processor", _("processor")
    APPROVER = "approver", _("approver")
    AGENCY_ADMIN = "agency_admin", _("agency administrator")


class Membership(models.Model):
    """An officer's role in an agency. One officer may hold roles in several agencies."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.agency}"


class LoginFailure(models.Model):
    """A failed login, kept for the throttling window (per account and per address)."""

    account = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.account} @ {self.at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for the APIs. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"


class DayOff(models.Model):
    """An extra non-working day decided by the government or the city (not in `holidays`)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("extra day off")
        verbose_name_plural = _("extra days off")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class MakeupWorkday(models.Model):
    """A weekend day worked to make up for a swapped day off (ngày làm bù)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("make-up working day")
        verbose_name_plural = _("make-up working days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class AuditHead(models.Model):
    """Single row holding the chain's last hash; locking it serialises sealing (audit.py)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"audit head #{self.last_seq}"


class AuditEntry(models.Model):
    """One append-only, hash-chained record of who did what to which object.

    Written unsealed (`seq` NULL, no hashes) in the transaction of the change it records;
    sealed into the chain right after that commits (see core/audit.py)."""

    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.seq or '-'} {self.action}"

    def compute_hash(self) -> str:
        payload = json.dumps(
            {
                "seq": self.seq,
                "at": self.at.isoformat(),
                "actor": self.actor_id,
                "actor_label": self.actor_label,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "data": self.data,
                "prev": self.prev_hash,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


class Notification(models.Model):
    """An e-mail or SMS to send through the task queue, at most once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    template = models.CharField(max_length=100)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    # Callers name the event (e.g. "dossier:42:received:sms"); a repeat is ignored.
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}: {self.template}"


class SmsOutbox(models.Model):
    """Messages 'sent' by the default SMS provider, for admins to read."""

    to = models.CharField(max_length=20)
    sender = models.CharField(max_length=20)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SMS outbox message")
        verbose_name_plural = _("SMS outbox")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.to}: {self.body[:40]}"


class SearchEntry(models.Model):
    """Inverted index of folded words, one row per (object, word).

    Prefix search becomes a range scan on (scope, word) — indexed on SQLite and
    PostgreSQL alike — instead of a LIKE '%…%' scan over every row.
    """

    scope = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    word = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["scope", "word", "object_id"], name="search_scope_word"),
            models.Index(fields=["scope", "object_id"], name="search_scope_object"),
        ]

    def __str__(self):
        return f"{self.scope}:{self.object_id}:{self.word}"



class PeriodicRun(models.Model):
    """The last run of one periodic job (`core.schedule`): claimed under a row lock, so
    several schedulers (one per web node, a cron line) never run a job twice at once."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_message = models.TextField(blank=True)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")

    def __str__(self):
        return self.name
