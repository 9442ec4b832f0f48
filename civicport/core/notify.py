"""Notifications to citizens and officers by e-mail or SMS, delivered through the task queue.

Callers name each notification with an idempotency key (e.g. "dossier:42:received:sms"): a
repeat of the key returns the first notification and sends nothing more, so an action may be
retried freely. The message is rendered now, in the caller's transaction, and delivery is queued
only when that transaction commits (`tasks.deliver_notification`).

Templates are plain-text files rendered without HTML escaping:

- ``notifications/<template>.<channel>.txt``: the Vietnamese text (the default);
- ``notifications/<template>.<channel>.<language>.txt``: another language, e.g. ``.en.txt``,
  used when ``language`` asks for it and falling back to the Vietnamese file otherwise.

Leading header lines, consumed and not sent:

- e-mail must start with ``Subject: ...``;
- SMS may start with ``Charset: ascii`` to strip Vietnamese marks. A single Vietnamese letter
  with a diacritic makes the whole SMS UCS-2, 70 instead of 160 characters per segment (see
  `sms.sms_segments`), so long, frequent texts may choose ASCII at some cost to readability.
"""

import re
from functools import partial

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import select_template
from django.utils import translation
from django.utils.translation import gettext as _

from civicport.core.auth import normalize_phone
from civicport.core.models import Notification
from civicport.core.sms import to_ascii
from civicport.core.tasks import deliver_notification
from civicport.core.text import nfc

# Unsuffixed template files are written in this language.
BASE_LANGUAGE = "vi"
_TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HEADER = re.compile(r"^(Subject|Charset):[ \t]*(.*)$")
_CHANNEL_HEADERS = {Notification.Channel.EMAIL: {"Subject"}, Notification.Channel.SMS: {"Charset"}}
_KEY_MAX = Notification._meta.get_field("idempotency_key").max_length
_SUBJECT_MAX = Notification._meta.get_field("subject").max_length
_RECIPIENT_MAX = Notification._meta.get_field("recipient").max_length


def notification_send(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict,
    idempotency_key: str,
    language: str = BASE_LANGUAGE,
    new_key: bool = False,
) -> Notification:
    """Render and store a notification, and queue its delivery when the transaction commits.

    Raises ValidationError (nothing written) for an unknown channel, a malformed e-mail address
    or a non-Vietnamese phone number. The same `idempotency_key` again returns the stored row,
    whatever the other arguments, and queues nothing.

    `new_key=True` says the key names something created in the caller's transaction (e.g. a
    new dossier event), so no notification can have it yet: the lookup and the savepoint
    that guard against a duplicate are skipped (a duplicate would fail the transaction).
    """
    _check_template(channel, template)
    recipient = _clean(channel, recipient, idempotency_key)
    if not new_key:
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    subject, body = render_notification(
        channel=channel, template=template, context=context, language=language
    )
    row = Notification(
        channel=channel,
        recipient=recipient,
        template=template,
        subject=subject,
        body=body,
        idempotency_key=idempotency_key,
    )
    if new_key:
        row.save(force_insert=True)
        return _queued(row)
    try:
        # The savepoint keeps the caller's transaction usable when a concurrent call with the
        # same key wins the unique constraint.
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return Notification.objects.get(idempotency_key=idempotency_key)
    return _queued(row)


def _queued(notification: Notification) -> Notification:
    # robust: the caller's change is already committed; a queue failure must not turn it into an
    # error page. It is logged, and the row stays pending.
    transaction.on_commit(partial(_enqueue, notification.pk), robust=True)
    return notification


def render_notification(
    *, channel: str, template: str, context: dict, language: str = BASE_LANGUAGE
) -> tuple[str, str]:
    """(subject, body) of a template; subject is "" for SMS. Also usable for previews."""
    _check_template(channel, template)
    names = [f"notifications/{template}.{channel}.txt"]
    if language != BASE_LANGUAGE:
        names.insert(0, f"notifications/{template}.{channel}.{language}.txt")
    compiled = select_template(names, using="django").template
    with translation.override(language):
        text = compiled.render(Context(context, autoescape=False))
    headers, body = _split_headers(nfc(text), _CHANNEL_HEADERS[channel])
    subject = ""
    if channel == Notification.Channel.EMAIL:
        if "Subject" not in headers:
            raise ImproperlyConfigured(f"{names[-1]} must start with a 'Subject: ...' line")
        subject = " ".join(headers["Subject"].split())
        if not subject:
            raise ValidationError({"context": _("The message has no subject.")})
        if len(subject) > _SUBJECT_MAX:
            subject = subject[: _SUBJECT_MAX - 1] + "…"
    elif headers.get("Charset", "").lower() == "ascii":
        body = to_ascii(body)
    if not body:
        raise ValidationError({"context": _("The message is empty.")})
    return subject, body


def notification_retry_failed(*, notification_ids: list[int] | None = None) -> int:
    """Queue failed notifications (all, or those of `notification_ids`) again, attempts reset.

    For an admin after a provider outage outlasted the retries. Returns how many were queued.
    """
    rows = Notification.objects.select_for_update().filter(status=Notification.Status.FAILED)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    with transaction.atomic():
        ids = list(rows.values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids).update(
            status=Notification.Status.PENDING, attempts=0
        )
        for pk in ids:
            transaction.on_commit(partial(_enqueue, pk), robust=True)
    return len(ids)


def _enqueue(notification_id: int, attempt: int = 0) -> None:
    deliver_notification.enqueue(notification_id, attempt)


def _check_template(channel: str, template: str) -> None:
    if channel not in Notification.Channel.values:
        raise ValidationError({"channel": _("Unknown notification channel.")})
    if not _TEMPLATE_NAME.match(template or ""):
        raise ValidationError({"template": _("Invalid notification template name.")})


def _clean(channel: str, recipient: str, idempotency_key: str) -> str:
    """The canonical recipient; ValidationError for a bad recipient or key."""
    if not idempotency_key or len(idempotency_key) > _KEY_MAX:
        # The limit is the model field's, 200, spelled out to match the translation catalogue.
        raise ValidationError(
            {"idempotency_key": _("The idempotency key must have 1 to 200 characters.")}
        )
    recipient = (recipient or "").strip()
    if channel == Notification.Channel.EMAIL:
        try:
            validate_email(recipient)
            valid = len(recipient) <= _RECIPIENT_MAX
        except ValidationError:
            valid = False
        if not valid:
            raise ValidationError({"recipient": _("This e-mail address is not valid.")})
        return recipient
    phone = normalize_phone(recipient)
    if phone is None:
        raise ValidationError(
            {"recipient": _("Enter a Vietnamese phone number (e.g. 0912345678).")}
        )
    return phone


def _split_headers(text: str, allowed: set[str]) -> tuple[dict[str, str], str]:
    """Leading `Name: value` lines (only `allowed` names) and the cleaned body after them."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    headers = {}
    while lines and (match := _HEADER.match(lines[0])) and match[1] in allowed:
        headers[match[1]] = match[2]
        lines.pop(0)
    # Template tags leave blank lines behind: keep at most one in a row.
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return headers, body
