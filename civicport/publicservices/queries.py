"""Reads of the dossier module, for the officer pages, the APIs and other apps.

Who sees which dossier — one rule, in `officer_scope`:

* an officer sees the dossiers HELD by their agencies (`current_agency`, sub-agencies
  included: `officer_agencies`, the rule of `core.access.agency_ids_for` in one statement);
* a receiving desk (receiver or agency administrator) also sees every dossier its agency
  RECEIVED (`agency`) while another agency holds it during liên thông. Every end of handling
  (approval, refusal, stop, withdrawal) sends the dossier back to the receiving agency, so
  the rule also covers "until it comes back": from then on the desk holds it;
* a processor or approver of the receiving agency does not follow a dossier to the other
  agency: they act only where it is held;
* city administrators and IOC viewers see everything; nobody sees a citizen's draft.

Anything outside the scope is answered with 404 (`officer_dossier`), revealing nothing.

The inbox (`officer_dossiers`), sorted by urgency: overdue first, then due today, then the
other running dossiers, then those the applicant holds (supplement, fee) and those done and
waiting at the desk; within each group by the nearest deadline (step or appointment), then
by id. The flags are exactly those of `deadlines.urgency`.

The inbox lists the dossiers HELD by the officer's agencies — the work they can act on.
Those away in liên thông are listed with `transferred=True`, and a code search covers both
(a citizen at the desk gives the code from the receipt).

Cost of the first page on a large table: the inbox is limited to the statuses of work in
hand, so an index on (current_agency, status) answers the WHERE with one range per agency:
finished dossiers — almost all of a million — are never read. On PostgreSQL that index is
`dossier_in_hand` (migration 0005), partial to the work in hand and covering the columns of
the urgency: the counts (`inbox_counts`) and the choice of the page's ids (`Listing`) are
index-only scans of the agencies' open dossiers plus a top-N sort, and only the rows shown
are read and joined. Elsewhere `dossier_inbox` (current_agency, status, step_due_at) serves.
The urgency rank and the nearer deadline are small SQL expressions (`_UrgencyRank`,
`_Deadline`), cheap for Django to compile on every request. Measured on 1,020,000 dossiers
(PostgreSQL 15, the busiest demo officer, 997 dossiers in hand): page statement 0.5 ms,
counts 0.6 ms, plus planning. The `transferred` list goes through `dossier_desk` (agency,
status, step_due_at). Pages are LIMIT/OFFSET over the bounded set, capped at `MAX_PAGE`;
the page runs no COUNT(*) of its own (the counts give the totals).

Search (`q`): a query starting with a digit is a dossier-code prefix (a range on the unique
`code` index); anything else matches the applicant's name folded (diacritics and case
ignored), every query word being the start of a word of the name, among at most
`NAME_SEARCH_CANDIDATES` dossiers of the filtered scope, most urgent first. Dossiers are not
in `core.search`'s index (the actions do not write it), so the name is folded here, over a
candidate set bounded by the index range above.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateTimeField, F, Func, IntegerField, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicport.core import prepared
from civicport.core.access import note_memberships, sees_everything
from civicport.core.models import Agency, Membership, Role, User, Ward
from civicport.core.text import words
from civicport.publicservices import deadlines, inbox_sql, notices
from civicport.publicservices.inbox_sql import RANK_DUE_TODAY, RANK_OVERDUE
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierStatus,
    FileKind,
    Procedure,
    ProcedureStep,
    RequiredDocument,
    ResultDelivery,
)

# Statistics live in stats.py; other apps (the IOC) read them through this module.
from civicport.publicservices.stats import (
    dossier_counts,
    indicators_766,
    mean_processing_days,
    on_time_rate,
    online_rate,
    period_parse,
    satisfaction,
    score_766,
)
from civicport.publicservices.workflow import (
    ACTION_LABELS,
    OPEN_STATUSES,
    actions_allowed,
    may_act,
    status_label,
)

__all__ = [
    "INBOX_STATUSES",
    "dossier_counts",
    "indicators_766",
    "mean_processing_days",
    "on_time_rate",
    "online_rate",
    "period_parse",
    "satisfaction",
    "score_766",
    "URGENCY_FILTERS",
    "Desk",
    "Inbox",
    "InboxRow",
    "Listing",
    "OfficerAgencies",
    "TimelineEntry",
    "desk_agencies",
    "dossier_by_code",
    "dossier_desk",
    "dossier_file",
    "dossier_notice_pdf",
    "dossier_timeline",
    "form_data_display",
    "inbox_agencies",
    "inbox_agency_choices",
    "inbox_counts",
    "inbox_page",
    "notices_available",
    "officer_actions",
    "officer_agencies",
    "officer_dossier",
    "officer_dossiers",
    "officer_listing",
    "officer_pages_allowed",
    "officer_scope",
    "province_wards",
    "registration_agencies",
    "registration_procedure",
    "registration_procedures",
    "supplement_note_compose",
    "supplement_note_parse",
]

S = DossierStatus

# Work in hand: the open statuses and "done", which waits at the desk for the return.
INBOX_STATUSES = (S.NEW, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.WAITING_FEE, S.DONE)
# Handling has ended for good: listed newest first, not by urgency.
ARCHIVE_STATUSES = (S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RETURNED)
LISTED_STATUSES = INBOX_STATUSES + ARCHIVE_STATUSES
URGENCY_FILTERS = (deadlines.URGENCY_OVERDUE, deadlines.URGENCY_DUE_TODAY)
# Roles that make an officer the receiving desk of their agency.
DESK_ROLES = [Role.RECEIVER, Role.AGENCY_ADMIN]
# Officer actions shown on the desk; citizen-only ones (draft, submit, rate) never are, and
# registration has its own page.
DESK_ACTIONS = (
    "receive", "refuse", "process", "forward", "request_supplement", "supply", "request_fee",
    "pay_fee", "approve", "stop", "withdraw", "return", "apologize",
)
PAGE_SIZE = 30
MAX_PAGE = 100
NAME_SEARCH_CANDIDATES = 5000
# Mẫu 02: the documents asked for follow the reason in the event's note, one per line.
SUPPLEMENT_ITEM = "• "

_ROW_RELATED = ("procedure", "agency", "current_agency", "current_step")


# --- scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerAgencies:
    """The agencies an officer works in: `ids` — every agency of the sub-trees of their
    memberships (what they see, as `core.access.agency_ids_for`); `desk_ids` — those where
    they are the receiving desk (`DESK_ROLES`); `active` — (id, path, short name or name) of
    the active ones, by path, for the inbox's agency filter."""

    ids: frozenset[int] = frozenset()
    desk_ids: frozenset[int] = frozenset()
    active: tuple[tuple[int, str, str], ...] = ()


