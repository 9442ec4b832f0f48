"""Text-only intake channels: the SMS gateway webhook and e-mail (mbox file or IMAP).

Both carry no category and no pin: the classifier's guess becomes the category (the operator
confirms it at triage) and the ward is read from the text when it names one.
"""

import email
import email.policy
import hashlib
import hmac
import imaplib
import mailbox
from datetime import timedelta
from email.utils import parseaddr

from django.utils import timezone
from django.utils.translation import gettext as _

from civicport.core.auth import normalize_phone
from civicport.feedback.actions import Intake, report_create
from civicport.feedback.models import Channel, Report
from civicport.feedback.rules import FeedbackError, env_int

SENDER_WINDOW = timedelta(minutes=10)


def _sender_limit(**contact) -> None:
    """One phone number or address may not flood the switchboard."""
    recent = Report.objects.filter(created_at__gte=timezone.now() - SENDER_WINDOW, **contact)
    if recent.count() >= env_int("FEEDBACK_MAX_REPORTS_PER_SENDER", 5):
        raise FeedbackError("rate_limited", _("Too many reports from this sender."), status=429)


def sms_secret_ok(given: str) -> bool:
    import os

    from django.conf import settings

    secret = getattr(settings, "FEEDBACK_SMS_SECRET", None) or os.environ.get(
        "CIVICPORT_FEEDBACK_SMS_SECRET", "")
    return bool(secret) and bool(given) and hmac.compare_digest(given.encode(), secret.encode())


def report_from_sms(*, sender: str, text: str, message_id: str = "") -> Report:
    phone = normalize_phone(sender)
    if not phone:
        raise FeedbackError("bad_phone", _("The sender's phone number is not valid."))
    _sender_limit(reporter_phone=phone)
    key = f"sms:{message_id[:90]}" if message_id else ""
    intake = Intake(description=text, channel=Channel.SMS, address=text[:300],
                    reporter_phone=phone, idempotency_key=key)
    return report_create(intake=intake, rate_limited=False)


def report_from_email(message) -> Report:
    """One e-mail message (email.message.Message) → one report; the Message-ID makes a
    re-import of the same mailbox create nothing new."""
    _name, address = parseaddr(str(message.get("From", "")))
    subject = str(message.get("Subject", "") or "").strip()
    body = ""
    part = message.get_body(preferencelist=("plain",)) if hasattr(message, "get_body") else None
    if part is not None:
        body = part.get_content()
    elif not message.is_multipart():
        body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8",
                                                       "replace")
    text = "\n".join(p for p in (subject, body.strip()) if p)[:4000]
    message_id = str(message.get("Message-ID", "")).strip()
    key = "email:" + hashlib.sha256(
        (message_id or f"{address}|{subject}|{body}").encode()).hexdigest()[:40]
    if address:
        _sender_limit(reporter_email=address)
    intake = Intake(description=text, channel=Channel.EMAIL, address=text[:300],
                    reporter_name=_name[:150], reporter_email=address, idempotency_key=key)
    return report_create(intake=intake, rate_limited=False)


def _import(messages) -> tuple[int, list[str]]:
    created, problems = 0, []
    for message in messages:
        try:
            before = Report.objects.count()
            report_from_email(message)
            created += Report.objects.count() - before
        except FeedbackError as error:
            problems.append(f"{message.get('Message-ID', '?')}: {error.message}")
    return created, problems


def import_mbox(path: str) -> tuple[int, list[str]]:
    box = mailbox.mbox(path, factory=lambda f: email.message_from_binary_file(
        f, policy=email.policy.default), create=False)
    return _import(iter(box))


def import_imap(*, host: str, user: str, password: str, folder: str = "INBOX",
                port: int = 993) -> tuple[int, list[str]]:
    """Unseen messages of an IMAP folder (over TLS); they are marked seen once read."""
    with imaplib.IMAP4_SSL(host, port) as client:
        client.login(user, password)
        client.select(folder)
        _status, data = client.search(None, "UNSEEN")
        messages = []
        for number in data[0].split():
            _status, parts = client.fetch(number, "(RFC822)")
            messages.append(email.message_from_bytes(parts[0][1], policy=email.policy.default))
        return _import(messages)
