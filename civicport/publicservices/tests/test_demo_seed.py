"""The demo month of dossiers: plausible, consistent with the workflow, idempotent."""

import io
import random
import time
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from civicport.core import seeding as core_seeding
from civicport.core.calendar import add_working_hours, clear_calendar_cache, working_time_between
from civicport.core.models import User
from civicport.publicservices import actions, seeding, stats
from civicport.publicservices.codes import DOSSIER_CODE_RE, dossier_code_valid
from civicport.publicservices.deadlines import classify, local_day
from civicport.publicservices.demo_dossiers import (
    DOSSIERS_PER_SCALE,
    WorkAxis,
    demo_dossiers_seed,
)
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierFile,
    DossierStatus,
    Procedure,
)
from civicport.publicservices.tests.factories import Clock, at
from civicport.publicservices.workflow import FINISHED_STATUSES, TRANSITIONS

RESUMED = {DossierStatus.PROCESSING, *FINISHED_STATUSES}
# A Wednesday afternoon: the window holds today's dossiers, so counters of today exist.
NOW = at(2026, 3, 18, 15, 10)


@pytest.fixture
def reference(db):
    core_seeding.reference()
    core_seeding.demo(1)
    seeding.reference()
    yield
    clear_calendar_cache()


@pytest.fixture
def seeded(reference):
    started = time.perf_counter()
    summary = demo_dossiers_seed(1, now=NOW)
    return summary, time.perf_counter() - started


def test_a_plausible_month(seeded):
    summary, seconds = seeded
    assert seconds < 10, summary
    demo = Dossier.objects.filter(is_demo=True)
    assert demo.count() == Dossier.objects.count() == DOSSIERS_PER_SCALE
    window = (NOW - timedelta(days=30), NOW)
    assert all(window[0] <= d.received_at <= NOW for d in demo.only("received_at"))
    start, end = window[0], NOW + timedelta(seconds=1)
    on_time = stats.on_time_rate(start=start, end=end)
    assert 0.90 <= on_time["rate"] <= 0.99, on_time
    assert stats.online_rate(start=start, end=end)["rate"] >= 0.85
    statuses = Counter(demo.values_list("status", flat=True))
    for status in (DossierStatus.RETURNED, DossierStatus.DONE, DossierStatus.PROCESSING,
                   DossierStatus.REFUSED):
        assert statuses[status] > 0, statuses
    assert statuses[DossierStatus.RETURNED] > DOSSIERS_PER_SCALE / 2
    assert demo.exclude(rating=None).count() > 100
    assert demo.filter(supplement_count__gt=0).exists()
    assert DossierFile.objects.filter(kind="result").count() > 300
    # Several commune committees and city departments, all of them offering the procedure.
    kinds = Counter(demo.values_list("agency__kind", flat=True))
    assert kinds["commune"] > kinds["department"] > 0
    assert demo.values("agency").distinct().count() >= 15
    for procedure_id, agency_id in demo.values_list("procedure", "agency").distinct():
        assert Procedure.objects.filter(pk=procedure_id, agencies=agency_id).exists()


def test_received_in_working_hours_with_calendar_deadlines(seeded):
    for dossier in Dossier.objects.select_related("procedure")[:200]:
        received = dossier.received_at
        assert working_time_between(received - timedelta(minutes=1), received) > timedelta(0)
        if dossier.paused_at:
            continue  # the shift comes when the pause ends
        pauses = _paused(dossier)
        legal = dossier.procedure.time_amount * (
            8 if dossier.procedure.time_unit == "working_days" else 1
        )
        expected = add_working_hours(received, legal + Decimal(pauses / timedelta(hours=1)))
        assert dossier.original_due_at == expected, dossier.code


def _paused(dossier) -> timedelta:
    paused, total = None, timedelta(0)
    for event in dossier.events.order_by("at", "id"):
        if event.action in ("request_supplement", "request_fee"):
            paused = event.at
        elif event.to_status in RESUMED and paused is not None:
            total += working_time_between(paused, event.at)
            paused = None
    return total


def test_codes_unique_valid_and_counters_consistent(seeded):
    codes = list(Dossier.objects.values_list("code", "agency__code", "received_at"))
    assert len({code for code, _a, _r in codes}) == len(codes)
    last = defaultdict(int)
    for code, agency_code, received in codes:
        assert dossier_code_valid(code), code
        match = DOSSIER_CODE_RE.match(code)
        assert match["agency"] == agency_code
        assert match["day"] == f"{local_day(received):%y%m%d}"
        key = (agency_code, local_day(received))
        last[key] = max(last[key], int(match["seq"]))
    counters = {(c.agency.code, c.day): c.last
                for c in DossierCounter.objects.select_related("agency")}
    assert counters == last
    # Per agency and day the numbers are 1..n without gaps, in order of receipt.
    by_key = defaultdict(list)
    for code, agency_code, received in sorted(codes, key=lambda c: c[2]):
        by_key[(agency_code, local_day(received))].append(int(code.rsplit("-", 1)[1]))
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_key.values())