_NO_AGENCIES = OfficerAgencies()
_AGENCIES_CACHE = "_civicport_officer_agencies"


def officer_agencies(user) -> OfficerAgencies:
    """The officer's agencies in one statement, kept on the user object (so once per
    request): the rule of `core.access.agency_ids_for` — a membership covers its agency's
    sub-tree (a path prefix) — for all roles and the desk roles at once, with the names the
    inbox filter shows. Every officer page and the JSON inbox ask for it on each request."""
    if not (user and user.is_authenticated and user.is_active):
        return _NO_AGENCIES
    cached = getattr(user, _AGENCIES_CACHE, None)
    if cached is not None:
        return cached
    quote = connection.ops.quote_name
    agency, membership = quote(Agency._meta.db_table), quote(Membership._meta.db_table)
    sql = (
        f"SELECT a.id, a.path, a.short_name, a.name, a.is_active, m.role FROM {membership} m "
        f"JOIN {agency} own ON own.id = m.agency_id "
        f"JOIN {agency} a ON substr(a.path, 1, length(own.path)) = own.path "
        "WHERE m.user_id = %s"
    )
    rows = prepared.fetch_all(sql, [user.pk])
    note_memberships(user, bool(rows))  # every membership finds at least its own agency
    desk_roles = set(DESK_ROLES)
    active = {pk: (pk, path, short or name) for pk, path, short, name, is_active, _r in rows
              if is_active}
    found = OfficerAgencies(
        ids=frozenset(row[0] for row in rows),
        desk_ids=frozenset(row[0] for row in rows if row[5] in desk_roles),
        active=tuple(sorted(active.values(), key=lambda item: item[1])),
    )
    setattr(user, _AGENCIES_CACHE, found)
    return found


def officer_pages_allowed(user) -> bool:
    """Whether `user` may open the officer pages: an officer of some agency, or a viewer of
    everything (city administrators, IOC viewers)."""
    return sees_everything(user) or bool(officer_agencies(user).ids)


