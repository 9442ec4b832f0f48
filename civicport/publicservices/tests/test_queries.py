"""Reads for the officer pages: who sees what (liên thông included), the inbox order and
filters, search, counts, the query plan and query count of the first page, the timeline."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.utils import translation

from civicport.core.calendar import working_time_between
from civicport.core.models import Role, User
from civicport.core.tests import factories as core
from civicport.publicservices import actions as A
from civicport.publicservices import deadlines
from civicport.publicservices import queries as Q
from civicport.publicservices.models import Dossier, DossierStatus
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import Clock, at

pytestmark = pytest.mark.usefixtures("calendar")

S = DossierStatus
NOW = at(2026, 3, 10, 9)  # a Tuesday, no holiday near


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def fresh(user) -> User:
    """The user as a new request sees it (no cached agency ids)."""
    return User.objects.get(pk=user.pk)


# --- scope ------------------------------------------------------------------------------------


@pytest.fixture
def two_agencies(db):
    desk_agency, other = f.agency(name="Ủy ban phường A"), f.agency(name="Sở B")
    procedure = f.procedure(agency=desk_agency)
    return desk_agency, other, procedure, f.team(desk_agency), f.team(other)


def test_officers_see_dossiers_held_by_their_agencies_and_no_drafts(two_agencies):
    desk_agency, other, procedure, desk, far = two_agencies
    mine = f.dossier(procedure=procedure, status=S.PROCESSING)
    f.dossier(procedure=procedure, status=S.DRAFT)
    theirs = f.dossier(agency=other, status=S.NEW)
    assert pks(Q.officer_scope(desk.processor)) == {mine.pk}
    assert pks(Q.officer_scope(far.receiver)) == {theirs.pk}
    citizen = f.citizen()
    assert pks(Q.officer_scope(citizen)) == set()
    admin = User.objects.create(username="admin", is_city_admin=True)
    assert pks(Q.officer_scope(admin)) == {mine.pk, theirs.pk}


def test_an_officer_of_a_parent_agency_sees_its_units(db):
    department = f.agency()
    unit = f.agency(parent=department)
    held = f.dossier(agency=unit, status=S.RECEIVED)
    boss = core.officer(agencies_roles=[(department, Role.PROCESSOR)])
    assert pks(Q.officer_scope(boss)) == {held.pk}
    assert pks(Q.officer_scope(f.team(unit).processor)) == {held.pk}


def test_the_receiving_desk_follows_its_dossier_during_lien_thong_until_it_comes_back(
    clock, two_agencies
):
    desk_agency, other, _procedure, desk, far = two_agencies
    procedure = f.procedure(agency=desk_agency, days=3, steps=[
        ("Tiếp nhận", Role.RECEIVER, 4),
        ("Thẩm định", Role.PROCESSOR, 8, other),
        ("Phê duyệt", Role.APPROVER, 4, other),
    ])
    dossier = A.dossier_register(
        officer=desk.receiver, procedure=procedure, agency=desk_agency, applicant_name="Trần B"
    )
    assert dossier.current_agency == other  # the next step belongs to the other agency

    # Held by the other agency; the desk that received it still sees it, its own processor not.
    assert dossier.pk in pks(Q.officer_scope(desk.receiver))
    assert dossier.pk in pks(Q.officer_scope(desk.receiver, part="away"))
    assert dossier.pk not in pks(Q.officer_scope(desk.receiver, part="held"))
    assert dossier.pk not in pks(Q.officer_scope(desk.processor))
    assert dossier.pk in pks(Q.officer_scope(far.processor, part="held"))
    assert Q.officer_dossier(fresh(desk.receiver), dossier.pk) == dossier
    with pytest.raises(Http404):
        Q.officer_dossier(fresh(desk.processor), dossier.pk)
    # In the inbox it is listed under "transferred", not in the desk's own work.
    assert pks(Q.officer_dossiers(desk.receiver, transferred=True)) == {dossier.pk}
    assert pks(Q.officer_dossiers(desk.receiver)) == set()
    assert pks(Q.officer_dossiers(far.processor)) == {dossier.pk}

    dossier = A.dossier_process(officer=far.processor, dossier=dossier, expected_version=2)
    dossier = A.dossier_approve(officer=far.approver, dossier=dossier, expected_version=3)
    # Back at the receiving desk for the return: the other agency no longer sees it.
    assert dossier.current_agency == desk_agency
    assert dossier.pk in pks(Q.officer_scope(desk.receiver, part="held"))
    assert dossier.pk not in pks(Q.officer_scope(desk.receiver, part="away"))
    assert dossier.pk not in pks(Q.officer_scope(far.processor))
    with pytest.raises(Http404):
        Q.officer_dossier(fresh(far.processor), dossier.pk)


def test_city_wide_viewers_see_transfers_as_away(two_agencies):
    desk_agency, other, procedure, _desk, _far = two_agencies
    away = f.dossier(procedure=procedure, status=S.PROCESSING, current_agency=other)
    f.dossier(procedure=procedure, status=S.PROCESSING)
    viewer = User.objects.create(username="ioc", is_ioc_viewer=True)
    assert pks(Q.officer_scope(viewer, part="away")) == {away.pk}
    assert Q.officer_pages_allowed(viewer)
    assert not Q.officer_pages_allowed(f.citizen())


def test_officer_dossier_is_404_outside_the_scope(two_agencies):
    _desk_agency, other, _procedure, desk, _far = two_agencies
    theirs = f.dossier(agency=other, status=S.NEW)
    with pytest.raises(Http404):
        Q.officer_dossier(desk.receiver, theirs.pk)
    with pytest.raises(Http404):
        Q.officer_dossier(desk.receiver, 999_999)


# --- order, flags and filters -------------------------------------------------------------------


@pytest.fixture
def board(clock, two_agencies):
    """Dossiers of every urgency at the desk's agency (now: Tue 10/3/2026 09:00)."""
    _desk_agency, _other, procedure, desk, _far = two_agencies
    later = NOW + timedelta(days=10)

    def make(name, status, step_due_at, due_at=later, **extra):
        return f.dossier(procedure=procedure, status=status, step_due_at=step_due_at,
                         due_at=due_at, applicant_name=name, **extra)

    rows = {
        "late_step": make("A", S.PROCESSING, NOW - timedelta(hours=2)),
        "late_appointment": make("B", S.PROCESSING, NOW + timedelta(days=3),
                                 due_at=NOW - timedelta(hours=1)),
        "today": make("C", S.RECEIVED, at(2026, 3, 10, 15)),
        "soon": make("D", S.NEW, at(2026, 3, 11, 8)),  # 6 h today + 1 h tomorrow
        "later": make("E", S.PROCESSING, NOW + timedelta(days=5)),
        "paused": make("F", S.SUPPLEMENT, NOW - timedelta(days=3), paused_at=NOW - timedelta(days=4)),
        "done": make("G", S.DONE, None, due_at=NOW - timedelta(days=10),
                     finished_at=NOW - timedelta(days=11)),
    }
    make("H", S.RETURNED, None, finished_at=NOW - timedelta(days=20))
    make("I", S.DRAFT, None, due_at=None)
    return desk, rows


