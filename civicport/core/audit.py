"""Append-only, hash-chained audit trail.

Each entry's hash covers its content and the previous entry's hash, so editing or
deleting any row breaks the chain from that point: `audit_verify` names the first break.
Appends lock the single AuditHead row, which serialises them on PostgreSQL and SQLite.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from civicport.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}", str(obj.pk)


def audit_record(*, actor, action: str, obj=None, data: dict | None = None) -> AuditEntry:
    """Append an entry. Call inside the transaction of the change it records."""
    object_type, object_id = _object_ref(obj)
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor_obj,
            actor_label=str(actor_obj) if actor_obj else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            data=data or {},
            prev_hash=head.last_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        head.last_seq, head.last_hash = entry.seq, entry.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass
class AuditCheck:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""


def audit_verify(batch_size: int = 2000) -> AuditCheck:
    """Walk the chain in order; report the first entry whose link or content is wrong."""
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
        # Trailing entries were deleted: the head still remembers them.
        return AuditCheck(False, checked, checked + 1, "entries missing at the end (deleted)")
    return AuditCheck(True, checked)
