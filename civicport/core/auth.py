"""Logging in: phone-or-e-mail backend, login throttling and API tokens."""

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.utils import timezone

from civicport.core.models import ApiToken, LoginFailure, User

_PHONE_CHARS = re.compile(r"[\s.\-()]")
# Vietnamese mobile and landline numbers: 0 + 9–10 digits, or +84 / 84 + the same.
_PHONE = re.compile(r"^0\d{9,10}$")


def normalize_phone(raw: str) -> str | None:
    """`+84 912 345 678` → `0912345678`; None when it is not a Vietnamese number."""
    phone = _PHONE_CHARS.sub("", raw or "")
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    elif phone.startswith("84") and len(phone) in (11, 12):
        phone = "0" + phone[2:]
    return phone if _PHONE.match(phone) else None


def normalize_login(raw: str) -> str:
    """The canonical form of what a person types as login: phone, e-mail or username."""
    raw = (raw or "").strip()
    if "@" in raw:
        return raw.lower()
    return normalize_phone(raw) or raw


def find_user(login: str) -> User | None:
    login = normalize_login(login)
    if not login:
        return None
    return (
        User.objects.filter(Q(username=login) | Q(email__iexact=login) | Q(phone=login))
        .order_by("id")
        .first()
    )


class PhoneOrEmailBackend(ModelBackend):
    """Authenticate with username, e-mail or phone number and password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Same work as a real check, so timing does not reveal which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


# --- throttling --------------------------------------------------------------------------


def _window_start():
    return timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_is_throttled(*, login: str, address: str | None) -> bool:
    """Too many recent failures for this account, or from this address?"""
    since = _window_start()
    recent = LoginFailure.objects.filter(at__gte=since)
    account = normalize_login(login)
    if account and recent.filter(account=account).count() >= (
        settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
    ):
        return True
    return bool(
        address
        and recent.filter(address=address).count() >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS
    )


def login_failure_record(*, login: str, address: str | None) -> None:
    LoginFailure.objects.create(account=normalize_login(login)[:150], address=address)
    # Old rows are useless once outside the window; trim them as we go.
    LoginFailure.objects.filter(at__lt=_window_start() - timedelta(days=1)).delete()


def login_failures_clear(*, login: str) -> None:
    LoginFailure.objects.filter(account=normalize_login(login)).delete()


# --- API tokens --------------------------------------------------------------------------

TOKEN_PREFIX = "cvp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plain token, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, prefix=token[:12], digest=_digest(token))
    return row, token


def api_token_user(token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def client_address(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a proxy rewrites it,
    # and trusting it would let an attacker dodge the per-address throttle.
    return request.META.get("REMOTE_ADDR") or None