def test_inbox_is_sorted_by_urgency(board):
    desk, rows = board
    listed = list(Q.officer_dossiers(desk.receiver))
    assert [d.pk for d in listed] == [rows[key].pk for key in (
        "late_step", "late_appointment", "today", "soon", "later", "done", "paused",
    )]
    flags = [deadlines.urgency(d, NOW) for d in listed]
    assert flags == ["overdue", "overdue", "due_today", "due_soon", "ok", "ok", "ok"]


def test_inbox_pages_follow_the_urgency_order(board, monkeypatch):
    desk, _rows = board
    monkeypatch.setattr(Q, "PAGE_SIZE", 3)
    listed = list(Q.officer_dossiers(desk.receiver))
    pages = [Q.inbox_page(fresh(desk.receiver), page=n, now=NOW) for n in (1, 2, 3)]
    assert [r.pk for page in pages for r in page.rows] == [d.pk for d in listed]
    assert [page.has_next for page in pages] == [True, True, False]
    assert [r.urgency for page in pages for r in page.rows] == [
        deadlines.urgency(d, NOW) for d in listed
    ]
    archive = Q.inbox_page(desk.receiver, status=S.RETURNED, now=NOW)
    assert [r.applicant_name for r in archive.rows] == ["H"]


def test_urgency_filters_match_the_flags_of_deadlines_urgency(board):
    desk, rows = board
    everything = list(Q.officer_dossiers(desk.receiver))
    for flag in Q.URGENCY_FILTERS:
        expected = {d.pk for d in everything if deadlines.urgency(d, NOW) == flag}
        assert pks(Q.officer_dossiers(desk.receiver, urgency=flag)) == expected
    assert pks(Q.officer_dossiers(desk.receiver, urgency="overdue")) == {
        rows["late_step"].pk, rows["late_appointment"].pk
    }


