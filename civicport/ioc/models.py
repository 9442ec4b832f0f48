"""Data of the operations centre: indicators, values, targets, department reports, the DTI
and the yearly task plan.

Values are stored per indicator, period and scope (the city, one agency or one ward), so the
wall screen and the drill-downs read a few indexed rows whatever the number of dossiers or
feedback reports behind them; live values are refreshed by a task (see sources.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicport.core.models import Agency, Ward


class Unit(models.TextChoices):
    PERCENT = "percent", _("percent")
    COUNT = "count", _("count")
    POINTS = "points", _("points")
    INDEX = "index", _("index (0–1)")
    RATIO = "ratio", _("ratio")
    DAYS = "days", _("days")
    HOURS = "hours", _("hours")
    BN_VND = "bn_vnd", _("billion VND")
    RANK = "rank", _("rank")


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")
    NEUTRAL = "neutral", _("no direction")


class Frequency(models.TextChoices):
    WEEK = "week", _("weekly")
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")
    YEAR = "year", _("yearly")


class Origin(models.TextChoices):
    LIVE = "live", _("computed live")
    SUBMITTED = "submitted", _("submitted by an agency")
    IMPORTED = "imported", _("imported from Excel")


class Indicator(models.Model):
    """One line of the catalogue (reference notes, table (a))."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name_vi = models.CharField(_("Vietnamese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    pillar = models.CharField(_("pillar"), max_length=10)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("responsible agency"),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    # Code of a registered live source (sources.py); empty = values come from agencies.
    live_source = models.CharField(max_length=40, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    is_public = models.BooleanField(_("shown on the public page"), default=False)
    on_wall = models.BooleanField(_("shown on the wall screen"), default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return f"{self.code} {self.name_vi}"

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class IndicatorValue(models.Model):
    """The value of an indicator for one period and scope. `scope` is "city", "a<agency id>"
    or "w<ward code>": one unique key that behaves the same on every database (no NULLs)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    period_key = models.CharField(max_length=10)  # 2026-W05, 2026-03, 2026-Q1, 2026
    period_kind = models.CharField(max_length=8, choices=Frequency.choices)
    period_start = models.DateField()
    scope = models.CharField(max_length=16, default="city")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    ward = models.ForeignKey(Ward, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    value = models.FloatField(null=True, blank=True)
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    as_of = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period_key", "scope"],
                                    name="ioc_value_unique"),
        ]
        indexes = [
            models.Index(fields=["scope", "period_key"], name="ioc_value_scope_period"),
            models.Index(fields=["indicator", "period_kind", "period_start"],
                         name="ioc_value_series"),
        ]

    def __str__(self):
        return f"{self.indicator_id} {self.period_key} {self.scope}: {self.value}"


class Target(models.Model):
    """A yearly target of an indicator with its baseline and the document that set it."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField()
    baseline = models.FloatField(null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(null=True, blank=True)
    value = models.FloatField(_("target value"))
    # Within `tolerance` (in the indicator's unit) of the target: at risk, not off track.
    tolerance = models.FloatField(null=True, blank=True)
    source_document = models.CharField(_("source document"), max_length=200)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="ioc_target_unique"),
        ]
        ordering = ["indicator__order", "year"]


# --- department reports ---------------------------------------------------------------------

    def __str__(self):
        return f"{self.indicator_id} {self.year}: {self.value}"


class ReportTemplate(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    # Working days after the period's end before the report is late.
    deadline_days = models.PositiveSmallIntegerField(default=3)
    agencies = models.ManyToManyField(Agency, related_name="+", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["frequency", "code"]

    def __str__(self):
        return self.name


class ReportField(models.Model):
    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="fields")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=200)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    required = models.BooleanField(default=True)
    indicator = models.ForeignKey(Indicator, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="ioc_field_unique"),
        ]

    def __str__(self):
        return self.label


class ReportPeriod(models.Model):
    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="periods")
    period_key = models.CharField(max_length=10)
    start = models.DateField()
    end = models.DateField()  # exclusive
    deadline = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["template", "period_key"], name="ioc_period_unique"),
        ]

    def __str__(self):
        return f"{self.template_id} {self.period_key}"


class ReportSubmission(models.Model):
    """One revision of an agency's report: never updated, a correction is a new revision."""

    period = models.ForeignKey(ReportPeriod, on_delete=models.PROTECT, related_name="submissions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    is_late = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["period", "agency", "revision"],
                                    name="ioc_submission_unique"),
        ]


# --- DTI ------------------------------------------------------------------------------------

    def __str__(self):
        return f"{self.period_id} {self.agency_id} r{self.revision}"


