"""Deadline computation and judging (services.md §1.5–1.7, §7.3–7.8)."""

from datetime import date, timedelta

import pytest

from civicport.core.calendar import working_time_between
from civicport.publicservices import deadlines
from civicport.publicservices.deadlines import (
    apology_needed,
    classify,
    deadline_shift,
    due_compute,
    step_due_compute,
    urgency,
)
from civicport.publicservices.models import DossierStatus
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import at

pytestmark = pytest.mark.usefixtures("calendar")

S = DossierStatus


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (at(2026, 2, 13, 10), 5, at(2026, 2, 27, 10)),  # Tết 2026 (§7.3)
        (at(2026, 4, 24, 10), 3, at(2026, 5, 4, 10)),  # Hùng Kings observed + 30/4–1/5 (§7.4)
        (at(2025, 4, 25, 10), 2, at(2025, 4, 28, 10)),  # Sat 26/4/2025 is a make-up day (§7.5)
        (at(2026, 8, 28, 10), 2, at(2026, 9, 4, 10)),  # National Day 2026 (§7.6)
        (at(2026, 2, 12, 17, 30), 1, at(2026, 2, 13, 17)),  # after hours: starts next morning
    ],
)
def test_due_in_working_days(received, days, due):
    procedure = f.procedure(days=days)
    assert due_compute(procedure=procedure, start=received) == due


def test_due_in_working_hours_crosses_the_lunch_break():
    procedure = f.procedure(hours=4)
    assert due_compute(procedure=procedure, start=at(2026, 3, 2, 10)) == at(2026, 3, 2, 16)


def test_half_days_count_as_office_hours():
    procedure = f.procedure(days="0.5")
    assert due_compute(procedure=procedure, start=at(2026, 3, 2, 7)) == at(2026, 3, 2, 11)


def test_step_due_and_no_step():
    procedure = f.procedure(days=3)
    first = procedure.steps.get(order=1)
    assert step_due_compute(step=first, start=at(2026, 3, 2, 10)) == at(2026, 3, 2, 16)
    assert step_due_compute(step=None, start=at(2026, 3, 2, 10)) is None


def test_deadline_shift_moves_by_working_time_across_tet():
    # 5 working hours paused; the appointment on Fri 13/2 15:00 moves past Tết (16–20/2).
    shifted = deadline_shift(at(2026, 2, 13, 15), timedelta(hours=5))
    assert shifted == at(2026, 2, 23, 10)
    assert working_time_between(at(2026, 2, 13, 15), shifted) == timedelta(hours=5)
    assert deadline_shift(None, timedelta(hours=5)) is None
    assert deadline_shift(at(2026, 2, 13, 15), timedelta(0)) == at(2026, 2, 13, 15)


# --- classification (§7.8): appointment 27/2/2026 -------------------------------------------


APPOINTMENT = at(2026, 2, 27, 10)


def _dossier(status, *, due=APPOINTMENT, finished=None, **fields):
    return f.dossier(
        status=status, due_at=due, original_due_at=due, finished_at=finished,
        received_at=at(2026, 2, 13, 10), **fields,
    )


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (at(2026, 2, 26, 16), "early"),
        (at(2026, 2, 27, 16, 59), "on_time"),
        (at(2026, 2, 27, 7), "on_time"),
        (at(2026, 3, 2, 8), "late"),
    ],
)
def test_finished_dossiers(finished, expected):
    dossier = _dossier(S.DONE, finished=finished)
    assert classify(dossier=dossier, as_of=at(2026, 3, 31, 17)) == expected


def test_returned_is_judged_by_the_end_of_processing_not_the_return():
    dossier = _dossier(S.RETURNED, finished=at(2026, 2, 26, 16), returned_at=at(2026, 3, 5, 9))
    assert classify(dossier=dossier, as_of=date(2026, 3, 31)) == "early"


