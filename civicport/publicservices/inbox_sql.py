"""The inbox page and its counts in one hand-written statement (`queries.inbox_page`).

The ORM version cost more to build and plan than to run: two statements compiled by Django
on every request, each planned anew by PostgreSQL (the page joins five tables). Here the
officer's work in hand is read once (`hand`: on PostgreSQL an index-only scan of
`dossier_in_hand`), counted by status and urgency, and its most urgent page joined with the
names the rows show; one round trip, prepared once per connection (`core.prepared`). The
text depends only on the number of agencies and on which filters are set, so few variants
exist. The statuses are written into the text, not bound: the planner uses the partial index
only when it can see that the condition implies the index's own.

Rows come back ordered: first the page (`part` 0), by urgency rank, nearer deadline (nulls
last) and id — the order of `queries._by_urgency` — then the counts (`part` 1) as
(rank, count, status) in the columns of rank, id and status.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection

from civicport.core import prepared
from civicport.core.models import Agency
from civicport.publicservices.models import Dossier, Procedure, ProcedureStep

# Columns of a page row after (part, rank, deadline), in the order of `queries.InboxRow`;
# from TIMES on: step_due_at, due_at, paused_at.
ROW_START, TIMES = 3, 6


def _aware_times(row: tuple) -> tuple:
    head, times, tail = row[:TIMES], row[TIMES:TIMES + 3], row[TIMES + 3:]
    return (*head, *(prepared.aware(value) for value in times), *tail)


# The urgency groups of the inbox, in its order; `deadlines.urgency` gives the same flags.
RANK_OVERDUE, RANK_DUE_TODAY, RANK_RUNNING, RANK_WAITING = 0, 1, 2, 3


def deadline_sql(step: str, due: str) -> str:
    """SQL: the nearer of a dossier's two deadlines (step, appointment), NULL only without
    either. Also the ORM's (`queries._Deadline`)."""
    return f"CASE WHEN {step} IS NULL OR {due} < {step} THEN {due} ELSE {step} END"


def rank_sql(status: str, paused: str, deadline: str, opened: str) -> str:
    """SQL: the urgency rank (RANK_*): only a running clock — open (`opened`, an SQL list)
    and not paused — can be late. Two placeholders: now, then the next local midnight. Also
    the ORM's (`queries._UrgencyRank`)."""
    return (
        f"CASE WHEN NOT ({status} IN ({opened}) AND {paused} IS NULL) THEN {RANK_WAITING} "
        f"WHEN {deadline} < %s THEN {RANK_OVERDUE} WHEN {deadline} < %s THEN {RANK_DUE_TODAY} "
        f"ELSE {RANK_RUNNING} END"
    )


def _literals(values) -> str:
    return ", ".join("'{}'".format(str(v).replace("'", "''")) for v in values)


@cache
def _sql(vendor: str, agencies: int, in_hand: tuple, opened: tuple, *,
         status: bool, urgency: bool, agency: bool, limit: int) -> str:
    """The statement for `agencies` agency ids and the filters set. `vendor` keys the cache:
    quoting differs."""
    quote = connection.ops.quote_name
    dossier, agency_table = quote(Dossier._meta.db_table), quote(Agency._meta.db_table)
    procedure, step = quote(Procedure._meta.db_table), quote(ProcedureStep._meta.db_table)
    deadline = deadline_sql("step_due_at", "due_at")
    page_filters = "".join([
        " AND h.status = %s" if status else "",
        " AND h.rank = %s" if urgency else "",
        " AND (h.current_agency_id = %s OR h.agency_id = %s)" if agency else "",
    ])
    return (
        "WITH hand AS ("
        f"SELECT id, status, current_agency_id{', agency_id' if agency else ''}, "
        f"{deadline} AS deadline, "
        f"{rank_sql('status', 'paused_at', deadline, _literals(opened))} AS rank "
        f"FROM {dossier} WHERE current_agency_id IN ({', '.join(['%s'] * agencies)}) "
        f"AND status IN ({_literals(in_hand)})), "
        f"page AS (SELECT h.id, h.rank, h.deadline FROM hand h WHERE 1 = 1{page_filters} "
        f"ORDER BY h.rank, h.deadline NULLS LAST, h.id LIMIT {limit} OFFSET %s) "
        "SELECT 0 AS part, page.rank, page.deadline, d.id, d.code, d.status, d.applicant_name, "
        "d.agency_id, d.current_agency_id, d.step_due_at, d.due_at, d.paused_at, p.name, "
        "a.short_name, a.name, c.short_name, c.name, s.name "
        f"FROM page JOIN {dossier} d ON d.id = page.id "
        f"JOIN {procedure} p ON p.id = d.procedure_id "
        f"JOIN {agency_table} a ON a.id = d.agency_id "
        f"JOIN {agency_table} c ON c.id = d.current_agency_id "
        f"LEFT JOIN {step} s ON s.id = d.current_step_id "
        "UNION ALL SELECT 1, rank, NULL, COUNT(*), NULL, status, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM hand GROUP BY status, rank "
        "ORDER BY 1, 2, 3 NULLS LAST, 4"
    )


def inbox_rows(*, agency_ids, now: datetime, tomorrow: datetime, in_hand, opened,
               status: str | None, rank: int | None, agency_id: int | None, offset: int,
               limit: int) -> tuple[list[tuple], list[tuple]]:
    """(page rows, count groups) — see the module docstring. `rank`: the urgency filter's
    rank."""
    ids = sorted(agency_ids)
    sql = _sql(
        connection.vendor, len(ids), tuple(str(s) for s in in_hand),
        tuple(sorted(str(s) for s in opened)), status=status is not None,
        urgency=rank is not None, agency=agency_id is not None, limit=limit,
    )
    adapt = connection.ops.adapt_datetimefield_value  # SQLite compares UTC text
    params = [adapt(now), adapt(tomorrow), *ids]
    params += [p for p in (status, rank) if p is not None]
    params += [agency_id, agency_id] if agency_id is not None else []
    rows = prepared.fetch_all(sql, [*params, offset])
    page = [_aware_times(row[ROW_START:]) for row in rows if row[0] == 0]
    counts = [(row[5], row[1], row[3]) for row in rows if row[0] == 1]
    return page, counts