def test_status_filter_and_archive(board):
    desk, rows = board
    assert pks(Q.officer_dossiers(desk.receiver, status=S.DONE)) == {rows["done"].pk}
    archived = list(Q.officer_dossiers(desk.receiver, status=S.RETURNED))
    assert [d.applicant_name for d in archived] == ["H"]
    with pytest.raises(ValueError):
        Q.officer_dossiers(desk.receiver, status=S.DRAFT)
    with pytest.raises(ValueError):
        Q.officer_dossiers(desk.receiver, urgency="someday")


def test_archive_lists_newest_first(two_agencies):
    _desk_agency, _other, procedure, desk, _far = two_agencies
    first, second = (f.dossier(procedure=procedure, status=S.RETURNED) for _ in range(2))
    listed = [d.pk for d in Q.officer_dossiers(desk.receiver, status=S.RETURNED)]
    assert listed == [second.pk, first.pk]


def test_inbox_counts(board):
    desk, _rows = board
    counts = Q.inbox_counts(desk.receiver)
    assert counts == {
        "new": 1, "received": 1, "processing": 3, "supplement": 1, "waiting_fee": 0, "done": 1,
        "overdue": 2, "due_today": 1, "total": 7,
    }


def test_agency_filter(two_agencies):
    desk_agency, other, procedure, _desk, _far = two_agencies
    boss = core.officer(agencies_roles=[(desk_agency, Role.PROCESSOR), (other, Role.PROCESSOR)])
    mine = f.dossier(procedure=procedure, status=S.PROCESSING)
    theirs = f.dossier(agency=other, status=S.PROCESSING)
    assert pks(Q.officer_dossiers(boss)) == {mine.pk, theirs.pk}
    assert pks(Q.officer_dossiers(boss, agency_id=other.pk)) == {theirs.pk}
    assert [a.pk for a in Q.inbox_agencies(boss)] == sorted([desk_agency.pk, other.pk])


# --- search -------------------------------------------------------------------------------------


def test_search_by_code_prefix_any_case_including_dossiers_away(two_agencies):
    desk_agency, other, procedure, desk, _far = two_agencies
    here = f.dossier(procedure=procedure, status=S.RECEIVED, code="000.00.07.H31-260310-0001")
    away = f.dossier(procedure=procedure, status=S.PROCESSING, current_agency=other,
                     code="000.00.07.H31-260310-0002")
    f.dossier(procedure=procedure, status=S.RECEIVED, code="000.00.07.H31-260309-0001")
    f.dossier(agency=other, status=S.NEW, code="000.00.08.H31-260310-0001")
    assert pks(Q.officer_dossiers(desk.receiver, q=" 000.00.07.h31-260310")) == {here.pk, away.pk}
    assert pks(Q.officer_dossiers(desk.receiver, q="000.00.07.H31-260310-0002")) == {away.pk}
    assert pks(Q.officer_dossiers(desk.receiver, q="000.00.09")) == set()


@pytest.mark.parametrize(("query", "found"), [
    ("nguyen lan", True), ("NGUYỄN thị", True), ("lan nguyen", True), ("ngu th la", True),
    ("nguyen van", False), ("an", False),
])
def test_search_by_applicant_name_ignores_accents_and_case(two_agencies, query, found):
    _desk_agency, _other, procedure, desk, _far = two_agencies
    lan = f.dossier(procedure=procedure, status=S.NEW, applicant_name="Nguyễn Thị Lan")
    f.dossier(procedure=procedure, status=S.NEW, applicant_name="Trần Văn Bình")
    assert pks(Q.officer_dossiers(desk.receiver, q=query)) == ({lan.pk} if found else set())