class DtiMethodology(models.Model):
    """A version of the provincial DTI methodology. Once a score is stored under it, it is
    locked: editing its weights makes a new version (copy-on-write)."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    decision = models.CharField(max_length=100)
    first_year = models.PositiveSmallIntegerField()
    total_points = models.PositiveIntegerField(default=1000)
    derived_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    locked_at = models.DateTimeField(null=True, blank=True)
    weights_verified = models.BooleanField(default=False)

    class Meta:
        ordering = ["first_year", "code"]

    def __str__(self):
        return self.name


class DtiMainIndicator(models.Model):
    methodology = models.ForeignKey(DtiMethodology, on_delete=models.CASCADE,
                                    related_name="indicators")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    max_points = models.PositiveIntegerField()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["methodology", "code"], name="ioc_dti_ind_unique"),
        ]

    def __str__(self):
        return self.name


class DtiAssessment(models.Model):
    """One province's DTI for one year under one methodology. Province codes are kept as
    numbers (not core Province rows): pre-2025 provinces such as Hải Dương (30) are gone."""

    class Group(models.TextChoices):
        OLD = "63", _("63 provinces (before 2025)")
        NEW = "34", _("34 provinces (from 2025)")

    methodology = models.ForeignKey(DtiMethodology, on_delete=models.PROTECT,
                                    related_name="assessments")
    year = models.PositiveSmallIntegerField()
    group = models.CharField(max_length=2, choices=Group.choices, default=Group.OLD)
    province_code = models.PositiveSmallIntegerField()
    province_name = models.CharField(max_length=100)
    # Stored scores (computed from the final values under `methodology`, never recomputed
    # when another methodology changes).
    self_index = models.FloatField(null=True, blank=True)
    appraised_index = models.FloatField(null=True, blank=True)
    final_index = models.FloatField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    # What dti.gov.vn / the press published, next to what we compute.
    published_index = models.FloatField(null=True, blank=True)
    published_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    merged_from = models.CharField(max_length=40, blank=True)  # "30,31"
    source = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["year", "group", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["methodology", "year", "group", "province_code"],
                                    name="ioc_dti_assessment_unique"),
        ]

    def __str__(self):
        return f"{self.province_name} {self.year}"


class DtiValue(models.Model):
    assessment = models.ForeignKey(DtiAssessment, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(DtiMainIndicator, on_delete=models.PROTECT, related_name="+")
    self_assessed = models.FloatField(null=True, blank=True)
    appraised = models.FloatField(null=True, blank=True)
    final = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="ioc_dti_value_unique"),
        ]


# --- task plan ------------------------------------------------------------------------------

    def __str__(self):
        return f"{self.assessment_id} {self.indicator_id}"


class Plan(models.Model):
    year = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=300)
    document = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-year"]

    def __str__(self):
        return self.name


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class PlanTask(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=500)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("responsible agency"))
    coordinating = models.ManyToManyField(Agency, related_name="+", blank=True)
    deadline = models.DateField()
    # Million VND.
    budget = models.DecimalField(max_digits=14, decimal_places=1, default=0)
    disbursed = models.DecimalField(max_digits=14, decimal_places=1, default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=TaskStatus.choices,
                              default=TaskStatus.NOT_STARTED)
    done_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="ioc_task_unique"),
        ]
        indexes = [models.Index(fields=["agency", "deadline"], name="ioc_task_agency")]

    def __str__(self):
        return f"{self.code} {self.title}"


class TaskEvidence(models.Model):
    task = models.ForeignKey(PlanTask, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="ioc/evidence/%Y/")
    name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class Event(models.Model):
    """Append-only history of every change in the IOC (who, when, from, to, why)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    object_type = models.CharField(max_length=30)
    object_id = models.CharField(max_length=40)
    action = models.CharField(max_length=40)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="ioc_event_object")]

    def __str__(self):
        return f"{self.object_type} {self.object_id} {self.action}"


class GeneratedReport(models.Model):
    """A weekly or monthly IOC report produced by the schedule (PDF and Excel)."""

    kind = models.CharField(max_length=8, choices=Frequency.choices)
    period_key = models.CharField(max_length=10)
    pdf = models.FileField(upload_to="ioc/reports/")
    xlsx = models.FileField(upload_to="ioc/reports/")
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-generated_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_key"], name="ioc_generated_unique"),
        ]

    def __str__(self):
        return f"{self.kind} {self.period_key}"


def scope_key(*, agency_id: int | None = None, ward_code: int | None = None) -> str:
    if agency_id is not None:
        return f"a{agency_id}"
    if ward_code is not None:
        return f"w{ward_code}"
    return "city"



class RefreshState(models.Model):
    """One row: the cross-process lock of the live refresh (web workers, cron, task worker)
    and when it last ran."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    running_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"refresh {self.last_run_at}"