def officer_scope(user, *, part: str = "all") -> QuerySet:
    """The dossiers `user` may see as an officer (the rule in the module docstring).

    `part`: "held" — held by the officer's agencies; "away" — received by the officer's desk
    and held now by an agency outside the officer's (liên thông, until it comes back); "all"
    — both, what the officer may open. For a city-wide viewer "held" is everything and
    "away" every dossier held by another agency than the one that received it."""
    if part not in ("all", "held", "away"):
        raise ValueError(f"unknown scope part {part!r}")
    dossiers = Dossier.objects.exclude(status=S.DRAFT)
    if sees_everything(user):
        return dossiers.exclude(current_agency_id=F("agency_id")) if part == "away" else dossiers
    agencies = officer_agencies(user)
    held = (
        dossiers.filter(current_agency_id__in=agencies.ids) if agencies.ids else dossiers.none()
    )
    if part == "held":
        return held
    desks = agencies.desk_ids
    away = dossiers.filter(agency_id__in=desks).exclude(current_agency_id__in=agencies.ids)
    if part == "away":
        return away if desks else dossiers.none()
    return held | away if desks else held


def officer_dossier(user, pk) -> Dossier:
    """One dossier of the officer's scope, with what the desk shows; Http404 otherwise."""
    dossier = (
        officer_scope(user)
        .select_related(*_ROW_RELATED, "applicant_ward", "applicant")
        .filter(pk=pk)
        .first()
    )
    if dossier is None:
        raise Http404("No dossier found.")
    return dossier


def dossier_by_code(code: str) -> Dossier | None:
    """The dossier with this official code (any case, spaces trimmed), NOT scoped: callers
    check access (or show only what the public tracking page may show)."""
    text = (code or "").strip().upper()
    if not text:
        return None
    return Dossier.objects.select_related(*_ROW_RELATED).filter(code=text).first()


# --- the inbox --------------------------------------------------------------------------------


def _tomorrow(now: datetime) -> datetime:
    """Start of the next local day: what is due before it, and not overdue, is due today."""
    day = deadlines.local_day(now) + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


_URGENCY_RANKS = {deadlines.URGENCY_OVERDUE: RANK_OVERDUE, deadlines.URGENCY_DUE_TODAY: RANK_DUE_TODAY}


class _Deadline(Func):
    """The nearer of the two deadlines (step, appointment), NULL only without either."""

    output_field = DateTimeField()

    def __init__(self):
        super().__init__(F("step_due_at"), F("due_at"))

    def as_sql(self, compiler, connection, **extra_context):
        step, due = (compiler.compile(e)[0] for e in self.get_source_expressions())
        return inbox_sql.deadline_sql(step, due), []


class _UrgencyRank(Func):
    """0 overdue, 1 due today, 2 other running, 3 paused or done (only a running clock — open
    and not paused — can be late). Written as one CASE over plain columns rather than with
    Case/When and Q objects: Django took milliseconds to compile those on every inbox
    request (twice: counts and rows); this costs almost nothing to build."""

    output_field = IntegerField()

    def __init__(self, now: datetime):
        super().__init__(F("status"), F("paused_at"), _Deadline())
        self.now = now

    def as_sql(self, compiler, connection, **extra_context):
        status, paused, deadline = (compiler.compile(e)[0] for e in self.get_source_expressions())
        opened = sorted(str(s) for s in OPEN_STATUSES)
        sql = inbox_sql.rank_sql(status, paused, deadline, ", ".join(["%s"] * len(opened)))
        adapt = connection.ops.adapt_datetimefield_value  # SQLite compares UTC text
        return sql, [*opened, adapt(self.now), adapt(_tomorrow(self.now))]


def _by_urgency(dossiers: QuerySet, now: datetime) -> QuerySet:
    """Overdue, due today, other running, then paused or done; nearest deadline first."""
    return dossiers.alias(urgency_rank=_UrgencyRank(now), deadline=_Deadline()).order_by(
        "urgency_rank", F("deadline").asc(nulls_last=True), "pk"
    )


def _listing_order(dossiers: QuerySet, status: str | None, now: datetime) -> QuerySet:
    """Finished statuses newest first, the rest by urgency (see `officer_dossiers`)."""
    if status in ARCHIVE_STATUSES:
        return dossiers.order_by(*_newest_first())
    return _by_urgency(dossiers, now)