def test_dossier_by_code(two_agencies):
    _desk_agency, _other, procedure, _desk, _far = two_agencies
    dossier = f.dossier(procedure=procedure, status=S.NEW, code="000.00.07.H31-260310-0001")
    assert Q.dossier_by_code(" 000.00.07.h31-260310-0001 ") == dossier
    assert Q.dossier_by_code("000.00.07.H31-260310-0009") is None
    assert Q.dossier_by_code("") is None


# --- cost of the first page ---------------------------------------------------------------------


def _fill(procedure, count):
    steps = list(procedure.steps.all())
    for n in range(count):
        f.dossier(procedure=procedure, status=S.PROCESSING, current_step=steps[n % len(steps)],
                  step_due_at=NOW + timedelta(hours=n), due_at=NOW + timedelta(days=5))


def _first_page(user):
    rows = list(Q.officer_dossiers(user)[: Q.PAGE_SIZE])
    return [(r.code, r.procedure.name, r.current_agency.name, r.agency.name,
             r.current_step.name if r.current_step else "") for r in rows]


@pytest.mark.parametrize("count", [3, 30])
def test_first_page_query_count_is_constant(clock, two_agencies, django_assert_num_queries, count):
    _desk_agency, _other, procedure, desk, _far = two_agencies
    _fill(procedure, count)
    user, again = fresh(desk.processor), fresh(desk.processor)
    working_time_between(NOW, NOW + timedelta(days=7))  # the calendar is cached per process
    # One for the officer's agencies (memberships with their sub-trees), one for the rows.
    with django_assert_num_queries(2):
        assert len(_first_page(user)) == count
    with django_assert_num_queries(2):  # the page and its counts in one statement
        page = Q.inbox_page(again)
    assert len(page.rows) == count and not page.has_next and page.counts["total"] == count


def _mixed(procedure, desk_agency, other):
    """Dossiers of every urgency and state: overdue, due today, later, no deadline, paused,
    done, finished, received by the desk but held elsewhere, and the other way round."""
    steps = list(procedure.steps.all())
    hours = [-30, -2, 3, 20, 60, None]
    for n in range(70):
        due = NOW + timedelta(hours=hours[n % 6]) if hours[n % 6] is not None else None
        status = [S.NEW, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.WAITING_FEE, S.DONE,
                  S.RETURNED][n % 7]
        f.dossier(
            procedure=procedure, status=status, current_step=steps[n % len(steps)],
            step_due_at=due, due_at=NOW + timedelta(hours=(n % 5 - 2) * 10) if n % 4 else None,
            paused_at=NOW if n % 9 == 0 else None,
            agency=other if n % 11 == 0 else desk_agency,
            current_agency=other if n % 13 == 0 else desk_agency,
        )


@pytest.mark.parametrize("filters", [
    {}, {"status": "processing"}, {"status": "done"}, {"urgency": "overdue"},
    {"urgency": "due_today"}, {"status": "new", "urgency": "overdue"}, {"agency_id": "other"},
    {"agency_id": "desk", "urgency": "overdue"},
])
def test_the_one_statement_inbox_page_lists_what_the_listing_does(clock, two_agencies, filters):
    desk_agency, other, procedure, desk, _far = two_agencies
    _mixed(procedure, desk_agency, other)
    named = {"other": other.pk, "desk": desk_agency.pk}
    filters = {k: named.get(v, v) for k, v in filters.items()}
    officer = core.officer(agencies_roles=[(desk_agency, Role.PROCESSOR), (other, Role.RECEIVER)])
    for number in (1, 2, 3):
        page = Q.inbox_page(fresh(officer), page=number, **filters)
        start = (number - 1) * Q.PAGE_SIZE
        listed = Q.officer_listing(fresh(officer), **filters)[start:start + Q.PAGE_SIZE + 1]
        assert [r.pk for r in page.rows] == [d.pk for d in listed][: Q.PAGE_SIZE]
        assert page.has_next == (len(listed) > Q.PAGE_SIZE)
        assert [r.urgency for r in page.rows] == [deadlines.urgency(d, NOW) for d in listed][
            : Q.PAGE_SIZE]
        assert page.counts == Q.inbox_counts(fresh(officer))


