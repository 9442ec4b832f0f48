"""Demo dossiers: a realistic last month of Hải Phòng's one-stop desks, generated in bulk.

`demo_dossiers_seed(scale)` (called by `seeding.demo`) writes `DOSSIERS_PER_SCALE × scale`
dossiers received in working hours during the 30 days before now, at the city departments that
implement the seeded procedures and at `8 + 2 × scale` commune committees (all 114 from scale
53), with `is_demo=True`:

* about 90 % online (the procedure's level decides: fully online 97 %, partly online 90 %,
  desk-only procedures never), the rest at the desk or by post;
* most processed early or on time (about 4 % late, a few with two supplement requests, which
  766 counts as late), some still open — received, processing, waiting for documents or for
  the fee — some refused, withdrawn or stopped, most results returned, about 40 % rated;
* every status change is a `DossierEvent` in the order the workflow allows (each one is
  checked against `workflow.TRANSITIONS` while the history is replayed up to now), with the
  acting agency, the demo officer of that agency and role where core seeded one, the
  applicant for citizen actions, and the tracked changes (step, agency, appointment, rating)
  in `data` as the real actions record them;
* appointments from the working-time calendar: `WorkAxis` maps moments to working seconds
  and back exactly as `core.calendar.add_working_hours` / `working_time_between` do (tested
  against them), so a due date is `receipt + legal time + paused time`, the same as
  `deadlines.due_compute` followed by `deadline_shift` at each resumption;
* codes `<agency>-YYMMDD-NNNN` continue each `DossierCounter(agency, day)` (rows locked) and
  the counters are left at the last number used, so a real submission afterwards gets the next
  number;
* applicants are core's demo citizens (`09xxxxxxxx`); walk-in applicants without an account
  get invented names. 88 % of results carry an electronic result file: all point to one small
  shared PDF (`DEMO_RESULT_NAME`) rather than a million copies.

Rows are written in batches of `BATCH_SIZE` — `bulk_create`, or COPY on PostgreSQL (`Writer`)
— with no action calls and no query per row: about 0.55 ms per dossier on PostgreSQL (985,800
dossiers with 7.4 M events in 545 s, scale 1700), 2.4 ms on SQLite, 1.4 s at scale 1. Demo data
has events but no audit entries per change: one audit entry records the seed.

Idempotency: the seed tops the demo dossiers up to the target count. When at least
`DOSSIERS_PER_SCALE × scale` demo dossiers exist, it adds nothing; running it twice at the
same scale never doubles the data, and a larger scale later adds only the difference (spread
over the 30 days before that run). Delete the `is_demo` dossiers to regenerate the month.
"""

from __future__ import annotations

import hashlib
import logging
import random
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from civicport.core.audit import audit_record
from civicport.core.calendar import is_working_day, office_sessions
from civicport.core.models import Agency, Membership, Role, User, UserKind, Ward
from civicport.publicservices.codes import dossier_code_format
from civicport.publicservices.deadlines import local_day
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierFile,
    DossierStatus,
    FileKind,
    Procedure,
    ProcedureLevel,
    ResultDelivery,
    TimeUnit,
)
from civicport.publicservices.workflow import TRANSITIONS

S = DossierStatus
DOSSIERS_PER_SCALE = 600
WINDOW = timedelta(days=30)
# Calendar days beyond now that appointments and late finishes may reach.
HORIZON = timedelta(days=240)
BATCH_SIZE = 2000
DEMO_RESULT_NAME = "dossiers/demo/ket-qua-thu-nghiem.pdf"
HOUR = 3600

# Shares (fractions of dossiers).
ONLINE_SHARE = {ProcedureLevel.FULL_ONLINE: 0.97, ProcedureLevel.PARTIAL_ONLINE: 0.90}
POSTAL_SHARE = 0.04
REFUSED_SHARE = 0.02
FEE_PAID_ONLINE = {True: 0.92, False: 0.2}  # by online submission
SUPPLEMENT_SHARE = 0.05
TWO_SUPPLEMENTS_SHARE = 0.004
NEVER_SUPPLIED_SHARE = 0.08
WITHDRAWN_SHARE = 0.01
LATE_SHARE = 0.04
APOLOGY_SHARE = 0.6
RETURNED_SHARE = 0.93
RATED_SHARE = 0.4
RESULT_FILE_SHARE = 0.88
RATINGS = (1, 2, 3, 4, 5)
RATING_WEIGHTS = {False: (2, 2, 6, 25, 65), True: (15, 15, 30, 25, 15)}  # by lateness

