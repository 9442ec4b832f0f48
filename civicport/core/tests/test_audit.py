import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from civicport.core import audit, schedule
from civicport.core.audit import audit_record, audit_seal, audit_verify
from civicport.core.models import AuditEntry, AuditHead


@pytest.fixture
def chain(db, make_user, django_capture_on_commit_callbacks):
    user = make_user(username="an")
    for i in range(5):
        # Each entry is sealed when "its" transaction commits, as in a request.
        with django_capture_on_commit_callbacks(execute=True):
            audit_record(actor=user, action="test.step", obj=user, data={"i": i, "note": "Hồ sơ"})
    return user


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_intact_chain_verifies(chain, capsys):
    result = audit_verify()
    assert (result.ok, result.checked, result.unsealed) == (True, 5, 0)
    call_command("audit", "verify")
    assert "5 entries verified" in capsys.readouterr().out


def test_entries_link_to_previous_hash(chain):
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
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


@pytest.mark.parametrize("seq", [3, 5])
def test_a_sealed_entry_made_to_look_unsealed_is_caught(chain, seq):
    # Un-sealing an entry must not be a way to edit it and have it chained again.
    _raw(f"UPDATE {AuditEntry._meta.db_table} SET seq = NULL WHERE seq = %s", [seq])
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, seq)


def test_system_actor_and_no_object(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = audit_record(actor=None, action="system.boot")
    entry.refresh_from_db()
    assert (entry.actor_label, entry.object_type, entry.seq) == ("system", "", 1)
    assert audit_verify().ok


# --- sealing ------------------------------------------------------------------------------


def test_entries_are_sealed_only_when_their_transaction_commits(
    db, make_user, django_capture_on_commit_callbacks
):
    user = make_user(username="binh")
    with django_capture_on_commit_callbacks() as callbacks:
        first = audit_record(actor=user, action="test.one", obj=user)
        second = audit_record(actor=user, action="test.two", obj=user)
        assert (first.seq, first.hash, second.seq) == (None, "", None)
        pending = audit_verify()
        assert (pending.ok, pending.checked, pending.unsealed) == (True, 0, 2)
    assert len(callbacks) == 1  # one seal per transaction, for all its entries
    callbacks[0]()
    assert list(AuditEntry.objects.order_by("seq").values_list("action", "seq")) == [
        ("test.one", 1), ("test.two", 2)
    ]
    assert AuditHead.objects.get().last_seq == 2
    assert (audit_verify().checked, audit_verify().unsealed) == (2, 0)


def test_a_rolled_back_change_leaves_no_entry(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        audit_record(actor=None, action="test.undone")
        raise RuntimeError("the change failed")
    assert callbacks == [] and not AuditEntry.objects.exists()


def test_leftovers_are_sealed_in_order_by_the_periodic_job(db, capsys):
    # Entries whose seal never ran (the process died after commit): captured, never run.
    for i in range(3):
        audit_record(actor=None, action=f"test.left.{i}")
    assert audit_verify().unsealed == 3
    jobs = {job.name: job for job in schedule.periodic_jobs()}
    assert jobs["core.audit_seal"].run() == 3
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.left.0", "test.left.1", "test.left.2"
    ]
    audit_record(actor=None, action="test.late")
    call_command("audit", "seal")
    assert "1 entries sealed" in capsys.readouterr().out
    assert audit_verify().checked == 4


@pytest.mark.django_db(transaction=True)
def test_a_seal_that_never_ran_is_made_up_by_the_periodic_job(monkeypatch):
    with monkeypatch.context() as patched:
        # The process dies between the commit and its seal.
        patched.setattr(audit._SealAfterCommit, "__call__", lambda self: None)
        with transaction.atomic():
            audit_record(actor=None, action="test.lost")
    with transaction.atomic():
        audit_record(actor=None, action="test.next")
    # Each transaction's seal chains its own entries (found by id, whatever else waits).
    assert AuditEntry.objects.get(action="test.next").seq == 1
    assert AuditEntry.objects.get(action="test.lost").seq is None
    assert audit_seal() == 1
    assert AuditEntry.objects.get(action="test.lost").seq == 2
    assert (audit_verify().ok, audit_verify().unsealed) == (True, 0)


def test_a_seal_after_the_periodic_job_chains_nothing_twice(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        audit_record(actor=None, action="test.raced")
    assert audit_seal() == 1  # the periodic job ran between the commit and the seal
    callbacks[0]()
    assert (audit_verify().ok, audit_verify().checked) == (True, 1)
    assert AuditHead.objects.get().last_seq == 1


def test_seal_works_in_batches(db):
    for i in range(5):
        audit_record(actor=None, action=f"test.batch.{i}")
    assert audit_seal(batch_size=2) == 5
    assert audit_verify().checked == 5


def test_verify_warns_about_entries_left_unsealed_too_long(db, capsys):
    entry = audit_record(actor=None, action="test.stuck")
    AuditEntry.objects.filter(pk=entry.pk).update(at=timezone.now() - timedelta(hours=1))
    result = audit_verify()
    assert (result.ok, result.unsealed, result.unsealed_late) == (True, 1, 1)
    call_command("audit", "verify")
    captured = capsys.readouterr()
    assert "1 entries not sealed yet" in captured.out and "WARNING" in captured.err


# --- concurrency (PostgreSQL) -------------------------------------------------------------


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads are exercised on PostgreSQL (CI)")


def _in_thread(work):
    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_does_not_hold_up_other_writers():
    """The old design locked the chain head until commit: the second writer waited for the
    first one's whole transaction. Now it commits and is sealed while the first is open."""
    _postgres_only()
    recorded, release = threading.Event(), threading.Event()

    def slow_writer():
        with transaction.atomic():
            audit_record(actor=None, action="test.slow")
            recorded.set()
            release.wait(timeout=30)

    thread = _in_thread(slow_writer)
    try:
        assert recorded.wait(timeout=30)
        with transaction.atomic():
            audit_record(actor=None, action="test.fast")  # sealed on commit, not blocked
        fast = AuditEntry.objects.get(action="test.fast")
        assert fast.seq == 1
    finally:
        release.set()
        thread.join(timeout=30)
    slow = AuditEntry.objects.get(action="test.slow")
    assert slow.seq == 2 and slow.pk < fast.pk  # written first, committed (and chained) last
    assert (audit_verify().ok, audit_verify().checked) == (True, 2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain():
    _postgres_only()
    writers, per_writer = 8, 3
    barrier = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            barrier.wait(timeout=30)
            for _round in range(2):
                with transaction.atomic():
                    for i in range(per_writer):
                        audit_record(actor=None, action=f"test.w{n}", data={"i": i})
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [_in_thread(lambda n=n: write(n)) for n in range(writers)]
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    result = audit_verify()
    assert (result.ok, result.checked, result.unsealed) == (True, writers * per_writer * 2, 0)
    for n in range(writers):
        # A transaction's entries keep the order they were recorded in.
        order = list(
            AuditEntry.objects.filter(action=f"test.w{n}").order_by("seq").values_list("id", flat=True)
        )
        assert order == sorted(order)