def test_inbox_pages(clock, two_agencies):
    _desk_agency, _other, procedure, desk, _far = two_agencies
    _fill(procedure, Q.PAGE_SIZE + 2)
    first = Q.inbox_page(desk.processor, page=1)
    second = Q.inbox_page(desk.processor, page=2)
    assert (len(first.rows), first.has_next, len(second.rows), second.has_next) == (30, True, 2, False)
    assert {d.pk for d in first.rows}.isdisjoint(d.pk for d in second.rows)
    assert [s for s, _label, _n in first.status_counts] == list(Q.INBOX_STATUSES)


def _history(procedure, count):
    """`count` dossiers at 30 agencies, as a live database has them: some in every status,
    most of them finished and returned long ago (the planner's statistics see that)."""
    agencies = [procedure.agencies.get()] + [f.agency() for _ in range(29)]
    statuses = [s for s in S if s != S.DRAFT]
    Dossier.objects.bulk_create(
        Dossier(procedure=procedure, agency=agencies[n % 30], current_agency=agencies[n % 30],
                applicant_name=f"Người {n}", channel="online",
                status=statuses[n // 30] if n // 30 < len(statuses) else S.RETURNED)
        for n in range(count)
    )


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_first_page_reads_through_the_inbox_index(clock, two_agencies):
    _desk_agency, _other, procedure, desk, _far = two_agencies
    _fill(procedure, 5)
    _history(procedure, 3000)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as a live database has statistics
        plan = _plan(Q.officer_dossiers(desk.processor)[: Q.PAGE_SIZE])
        counts = _plan(
            Q.officer_scope(desk.processor, part="held").filter(status__in=Q.INBOX_STATUSES)
        )
    # PostgreSQL also has the covering index of the work in hand (migration 0005).
    assert "dossier_inbox" in plan or "dossier_in_hand" in plan, plan
    if connection.vendor == "postgresql":
        assert "dossier_in_hand" in counts, counts


# --- timeline and notes -------------------------------------------------------------------------


@translation.override("en")
def test_timeline_names_agencies_steps_and_times(clock, two_agencies):
    desk_agency, other, procedure, desk, far = two_agencies
    dossier = A.dossier_register(
        officer=desk.receiver, procedure=procedure, agency=desk_agency, applicant_name="Lê C"
    )
    dossier = A.dossier_process(officer=desk.processor, dossier=dossier, expected_version=2)
    A.dossier_forward(officer=desk.processor, dossier=dossier, expected_version=3,
                      to_agency=other, note="Xin ý kiến Sở B")
    timeline = Q.dossier_timeline(dossier)
    assert [e.event.action for e in timeline] == ["register", "process", "forward"]
    forward = timeline[-1]
    assert forward.event.actor == desk.processor and forward.event.note == "Xin ý kiến Sở B"
    assert (forward.from_status, forward.to_status) == ("processing", "processing")
    changes = {label: (old, new) for label, old, new in forward.changes}
    assert changes["Agency"] == (desk_agency.name, other.name)
    register = timeline[0]
    assert ("Channel", "in person") in register.details
    assert ("Appointment", "—", "13/03/2026 09:00") in register.changes  # 3 working days


def test_supplement_note_round_trip():
    note = Q.supplement_note_compose("Thiếu giấy tờ", ["Bản sao CCCD", "  Giấy khai sinh ", ""])
    assert note == "Thiếu giấy tờ\n• Bản sao CCCD\n• Giấy khai sinh"
    assert Q.supplement_note_parse(note) == ("Thiếu giấy tờ", ["Bản sao CCCD", "Giấy khai sinh"])
    assert Q.supplement_note_parse("Chỉ có lý do") == ("Chỉ có lý do", [])