REASONS = {
    "refuse": ["Hồ sơ không thuộc thẩm quyền giải quyết", "Thành phần hồ sơ không đúng quy định"],
    "request_supplement": ["Bổ sung bản sao giấy tờ tùy thân còn hiệu lực",
                           "Ảnh chụp giấy tờ không rõ, đề nghị nộp lại"],
    "stop": ["Quá thời hạn bổ sung hồ sơ mà người nộp không bổ sung"],
    "withdraw": ["Người nộp đề nghị rút hồ sơ để điều chỉnh thông tin"],
    "apologize": ["Hồ sơ cần xác minh thêm với cơ quan liên quan"],
}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Hữu", "Quang", "Thanh", "Bảo"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh",
         "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Yến"]
STREETS = ["Lạch Tray", "Trần Phú", "Điện Biên Phủ", "Lê Lợi", "Tô Hiệu", "Nguyễn Văn Linh"]


# --- working time as numbers --------------------------------------------------------------------


class WorkAxis:
    """Working time from `first` to `last` (local days) as integer seconds.

    `offset(t)` is the working time from the first day's opening to `t` and `moment(o)` its
    inverse, with the calendar's convention that a count ending exactly at a session's end
    gives that end (17:00), not the next opening. So `moment(offset(t) + s)` equals
    `add_working_hours(t, s / 3600)` and `offset(b) − offset(a)` equals
    `working_time_between(a, b)` for moments in the span.
    """

    def __init__(self, first: date, last: date):
        self.tz = timezone.get_default_timezone()
        self.sessions = [
            (opens.hour * HOUR + opens.minute * 60, closes.hour * HOUR + closes.minute * 60)
            for opens, closes in office_sessions()
        ]
        self.day = sum(closes - opens for opens, closes in self.sessions)
        self.days = [
            first + timedelta(days=i) for i in range((last - first).days + 1)
            if is_working_day(first + timedelta(days=i))
        ]
        self._midnights = [
            datetime.combine(d, datetime.min.time(), tzinfo=self.tz) for d in self.days
        ]

    def offset(self, moment: datetime) -> int:
        local = timezone.localtime(moment, self.tz)
        index = bisect_left(self.days, local.date())
        before = index * self.day
        if index == len(self.days) or self.days[index] != local.date():
            return before  # a day off: nothing worked on it
        clock = local.hour * HOUR + local.minute * 60 + local.second
        return before + sum(
            min(max(clock - opens, 0), closes - opens) for opens, closes in self.sessions
        )

    def moment(self, offset: int) -> datetime:
        index = max(offset - 1, 0) // self.day
        if index >= len(self.days):
            raise ValueError("beyond the demo calendar")
        into = offset - index * self.day
        for opens, closes in self.sessions:
            if into <= closes - opens:
                return self._midnights[index] + timedelta(seconds=opens + into)
            into -= closes - opens
        raise AssertionError("unreachable: a day holds its sessions")

    def local_day(self, offset: int) -> date:
        return self.days[max(offset - 1, 0) // self.day]


# --- what is offered where ------------------------------------------------------------------------


@dataclass
class Offer:
    """A procedure at one agency, with its legal time and steps in working seconds."""

    procedure: Procedure
    agency: Agency
    weight: float
    legal: int
    steps: list[tuple[int, int, int]]  # (step id, agency id, working seconds)
    online_share: float


def _legal_seconds(procedure: Procedure, day: int) -> int:
    unit = HOUR if procedure.time_unit == TimeUnit.WORKING_HOURS else day
    return int(Decimal(procedure.time_amount) * unit)


def _weight(procedure: Procedure) -> float:
    """How often a procedure is asked for: short, everyday ones most."""
    amount = Decimal(procedure.time_amount)
    if procedure.time_unit == TimeUnit.WORKING_HOURS:
        weight = 6.0
    elif amount <= 3:
        weight = 3.0
    elif amount <= 10:
        weight = 1.5
    else:
        weight = 0.6
    return weight * (0.3 if procedure.level == ProcedureLevel.OFFLINE else 1.0)


def _demo_agencies(scale: int) -> list[Agency]:
    """Every agency offering a procedure, except commune committees: `8 + 2 × scale` of those,
    the one with core's demo officers first, the others spread over the city."""
    offering = Agency.objects.filter(procedures__is_active=True).distinct()
    departments = list(offering.exclude(kind=Agency.Kind.COMMUNE).order_by("code"))
    communes = list(offering.filter(kind=Agency.Kind.COMMUNE).order_by("code"))
    wanted = min(len(communes), 8 + 2 * scale)
    staffed = set(
        Membership.objects.filter(agency__in=communes).values_list("agency_id", flat=True)
    )
    first = [a for a in communes if a.pk in staffed]
    rest = [a for a in communes if a.pk not in staffed]
    step = max(len(rest) // max(wanted - len(first), 1), 1)
    chosen = (first + rest[::step] + rest)[:wanted]
    return departments + list(dict.fromkeys(chosen))


def _offers(scale: int, day: int) -> list[Offer]:
    agencies = _demo_agencies(scale)
    procedures = (
        Procedure.objects.filter(is_active=True, agencies__in=agencies)
        .distinct().prefetch_related("steps", "agencies")
    )
    chosen = {agency.pk: agency for agency in agencies}
    offers = []
    for procedure in procedures:
        steps = list(procedure.steps.all())
        for agency in procedure.agencies.all():
            if agency.pk not in chosen:
                continue
            # Communes differ in size: a stable factor per commune from its code.
            size = (
                0.5 + int(hashlib.sha256(agency.code.encode()).hexdigest()[:4], 16) / 65535
                if agency.kind == Agency.Kind.COMMUNE else 3.0
            )
            offers.append(Offer(
                procedure=procedure, agency=chosen[agency.pk],
                weight=_weight(procedure) * size,
                legal=_legal_seconds(procedure, day),
                steps=[(s.pk, s.agency_id or agency.pk, int(Decimal(s.hours) * HOUR))
                       for s in steps],
                online_share=ONLINE_SHARE.get(procedure.level, 0.0),
            ))
    return offers


# --- people -------------------------------------------------------------------------------------


@dataclass
class Person:
    user_id: int | None
    name: str
    phone: str
    email: str
    id_number: str
    ward: int | None
    address: str


class People:
    """Core's demo citizens, walk-ins with invented names, and the demo officers."""

    def __init__(self, rng: random.Random, agencies: list[Agency]):
        self.rng = rng
        province = settings.CIVICPORT_PROVINCE
        self.wards = list(Ward.objects.filter(province_id=province).values_list("code", "name"))
        self.ward_names = dict(self.wards)
        self.citizens = [
            self._citizen(pk, name, phone, email)
            for pk, username, name, phone, email in User.objects.filter(
                kind=UserKind.CITIZEN, username__startswith="09", is_active=True
            ).order_by("pk").values_list("pk", "username", "full_name", "phone", "email")
            if len(username) == 10 and username.isdigit()
        ]
        self.officers = {
            (agency_id, role): user_id
            for agency_id, role, user_id in Membership.objects.filter(
                agency__in=agencies
            ).order_by("-pk").values_list("agency_id", "role", "user_id")
        }

    def _address(self, seed: int) -> tuple[int | None, str]:
        if not self.wards:
            return None, ""
        code, name = self.wards[seed % len(self.wards)]
        return code, f"Số {seed % 300 + 1}, đường {STREETS[seed % len(STREETS)]}, {name}"

    def _citizen(self, pk: int, name: str, phone: str, email: str) -> Person:
        ward, address = self._address(pk * 7919)
        return Person(pk, name, phone, email, f"031{pk % 10**9:09d}", ward, address)

    def name(self) -> str:
        rng = self.rng
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"

    def pick(self, *, online: bool, ward: int | None) -> Person:
        if online or self.rng.random() < 0.6:
            return self.rng.choice(self.citizens)
        seed = self.rng.randrange(10**9)
        code, address = self._address(seed)
        if ward is not None:
            code = ward
            address = f"Số {seed % 300 + 1}, {self.ward_names.get(ward, '')}"
        return Person(None, self.name(), f"03{seed % 10**8:08d}", "", f"031{seed:09d}", code,
                      address)

    def officer(self, agency_id: int, role: str) -> int | None:
        return self.officers.get((agency_id, role)) or self.officers.get(
            (agency_id, Role.AGENCY_ADMIN)
        )


def _form_data(procedure: Procedure, person: Person, received: date,
               rng: random.Random, people: People) -> dict:
    """Plausible answers to the procedure's online form (file fields left out)."""
    data = {}
    for item in procedure.form_schema or []:
        if not isinstance(item, dict) or not item.get("key"):
            continue
        key, kind = item["key"], item.get("type", "text")
        if kind == "file":
            continue
        if key == "applicant_name":
            value = person.name
        elif kind == "text":
            value = people.name() if "name" in key else ("Kinh" if "ethnic" in key
                                                         else "Nội dung thử nghiệm")
        elif kind == "number":
            low = int(item.get("min") or 1)
            value = rng.randint(low, max(low, min(int(item.get("max") or 100), 100)))
        elif kind == "choice":
            choices = item.get("choices") or [""]
            choice = rng.choice(choices)
            value = str(choice.get("value") if isinstance(choice, dict)
                        else choice[0] if isinstance(choice, list | tuple) else choice)
        elif kind == "date":
            back = rng.randint(1, 60) if "birth" in key and "child" in key \
                else rng.randint(3650, 25000)
            value = (received - timedelta(days=back)).isoformat()
        elif kind == "id_number":
            value = person.id_number if key.startswith("applicant") \
                else f"031{rng.randrange(10**9):09d}"
        elif kind == "phone":
            value = person.phone or f"09{rng.randrange(10**8):08d}"
        elif kind == "address":
            value = {"line": person.address.split(",")[0], "ward": person.ward}
        else:
            continue
        data[key] = value
    return data


# --- one dossier's history ------------------------------------------------------------------------


@dataclass
class Step:
    at: int
    action: str
    actor: str  # a Role, "applicant", or "applicant_or_receiver"
    note: str = ""
    data: dict = field(default_factory=dict)
    target_step: int | None = None  # index into the offer's steps (forward)
    value: int | None = None  # new appointment (apologize) or rating (rate)


class Story:
    """The planned history of one dossier, replayed up to now into its fields and events."""

    def __init__(self, offer: Offer, received: int, online: bool, rng: random.Random,
                 day: int):
        self.offer, self.received, self.online, self.rng, self.day = (
            offer, received, online, rng, day,
        )
        self.steps: list[Step] = []
        self.paid_online = False
        self.result_file = False

    def span(self, low: int, high: int) -> int:
        return self.rng.randint(low, max(low, high))

    def plan(self) -> None:
        """Decide what happens to the dossier, as if time ran to the end of the story."""
        rng, offer, r, legal, day = self.rng, self.offer, self.received, self.offer.legal, self.day
        quick = max(legal // 5, 600)
        if self.online:
            self.steps.append(Step(r, "submit", "applicant"))
            reception = r + self.span(300, min(3 * HOUR, quick))
            if rng.random() < REFUSED_SHARE:
                self.steps.append(Step(reception, "refuse", Role.RECEIVER,
                                       rng.choice(REASONS["refuse"])))
                return
            self.steps.append(Step(reception, "receive", Role.RECEIVER))
        else:
            reception = r
            self.steps.append(Step(r, "register", Role.RECEIVER))
        t = reception + self.span(120, min(2 * HOUR, quick))
        self.steps.append(Step(t, "process", Role.PROCESSOR))
        pauses = []
        if offer.procedure.fee_amount > 0:
            asked = t + self.span(60, min(HOUR, quick))
            t = asked + self.span(900, 6 * HOUR)
            self.paid_online = rng.random() < FEE_PAID_ONLINE[self.online]
            self.steps += [Step(asked, "request_fee", Role.PROCESSOR),
                           Step(t, "pay_fee", "applicant_or_receiver",
                                data={"online": self.paid_online})]
            pauses.append(t - asked)
        supplements = 2 if rng.random() < TWO_SUPPLEMENTS_SHARE else (
            1 if rng.random() < SUPPLEMENT_SHARE else 0)
        for number in range(supplements):
            asked = t + self.span(HOUR // 2, max(HOUR, (r + legal - t) // 2))
            self.steps.append(Step(asked, "request_supplement", Role.PROCESSOR,
                                   rng.choice(REASONS["request_supplement"])))
            if number == supplements - 1 and rng.random() < NEVER_SUPPLIED_SHARE:
                self.steps.append(Step(asked + self.span(3 * day, 5 * day), "stop",
                                       Role.APPROVER, rng.choice(REASONS["stop"])))
                return
            t = asked + self.span(HOUR, 3 * day)
            self.steps.append(Step(t, "supply", "applicant_or_receiver"))
            pauses.append(t - asked)
        if rng.random() < WITHDRAWN_SHARE:
            self.steps.append(Step(t + self.span(HOUR, day), "withdraw", "applicant_or_receiver",
                                   rng.choice(REASONS["withdraw"])))
            return
        due = r + legal + sum(pauses)
        late = rng.random() < LATE_SHARE
        if late:
            finish = max(due, t) + self.span(HOUR, 3 * day)
            if rng.random() < APOLOGY_SHARE:
                self.steps.append(Step(max(due - self.span(60, HOUR), t + 60), "apologize",
                                       Role.APPROVER, rng.choice(REASONS["apologize"]),
                                       value=finish + self.span(0, day)))
        else:
            planned = r + sum(pauses) + int(legal * rng.uniform(0.35, 1.0))
            finish = max(t + self.span(60, HOUR // 2), min(planned, due))
        self._forwards(reception, t, finish)
        self.steps.append(Step(finish, "approve", Role.APPROVER))
        self.result_file = rng.random() < RESULT_FILE_SHARE
        end = finish
        if rng.random() < RETURNED_SHARE:
            end = finish + self.span(600, day)
            self.steps.append(Step(end, "return", Role.RECEIVER))
        if rng.random() < RATED_SHARE:
            rating = rng.choices(RATINGS, weights=RATING_WEIGHTS[late or supplements > 1])[0]
            self.steps.append(Step(end + self.span(HOUR, 2 * day), "rate", "applicant",
                                   value=rating))

    def _forwards(self, reception: int, busy_until: int, finish: int) -> None:
        """Forward through the steps after reception, their times proportional to the steps'
        allotted hours between reception and the end (never during a pause: the replay drops a
        forward that the workflow would refuse)."""
        hours = [seconds for _id, _agency, seconds in self.offer.steps[1:]]
        total = sum(hours) or 1
        elapsed = 0
        for index, seconds in enumerate(hours[:-1], start=2):
            elapsed += seconds
            at = max(reception + (finish - reception) * elapsed // total, busy_until + 30)
            if at < finish:
                self.steps.append(Step(at, "forward", Role.PROCESSOR, target_step=index))


@dataclass
class Outcome:
    """A dossier, its events and the time of its result file, as column values by attname."""

    dossier: dict
    events: list[dict]
    result_at: datetime | None


class Replayer:
    """Turns a Story into a Dossier row and its events, as seen at `now`."""

    def __init__(self, axis: WorkAxis, now: int, people: People):
        self.axis, self.now, self.people = axis, now, people

    def iso(self, offset: int | None) -> str | None:
        return None if offset is None else self.axis.moment(offset).isoformat()

    def replay(self, story: Story, person: Person, code: str, dossier: dict) -> Outcome:
        offer, moment = story.offer, self.axis.moment
        agency_id = offer.agency.pk
        status, step_index, holder = S.DRAFT, None, agency_id
        due = original = paused = finished = returned = rating = paid = step_due = None
        supplements, events, result_at = 0, [], None
        for step in sorted(story.steps, key=lambda s: s.at):
            if step.at > self.now:
                break
            transition = TRANSITIONS[step.action]
            if status not in transition.sources or (step.action == "rate" and not person.user_id):
                continue  # e.g. a forward planned while the dossier waits for documents
            before = (holder, self._step_id(offer, step_index), due, rating)
            data = dict(step.data)
            new_index = step_index
            if step.action in ("submit", "register"):
                due = original = step.at + offer.legal
                new_index = 0 if step.action == "submit" else 1
                if step.action == "register":
                    data["channel"] = dossier["channel"]
            elif step.action in ("receive", "forward"):
                new_index = 1 if step.action == "receive" else step.target_step
            elif step.action in ("request_fee", "request_supplement"):
                paused = step.at
                supplements += step.action == "request_supplement"
            elif step.action == "apologize":
                due = max(step.value, due + 1)
            elif step.action == "return":
                returned = step.at
                data["delivery"] = dossier["result_delivery"]
            elif step.action == "rate":
                rating = step.value
            if step.action in ("supply", "pay_fee", "approve", "refuse", "stop", "withdraw"):
                if paused is not None:
                    pause, paused = step.at - paused, None
                    due, original = due + pause, original + pause
                    step_due = step_due + pause if step_due is not None else None
                if step.action == "pay_fee":
                    paid = step.at
            if step.action in ("approve", "refuse", "stop", "withdraw"):
                finished, new_index = step.at, None
                if step.action == "approve" and story.result_file:
                    result_at = moment(step.at)
            if new_index != step_index:
                step_index = self._index(offer, new_index)
                step_due = step.at + offer.steps[step_index][2] if step_index is not None else None
            acting = holder
            holder = offer.steps[step_index][1] if step_index is not None else agency_id
            data |= self._changes(before, (holder, self._step_id(offer, step_index), due, rating))
            events.append({
                "at": moment(step.at), "action": step.action, "from_status": status,
                "to_status": transition.target or status, "agency_id": acting,
                "note": step.note, "actor_id": self._actor(step.actor, person, acting),
                "data": data,
            })
            status = transition.target or status
        dossier.update(
            code=code, status=status, current_agency_id=holder,
            current_step_id=self._step_id(offer, step_index),
            step_due_at=moment(step_due) if step_due is not None else None,
            due_at=moment(due), original_due_at=moment(original),
            paused_at=moment(paused) if paused is not None else None,
            finished_at=moment(finished) if finished is not None else None,
            returned_at=moment(returned) if returned is not None else None,
            supplement_count=supplements,
            fee_paid_at=moment(paid) if paid is not None else None,
            paid_online=paid is not None and story.paid_online,
            rating=rating, version=1 + len(events),
        )
        return Outcome(dossier, events, result_at)

    @staticmethod
    def _index(offer: Offer, index: int | None) -> int | None:
        """A step index that exists (the last step at most), or None without steps."""
        if index is None or not offer.steps:
            return None
        return min(index, len(offer.steps) - 1)

    @staticmethod
    def _step_id(offer: Offer, index: int | None) -> int | None:
        return offer.steps[index][0] if index is not None and offer.steps else None

    def _changes(self, before: tuple, after: tuple) -> dict:
        names = ("agency", "step", "due_at", "rating")
        changes = {}
        for name, old, new in zip(names, before, after, strict=True):
            if old != new:
                changes[name] = (
                    [self.iso(old), self.iso(new)] if name == "due_at" else [old, new]
                )
        return changes

    def _actor(self, actor: str, person: Person, agency_id: int) -> int | None:
        if actor == "applicant":
            return person.user_id
        if actor == "applicant_or_receiver":
            return person.user_id or self.people.officer(agency_id, Role.RECEIVER)
        return self.people.officer(agency_id, actor)


# --- writing ---------------------------------------------------------------------------------


class Counters:
    """The DossierCounter rows of the demo agencies and days, locked, advanced in memory and
    written back once."""

    def __init__(self, agency_ids: list[int], first: date, last: date):
        self.rows = {
            (row.agency_id, row.day): row
            for row in DossierCounter.objects.select_for_update().filter(
                agency_id__in=agency_ids, day__gte=first, day__lte=last
            )
        }
        self.touched: set[tuple[int, date]] = set()

    def next(self, agency: Agency, day: date) -> str:
        key = (agency.pk, day)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = DossierCounter(agency_id=agency.pk, day=day, last=0)
        row.last += 1
        self.touched.add(key)
        return dossier_code_format(agency_code=agency.code, day=day, sequence=row.last)

    def save(self) -> None:
        rows = [self.rows[key] for key in self.touched]
        DossierCounter.objects.bulk_update([r for r in rows if r.pk], ["last"],
                                           batch_size=BATCH_SIZE)
        DossierCounter.objects.bulk_create([r for r in rows if not r.pk], batch_size=BATCH_SIZE)


def _demo_result_file() -> tuple[str, int, str]:
    """The one shared result PDF of demo dossiers: (storage name, size, sha256)."""
    if default_storage.exists(DEMO_RESULT_NAME):
        with default_storage.open(DEMO_RESULT_NAME, "rb") as handle:
            content = handle.read()
    else:
        content = _demo_result_pdf()
        saved = default_storage.save(DEMO_RESULT_NAME, ContentFile(content))
        if saved != DEMO_RESULT_NAME:  # another process wrote it meanwhile
            default_storage.delete(saved)
    return DEMO_RESULT_NAME, len(content), hashlib.sha256(content).hexdigest()


@contextmanager
def _quiet(logger_name: str):
    """Raise a chatty library logger to WARNING for a while (fontTools logs every table it
    subsets at INFO: noise in the seed command's output)."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _demo_result_pdf() -> bytes:
    from fpdf import FPDF

    from civicport.publicservices.notices import FONT_DIR, FONT_FAMILY, PAGE_SIZE

    with _quiet("fontTools"):
        pdf = FPDF(unit="mm", format=PAGE_SIZE)
        pdf.add_font(FONT_FAMILY, "", FONT_DIR / "DejaVuSerif.ttf")
        pdf.set_creation_date(datetime(2025, 7, 1, tzinfo=timezone.get_default_timezone()))
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, "", 12)
        pdf.multi_cell(0, 8, "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH\n(dữ liệu thử nghiệm, "
                             "không có giá trị pháp lý)")
        return bytes(pdf.output())


class Writer:
    """Inserts batches of rows given as {attname: value} (other columns take their defaults):
    `bulk_create`, or on PostgreSQL the COPY protocol with ids taken from the table's
    sequence beforehand — 2–3 × faster, since neither model instances nor Django's
    per-value adaptation are needed. With `ids=True` each row gets its "id"."""

    def __init__(self):
        self.copy = connection.vendor == "postgresql"
        self.now = timezone.now()

    def insert(self, model, rows: list[dict], *, ids: bool = False) -> None:
        if not rows:
            return
        if self.copy:
            self._copy(model, rows, ids=ids)
            return
        objects = model.objects.bulk_create([model(**row) for row in rows],
                                            batch_size=BATCH_SIZE)
        if ids:
            for row, obj in zip(rows, objects, strict=True):
                row["id"] = obj.pk

    def _copy(self, model, rows: list[dict], *, ids: bool) -> None:
        from psycopg.types.json import Jsonb

        meta = model._meta
        if ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                    "FROM generate_series(1, %s)", [meta.db_table, meta.pk.column, len(rows)],
                )
                for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                    row["id"] = pk
        columns = []  # (attname, default, wrap)
        for f in meta.concrete_fields:
            if f.primary_key and not ids:
                continue
            auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            default = self.now if auto else (None if f.primary_key else f.get_default())
            kind = f.get_internal_type()
            wrap = Jsonb if kind == "JSONField" else str if kind == "FileField" else None
            columns.append((f.attname, f.column, default, wrap))
        names = ", ".join(connection.ops.quote_name(column) for _a, column, _d, _w in columns)
        sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = []
                for attname, _column, default, wrap in columns:
                    value = row.get(attname, default)
                    values.append(wrap(value) if wrap is not None and value is not None
                                  else value)
                copy.write_row(values)


def _flush(outcomes: list[Outcome], result: tuple[str, int, str], writer: Writer
           ) -> tuple[int, int]:
    """Write a batch: dossiers, then their events and result files (with the dossiers' ids)."""
    dossiers = [o.dossier for o in outcomes]
    writer.insert(Dossier, dossiers, ids=True)
    events, files = [], []
    name, size, digest = result
    for outcome, dossier in zip(outcomes, dossiers, strict=True):
        for event in outcome.events:
            event["dossier_id"] = dossier["id"]
        events += outcome.events
        if outcome.result_at is not None:
            approver = next(
                (e["actor_id"] for e in outcome.events if e["action"] == "approve"), None
            )
            files.append({
                "dossier_id": dossier["id"], "kind": FileKind.RESULT, "file": name,
                "original_name": f"Kết quả {dossier['code']}.pdf",
                "content_type": "application/pdf", "size": size, "sha256": digest,
                "uploaded_by_id": approver, "uploaded_at": outcome.result_at,
            })
    writer.insert(DossierEvent, events)
    writer.insert(DossierFile, files)
    return len(events), len(files)


def _dossier_row(story: Story, person: Person, received: datetime, rng: random.Random,
                 people: People) -> dict:
    offer = story.offer
    if story.online:
        channel = Channel.ONLINE
        delivery = rng.choices(
            [ResultDelivery.ONLINE, ResultDelivery.POST, ResultDelivery.IN_PERSON], [85, 10, 5]
        )[0]
    else:
        channel = Channel.POSTAL if rng.random() < POSTAL_SHARE else Channel.IN_PERSON
        delivery = rng.choices([ResultDelivery.IN_PERSON, ResultDelivery.POST], [85, 15])[0]
    return {
        "procedure_id": offer.procedure.pk, "agency_id": offer.agency.pk,
        "applicant_id": person.user_id, "applicant_name": person.name,
        "applicant_id_number": person.id_number, "applicant_phone": person.phone,
        "applicant_email": person.email, "applicant_address": person.address,
        "applicant_ward_id": person.ward, "channel": channel,
        "form_data": _form_data(offer.procedure, person, received.date(), rng, people),
        "submitted_at": received, "received_at": received,
        "fee_amount": offer.procedure.fee_amount, "result_delivery": delivery,
        "is_demo": True, "created_at": received,
    }


@transaction.atomic
def demo_dossiers_seed(scale: int = 1, *, now: datetime | None = None) -> str:
    """Top the demo dossiers up to `DOSSIERS_PER_SCALE × scale` (see the module docstring)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    now = now or timezone.now()
    target = DOSSIERS_PER_SCALE * scale
    existing = Dossier.objects.filter(is_demo=True).count()
    if existing >= target:
        return f"{existing} demo dossiers already present (target {target}): none added"
    start = now - WINDOW
    axis = WorkAxis(local_day(start), local_day(now + HORIZON))
    offers = _offers(scale, axis.day)
    rng = random.Random(f"civicport-demo:{scale}:{existing}")
    people = People(rng, list({o.agency.pk: o.agency for o in offers}.values()))
    if not offers or not people.citizens:
        return "no demo dossiers: load the procedures and core's demo citizens first"
    missing = target - existing
    low, high = axis.offset(start), axis.offset(now)
    receipts = sorted(rng.randrange(low + 1, max(high, low + 2)) for _ in range(missing))
    picks = rng.choices(offers, cum_weights=list(accumulate(o.weight for o in offers)),
                        k=missing)
    counters = Counters(sorted({o.agency.pk for o in offers}), local_day(start), local_day(now))
    replayer = Replayer(axis, high, people)
    result = _demo_result_file()
    writer = Writer()
    batch: list[Outcome] = []
    events = files = 0
    for received, offer in zip(receipts, picks, strict=True):
        story = Story(offer, received, rng.random() < offer.online_share, rng, axis.day)
        story.plan()
        moment = axis.moment(received)
        person = people.pick(online=story.online, ward=offer.agency.ward_id)
        row = _dossier_row(story, person, moment, rng, people)
        code = counters.next(offer.agency, axis.local_day(received))
        batch.append(replayer.replay(story, person, code, row))
        if len(batch) >= BATCH_SIZE:
            written = _flush(batch, result, writer)
            events, files, batch = events + written[0], files + written[1], []
    if batch:
        written = _flush(batch, result, writer)
        events, files = events + written[0], files + written[1]
    counters.save()
    audit_record(actor=None, action="dossier.demo_seed", data={
        "scale": scale, "dossiers": missing, "events": events, "result_files": files,
    })
    return (f"{missing} demo dossiers ({events} events, {files} result files) received "
            f"{local_day(start):%d/%m}–{local_day(now):%d/%m}; {existing + missing} in all")


__all__ = ["DOSSIERS_PER_SCALE", "WorkAxis", "demo_dossiers_seed"]
