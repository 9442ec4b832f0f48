"""Notifications: rendered in Vietnamese, queued on commit, delivered at most once, retried.

Functional requirements:
- an e-mail or SMS is sent once, with its Vietnamese text intact;
- the same idempotency key twice gives one row and one message;
- a failing provider is retried with backoff, then the notification is marked failed;
- a re-run or duplicated task never sends again;
- a rolled-back change queues and sends nothing;
- bad recipients are refused with a ValidationError and nothing is written.
"""

from datetime import timedelta
from email import message_from_bytes, policy
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models.query import QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicport.core.models import Notification, SmsOutbox
from civicport.core.notify import notification_retry_failed, notification_send, render_notification
from civicport.core.sms import (
    OutboxSmsBackend,
    SmsBackend,
    SmsError,
    get_sms_backend,
    sms_segments,
    to_ascii,
)
from civicport.core.tasks import deliver_notification, retry_delay

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class FailingSmsBackend(SmsBackend):
    """A gateway that is down."""

    def send(self, *, to: str, body: str) -> str:
        raise SmsError("gateway down")


class FlakySmsBackend(OutboxSmsBackend):
    """Fails `failures_left` times, then works like the outbox."""

    failures_left = 0

    def send(self, *, to: str, body: str) -> str:
        if FlakySmsBackend.failures_left > 0:
            FlakySmsBackend.failures_left -= 1
            raise SmsError("timeout")
        return super().send(to=to, body=body)