def _code_prefix(prefix: str) -> Q:
    """Codes starting with `prefix`, answerable from the unique index on `code`.

    PostgreSQL: Django adds a pattern-ops index for LIKE 'prefix%'. SQLite's LIKE ignores
    case, so it cannot use the index; a range can (SQLite compares bytes). The range is not
    used on PostgreSQL: under a language collation punctuation is ignored at first and
    "…H31-" < "…H31-260213-0001" < "…H31." does not hold."""
    condition = Q(code__startswith=prefix)
    if connection.vendor == "sqlite":
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        condition &= Q(code__gte=prefix, code__lt=upper)
    return condition


def _newest_first() -> tuple[str, ...]:
    """Finished dossiers newest first (by id). They have no step deadline, so both spellings
    give the same order; each lets its database read the first page from an index (measured
    on a million dossiers): PostgreSQL walks the primary key backwards, SQLite walks
    dossier_inbox (current_agency, status, step_due_at, rowid) backwards."""
    if connection.vendor == "sqlite":
        return ("-step_due_at", "-pk")
    return ("-pk",)


def _name_matches(name: str, query_words: list[str]) -> bool:
    name_words = words(name)
    return all(any(w.startswith(q) for w in name_words) for q in query_words)


def officer_dossiers(
    user,
    *,
    status: str | None = None,
    q: str = "",
    urgency: str | None = None,
    agency_id: int | None = None,
    transferred: bool = False,
    now: datetime | None = None,
) -> QuerySet:
    """The officer's inbox, sorted by urgency (see the module docstring).

    By default the dossiers held by the officer's agencies; `transferred`: those the
    officer's desk received that another agency holds now (liên thông). A code prefix in `q`
    searches both. `status`: one status (drafts are never listed); by default the work in
    hand (`INBOX_STATUSES`); finished statuses are listed newest first (by id). `urgency`: "overdue"
    or "due_today". `agency_id`: dossiers held or received by that agency. `q`: a code
    prefix, or words of the applicant's name (accents optional). Raises ValueError for a
    status or urgency not listed above.
    """
    now = now or timezone.now()
    if status and status not in LISTED_STATUSES:
        raise ValueError(f"not a listed dossier status: {status!r}")
    if urgency and urgency not in URGENCY_FILTERS:
        raise ValueError(f"not an urgency filter: {urgency!r}")
    text = " ".join((q or "").split())[:100]
    by_code = text[:1].isdigit()
    part = "away" if transferred else "all" if by_code else "held"
    dossiers = officer_scope(user, part=part).filter(
        status__in=[status] if status else INBOX_STATUSES
    )
    if by_code:
        # A subquery, so the unique index on `code` drives the search on SQLite too (its
        # planner prefers the scope's indexes when the range sits in the same WHERE).
        dossiers = dossiers.filter(
            pk__in=Dossier.objects.filter(_code_prefix(text.upper())).values("pk")
        )
    if agency_id is not None:
        dossiers = dossiers.filter(Q(current_agency_id=agency_id) | Q(agency_id=agency_id))
    dossiers = _listing_order(dossiers, status, now)
    if urgency:  # finished dossiers are never late
        dossiers = (
            dossiers.none() if status in ARCHIVE_STATUSES
            else dossiers.filter(urgency_rank=_URGENCY_RANKS[urgency])
        )
    query_words = [] if by_code else words(text)
    if query_words:
        candidates = dossiers.values_list("pk", "applicant_name")[:NAME_SEARCH_CANDIDATES]
        dossiers = dossiers.filter(
            pk__in=[pk for pk, name in candidates if _name_matches(name, query_words)]
        )
    return dossiers.select_related(*_ROW_RELATED)


@dataclass(frozen=True)
class Listing:
    """`officer_dossiers` read one page at a time in two steps: the page's ids (on
    PostgreSQL from the index alone, `dossier_in_hand`), then only those rows — so a page
    costs the rows it shows, not a heap read of the agency's whole work in hand. Sliced and
    counted like a QuerySet (ninja's PageNumberPagination does both)."""

    dossiers: QuerySet
    status: str | None
    now: datetime
    related: tuple[str, ...] = ()

    def page(self, start: int, stop: int) -> QuerySet:
        ids = self.dossiers.values("pk")[start:stop]
        rows = Dossier.objects.filter(pk__in=ids).select_related(*self.related)
        return _listing_order(rows, self.status, self.now)

    def __getitem__(self, key: slice) -> list[Dossier]:
        return list(self.page(key.start or 0, key.stop))

    def select_related(self, *fields: str) -> Listing:
        return replace(self, related=fields)

    def all(self) -> Listing:
        return self

    def count(self) -> int:
        return self.dossiers.count()


