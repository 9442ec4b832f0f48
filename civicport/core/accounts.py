"""Citizen registration and officer accounts."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicport.core.audit import audit_record
from civicport.core.auth import normalize_login, normalize_phone
from civicport.core.models import Agency, Membership, User, UserKind


def user_register(*, full_name: str, login: str, password: str) -> User:
    """Register a citizen with a phone number or an e-mail address as login.

    Raises ValidationError (messages in the active language) for a malformed login,
    a login already taken, or a weak password; nothing is written then.
    """
    full_name = " ".join((full_name or "").split())
    login = (login or "").strip()
    if not full_name:
        raise ValidationError({"full_name": _("Please enter your full name.")})
    email = phone = ""
    if "@" in login:
        email = login.lower()
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"login": _("This e-mail address is not valid.")}) from None
    else:
        phone = normalize_phone(login) or ""
        if not phone:
            raise ValidationError(
                {"login": _("Enter a Vietnamese phone number (e.g. 0912345678) or an e-mail.")}
            )
    username = email or phone
    if _login_taken(username):
        raise ValidationError({"login": _("An account with this phone number or e-mail exists.")})
    candidate = User(username=username, email=email, phone=phone, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
            audit_record(actor=candidate, action="user.register", obj=candidate)
    except IntegrityError:
        # Two registrations for the same login at once: the unique constraints decide.
        raise ValidationError(
            {"login": _("An account with this phone number or e-mail exists.")}
        ) from None
    return candidate


def _login_taken(login: str) -> bool:
    login = normalize_login(login)
    return (
        User.objects.filter(username=login).exists()
        or User.objects.filter(email__iexact=login).exists()
        or User.objects.filter(phone=login).exists()
    )


def officer_create(
    *, username: str, full_name: str, password: str, roles: list[tuple[Agency, str]],
    email: str = "", phone: str = "", actor: User | None = None,
) -> User:
    """Create an officer with roles in agencies (used by seed data and admins)."""
    with transaction.atomic():
        user = User(
            username=username, full_name=full_name, email=email, phone=phone,
            kind=UserKind.OFFICER,
        )
        user.set_password(password)
        user.save()
        for agency, role in roles:
            Membership.objects.create(user=user, agency=agency, role=role)
        audit_record(actor=actor, action="user.create_officer", obj=user,
                     data={"roles": [[a.code, r] for a, r in roles]})
    return user
