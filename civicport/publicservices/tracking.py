"""Public tracking: a dossier's status by its code plus a second factor (the applicant's
phone number or citizen ID), throttled per client address.

A code alone reveals nothing: an unknown code, a wrong second factor and a draft all get
None. Failed lookups are rows of `core.models.LoginFailure` with `account="track:<address>"`
and NO address, so they never count towards the login throttle (which counts rows by
address). The table is shared by every web node and indexed on `account` and `at`, so the
limit holds across processes and restarts (a cache counter would be per process with the
default local-memory cache).

This is the platform's hottest read: citizens and the receipt's QR code hit it, and the
benchmark asks for half the throughput of /healthz. So it is one plain SQL statement built
once — the throttle count, the dossier and its public timeline in one round trip, prepared
once per connection on PostgreSQL (`core.prepared`) — read into small dataclasses, instead
of ORM querysets whose compilation costs more than the queries themselves.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection
from django.utils import timezone

from civicport.core import prepared
from civicport.core.auth import normalize_phone
from civicport.core.models import Agency, LoginFailure
from civicport.publicservices.citizen import (
    CITIZEN_EVENT_LABELS,
    HIDDEN_ACTIONS,
    TimelineEntry,
    moved_to_agency,
    name_initials,
)
from civicport.publicservices.models import Dossier, DossierEvent, DossierStatus, Procedure
from civicport.publicservices.workflow import ACTION_LABELS, status_label

TRACKING_ACCOUNT_PREFIX = "track:"
DEFAULT_TRACKING_MAX_FAILURES = 10
DEFAULT_TRACKING_WINDOW_SECONDS = 15 * 60
CODE_MAX = Dossier._meta.get_field("code").max_length
_ID_NUMBER = re.compile(r"^\d{12}$")


class TrackingThrottled(Exception):
    """Too many failed lookups from this address: answer 429 and show nothing."""

    def __init__(self, minutes: int):
        super().__init__(f"tracking throttled for {minutes} minutes")
        self.minutes = minutes


@dataclass(frozen=True)
class Ref:
    """A procedure or agency as the tracking page names it."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Tracked:
    """What tracking shows of a dossier: no names (initials), no notes, no files."""

    code: str
    status: str
    procedure: Ref
    agency: Ref
    current_agency: Ref
    applicant_initials: str
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    paused: bool
    timeline: list[TimelineEntry]

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    def get_status_display(self) -> str:  # the name templates use for model instances
        return self.status_label


def tracking_limits() -> tuple[int, timedelta]:
    """(failures allowed, window); settings TRACKING_MAX_FAILURES, TRACKING_WINDOW_SECONDS."""
    return (
        getattr(settings, "TRACKING_MAX_FAILURES", DEFAULT_TRACKING_MAX_FAILURES),
        timedelta(
            seconds=getattr(settings, "TRACKING_WINDOW_SECONDS", DEFAULT_TRACKING_WINDOW_SECONDS)
        ),
    )


def tracking_code_clean(code: str) -> str:
    """A typed dossier code as stored: no spaces or control characters, upper case."""
    return re.sub(r"[\s\x00-\x1f\x7f]", "", code or "").upper()[:CODE_MAX]