def officer_listing(user, *, now: datetime | None = None, **filters) -> Listing:
    """`officer_dossiers(user, **filters)` as a `Listing` (same rows, same order)."""
    now = now or timezone.now()
    return Listing(officer_dossiers(user, now=now, **filters), filters.get("status"), now)


def inbox_counts(user, *, now: datetime | None = None) -> dict[str, int]:
    """Counts of the work in hand at the officer's agencies, in one query: per status of
    `INBOX_STATUSES`, `overdue`, `due_today` and `total`. (Dossiers away in liên thông are
    not counted: on a large table that count is the expensive part, see the docstring.)"""
    now = now or timezone.now()
    groups = (
        officer_scope(user, part="held").filter(status__in=INBOX_STATUSES)
        .annotate(urgency_rank=_UrgencyRank(now))
        .values_list("status", "urgency_rank").annotate(n=Count("*")).order_by()
    )
    return _counts(groups)


def _counts(groups) -> dict[str, int]:
    """`inbox_counts` from (status, urgency rank, number of dossiers) groups."""
    counts = dict.fromkeys([*(str(s) for s in INBOX_STATUSES), "overdue", "due_today"], 0)
    flags = {RANK_OVERDUE: "overdue", RANK_DUE_TODAY: "due_today"}
    for status, rank, n in groups:
        counts[status] += n
        if rank in flags:
            counts[flags[rank]] += n
    counts["total"] = sum(counts[str(s)] for s in INBOX_STATUSES)
    return counts


def inbox_agencies(user) -> QuerySet:
    """Agencies the inbox can be filtered by: the officer's (all, for a city-wide viewer)."""
    agencies = Agency.objects.filter(is_active=True).order_by("path")
    if sees_everything(user):
        return agencies
    return agencies.filter(pk__in=officer_agencies(user).ids)


def inbox_agency_choices(user) -> list[tuple[int, str]]:
    """(id, short name or name) of `inbox_agencies`, from `officer_agencies` for an officer
    (no query of its own)."""
    if sees_everything(user):
        return [(a.pk, a.short_name or a.name) for a in inbox_agencies(user).only(
            "pk", "short_name", "name"
        )]
    return [(pk, label) for pk, _path, label in officer_agencies(user).active]


@dataclass
class InboxRow:
    """One dossier as an inbox row shows it: read as plain values (no model instances)."""

    pk: int
    code: str | None
    status: str
    applicant_name: str
    agency_id: int
    current_agency_id: int
    step_due_at: datetime | None
    due_at: datetime | None
    paused_at: datetime | None
    procedure_name: str
    agency_label: str  # short name, else name
    current_agency_label: str
    step_name: str | None
    urgency: str = deadlines.URGENCY_OK

    @property
    def id(self) -> int:
        return self.pk

    @property
    def transferred(self) -> bool:
        return self.current_agency_id != self.agency_id


@dataclass
class Inbox:
    """One page of the inbox and what the page shows around it."""

    rows: list[InboxRow]
    page: int
    has_next: bool
    counts: dict[str, int]
    now: datetime

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        """(status, label, count) of the work in hand, in the order of the workflow."""
        return [(str(s), s.label, self.counts[str(s)]) for s in INBOX_STATUSES]


# What an inbox row shows (and `deadlines.urgency` reads), in the order of InboxRow.
_INBOX_ROW_VALUES = (
    "pk", "code", "status", "applicant_name", "agency_id", "current_agency_id", "step_due_at",
    "due_at", "paused_at", "procedure__name", "agency__short_name", "agency__name",
    "current_agency__short_name", "current_agency__name", "current_step__name",
)


def _inbox_row(values: tuple, now: datetime) -> InboxRow:
    *head, procedure, agency_short, agency, held_short, held, step = values
    row = InboxRow(*head, procedure, agency_short or agency, held_short or held, step)
    row.urgency = deadlines.urgency(row, now)
    return row


