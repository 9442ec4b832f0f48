"""The transition table and the role rules, exercised through the actions."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from civicport.core.models import AuditEntry, Role
from civicport.core.tests import factories as core
from civicport.publicservices import actions as A
from civicport.publicservices.models import Dossier, DossierEvent, DossierStatus
from civicport.publicservices.tests import factories as f
from civicport.publicservices.workflow import (
    FINISHED_STATUSES,
    TRANSITIONS,
    ActionDenied,
    TransitionError,
    actions_allowed,
    transition_check,
)

S = DossierStatus

# The one-stop rules as written in the brief: (action, from) -> to (None: status unchanged).
EXPECTED = {
    ("draft_save", S.DRAFT): None,
    ("submit", S.DRAFT): S.NEW,
    ("register", S.DRAFT): S.RECEIVED,
    ("receive", S.NEW): S.RECEIVED,
    ("refuse", S.NEW): S.REFUSED,
    ("process", S.RECEIVED): S.PROCESSING,
    ("forward", S.PROCESSING): S.PROCESSING,
    ("request_supplement", S.PROCESSING): S.SUPPLEMENT,
    ("request_fee", S.PROCESSING): S.WAITING_FEE,
    ("approve", S.PROCESSING): S.DONE,
    ("stop", S.PROCESSING): S.STOPPED,
    ("stop", S.SUPPLEMENT): S.STOPPED,
    ("supply", S.SUPPLEMENT): S.PROCESSING,
    ("pay_fee", S.WAITING_FEE): S.PROCESSING,
    **{("withdraw", s): S.WITHDRAWN
       for s in (S.NEW, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.WAITING_FEE)},
    ("return", S.DONE): S.RETURNED,
    **{("apologize", s): None for s in (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.WAITING_FEE)},
    ("rate", S.DONE): None,
    ("rate", S.RETURNED): None,
}
LEGAL = sorted((a, s) for a, s in EXPECTED if a != "register")
ILLEGAL = sorted(
    (a, s) for a in TRANSITIONS if a != "register" for s in S.values if (a, s) not in EXPECTED
)


def test_the_table_is_the_documented_one():
    table = {
        (action, source): t.target for action, t in TRANSITIONS.items() for source in t.sources
    }
    assert table == EXPECTED


@pytest.fixture
def w(db):
    agency, other = f.agency(), f.agency()
    procedure = f.procedure(agency=agency, fee=50_000)
    return SimpleNamespace(
        agency=agency, other=other, procedure=procedure, staff=f.team(agency),
        outsiders=f.team(other), citizen=f.citizen(), stranger=f.citizen(),
    )


def in_status(w, status: str) -> Dossier:
    """A dossier of `w.citizen` stored directly in `status`, with plausible dates."""
    now = timezone.now()
    steps = list(w.procedure.steps.order_by("order"))
    fields = {}
    if status != S.DRAFT:
        due = now + timedelta(days=10)
        fields |= {
            "received_at": now - timedelta(hours=1), "submitted_at": None, "due_at": due,
            "original_due_at": due, "current_step": steps[1],
            "step_due_at": now + timedelta(hours=8),
        }
    if status in (S.SUPPLEMENT, S.WAITING_FEE):
        fields |= {"paused_at": now - timedelta(minutes=30)}
    if status == S.SUPPLEMENT:
        fields |= {"supplement_count": 1}
    if status in FINISHED_STATUSES:
        fields |= {"finished_at": now - timedelta(minutes=30), "current_step": None,
                   "step_due_at": None}
    return f.dossier(procedure=w.procedure, applicant=w.citizen, status=status, **fields)


def call(w, action: str, dossier: Dossier, actor=None) -> Dossier:
    """Run `action` with valid arguments, by the right person unless `actor` is given."""
    v, staff, citizen = dossier.version, w.staff, w.citizen
    officer = {
        "receive": staff.receiver, "refuse": staff.receiver, "return": staff.receiver,
        "process": staff.processor, "forward": staff.processor,
        "request_supplement": staff.processor, "request_fee": staff.processor,
        "approve": staff.approver, "stop": staff.approver, "apologize": staff.approver,
    }.get(action, citizen)
    who = actor or officer
    later = (dossier.due_at or timezone.now()) + timedelta(days=3)
    calls = {
        "draft_save": lambda: A.dossier_draft_save(
            applicant=who, procedure=w.procedure, agency=w.agency, form_data={"a": 1},
            dossier=dossier),
        "submit": lambda: A.dossier_submit(
            dossier=dossier, submit_key=f"key-{dossier.pk}", applicant=who),
        "receive": lambda: A.dossier_receive(officer=who, dossier=dossier, expected_version=v),
        "refuse": lambda: A.dossier_refuse(
            officer=who, dossier=dossier, expected_version=v, reason="Thiếu tờ khai"),
        "process": lambda: A.dossier_process(officer=who, dossier=dossier, expected_version=v),
        "forward": lambda: A.dossier_forward(officer=who, dossier=dossier, expected_version=v),
        "request_supplement": lambda: A.dossier_request_supplement(
            officer=who, dossier=dossier, expected_version=v, reason="Bổ sung bản sao"),
        "supply": lambda: A.dossier_supply(applicant=who, dossier=dossier, expected_version=v),
        "request_fee": lambda: A.dossier_request_fee(
            officer=who, dossier=dossier, expected_version=v),
        "pay_fee": lambda: A.dossier_pay_fee(
            actor=who, dossier=dossier, online=True, expected_version=v),
        "approve": lambda: A.dossier_approve(officer=who, dossier=dossier, expected_version=v),
        "stop": lambda: A.dossier_stop(
            officer=who, dossier=dossier, expected_version=v, reason="Không đủ điều kiện"),
        "withdraw": lambda: A.dossier_withdraw(
            applicant=who, dossier=dossier, reason="Không còn nhu cầu", expected_version=v),
        "return": lambda: A.dossier_return(
            officer=who, dossier=dossier, expected_version=v, delivery="online"),
        "apologize": lambda: A.dossier_apologize(
            officer=who, dossier=dossier, expected_version=v, reason="Chờ xác minh",
            new_due_at=later),
        "rate": lambda: A.dossier_rate(applicant=who, dossier=dossier, rating=5),
    }
    return calls[action]()


def snapshot(dossier: Dossier) -> tuple:
    row = Dossier.objects.get(pk=dossier.pk)
    return (row.status, row.version, row.due_at, row.current_agency_id, row.paused_at,
            DossierEvent.objects.filter(dossier=dossier).count(), AuditEntry.objects.count())


@pytest.mark.parametrize(("action", "source"), LEGAL)
def test_every_legal_transition(w, action, source):
    dossier = in_status(w, source)
    result = call(w, action, dossier)
    target = EXPECTED[(action, source)] or source
    assert result.status == target
    assert result.version == dossier.version + 1
    event = DossierEvent.objects.get(dossier=dossier)
    assert (event.action, event.from_status, event.to_status) == (action, source, target)
    assert AuditEntry.objects.filter(action=f"dossier.{action}", object_id=str(dossier.pk))
    assert action in actions_allowed(dossier)


@pytest.mark.parametrize(("action", "source"), ILLEGAL)
def test_illegal_transitions_change_nothing(w, action, source):
    dossier = in_status(w, source)
    before = snapshot(dossier)
    with pytest.raises(TransitionError) as caught:
        call(w, action, dossier)
    assert caught.value.code == "illegal_transition"
    assert snapshot(dossier) == before
    with pytest.raises(TransitionError):
        transition_check(dossier, action)


def test_the_transition_message_names_status_and_action(w):
    dossier = in_status(w, S.DONE)
    with translation.override("en"), pytest.raises(TransitionError) as caught:
        transition_check(dossier, "receive")
    assert "processed" in caught.value.message and "receive" in caught.value.message


WRONG_ACTORS = [
    ("receive", S.NEW, ["staff.processor", "staff.approver", "outsiders.receiver", "citizen"]),
    ("refuse", S.NEW, ["staff.processor", "outsiders.receiver"]),
    ("process", S.RECEIVED, ["staff.receiver", "staff.approver", "outsiders.processor"]),
    ("forward", S.PROCESSING, ["staff.receiver", "outsiders.processor", "citizen"]),
    ("request_supplement", S.PROCESSING, ["staff.approver", "outsiders.processor"]),
    ("request_fee", S.PROCESSING, ["staff.receiver"]),
    ("approve", S.PROCESSING, ["staff.processor", "outsiders.approver"]),
    ("stop", S.PROCESSING, ["staff.processor", "outsiders.approver"]),
    ("return", S.DONE, ["staff.processor", "outsiders.receiver"]),
    ("apologize", S.PROCESSING, ["staff.processor", "citizen"]),
    ("submit", S.DRAFT, ["stranger", "staff.receiver"]),
    ("draft_save", S.DRAFT, ["stranger"]),
    ("supply", S.SUPPLEMENT, ["stranger", "staff.processor", "outsiders.receiver"]),
    ("pay_fee", S.WAITING_FEE, ["stranger", "staff.processor"]),
    ("withdraw", S.PROCESSING, ["stranger", "outsiders.receiver", "staff.processor"]),
    ("rate", S.DONE, ["stranger", "staff.receiver"]),
    ("receive", S.NEW, ["anonymous"]),
]


def _person(w, path: str):
    if path == "anonymous":
        return AnonymousUser()
    obj = w
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize(
    ("action", "source", "who"),
    [(a, s, who) for a, s, people in WRONG_ACTORS for who in people],
)
def test_wrong_role_or_agency_is_denied_and_changes_nothing(w, action, source, who):
    dossier = in_status(w, source)
    before = snapshot(dossier)
    with pytest.raises(ActionDenied) as caught:
        call(w, action, dossier, actor=_person(w, who))
    assert isinstance(caught.value, PermissionDenied)
    assert caught.value.code == "forbidden"
    assert snapshot(dossier) == before


def test_register_needs_a_receiver_of_the_agency(w):
    for officer in (w.staff.processor, w.outsiders.receiver):
        with pytest.raises(ActionDenied):
            A.dossier_register(
                officer=officer, procedure=w.procedure, agency=w.agency,
                applicant_name="Nguyễn Văn A",
            )
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("action", ["supply", "withdraw", "pay_fee"])
def test_the_desk_may_act_for_the_applicant(w, action):
    source = {"supply": S.SUPPLEMENT, "withdraw": S.PROCESSING, "pay_fee": S.WAITING_FEE}[action]
    dossier = in_status(w, source)
    result = call(w, action, dossier, actor=w.staff.receiver)
    assert result.status != source
    assert DossierEvent.objects.get(dossier=dossier).actor == w.staff.receiver


def test_city_admin_and_agency_admin_may_act(w):
    admin = core.officer(agencies_roles=[], is_city_admin=True)
    head = core.officer(agencies_roles=[(w.agency, Role.AGENCY_ADMIN)])
    assert call(w, "approve", in_status(w, S.PROCESSING), actor=admin).status == S.DONE
    assert call(w, "approve", in_status(w, S.PROCESSING), actor=head).status == S.DONE


def test_officer_of_a_parent_agency_may_act_in_its_units(w):
    unit = f.agency(parent=w.agency)
    dossier = in_status(w, S.PROCESSING)
    Dossier.objects.filter(pk=dossier.pk).update(current_agency=unit)
    dossier.refresh_from_db()
    assert call(w, "approve", dossier).status == S.DONE
