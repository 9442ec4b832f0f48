"""Small builders for core objects in tests (no fixtures files, no magic)."""

from civicport.core.models import Agency, Membership, User, UserKind

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def agency(*, name=None, parent=None, kind=Agency.Kind.DEPARTMENT, code=None) -> Agency:
    n = _next()
    row = Agency.objects.create(
        code=code or f"T{n:04d}.H31", name=name or f"Cơ quan thử {n}", kind=kind, parent=parent
    )
    row.path = (parent.path if parent else "/") + f"{row.pk}/"
    row.save(update_fields=["path"])
    return row


def officer(*, agencies_roles, username=None, **fields) -> User:
    n = _next()
    user = User.objects.create(
        username=username or f"officer{n}", kind=UserKind.OFFICER, full_name=f"Cán bộ {n}",
        **fields,
    )
    for agency_obj, role in agencies_roles:
        Membership.objects.create(user=user, agency=agency_obj, role=role)
    return user


def router_client(prefix: str, router):
    """A ninja TestClient for one router under CivicPort's error handlers."""
    from ninja import NinjaAPI
    from ninja.testing import TestClient

    from civicport.core.api import install_error_handlers

    api = NinjaAPI(urls_namespace=f"test-{prefix.strip('/')}")
    install_error_handlers(api)
    api.add_router(prefix, router)
    return TestClient(api)
