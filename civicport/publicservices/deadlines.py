"""Deadlines of dossiers: computing them in working time, and judging them.

Two appointments are kept on a dossier:

* `due_at` is the appointment the applicant is told today. A supplement request or a wait for
  the fee stops the clock, and the end of the pause moves it by the working time paused; an
  apology letter (template 04) replaces it with a later date.
* `original_due_at` is the legal appointment: it moves with pauses (the law does not count the
  applicant's time) but NOT with an apology. Reporting (`classify`, the 766 index) uses it, so
  an apology tells the applicant the truth without turning a late dossier into an on-time one
  (services.md §7.9; F766 also judges against the synced original `NgayHenTra`).

Judging follows HV and F766 (services.md §1.6, §7.8): finished dossiers compare the local date
of the end with the appointment date — earlier is early, the same day on time, later late;
dossiers still open at the period end are in time while the appointment date has not passed;
more than one supplement request counts as late whatever the dates say.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from civicport.core.calendar import (
    add_working_days,
    add_working_hours,
    working_day_length,
    working_time_between,
)
from civicport.publicservices.models import Dossier, Procedure, ProcedureStep, TimeUnit
from civicport.publicservices.workflow import FINISHED_STATUSES, OPEN_STATUSES

EARLY, ON_TIME, LATE = "early", "on_time", "late"
IN_TIME, OVERDUE = "in_time", "overdue"
URGENCY_OVERDUE, URGENCY_DUE_TODAY, URGENCY_DUE_SOON, URGENCY_OK = (
    "overdue", "due_today", "due_soon", "ok",
)
# 766: a second supplement request makes the dossier late (services.md §1.6).
MAX_SUPPLEMENTS_ON_TIME = 1
_HOUR = timedelta(hours=1)


def local_day(moment: datetime) -> date:
    """The date of `moment` in the city's time zone (not the request's)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def due_compute(*, procedure: Procedure, start: datetime) -> datetime:
    """The legal appointment of a dossier of `procedure` received at `start`."""
    amount = Decimal(procedure.time_amount)
    if procedure.time_unit == TimeUnit.WORKING_HOURS:
        return add_working_hours(start, amount)
    if amount == amount.to_integral_value():
        return add_working_days(start, int(amount))
    # Half days and the like: a working day is the length of the office sessions.
    return add_working_hours(start, amount * Decimal(working_day_length() / _HOUR))


def step_due_compute(*, step: ProcedureStep | None, start: datetime) -> datetime | None:
    """When the step entered at `start` must be finished (None without a step)."""
    if step is None:
        return None
    return add_working_hours(start, Decimal(step.hours))


def deadline_shift(moment: datetime | None, paused: timedelta) -> datetime | None:
    """`moment` moved later by `paused` working time (the clock was stopped that long)."""
    if moment is None or paused <= timedelta(0):
        return moment
    micro = paused // timedelta(microseconds=1)
    return add_working_hours(moment, Decimal(micro) / Decimal(3_600_000_000))


def report_due(dossier: Dossier) -> datetime | None:
    """The appointment reporting judges against: the legal one, apologies ignored."""
    return dossier.original_due_at or dossier.due_at


def classify(*, dossier: Dossier, as_of: datetime | date) -> str | None:
    """early / on_time / late for dossiers finished by `as_of`; in_time / overdue for dossiers
    open at `as_of` (a period end). None for a dossier without an appointment (a draft)."""
    due = report_due(dossier)
    if due is None:
        return None
    limit = _moment(as_of)
    too_many = dossier.supplement_count > MAX_SUPPLEMENTS_ON_TIME
    finished = dossier.finished_at
    if dossier.status in FINISHED_STATUSES and finished is not None and finished <= limit:
        if too_many:
            return LATE
        end_day, due_day = local_day(finished), local_day(due)
        return EARLY if end_day < due_day else ON_TIME if end_day == due_day else LATE
    if too_many:
        return OVERDUE
    # A paused clock (supplement, fee) stopped at the pause: judge the dossier there.
    paused = dossier.paused_at
    clock = paused if paused is not None and paused <= limit else limit
    return IN_TIME if local_day(due) >= local_day(clock) else OVERDUE


def urgency(dossier: Dossier, now: datetime) -> str:
    """Inbox flag of an open dossier from its nearest deadline (step or appointment):
    overdue, due_today, due_soon (within one working day) or ok. Paused dossiers are ok:
    the applicant holds them."""
    if dossier.status not in OPEN_STATUSES or dossier.paused_at is not None:
        return URGENCY_OK
    deadlines = [d for d in (dossier.step_due_at, dossier.due_at) if d is not None]
    if not deadlines:
        return URGENCY_OK
    due = min(deadlines)
    if due < now:
        return URGENCY_OVERDUE
    if local_day(due) == local_day(now):
        return URGENCY_DUE_TODAY
    if working_time_between(now, due) <= working_day_length():
        return URGENCY_DUE_SOON
    return URGENCY_OK


def apology_needed(*, dossier: Dossier, now: datetime) -> bool:
    """An open, running dossier on or past its appointment day needs a template-04 apology
    with a new date (services.md §7.9). Issuing one moves `due_at`, which clears the alert."""
    return (
        dossier.status in OPEN_STATUSES
        and dossier.paused_at is None
        and dossier.due_at is not None
        and local_day(dossier.due_at) <= local_day(now)
    )


def _moment(as_of: datetime | date) -> datetime:
    """A period end as a moment: a date means the whole of that local day."""
    if isinstance(as_of, datetime):
        return as_of
    tz = timezone.get_default_timezone()
    return datetime.combine(as_of, time.max, tzinfo=tz)
