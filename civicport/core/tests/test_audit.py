import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from civicport.core.audit import audit_record, audit_verify
from civicport.core.models import AuditEntry


@pytest.fixture
def chain(db, make_user):
    user = make_user(username="an")
    for i in range(5):
        audit_record(actor=user, action="test.step", obj=user, data={"i": i, "note": "Hồ sơ"})
    return user


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_intact_chain_verifies(chain, capsys):
    result = audit_verify()
    assert (result.ok, result.checked) == (True, 5)
    call_command("audit", "verify")
    assert "5 entries verified" in capsys.readouterr().out


def test_entries_link_to_previous_hash(chain):
    entries = list(AuditEntry.objects.order_by("seq"))
    assert entries[0].prev_hash == "0" * 64
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash


def test_edited_row_is_caught_at_that_entry(chain):
    table = AuditEntry._meta.db_table
    _raw(f"UPDATE {table} SET action = %s WHERE seq = %s", ["test.forged", 3])
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    with pytest.raises(CommandError, match="BROKEN at entry #3"):
        call_command("audit", "verify")


def test_edited_data_with_recomputed_hash_breaks_the_next_link(chain):
    entry = AuditEntry.objects.get(seq=2)
    entry.data = {"i": 99}
    entry.hash = entry.compute_hash()
    entry.save()
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_deleted_middle_row_is_caught(chain):
    _raw(f"DELETE FROM {AuditEntry._meta.db_table} WHERE seq = %s", [4])
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)


def test_deleted_last_row_is_caught(chain):
    _raw(f"DELETE FROM {AuditEntry._meta.db_table} WHERE seq = %s", [5])
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 5)


def test_system_actor_and_no_object(db):
    entry = audit_record(actor=None, action="system.boot")
    assert (entry.actor_label, entry.object_type, entry.seq) == ("system", "", 1)
    assert audit_verify().ok
