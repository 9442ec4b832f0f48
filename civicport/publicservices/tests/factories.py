"""Small builders for procedures and dossiers in tests (shared by every publicservices test).

Agencies created here get codes in the dossier-code form (`NNN.NN.NN.H31`) so that codes
built from them pass `codes.dossier_code_valid`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from civicport.core.models import Agency, Role, User, UserKind
from civicport.core.tests import factories as core
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierStatus,
    Field,
    Procedure,
    ProcedureStep,
    TimeUnit,
)

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def agency(*, name=None, parent=None, kind=Agency.Kind.DEPARTMENT, code=None) -> Agency:
    """An agency whose code fits the dossier-code scheme (unlike core's `T0001.H31`)."""
    n = _next()
    return core.agency(
        name=name, parent=parent, kind=kind, code=code or f"9{n // 10000:02d}.{n // 100 % 100:02d}"
        f".{n % 100:02d}.H31",
    )


def field(*, code=None, name=None) -> Field:
    n = _next()
    return Field.objects.create(code=code or f"F{n}", name=name or f"Lĩnh vực {n}")


def procedure(
    *, code=None, level="toan_trinh", days=3, hours=None, agency=None, steps=None, fee=0,
    form_schema=None, name=None,
) -> Procedure:
    """A procedure of `days` working days (or `hours` working hours) at `agency`.

    `steps` is a list of (name, role, hours) or (name, role, hours, agency); by default:
    receive (receiver, 4h), process (processor, the rest), approve (approver, 4h).
    """
    n = _next()
    agency_obj = agency or globals()["agency"]()
    if hours is not None:
        amount, unit = Decimal(str(hours)), TimeUnit.WORKING_HOURS
    else:
        amount, unit = Decimal(str(days)), TimeUnit.WORKING_DAYS
    row = Procedure.objects.create(
        code=code or f"9.{n:06d}", name=name or f"Thủ tục thử {n}", field=field(), level=level,
        time_amount=amount, time_unit=unit, fee_amount=fee, form_schema=form_schema or [],
    )
    row.agencies.add(agency_obj)
    total = amount * 8 if unit == TimeUnit.WORKING_DAYS else amount
    if steps is None:
        steps = [
            ("Tiếp nhận", Role.RECEIVER, Decimal(4)),
            ("Xử lý", Role.PROCESSOR, max(total - 8, Decimal(1))),
            ("Phê duyệt", Role.APPROVER, Decimal(4)),
        ]
    for order, spec in enumerate(steps, start=1):
        step_name, role, step_hours, *rest = spec
        ProcedureStep.objects.create(
            procedure=row, order=order, name=step_name, role=role,
            hours=Decimal(str(step_hours)), agency=rest[0] if rest else None,
        )
    return row


def citizen(*, phone=None, email=None, full_name=None, username=None) -> User:
    """A citizen account; phone and e-mail are unique per user by default."""
    n = _next()
    return User.objects.create(
        username=username or f"citizen{n}", kind=UserKind.CITIZEN,
        full_name=full_name or f"Công dân {n}",
        phone=f"09{n:08d}" if phone is None else phone,
        email=f"citizen{n}@example.vn" if email is None else email,
    )


def dossier(
    *, procedure=None, applicant=None, status=DossierStatus.DRAFT, agency=None,
    channel=Channel.ONLINE, form_data=None, **fields,
) -> Dossier:
    """A dossier stored as-is (no workflow): for list/report tests. Use actions.* to walk it."""
    proc = procedure or globals()["procedure"](agency=agency)
    agency_obj = agency or proc.agencies.first()
    person = applicant if applicant is not None else citizen()
    values = {
        "applicant_name": person.full_name if person else "Nguyễn Văn A",
        "applicant_phone": person.phone if person else "",
        "applicant_email": person.email if person else "",
        "current_agency": agency_obj,
        **fields,
    }
    return Dossier.objects.create(
        procedure=proc, agency=agency_obj, applicant=person, status=status, channel=channel,
        form_data=form_data or {}, **values,
    )


@dataclass
class Team:
    """The three one-stop roles at one agency."""

    receiver: User
    processor: User
    approver: User


def team(agency_obj: Agency) -> Team:
    """A receiver, a processor and an approver of `agency_obj` (each with an e-mail)."""
    people = {}
    for role in (Role.RECEIVER, Role.PROCESSOR, Role.APPROVER):
        n = _next()
        people[role] = core.officer(
            agencies_roles=[(agency_obj, role)], email=f"{role}{n}@example.gov.vn"
        )
    return Team(people[Role.RECEIVER], people[Role.PROCESSOR], people[Role.APPROVER])


VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in Hải Phòng local time."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


class Clock:
    """A settable `timezone.now()` for tests: `clock = Clock(monkeypatch, at(2026, 2, 13, 10))`,
    then `clock.set(...)` or `clock.advance(hours=2)`."""

    def __init__(self, monkeypatch, start: datetime):
        from django.utils import timezone

        self.now = start
        # Like the real one, in UTC (the audit hash covers `at.isoformat()`).
        monkeypatch.setattr(timezone, "now", lambda: self.now.astimezone(UTC))

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now