def inbox_page(user, *, page: int = 1, now: datetime | None = None, **filters) -> Inbox:
    """A page of `officer_dossiers(user, **filters)` (PAGE_SIZE rows; one more is read to
    know whether another page follows), each row with its `urgency` flag, and the counts."""
    now = now or timezone.now()
    page = min(max(int(page), 1), MAX_PAGE)
    start = (page - 1) * PAGE_SIZE
    agencies = _work_in_hand_agencies(user, filters)
    if agencies:
        status, urgency = filters.get("status"), filters.get("urgency")
        values, groups = inbox_sql.inbox_rows(
            agency_ids=agencies, now=now, tomorrow=_tomorrow(now), in_hand=INBOX_STATUSES,
            opened=OPEN_STATUSES,
            status=str(status) if status else None,
            rank=_URGENCY_RANKS[urgency] if urgency else None,
            agency_id=filters.get("agency_id"), offset=start, limit=PAGE_SIZE + 1,
        )
        counts = _counts(groups)
    else:
        listed = officer_listing(user, now=now, **filters).page(start, start + PAGE_SIZE + 1)
        values, counts = listed.values_list(*_INBOX_ROW_VALUES), inbox_counts(user, now=now)
    rows = [_inbox_row(row, now) for row in values]
    return Inbox(
        rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE, counts=counts,
        now=now,
    )


def _work_in_hand_agencies(user, filters: dict) -> frozenset[int]:
    """The officer's agencies when the page asked for lists only work in hand held there
    (no search, no liên thông list, no finished status): what `inbox_sql` answers in one
    statement. Empty otherwise (and for a city-wide viewer): the general listing serves."""
    status, urgency = filters.get("status"), filters.get("urgency")
    plain = (
        not filters.get("transferred") and not (filters.get("q") or "").split()
        and (not status or status in INBOX_STATUSES)
        and (not urgency or urgency in URGENCY_FILTERS)
    )
    if not plain or sees_everything(user):
        return frozenset()
    return officer_agencies(user).ids


# --- one dossier: files, timeline, form, notices ------------------------------------------------


def dossier_file(user, dossier_pk, file_pk) -> DossierFile:
    """A file of a dossier of the officer's scope; Http404 otherwise (also for a file of
    another dossier)."""
    row = (
        DossierFile.objects.filter(pk=file_pk, dossier__in=officer_scope(user).filter(pk=dossier_pk))
        .first()
    )
    if row is None:
        raise Http404("No file found.")
    return row


@dataclass
class TimelineEntry:
    """One event as the desk shows it, with its recorded changes made readable."""

    event: DossierEvent
    action: str
    from_status: str
    to_status: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)


_CHANGE_LABELS = {
    "agency": lambda: _("Agency"),
    "step": lambda: _("Step"),
    "due_at": lambda: _("Appointment"),
    "rating": lambda: _("Rating"),
}
_DETAIL_LABELS = {
    "channel": (lambda: _("Channel"), Channel),
    "delivery": (lambda: _("Result delivery"), ResultDelivery),
}


