"""Append-only, hash-chained audit trail.

Each sealed entry's hash covers its content, its sequence number and the previous entry's
hash, so editing or deleting any sealed row breaks the chain from that point: `audit_verify`
names the first break.

Writing happens in two steps so that no business transaction waits for another one:

1. `audit_record` / `audit_append` insert the entry UNSEALED (`seq` NULL, no hashes) in the
   caller's transaction, without any lock: it commits or rolls back with the change it
   records, so nothing is audited that did not happen and nothing that happened is missed;
2. right after that transaction commits (`transaction.on_commit`), `audit_seal` locks the
   single AuditHead row in a short transaction of its own and chains that transaction's
   entries, in insertion (id) order: seq, prev_hash, hash. The head lock is held for a
   handful of statements, never for the length of a business transaction. A seal that
   fails, or a process that dies between commit and seal, leaves entries unsealed; the
   periodic job `core.audit_seal` (core/periodic.py) and `civicport audit seal` chain all
   of those, oldest first.

The chain order is the order of sealing, so two entries of one transaction stay in the order
they were recorded, and an entry is never sealed before the transaction that wrote it has
committed. `at` is the time of the change, not of sealing: it need not grow with `seq`.
Unsealed entries are not yet tamper-evident; `audit_verify` counts them apart.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from civicport.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
SEAL_BATCH = 500
# Older unsealed entries mean the sealing has stopped working: `audit verify` says so.
SEAL_LATE = timedelta(minutes=10)


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}", str(obj.pk)


def audit_entry(*, actor, action: str, obj=None, data: dict | None = None,
                at: datetime | None = None) -> AuditEntry:
    """An unsaved, unsealed entry, for `audit_append`."""
    object_type, object_id = _object_ref(obj)
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        at=at or timezone.now(),
        actor=actor_obj,
        actor_label=str(actor_obj) if actor_obj else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
    )


def audit_append(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Insert unsealed entries (one statement) and have them sealed after the commit. Call
    inside the transaction of the change they record."""
    AuditEntry.objects.bulk_create(entries)
    connection = transaction.get_connection()
    # One seal per transaction, for all the entries it writes.
    pending = connection.in_atomic_block and next(
        (
            func for _sids, func, _robust in connection.run_on_commit
            if isinstance(func, _SealAfterCommit) and not func.ran
        ),
        None,
    )
    if pending:
        pending.ids.extend(entry.pk for entry in entries)
    else:
        transaction.on_commit(_SealAfterCommit([entry.pk for entry in entries]), robust=True)
    return entries


def audit_record(*, actor, action: str, obj=None, data: dict | None = None) -> AuditEntry:
    """Append an entry. Call inside the transaction of the change it records; the entry is
    sealed into the chain when that transaction commits."""
    return audit_append([audit_entry(actor=actor, action=action, obj=obj, data=data)])[0]


class _SealAfterCommit:
    """The on-commit seal of one transaction's entries (`ran` tells a pending one from a
    done one)."""

    def __init__(self, ids: list[int]):
        self.ids, self.ran = ids, False

    def __call__(self) -> None:
        self.ran = True
        audit_seal(ids=self.ids)


def audit_seal(*, batch_size: int = SEAL_BATCH, ids: list[int] | None = None) -> int:
    """Chain the committed unsealed entries, oldest first: those of `ids` (the after-commit
    seal of a transaction, found by primary key), or all of them (leftovers). Returns how
    many were sealed.

    The full search (`seq IS NULL`) also passes the index entries that earlier seals left
    dead until VACUUM removes them: fine once a minute, not after every commit."""
    sealed = 0
    while True:
        with transaction.atomic():
            # Lock first, then read: under READ COMMITTED the read sees every entry committed
            # before the lock was granted, and none another sealer has already chained.
            head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
            unsealed = AuditEntry.objects.filter(seq__isnull=True)
            if ids is not None:
                unsealed = unsealed.filter(pk__in=ids)
            rows = list(unsealed.order_by("id")[:batch_size])
            if not rows:
                return sealed
            seq, prev = head.last_seq, head.last_hash
            for row in rows:
                seq += 1
                row.seq, row.prev_hash = seq, prev
                row.hash = prev = row.compute_hash()
            _chain_write(rows)
            head.last_seq, head.last_hash = seq, prev
            head.save(update_fields=["last_seq", "last_hash"])
        sealed += len(rows)
        if len(rows) < batch_size:
            return sealed


def _chain_write(rows: list[AuditEntry]) -> None:
    """UPDATE the rows' seq, prev_hash and hash in one statement. Plain SQL because the ORM's
    bulk_update (CASE per row and column) costs more CPU than the rest of the seal; UPDATE ...
    FROM (VALUES ...) is understood by PostgreSQL and SQLite (>= 3.33) alike."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    columns = {name: quote(name) for name in ("id", "seq", "prev_hash", "hash")}
    table = quote(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {columns['seq']} = v.column2, "
            f"{columns['prev_hash']} = v.column3, {columns['hash']} = v.column4 "
            f"FROM (VALUES {values}) AS v WHERE {table}.{columns['id']} = v.column1",
            [value for row in rows for value in (row.pk, row.seq, row.prev_hash, row.hash)],
        )


@dataclass
class AuditCheck:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    unsealed: int = 0  # written, not yet chained (not tamper-evident yet)
    unsealed_late: int = 0  # of those, older than SEAL_LATE: the sealing is not running


def audit_verify(batch_size: int = 2000) -> AuditCheck:
    """Walk the sealed chain in order; report the first entry whose link or content is wrong,
    and how many entries still wait to be sealed."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return AuditCheck(False, checked, expected_seq, "entry missing (deleted)")
            if entry.prev_hash != expected_prev:
                return AuditCheck(False, checked, entry.seq, "link to previous entry broken")
            if entry.compute_hash() != entry.hash:
                return AuditCheck(False, checked, entry.seq, "content changed after writing")
            expected_prev, expected_seq = entry.hash, entry.seq + 1
            checked += 1
        last_seq = rows[-1].seq
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        # Trailing entries were deleted (or un-sealed): the head still remembers them.
        return AuditCheck(False, checked, checked + 1, "entries missing at the end (deleted)")
    pending = AuditEntry.objects.filter(seq__isnull=True)
    return AuditCheck(
        True, checked, unsealed=pending.count(),
        unsealed_late=pending.filter(at__lt=timezone.now() - SEAL_LATE).count(),
    )