def test_a_real_submission_after_seeding_continues_the_sequence(seeded, monkeypatch):
    today = local_day(NOW)
    counter = (DossierCounter.objects.filter(day=today, agency__kind="commune")
               .select_related("agency").order_by("-last").first())
    assert counter is not None and counter.last >= 1
    procedure = Procedure.objects.filter(agencies=counter.agency, level="toan_trinh").first()
    citizen = User.objects.get(username="0900000001")
    Clock(monkeypatch, NOW + timedelta(minutes=5))
    draft = actions.dossier_draft_save(
        applicant=citizen, procedure=procedure, agency=counter.agency,
        form_data=Dossier.objects.filter(procedure=procedure).first().form_data,
    )
    submitted = actions.dossier_submit(dossier=draft, submit_key="real-1")
    assert submitted.code == f"{counter.agency.code}-{today:%y%m%d}-{counter.last + 1:04d}"


def test_histories_follow_the_workflow(seeded):
    events = defaultdict(list)
    for event in DossierEvent.objects.order_by("dossier", "at", "id"):
        events[event.dossier_id].append(event)
    checked = 0
    for dossier in Dossier.objects.all():
        history = events[dossier.pk]
        assert len(history) == dossier.version - 1
        first = history[0]
        expected_first = "submit" if dossier.channel == Channel.ONLINE else "register"
        assert (first.action, first.from_status, first.at) == (
            expected_first, DossierStatus.DRAFT, dossier.received_at,
        )
        status = DossierStatus.DRAFT
        for event in history:
            transition = TRANSITIONS[event.action]
            assert event.from_status == status and status in transition.sources, event
            assert event.to_status == (transition.target or status)
            status = event.to_status
        assert status == dossier.status
        assert dossier.supplement_count == sum(e.action == "request_supplement" for e in history)
        if dossier.status in FINISHED_STATUSES:
            assert dossier.finished_at == next(
                e.at for e in history if e.to_status in FINISHED_STATUSES
            )
        checked += 1
    assert checked == DOSSIERS_PER_SCALE


def test_demo_forms_pass_the_form_check(seeded):
    for dossier in Dossier.objects.select_related("procedure")[:60]:
        actions.form_validate(dossier.procedure.form_schema, dossier.form_data)


def test_sql_classification_equals_classify_on_the_demo_month(seeded):
    for as_of in (NOW, NOW - timedelta(days=10)):
        in_sql = dict(
            Dossier.objects.annotate(judged=stats.classification_expression(as_of))
            .values_list("pk", "judged")
        )
        assert in_sql == {d.pk: classify(dossier=d, as_of=as_of) for d in Dossier.objects.all()}


def test_idempotent_and_tops_up_to_a_larger_scale(seeded):
    first = Dossier.objects.count(), DossierEvent.objects.count()
    assert "none added" in demo_dossiers_seed(1, now=NOW)
    assert (Dossier.objects.count(), DossierEvent.objects.count()) == first
    demo_dossiers_seed(2, now=NOW + timedelta(hours=1))
    assert Dossier.objects.count() == 2 * DOSSIERS_PER_SCALE
    assert len(set(Dossier.objects.values_list("code", flat=True))) == 2 * DOSSIERS_PER_SCALE


def test_seed_command_twice(db):
    call_command("seed", "--demo", stdout=io.StringIO())
    count = Dossier.objects.filter(is_demo=True).count()
    assert count == DOSSIERS_PER_SCALE
    out = io.StringIO()
    call_command("seed", "--demo", stdout=out)
    assert Dossier.objects.count() == count and "none added" in out.getvalue()


def test_work_axis_agrees_with_the_calendar(reference):
    # Tết 2026 and a make-up Saturday are inside the span.
    axis = WorkAxis(at(2026, 2, 1).date(), at(2026, 5, 31).date())
    rng = random.Random(7)
    moments = [axis.moment(rng.randrange(1, 40 * axis.day)) for _ in range(150)]
    moments += [at(2026, 2, 13, 17), at(2026, 2, 13, 11, 30), at(2026, 2, 14, 10)]
    for start in moments:
        seconds = rng.choice([rng.randrange(1, 3 * axis.day), 8 * 3600, 4 * 3600, 5 * axis.day])
        moved = axis.moment(axis.offset(start) + seconds)
        assert moved == add_working_hours(start, Decimal(seconds) / 3600), start
        assert axis.offset(moved) - axis.offset(start) == (
            working_time_between(start, moved).total_seconds()
        )
