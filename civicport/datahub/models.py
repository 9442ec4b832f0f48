"""Data of the datahub app: datasets, their resources, immutable versions and ingest jobs.

A resource's data lives in content-hashed files under DATA_DIR/datahub (never overwritten);
the database only points at them. `Resource.current_version` is the one pointer a publish
flips, inside one transaction, so a crash leaves the previous version served.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicport.core.models import Agency, Ward


class Access(models.TextChoices):
    OPEN = "open", _("open data")
    SHARED = "shared", _("shared with all agencies")
    RESTRICTED = "restricted", _("restricted to named agencies")


class Frequency(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")
    IRREGULAR = "irregular", _("irregular")


# Days after which a dataset of each frequency counts as late (quality criterion).
FREQUENCY_DAYS = {"daily": 2, "weekly": 8, "monthly": 32, "quarterly": 93, "yearly": 367}

LICENCES = {
    "cc-by-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc0-1.0": ("Creative Commons CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "odc-by": ("Open Data Commons Attribution", "https://opendatacommons.org/licenses/by/1-0/"),
    "nd47": ("Giấy phép dữ liệu mở (Nghị định 47/2020)", ""),
    "notspecified": ("Chưa xác định", ""),
}


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Dataset(models.Model):
    """A dataset (bộ dữ liệu) published by an agency: metadata plus resources."""

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        DELETED = "deleted", _("deleted")

    # The CKAN id; the integer primary key indexes it in core.search.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("name in URLs"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    publisher = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="datasets", verbose_name=_("publisher")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    licence = models.CharField(_("licence"), max_length=40, default="cc-by-4.0")
    access = models.CharField(_("access"), max_length=12, choices=Access.choices,
                              default=Access.OPEN)
    allowed_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", verbose_name=_("agencies allowed to read")
    )
    frequency = models.CharField(_("update frequency"), max_length=12,
                                 choices=Frequency.choices, default=Frequency.IRREGULAR)
    temporal_start = models.DateField(_("period from"), null=True, blank=True)
    temporal_end = models.DateField(_("period to"), null=True, blank=True)
    wards = models.ManyToManyField(Ward, blank=True, related_name="+",
                                   verbose_name=_("spatial coverage"))
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Last time data was published (any resource): "updated on time" quality criterion.
    data_updated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    lock_version = models.PositiveIntegerField(default=1)
    title_folded = models.CharField(max_length=300, editable=False, default="", db_index=True)

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["title_folded"]
        indexes = [models.Index(fields=["state", "access"], name="dataset_state_access")]

    def __str__(self):
        return self.title


class Resource(models.Model):
    """A table or a plain file of a dataset; its data is the current Version."""

    class Kind(models.TextChoices):
        TABLE = "table", _("table")
        FILE = "file", _("file")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TABLE)
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=Dataset.State.choices,
                             default=Dataset.State.ACTIVE)
    current_version = models.ForeignKey("Version", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["position", "created_at"]

    def __str__(self):
        return self.name


class Version(models.Model):
    """One immutable, content-hashed snapshot of a resource's data."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, db_index=True)
    # Relative to DATA_DIR/datahub: a Parquet file for tables, the file itself otherwise.
    path = models.CharField(max_length=200)
    format = models.CharField(max_length=20)  # original upload format: CSV, XLSX, JSON, …
    media_type = models.CharField(max_length=100, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    row_count = models.BigIntegerField(null=True, blank=True)
    # Frictionless Table Schema (fields with name = ASCII id, title = Vietnamese label).
    schema = models.JSONField(default=dict, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    diff = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="version_number_unique")
        ]

    def __str__(self):
        return f"{self.resource} v{self.number}"


class IngestJob(models.Model):
    """An upload on its way to becoming a version; the publisher polls its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("processing")
        INVALID = "invalid", _("has errors")
        FAILED = "failed", _("failed")
        DONE = "done", _("published")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    upload_path = models.CharField(max_length=300)
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0)
    message = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    version = models.ForeignKey(Version, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("ingest job")
        verbose_name_plural = _("ingest jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.INVALID, self.Status.FAILED)


class DatasetEvent(models.Model):
    """Append-only history of a dataset: who did what, when, from which state to which."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=100, blank=True)
    to_state = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.dataset_id} {self.action}"