def _local_text(value) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return "" if value is None else str(value)
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _choice_text(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def dossier_timeline(dossier: Dossier) -> list[TimelineEntry]:
    """Every event of the dossier, oldest first, with actor, agency, note and the changes it
    recorded (agencies and steps by name, times in local time). At most three queries."""
    events = list(
        DossierEvent.objects.filter(dossier=dossier)
        .select_related("actor", "agency")
        .order_by("at", "pk")
    )
    agency_ids, step_ids = set(), set()
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        agency_ids.update(v for v in data.get("agency") or [] if isinstance(v, int))
        step_ids.update(v for v in data.get("step") or [] if isinstance(v, int))
    names = {
        "agency": dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
        if agency_ids else {},
        "step": dict(ProcedureStep.objects.filter(pk__in=step_ids).values_list("pk", "name"))
        if step_ids else {},
    }
    return [_timeline_entry(event, names) for event in events]


def _timeline_entry(event: DossierEvent, names: dict) -> TimelineEntry:
    entry = TimelineEntry(
        event=event,
        action=str(ACTION_LABELS.get(event.action, event.action)),
        from_status=status_label(event.from_status) if event.from_status else "",
        to_status=status_label(event.to_status) if event.to_status else "",
    )
    data = event.data if isinstance(event.data, dict) else {}
    for key, value in data.items():
        if key in _CHANGE_LABELS and isinstance(value, list) and len(value) == 2:
            lookup = names.get(key)
            old, new = (
                (lookup.get(v, "") if lookup is not None else _local_text(v)) for v in value
            )
            entry.changes.append((_CHANGE_LABELS[key](), old or "—", new or "—"))
        elif key in _DETAIL_LABELS:
            label, choices = _DETAIL_LABELS[key]
            entry.details.append((label(), _choice_text(choices, value)))
        elif key == "online":
            entry.details.append((_("Paid online"), _("yes") if value else _("no")))
        else:
            entry.details.append((key, str(value)))
    return entry


def form_data_display(dossier: Dossier) -> list[tuple[str, str]]:
    """(label, value) of the applicant's form data in the order of the procedure's form;
    values the form no longer describes follow under their keys."""
    data = dossier.form_data if isinstance(dossier.form_data, dict) else {}
    schema = [i for i in dossier.procedure.form_schema or [] if isinstance(i, dict) and i.get("key")]
    ward_codes = {
        data[i["key"]].get("ward")
        for i in schema
        if i.get("type") == "address" and isinstance(data.get(i["key"]), dict)
    }
    wards = dict(Ward.objects.filter(code__in=ward_codes).values_list("code", "name")) if (
        ward_codes
    ) else {}
    rows = []
    for item in schema:
        value = data.get(item["key"])
        if value in (None, "", {}, []):
            continue
        rows.append((item.get("label") or item["key"], _form_value(item, value, wards)))
    known = {item["key"] for item in schema}
    rows += [(key, str(value)) for key, value in data.items() if key not in known]
    return rows


def _form_value(item: dict, value, wards: dict) -> str:
    kind = item.get("type")
    if kind == "address" and isinstance(value, dict):
        return ", ".join(p for p in (value.get("line"), wards.get(value.get("ward"))) if p)
    if kind == "date" and isinstance(value, str) and len(value) == 10:
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    if kind == "choice":
        for choice in item.get("choices") or []:
            if isinstance(choice, dict) and str(choice.get("value")) == str(value):
                return str(choice.get("label") or value)
    return str(value)


def supplement_note_compose(reason: str, documents) -> str:
    """The note of a supplement request: the reason, then one line per document asked for
    (the applicant's SMS and e-mail carry the note, so they learn what to bring)."""
    items = [" ".join(str(d).split()) for d in documents or []]
    lines = [(reason or "").strip(), *(SUPPLEMENT_ITEM + d for d in items if d)]
    return "\n".join(line for line in lines if line)


def supplement_note_parse(note: str) -> tuple[str, list[str]]:
    """(reason, documents) of a note written by `supplement_note_compose`."""
    lines = (note or "").splitlines()
    documents = []
    while lines and lines[-1].startswith(SUPPLEMENT_ITEM):
        documents.insert(0, lines.pop()[len(SUPPLEMENT_ITEM):])
    return "\n".join(lines).strip(), documents


# The event each notice is made from (its latest one counts).
_NOTICE_ACTIONS = {
    "01": ("register", "receive"),
    "02": ("request_supplement",),
    "03": ("refuse",),
    "04": ("apologize",),
}


def notices_available(dossier: Dossier, events: list[DossierEvent]) -> list[str]:
    """The notice forms (01–04) this dossier has an event for (a receipt needs a code)."""
    done = {event.action for event in events}
    return [
        form for form, made_from in _NOTICE_ACTIONS.items()
        if done.intersection(made_from) and (form != "01" or dossier.code)
    ]


def dossier_notice_pdf(dossier: Dossier, form: str, *, base_url: str) -> bytes | None:
    """The notice `form` ("01"–"04") of the dossier as a PDF, from the data of its latest
    event (receipt, supplement request, refusal, apology: when, by whom, why); None if the
    dossier has no such event."""
    if form not in _NOTICE_ACTIONS or (form == "01" and not dossier.code):
        return None
    event = (
        DossierEvent.objects.filter(dossier=dossier, action__in=_NOTICE_ACTIONS[form])
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return None
    if form == "01":
        return notices.receipt_pdf(dossier, base_url=base_url, now=event.at, officer=event.actor)
    if form == "02":
        reason, documents = supplement_note_parse(event.note)
        return notices.supplement_notice_pdf(
            dossier, reason=reason, documents=documents, now=event.at, officer=event.actor
        )
    if form == "03":
        return notices.refusal_notice_pdf(
            dossier, reason=event.note, now=event.at, officer=event.actor
        )
    old, new = (event.data or {}).get("due_at") or [None, None]
    return notices.apology_notice_pdf(
        dossier, reason=event.note, now=event.at,
        new_due_at=parse_datetime(new) if new else dossier.due_at,
        previous_due_at=parse_datetime(old) if old else None,
    )


# --- the desk ---------------------------------------------------------------------------------


def officer_actions(user, dossier: Dossier, now: datetime | None = None) -> list[str]:
    """The actions `user` may take on `dossier` now: legal from its status
    (`workflow.actions_allowed`), allowed to this officer (`workflow.may_act`), shown on the
    desk; the apology only once it is needed (`deadlines.apology_needed`)."""
    now = now or timezone.now()
    return [
        action for action in actions_allowed(dossier)
        if action in DESK_ACTIONS
        and may_act(user, dossier, action)
        and (action != "apologize" or deadlines.apology_needed(dossier=dossier, now=now))
    ]


@dataclass
class Desk:
    """Everything the dossier desk page shows."""

    dossier: Dossier
    now: datetime
    urgency: str
    classification: str | None
    apology_needed: bool
    actions: list[str]
    files: list[DossierFile]
    timeline: list[TimelineEntry]
    form_rows: list[tuple[str, str]]
    notices: list[str]
    steps: list[ProcedureStep]
    required_documents: list[RequiredDocument]
    has_result: bool
    forward_agencies: list[Agency] = field(default_factory=list)

    @property
    def transferred(self) -> bool:
        return self.dossier.current_agency_id != self.dossier.agency_id


def dossier_desk(user, pk, *, now: datetime | None = None) -> Desk:
    """The desk of one dossier of the officer's scope (Http404 outside it)."""
    now = now or timezone.now()
    dossier = officer_dossier(user, pk)
    files = list(dossier.files.select_related("required_document").order_by("uploaded_at", "pk"))
    timeline = dossier_timeline(dossier)
    actions = officer_actions(user, dossier, now)
    needs_documents = {"request_supplement", "supply"} & set(actions)
    return Desk(
        dossier=dossier,
        now=now,
        urgency=deadlines.urgency(dossier, now),
        classification=deadlines.classify(dossier=dossier, as_of=now),
        apology_needed=deadlines.apology_needed(dossier=dossier, now=now),
        actions=actions,
        files=files,
        timeline=timeline,
        form_rows=form_data_display(dossier),
        notices=notices_available(dossier, [entry.event for entry in timeline]),
        steps=list(dossier.procedure.steps.select_related("agency").order_by("order")),
        required_documents=(
            list(dossier.procedure.documents.order_by("order")) if needs_documents else []
        ),
        has_result=any(f.kind == FileKind.RESULT for f in files),
        forward_agencies=(
            list(Agency.objects.filter(is_active=True).order_by("path"))
            if "forward" in actions else []
        ),
    )


# --- one-stop registration --------------------------------------------------------------------


def desk_agencies(user) -> QuerySet:
    """Active agencies where `user` may register walk-in and postal dossiers."""
    agencies = Agency.objects.filter(is_active=True).order_by("path")
    if isinstance(user, User) and user.is_active and (user.is_superuser or user.is_city_admin):
        return agencies
    return agencies.filter(pk__in=officer_agencies(user).desk_ids)


def registration_procedures(user) -> QuerySet:
    """Active procedures offered by an agency where `user` is the desk."""
    return (
        Procedure.objects.filter(is_active=True, agencies__in=desk_agencies(user))
        .distinct()
        .order_by("code")
    )


def registration_procedure(user, code: str) -> Procedure:
    """One procedure `user` may register a dossier for, with its required documents;
    Http404 otherwise."""
    procedure = (
        registration_procedures(user).filter(code=(code or "").strip())
        .prefetch_related("documents")
        .first()
    )
    if procedure is None:
        raise Http404("No procedure found.")
    return procedure


def registration_agencies(user, procedure: Procedure) -> QuerySet:
    """The desk agencies of `user` that offer `procedure`."""
    return desk_agencies(user).filter(procedures=procedure)


def province_wards() -> QuerySet:
    """Communes and wards of the city, for address fields."""
    return Ward.objects.filter(province_id=settings.CIVICPORT_PROVINCE).order_by("name")
