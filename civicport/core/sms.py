"""SMS providers behind one small interface, chosen by `CIVICPORT_SMS_BACKEND`.

The default `OutboxSmsBackend` sends nothing: it writes an `SmsOutbox` row that admins read, so a
demo or test deployment needs no contract with a carrier.

A real provider plugs in as a subclass living anywhere importable, e.g. an HTTP "SMS brandname"
gateway (the registered sender name Vietnamese carriers require)::

    class BrandnameGatewayBackend(SmsBackend):
        def send(self, *, to: str, body: str) -> str:
            number = self.normalize(to)
            try:
                response = httpx.post(URL, json={"phone": number, "brandname": self.sender,
                                                 "message": body}, timeout=10)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise SmsError(str(exc)) from exc
            return response.json()["message_id"]

and is selected with ``CIVICPORT_SMS_BACKEND=myproject.sms.BrandnameGatewayBackend``. `send`
must raise `SmsError` (or any exception) on failure: the delivery task then retries with backoff.
It should set a network timeout, since a hung call holds up a worker.
"""

import unicodedata

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from civicport.core.auth import normalize_phone
from civicport.core.models import SmsOutbox

# The GSM 03.38 basic character set: text made only of these fits 160 characters per SMS.
# Anything else (every Vietnamese letter with a diacritic) switches the whole message to UCS-2,
# 70 characters per SMS, so a Vietnamese text costs about twice as many segments.
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


class SmsError(Exception):
    """The provider did not accept the message; the caller may retry later."""


class SmsBackend:
    """Interface of an SMS provider: send one text to one Vietnamese number."""

    def __init__(self):
        self.sender = settings.CIVICPORT_SMS_SENDER

    def send(self, *, to: str, body: str) -> str:
        """Send `body` to `to`; return the provider's message id; raise SmsError on failure."""
        raise NotImplementedError

    @staticmethod
    def normalize(to: str) -> str:
        """`+84 912 345 678` → `0912345678`; SmsError for a number that is not Vietnamese."""
        number = normalize_phone(to)
        if number is None:
            raise SmsError(f"not a Vietnamese phone number: {to!r}")
        return number


class OutboxSmsBackend(SmsBackend):
    """Default provider: store the message in `SmsOutbox` instead of sending it."""

    def send(self, *, to: str, body: str) -> str:
        row = SmsOutbox.objects.create(to=self.normalize(to), sender=self.sender, body=body)
        return f"outbox:{row.pk}"


def get_sms_backend() -> SmsBackend:
    """An instance of the configured provider (read on each call so tests can switch it)."""
    path = settings.CIVICPORT_SMS_BACKEND
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"CIVICPORT_SMS_BACKEND={path!r} cannot be imported: {exc}"
        ) from exc
    if not (isinstance(backend_class, type) and callable(getattr(backend_class, "send", None))):
        raise ImproperlyConfigured(
            f"CIVICPORT_SMS_BACKEND={path!r} is not an SMS backend class with a send() method"
        )
    return backend_class()


def to_ascii(text: str) -> str:
    """`Hồ sơ HP-01 đã xong` → `Ho so HP-01 da xong`: drop Vietnamese marks, keep case.

    Not `core.text.fold`, which also lower-cases and would mangle dossier codes.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def sms_segments(body: str) -> int:
    """How many SMS a carrier bills for `body` (GSM-7: 160/153 chars, UCS-2: 70/67)."""
    if not body:
        return 1
    if set(body) <= _GSM7:
        single, part = 160, 153
    else:
        single, part = 70, 67
    length = len(body)
    return 1 if length <= single else -(-length // part)