def tracking_lookup(*, code: str, second_factor: str, address: str | None) -> Tracked | None:
    """The submitted dossier `code` if `second_factor` is its applicant's phone number or
    citizen ID; None otherwise, whichever part is wrong. Raises `TrackingThrottled` (and
    shows nothing) after too many failures from `address` within the window."""
    limit, window = tracking_limits()
    now = timezone.now()
    account = _tracking_account(address)
    failures, row = _fetch(tracking_code_clean(code), account, now - window)
    if failures >= limit:
        raise TrackingThrottled(int(window.total_seconds() // 60))
    if row is None or not _second_factor_matches(row, second_factor):
        LoginFailure.objects.create(account=account, address=None, at=now)
        LoginFailure.objects.filter(
            account__startswith=TRACKING_ACCOUNT_PREFIX, at__lt=now - window - timedelta(days=1)
        ).delete()
        return None
    return _tracked(row)


def _tracking_account(address: str | None) -> str:
    return f"{TRACKING_ACCOUNT_PREFIX}{address or 'unknown'}"[:150]


def _second_factor_matches(row: dict, second_factor: str) -> bool:
    raw = re.sub(r"\s", "", second_factor or "")
    if _ID_NUMBER.match(raw):
        given, expected = raw, row["applicant_id_number"] or ""
    else:
        given = normalize_phone(raw) or ""
        expected = normalize_phone(row["applicant_phone"] or "") or ""
    same = hmac.compare_digest(given.encode(), (expected or "\0").encode())
    return bool(given) and same


# --- the two statements -------------------------------------------------------------------------

_DOSSIER_COLUMNS = (
    "id", "code", "status", "applicant_name", "applicant_phone", "applicant_id_number",
    "received_at", "due_at", "finished_at", "returned_at", "paused_at",
)
_REF_COLUMNS = ("id", "code", "name")
_DATETIMES = ("received_at", "due_at", "finished_at", "returned_at", "paused_at")


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_EVENT_COLUMNS = ("at", "action", "to_status", "data")


@cache
def _lookup_sql(vendor: str) -> str:
    """One round trip: the address's recent failures, LEFT JOINed with the dossier (if any)
    and its events, one row per event, so a miss still answers the count. `vendor` keys the
    cache: quoting differs."""
    selected = [f"d.{_column(Dossier, name)}" for name in _DOSSIER_COLUMNS]
    for alias, model in (("p", Procedure), ("a", Agency), ("c", Agency)):
        selected += [f"{alias}.{_column(model, name)}" for name in _REF_COLUMNS]
    selected += [f"e.{_column(DossierEvent, name)}" for name in _EVENT_COLUMNS]
    selected += [f"g.{_column(Agency, 'name')}", "e.id"]
    # Positional aliases: the derived table has several "id" columns.
    aliased = [f"{column} AS c{index}" for index, column in enumerate(selected)]
    event_at, event_id = len(selected) - 6, len(selected) - 1
    failure, event = LoginFailure, DossierEvent
    return (
        f"SELECT (SELECT COUNT(*) FROM {_table(failure)} f "
        f"WHERE f.{_column(failure, 'account')} = %s AND f.{_column(failure, 'at')} >= %s), "
        f"x.* FROM (SELECT 1 AS one) o LEFT JOIN ("
        f"SELECT {', '.join(aliased)} FROM {_table(Dossier)} d "
        f"JOIN {_table(Procedure)} p ON p.id = d.{_column(Dossier, 'procedure')} "
        f"JOIN {_table(Agency)} a ON a.id = d.{_column(Dossier, 'agency')} "
        f"JOIN {_table(Agency)} c ON c.id = d.{_column(Dossier, 'current_agency')} "
        f"LEFT JOIN {_table(event)} e ON e.{_column(event, 'dossier')} = d.id "
        f"LEFT JOIN {_table(Agency)} g ON g.id = e.{_column(event, 'agency')} "
        f"WHERE d.{_column(Dossier, 'code')} = %s AND d.{_column(Dossier, 'status')} <> %s"
        f") x ON 1 = 1 ORDER BY x.c{event_at}, x.c{event_id}"
    )


def _fetch(code: str, account: str, since: datetime) -> tuple[int, dict | None]:
    # Bind datetimes the way the ORM stores them (naive UTC on SQLite).
    since_param = connection.ops.adapt_datetimefield_value(since)
    # " " matches no dossier: stored codes have no spaces (drafts have none at all).
    params = [account, since_param, code or " ", str(DossierStatus.DRAFT)]
    rows = prepared.fetch_all(_lookup_sql(connection.vendor), params)
    failures, first = rows[0][0], rows[0][1:]
    if first[0] is None:
        return failures, None
    width = len(_DOSSIER_COLUMNS)
    row = dict(zip(_DOSSIER_COLUMNS, first[:width], strict=True))
    refs = first[width : width + 9]
    for index, key in enumerate(("procedure", "agency", "current_agency")):
        row[key] = Ref(*refs[3 * index : 3 * index + 3])
    # (at, action, to_status, data, agency name) of each event, oldest first.
    row["events"] = [values[1 + width + 9 : -1] for values in rows if values[1 + width + 9]]
    return failures, row


def _tracked(row: dict) -> Tracked:
    return Tracked(
        code=row["code"],
        status=row["status"],
        procedure=row["procedure"],
        agency=row["agency"],
        current_agency=row["current_agency"],
        applicant_initials=name_initials(row["applicant_name"]),
        received_at=prepared.aware(row["received_at"]),
        due_at=prepared.aware(row["due_at"]),
        finished_at=prepared.aware(row["finished_at"]),
        returned_at=prepared.aware(row["returned_at"]),
        paused=row["paused_at"] is not None,
        timeline=_timeline(row["events"]),
    )


def _timeline(rows: list[tuple]) -> list[TimelineEntry]:
    """The dossier's public timeline (no notes), as `citizen.dossier_timeline(public=True)`."""
    events = [row for row in rows if row[1] not in HIDDEN_ACTIONS]
    moved_to = {
        index: moved_to_agency(row[3]) for index, row in enumerate(events) if row[1] == "forward"
    }
    wanted = {pk for pk in moved_to.values() if pk}
    names = dict(Agency.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    return [
        TimelineEntry(
            at=prepared.aware(at),
            action=action,
            label=str(CITIZEN_EVENT_LABELS.get(action) or ACTION_LABELS.get(action, action)),
            agency=agency_name or "",
            to_agency=names.get(moved_to.get(index), ""),
            note="",
            status=to_status,
        )
        for index, (at, action, to_status, _data, agency_name) in enumerate(events)
    ]
