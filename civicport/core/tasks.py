"""Background tasks of the core app: notification delivery.

django-tasks does not retry a failed task by itself, so `deliver_notification` catches send
errors and queues its own next attempt with exponential backoff.
"""

import logging
from datetime import timedelta
from email.utils import make_msgid
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from civicport.core.models import Notification
from civicport.core.sms import get_sms_backend

logger = logging.getLogger(__name__)

# Delay before attempt n+1 after n failures: 2 min, 8 min, 32 min, 2 h 8 min, then capped.
RETRY_BASE = timedelta(minutes=2)
RETRY_FACTOR = 4
RETRY_MAX_DELAY = timedelta(hours=6)
_ERROR_MAX = 2000


def retry_delay(failures: int) -> timedelta:
    """Backoff after `failures` failed attempts (1, 2, ...)."""
    return min(RETRY_BASE * RETRY_FACTOR ** (failures - 1), RETRY_MAX_DELAY)


@task()
def deliver_notification(notification_id: int, attempt: int = 0) -> str:
    """Send one notification at most once; `attempt` = attempts made when this task was queued.

    Returns what happened ("sent", "retry", "failed", "skipped"), kept in the task result.

    Instead of holding a row lock across the network call, the attempt is claimed in a short
    transaction (attempts += 1 under `select_for_update`) and recorded in another one after
    sending. A long transaction would block every writer on SQLite (IMMEDIATE mode) for as long
    as an SMTP server or SMS gateway hangs. The claim still makes a duplicated or re-run task a
    no-op: it finds the row sent, failed, or claimed already (attempts moved past `attempt`).
    A crash between the send and the record leaves the row pending: at most one send per claim.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.PENDING:
            return "skipped"
        if notification.attempts != attempt:
            # Another task made this attempt already and queued its own successor.
            return "skipped"
        notification.attempts = attempt + 1
        notification.save(update_fields=["attempts"])

    try:
        provider_id = _send(notification)
    except Exception as exc:  # SMTP, network, provider or configuration errors alike
        logger.warning("Notification %s attempt %s failed: %s", notification_id, attempt + 1, exc)
        return _record_failure(notification_id, attempt + 1, exc)

    Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, attempts=attempt + 1
    ).update(status=Notification.Status.SENT, sent_at=timezone.now())
    logger.info("Notification %s sent (%s)", notification_id, provider_id)
    return "sent"


def _send(notification: Notification) -> str:
    """Hand the message to the e-mail server or SMS provider; return a message id."""
    if notification.channel == Notification.Channel.EMAIL:
        message_id = make_msgid(domain=str(DNS_NAME))
        message = EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            # RFC 3834: tells mail servers and autoresponders this is machine-sent.
            headers={"Auto-Submitted": "auto-generated", "Message-ID": message_id},
        )
        message.send()
        return message_id
    return get_sms_backend().send(to=notification.recipient, body=notification.body)


def _record_failure(notification_id: int, attempts: int, exc: Exception) -> str:
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status != Notification.Status.PENDING or notification.attempts != attempts:
            return "skipped"  # changed meanwhile, e.g. by an admin
        notification.last_error = f"{type(exc).__name__}: {exc}"[:_ERROR_MAX]
        if attempts >= max(settings.CIVICPORT_NOTIFY_MAX_ATTEMPTS, 1):
            notification.status = Notification.Status.FAILED
            notification.save(update_fields=["last_error", "status"])
            logger.error("Notification %s failed after %s attempts", notification_id, attempts)
            return "failed"
        notification.save(update_fields=["last_error"])
        transaction.on_commit(partial(_queue_retry, notification_id, attempts))
    return "retry"


def _queue_retry(notification_id: int, attempts: int) -> None:
    retry = deliver_notification
    # Backends without deferred tasks (ImmediateBackend in tests) retry at once.
    if retry.get_backend().supports_defer:
        retry = retry.using(run_after=timezone.now() + retry_delay(attempts))
    retry.enqueue(notification_id, attempts)
