"""Seeding framework and the core app's own reference and demo data.

An app takes part by having a `seeding` module with `reference() -> str` and/or
`demo(scale: int) -> str` (each returns a one-line summary). Apps run in INSTALLED_APPS
order, core first, so later apps can rely on units, agencies and demo officers.
"""

from collections.abc import Iterator
from importlib import import_module

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import translation
from django.utils.module_loading import module_has_submodule

from civicport.core.agencies import agencies_load
from civicport.core.calendar import calendar_seed
from civicport.core.models import Agency, Membership, Role, User, UserKind
from civicport.core.units import legacy_load, units_load

DEMO_PASSWORD = "HaiPhong@2025"

# (username, full name, flags, [(agency code or None for the first department, role)])
DEMO_ACCOUNTS = [
    ("admin", "Quản trị hệ thống", {"is_city_admin": True, "is_staff": True,
                                    "is_superuser": True}, []),
    ("ioc", "Cán bộ Trung tâm IOC", {"is_ioc_viewer": True}, []),
]


def run_seeders(*, demo: bool, scale: int = 1) -> Iterator[tuple[str, str, str]]:
    for config in apps.get_app_configs():
        if not config.name.startswith("civicport.") or not module_has_submodule(
            config.module, "seeding"
        ):
            continue
        module = import_module(f"{config.name}.seeding")
        stages = [("reference", ())] + ([("demo", (scale,))] if demo else [])
        for stage, args in stages:
            func = getattr(module, stage, None)
            if func is not None:
                with transaction.atomic():
                    yield config.label, stage, func(*args)


def reference() -> str:
    units = units_load()
    legacy = legacy_load()
    agencies = agencies_load()
    makeup = calendar_seed()
    return f"units {units}, legacy {legacy}, agencies {agencies}, make-up days {makeup}"


def demo(scale: int = 1) -> str:
    with translation.override("vi"):  # demo names are stored in Vietnamese
        return _demo(scale)


def _demo(scale: int) -> str:
    password = make_password(DEMO_PASSWORD)  # hashed once: benchmark scales create 10⁴+ users
    created = 0
    for username, full_name, flags, _roles in DEMO_ACCOUNTS:
        created += _demo_user(username, full_name, UserKind.OFFICER, password, **flags)
    for agency, prefix in _demo_agencies():
        for role in Role:
            username = f"{prefix}.{role.value}"
            created += _demo_user(
                username, f"{role.label.capitalize()} {agency.short_name or agency.name}",
                UserKind.OFFICER, password,
            )
            Membership.objects.get_or_create(
                user=User.objects.get(username=username), agency=agency, role=role
            )
    created += _demo_citizens(20 * scale, password)
    return f"{created} demo accounts created (password {DEMO_PASSWORD})"


def _demo_citizens(count: int, password: str) -> int:
    """Citizens 0900000001… in bulk; those that exist already are left alone."""
    phones = {i: f"09{i:08d}" for i in range(1, count + 1)}
    existing = set(
        User.objects.filter(username__in=phones.values()).values_list("username", flat=True)
    )
    new = [
        User(username=phone, phone=phone, full_name=f"Công dân thử nghiệm {i}",
             kind=UserKind.CITIZEN, password=password)
        for i, phone in phones.items()
        if phone not in existing
    ]
    User.objects.bulk_create(new, batch_size=2000)
    return len(new)


def _demo_agencies() -> list[tuple[Agency, str]]:
    """One department and one commune committee get a full set of demo officers."""
    picks = []
    department = Agency.objects.filter(kind=Agency.Kind.DEPARTMENT).order_by("code").first()
    commune = (
        Agency.objects.filter(kind=Agency.Kind.COMMUNE, ward__name__icontains="Hồng Bàng").first()
        or Agency.objects.filter(kind=Agency.Kind.COMMUNE).order_by("code").first()
    )
    if department:
        picks.append((department, "so"))
    if commune:
        picks.append((commune, "xa"))
    return picks


def _demo_user(username: str, full_name: str, kind: str, password: str, **fields) -> int:
    _, created = User.objects.get_or_create(
        username=username,
        defaults={"full_name": full_name, "kind": kind, "password": password, **fields},
    )
    return int(created)