def _backend_path(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def dummy(settings):
    settings.TASKS = DUMMY
    return deliver_notification.get_backend()


def _email(key="k1", **kwargs):
    args = {
        "channel": "email",
        "recipient": "lan.nguyen@example.vn",
        "template": "test",
        "context": {"name": "Nguyễn Thị Lan"},
        "idempotency_key": key,
    } | kwargs
    return notification_send(**args)


def _sms(key="s1", body="Hồ sơ HP-01 đã được tiếp nhận.", **kwargs):
    args = {
        "channel": "sms",
        "recipient": "+84 912 345 678",
        "template": "generic",
        "context": {"body": body},
        "idempotency_key": key,
    } | kwargs
    return notification_send(**args)


def _run(result):
    """Run a task queued on the DummyBackend, as a worker would."""
    return result.task.call(*result.args, **result.kwargs)


# --- delivery ------------------------------------------------------------------------------


def test_email_is_delivered_once_with_vietnamese_text(
    immediate, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = _email()

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == "[CivicPort Hải Phòng] Thư thử nghiệm"
    assert message.to == ["lan.nguyen@example.vn"]
    assert message.body.startswith("Xin chào Nguyễn Thị Lan,\n\nĐây là thư thử nghiệm")
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    wire = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    assert wire["Subject"].strip() == message.subject  # survives MIME encoding
    assert wire.get_content().startswith("Xin chào Nguyễn Thị Lan,")
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.sent_at is not None
    assert notification.attempts == 1
    assert notification.body == message.body


def test_english_variant_and_fallback_to_vietnamese():
    subject, body = render_notification(channel="email", template="test", context={}, language="en")
    assert subject == "[CivicPort Hải Phòng] Test message"
    assert body.startswith("Hello,\n")
    # generic.sms has no English file: the Vietnamese one is used.
    assert render_notification(
        channel="sms", template="generic", context={"body": "Xin chào"}, language="en"
    ) == ("", "Xin chào")


def test_plain_text_is_not_html_escaped():
    subject, body = render_notification(
        channel="email",
        template="generic",
        context={"subject": "Q&A <1022>", "body": 'Phường Lê Chân & "Hồng Bàng"'},
    )
    assert subject == "Q&A <1022>"
    assert body.startswith('Phường Lê Chân & "Hồng Bàng"\n')


def test_empty_subject_or_body_is_refused():
    with pytest.raises(ValidationError):
        render_notification(channel="email", template="generic", context={"body": "x"})
    with pytest.raises(ValidationError):
        render_notification(channel="sms", template="generic", context={"body": "  "})


def test_sms_lands_in_outbox_with_normalised_number(immediate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = _sms()

    notification.refresh_from_db()
    assert notification.recipient == "0912345678"
    assert notification.status == Notification.Status.SENT
    outbox = SmsOutbox.objects.get()
    assert (outbox.to, outbox.sender, outbox.body) == (
        "0912345678",
        "CIVICPORT",
        "Hồ sơ HP-01 đã được tiếp nhận.",
    )


def test_sms_ascii_option_strips_marks_and_saves_segments():
    text = "Hồ sơ HP-2025-0001 của ông/bà Đặng Văn Đức đã có kết quả, mời nhận tại Bộ phận một cửa."
    _, plain = render_notification(channel="sms", template="generic", context={"body": text})
    _, folded = render_notification(
        channel="sms", template="generic", context={"body": text, "ascii": True}
    )
    assert plain == text
    assert folded == (
        "Ho so HP-2025-0001 cua ong/ba Dang Van Duc da co ket qua, moi nhan tai Bo phan mot cua."
    )
    assert to_ascii("Đ đ Ư ơ") == "D d U o"
    assert (sms_segments(plain), sms_segments(folded)) == (2, 1)
    assert sms_segments("a" * 161) == 2
    assert sms_segments("ă" * 70) == 1


# --- idempotency ---------------------------------------------------------------------------


def test_same_key_twice_gives_one_row_and_one_message(
    immediate, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _email(key="dossier:42:received:email")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = _email(key="dossier:42:received:email", context={"name": "Khác"})

    assert second.pk == first.pk
    assert callbacks == []
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


def test_losing_the_race_on_the_key_returns_the_winner(django_capture_on_commit_callbacks):
    winner = _email(key="race")
    # The other caller's look-up ran before the winner's insert: only the constraint catches it.
    with (
        django_capture_on_commit_callbacks() as callbacks,
        mock.patch.object(QuerySet, "first", return_value=None),
    ):
        loser = _email(key="race")

    assert loser.pk == winner.pk
    assert callbacks == []
    assert Notification.objects.count() == 1  # and the outer transaction is still usable


def test_a_new_key_is_inserted_without_lookup_or_savepoint(
    immediate, mailoutbox, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # For keys naming a row of the same transaction (a new dossier event): one INSERT.
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(1):
        row = _email(key="dossier:7:99:email", new_key=True)
    assert Notification.objects.get().pk == row.pk
    assert len(mailoutbox) == 1


# --- retries -------------------------------------------------------------------------------


def test_failing_provider_is_retried_then_marked_failed(
    immediate, settings, django_capture_on_commit_callbacks
):
    settings.CIVICPORT_SMS_BACKEND = _backend_path(FailingSmsBackend)
    settings.CIVICPORT_NOTIFY_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        notification = _sms()

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 3
    assert notification.last_error == "SmsError: gateway down"
    assert notification.sent_at is None
    assert not SmsOutbox.objects.exists()


def test_retries_are_deferred_with_backoff_and_never_send_twice(
    dummy, settings, django_capture_on_commit_callbacks
):
    settings.CIVICPORT_SMS_BACKEND = _backend_path(FlakySmsBackend)
    FlakySmsBackend.failures_left = 2
    with django_capture_on_commit_callbacks(execute=True):
        notification = _sms()
    assert [r.args for r in dummy.results] == [[notification.pk, 0]]

    with django_capture_on_commit_callbacks(execute=True):
        assert _run(dummy.results[0]) == "retry"
    second = dummy.results[1]
    assert second.args == [notification.pk, 1]
    assert second.task.run_after - timezone.now() == pytest.approx(
        timedelta(minutes=2), abs=timedelta(seconds=10)
    )
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error == "SmsError: timeout"

    with django_capture_on_commit_callbacks(execute=True):
        assert _run(second) == "retry"
    third = dummy.results[2]
    assert third.args == [notification.pk, 2]
    assert third.task.run_after - timezone.now() == pytest.approx(
        timedelta(minutes=8), abs=timedelta(seconds=10)
    )

    assert _run(third) == "sent"
    # Stale or duplicated tasks, in any order, send nothing more.
    for result in dummy.results:
        assert _run(result) == "skipped"
    assert SmsOutbox.objects.count() == 1
    assert len(dummy.results) == 3
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 3)


def test_retry_delay_grows_and_is_capped():
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
    ]
    assert retry_delay(20) == timedelta(hours=6)


def test_task_run_again_for_a_sent_notification_sends_nothing(
    immediate, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = _email()
    assert deliver_notification.call(notification.pk, 0) == "skipped"
    assert deliver_notification.call(notification.pk, 1) == "skipped"
    assert deliver_notification.call(10**9) == "skipped"  # deleted meanwhile
    assert len(mailoutbox) == 1


def test_failed_notifications_can_be_retried(
    immediate, settings, django_capture_on_commit_callbacks
):
    settings.CIVICPORT_SMS_BACKEND = _backend_path(FailingSmsBackend)
    settings.CIVICPORT_NOTIFY_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        notification = _sms()
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED

    settings.CIVICPORT_SMS_BACKEND = _backend_path(OutboxSmsBackend)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_retry_failed() == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert SmsOutbox.objects.count() == 1
    assert notification_retry_failed() == 0


@pytest.mark.django_db(transaction=True)
def test_database_queue_and_worker(settings):
    """With the default django-tasks-db backend: queued on commit, run by db_worker."""
    settings.CIVICPORT_SMS_BACKEND = _backend_path(FailingSmsBackend)
    notification = _sms()
    assert DBTaskResult.objects.get().task_path == "civicport.core.tasks.deliver_notification"

    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs == {"args": [notification.pk, 1], "kwargs": {}}
    assert retry.run_after > timezone.now() + timedelta(minutes=1)


# --- transactions --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_queues_and_sends_nothing(dummy, mailoutbox):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        _email(key="rolled-back")
        raise Abort

    assert not Notification.objects.exists()
    assert dummy.results == []
    assert mailoutbox == []

    with transaction.atomic():
        notification = _email(key="committed")
        assert dummy.results == []  # not before the commit
    assert [r.args for r in dummy.results] == [[notification.pk, 0]]


@pytest.mark.django_db(transaction=True)
def test_end_to_end_after_commit(settings, mailoutbox):
    settings.TASKS = IMMEDIATE
    with transaction.atomic():
        notification = _email()
        assert mailoutbox == []
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "recipient", "field"),
    [
        ("email", "lan.nguyen", "recipient"),
        ("email", "lan@", "recipient"),
        ("email", "", "recipient"),
        ("email", "a" * 250 + "@example.vn", "recipient"),
        ("sms", "12345", "recipient"),
        ("sms", "+1 202 555 0100", "recipient"),
        ("sms", "lan@example.vn", "recipient"),
        ("fax", "0912345678", "channel"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    channel, recipient, field, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as exc:
        notification_send(
            channel=channel,
            recipient=recipient,
            template="test",
            context={},
            idempotency_key="bad",
        )
    assert list(exc.value.message_dict) == [field]
    assert callbacks == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("template", "key"), [("../secret", "k"), ("test", ""), ("test", "k" * 201)]
)
def test_bad_template_name_or_key_is_refused(template, key):
    with pytest.raises(ValidationError):
        notification_send(
            channel="sms",
            recipient="0912345678",
            template=template,
            context={},
            idempotency_key=key,
        )
    assert not Notification.objects.exists()


# --- SMS backends --------------------------------------------------------------------------


def test_sms_backend_from_setting(settings):
    assert isinstance(get_sms_backend(), OutboxSmsBackend)
    settings.CIVICPORT_SMS_BACKEND = "civicport.core.sms.NoSuchBackend"
    with pytest.raises(ImproperlyConfigured, match="NoSuchBackend"):
        get_sms_backend()
    settings.CIVICPORT_SMS_BACKEND = "civicport.core.sms.to_ascii"
    with pytest.raises(ImproperlyConfigured, match="not an SMS backend"):
        get_sms_backend()


def test_outbox_backend_refuses_foreign_numbers():
    with pytest.raises(SmsError):
        OutboxSmsBackend().send(to="+1 202 555 0100", body="x")
    assert OutboxSmsBackend().send(to="84912345678", body="x").startswith("outbox:")
    assert SmsOutbox.objects.get().to == "0912345678"


def test_errors_are_in_vietnamese_by_default():
    with pytest.raises(ValidationError) as exc:
        _sms(recipient="12345")
    assert exc.value.message_dict == {
        "recipient": ["Nhập số điện thoại Việt Nam (ví dụ 0912345678)."]
    }