@pytest.mark.parametrize(
    ("period_end", "expected"),
    [
        (date(2026, 2, 26), "in_time"),
        (date(2026, 2, 27), "in_time"),
        (date(2026, 2, 28), "overdue"),
        (at(2026, 2, 28, 9), "overdue"),
    ],
)
def test_open_dossiers_at_the_period_end(period_end, expected):
    assert classify(dossier=_dossier(S.PROCESSING), as_of=period_end) == expected


def test_a_dossier_finished_after_the_period_end_counts_as_open():
    dossier = _dossier(S.DONE, finished=at(2026, 3, 2, 8))
    assert classify(dossier=dossier, as_of=date(2026, 2, 26)) == "in_time"
    assert classify(dossier=dossier, as_of=date(2026, 2, 28)) == "overdue"
    assert classify(dossier=dossier, as_of=date(2026, 3, 2)) == "late"


def test_more_than_one_supplement_request_is_late():
    one = _dossier(S.DONE, finished=at(2026, 2, 20, 9), supplement_count=1)
    two = _dossier(S.DONE, finished=at(2026, 2, 20, 9), supplement_count=2)
    open_two = _dossier(S.PROCESSING, supplement_count=2)
    assert classify(dossier=one, as_of=date(2026, 3, 31)) == "early"
    assert classify(dossier=two, as_of=date(2026, 3, 31)) == "late"
    assert classify(dossier=open_two, as_of=date(2026, 2, 20)) == "overdue"


def test_a_paused_dossier_is_judged_where_its_clock_stopped():
    paused = _dossier(S.SUPPLEMENT, paused_at=at(2026, 2, 25, 9), supplement_count=1)
    assert classify(dossier=paused, as_of=date(2026, 3, 31)) == "in_time"
    late_pause = _dossier(S.SUPPLEMENT, paused_at=at(2026, 3, 2, 9), supplement_count=1)
    assert classify(dossier=late_pause, as_of=date(2026, 3, 31)) == "overdue"


def test_reporting_uses_the_original_appointment_not_the_apology_date():
    dossier = _dossier(
        S.DONE, due=at(2026, 3, 6, 10), finished=at(2026, 3, 4, 9),
    )
    dossier.original_due_at = at(2026, 2, 27, 10)
    assert deadlines.report_due(dossier) == at(2026, 2, 27, 10)
    assert classify(dossier=dossier, as_of=date(2026, 3, 31)) == "late"


def test_drafts_are_not_classified():
    assert classify(dossier=f.dossier(status=S.DRAFT), as_of=date(2026, 3, 31)) is None


# --- inbox urgency -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 3, 4, 11), "overdue"),
        (at(2026, 3, 4, 9), "due_today"),
        (at(2026, 3, 3, 11), "due_soon"),  # 8 working hours before
        (at(2026, 3, 3, 9), "ok"),  # 9.5 working hours before
        (at(2026, 3, 3, 17), "due_soon"),  # evening before: 3 working hours left
    ],
)
def test_urgency(now, expected):
    dossier = _dossier(S.PROCESSING, due=at(2026, 3, 10, 10), step_due_at=at(2026, 3, 4, 10))
    assert urgency(dossier, now) == expected


def test_paused_and_finished_dossiers_are_never_urgent():
    paused = _dossier(S.SUPPLEMENT, paused_at=at(2026, 2, 20, 9))
    done = _dossier(S.DONE, finished=at(2026, 2, 20, 9))
    assert urgency(paused, at(2026, 3, 31, 9)) == "ok"
    assert urgency(done, at(2026, 3, 31, 9)) == "ok"


def test_apology_needed_on_the_appointment_day_until_a_new_date_is_set():
    dossier = _dossier(S.PROCESSING)
    assert not apology_needed(dossier=dossier, now=at(2026, 2, 26, 16))
    assert apology_needed(dossier=dossier, now=at(2026, 2, 27, 8))
    dossier.due_at = at(2026, 3, 6, 10)
    assert not apology_needed(dossier=dossier, now=at(2026, 2, 27, 8))
    assert not apology_needed(dossier=_dossier(S.DONE, finished=at(2026, 3, 2)),
                              now=at(2026, 3, 2, 8))
