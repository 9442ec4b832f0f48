"""Procedures (thủ tục hành chính) and dossiers (hồ sơ) of the one-stop system."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicport.core.models import Agency, Role, Ward


class Field(models.Model):
    """A field of administrative procedures (lĩnh vực), e.g. Hộ tịch, Đất đai."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProcedureLevel(models.TextChoices):
    """Online service level under Decree 42/2022."""

    FULL_ONLINE = "toan_trinh", _("fully online")
    PARTIAL_ONLINE = "mot_phan", _("partly online")
    OFFLINE = "truc_tiep", _("at the one-stop desk only")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")


class Procedure(models.Model):
    """An administrative procedure with its form, documents, fees and processing steps."""

    code = models.CharField(
        _("procedure code"), max_length=40, unique=True,
        help_text=_("National code such as 1.010708, with an optional local suffix."),
    )
    name = models.CharField(_("name"), max_length=500)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedures")
    agencies = models.ManyToManyField(
        Agency, related_name="procedures", verbose_name=_("implementing agencies")
    )
    level = models.CharField(_("level"), max_length=12, choices=ProcedureLevel.choices)
    time_amount = models.DecimalField(_("processing time"), max_digits=7, decimal_places=2)
    time_unit = models.CharField(_("unit"), max_length=14, choices=TimeUnit.choices)
    fee_amount = models.PositiveBigIntegerField(_("fee (VND)"), default=0)
    fee_description = models.TextField(_("fees"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    result_description = models.CharField(_("result"), max_length=500, blank=True)
    requirements = models.TextField(_("conditions"), blank=True)
    # The online form: a list of {"key", "label", "type", "required", "choices", "help"};
    # types: text, number, date, choice, id_number, phone, address, file.
    form_schema = models.JSONField(_("online form"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class ProcedureStep(models.Model):
    """One processing step; steps may belong to other agencies (liên thông)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=200)
    # Null: the agency that received the dossier performs this step.
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("agency"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    hours = models.DecimalField(_("time allotted (working hours)"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("processing step")
        verbose_name_plural = _("processing steps")
        ordering = ["procedure", "order"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "order"], name="procedure_step_order")
        ]

    def __str__(self):
        return f"{self.order}. {self.name}"


class RequiredDocument(models.Model):
    """A document the applicant must provide (thành phần hồ sơ)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="documents")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=500)
    is_required = models.BooleanField(_("required"), default=True)
    copies = models.CharField(_("copies"), max_length=100, blank=True)
    template = models.FileField(
        _("template"), upload_to="publicservices/templates/", blank=True
    )

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["procedure", "order"]

    def __str__(self):
        return self.name


class DossierStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    NEW = "new", _("newly submitted")
    RECEIVED = "received", _("received")
    REFUSED = "refused", _("refused")
    PROCESSING = "processing", _("processing")
    SUPPLEMENT = "supplement", _("supplement requested")
    WAITING_FEE = "waiting_fee", _("waiting for fee payment")
    WITHDRAWN = "withdrawn", _("withdrawn")
    STOPPED = "stopped", _("processing stopped")
    DONE = "done", _("processed")
    RETURNED = "returned", _("result returned")


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    IN_PERSON = "in_person", _("in person")
    POSTAL = "postal", _("by post")


class ResultDelivery(models.TextChoices):
    IN_PERSON = "in_person", _("at the one-stop desk")
    POST = "post", _("by post")
    ONLINE = "online", _("online download")


class Dossier(models.Model):
    """An application for a procedure, from draft to returned result."""

    code = models.CharField(_("dossier code"), max_length=60, unique=True, null=True, blank=True)
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("procedure")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="dossiers",
        verbose_name=_("receiving agency"),
    )
    # The agency holding the dossier now; differs from `agency` during liên thông.
    current_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("current agency")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="dossiers", verbose_name=_("applicant account"),
    )
    applicant_name = models.CharField(_("applicant"), max_length=200)
    applicant_id_number = models.CharField(_("citizen ID"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("phone number"), max_length=15, blank=True)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=500, blank=True)
    applicant_ward = models.ForeignKey(
        Ward, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("ward"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=DossierStatus.choices, default=DossierStatus.DRAFT
    )
    form_data = models.JSONField(_("form answers"), default=dict, blank=True)

    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("original appointment"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    # Supplement requests stop the clock: count them and remember when the pause began.
    supplement_count = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)

    current_step = models.ForeignKey(
        ProcedureStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("current step"),
    )
    step_due_at = models.DateTimeField(_("step deadline"), null=True, blank=True)

    fee_amount = models.PositiveBigIntegerField(_("fee (VND)"), default=0)
    fee_paid_at = models.DateTimeField(_("fee paid at"), null=True, blank=True)
    paid_online = models.BooleanField(_("paid online"), default=False)
    result_delivery = models.CharField(
        _("result delivery"), max_length=10, choices=ResultDelivery.choices, default=ResultDelivery.ONLINE
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)

    # Optimistic locking: every change bumps it; a stale form gets a conflict.
    version = models.PositiveIntegerField(_("version"), default=1)
    # Idempotency key of the submit request: a retried submit finds the same dossier.
    submit_key = models.CharField(
        _("submission key"), max_length=64, unique=True, null=True, blank=True
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [
            models.Index(fields=["current_agency", "status", "step_due_at"], name="dossier_inbox"),
            # The receiving desk's list of dossiers now held by another agency (liên thông).
            models.Index(fields=["agency", "status", "step_due_at"], name="dossier_desk"),
            models.Index(fields=["agency", "received_at"], name="dossier_agency_received"),
            models.Index(fields=["applicant", "created_at"], name="dossier_applicant"),
            models.Index(fields=["procedure", "received_at"], name="dossier_procedure_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="dossier_rating_1_5",
            )
        ]

    def __str__(self):
        return self.code or f"#{self.pk} ({self.get_status_display()})"


class DossierCounter(models.Model):
    """Last sequence number issued per agency per day; locked to keep codes gap-free."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dossier_counter_agency_day")
        ]

    def __str__(self):
        return f"{self.agency.code} {self.day}: {self.last}"


class DossierEvent(models.Model):
    """An append-only record of one change to a dossier: who, when, from, to, why."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        ordering = ["dossier", "at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="dossier_event_action_at")]

    def __str__(self):
        return f"{self.dossier} {self.action} {self.at:%Y-%m-%d %H:%M}"


class FileKind(models.TextChoices):
    DOCUMENT = "document", _("document")
    SUPPLEMENT = "supplement", _("supplement")
    RESULT = "result", _("result")
    RECEIPT = "receipt", _("receipt")
    NOTICE = "notice", _("notice")


class DossierFile(models.Model):
    """An uploaded or generated file, stored through the storage API outside the web root."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=12, choices=FileKind.choices)
    required_document = models.ForeignKey(
        RequiredDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="dossiers/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dossier file")
        verbose_name_plural = _("dossier files")
        ordering = ["dossier", "uploaded_at"]

    def __str__(self):
        return self.original_name
