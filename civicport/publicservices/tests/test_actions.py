"""The dossier actions: what each one writes, locking, idempotency, pauses, notifications."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation

from civicport.core.audit import audit_verify
from civicport.core.calendar import calendar_seed, working_time_between
from civicport.core.models import AuditEntry, Notification, Province, Role, Ward
from civicport.core.tests import factories as core
from civicport.publicservices import actions as A
from civicport.publicservices.codes import dossier_code_valid
from civicport.publicservices.deadlines import classify
from civicport.publicservices.models import Dossier, DossierCounter, DossierEvent, DossierStatus
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import Clock, at
from civicport.publicservices.workflow import ActionDenied, ConflictError, TransitionError

pytestmark = pytest.mark.usefixtures("calendar")

S = DossierStatus
SCHEMA = [
    {"key": "ho_ten", "label": "Họ và tên", "type": "text", "required": True},
    {"key": "cccd", "label": "Số CCCD", "type": "id_number", "required": True},
    {"key": "dien_thoai", "label": "Điện thoại", "type": "phone"},
    {"key": "ngay_sinh", "label": "Ngày sinh", "type": "date", "required": True},
    {"key": "so_ban", "label": "Số bản sao", "type": "number", "min": 1, "max": 10},
    {"key": "loai", "label": "Loại", "type": "choice",
     "choices": [{"value": "khai_sinh", "label": "Khai sinh"}, "khai_tu"]},
    {"key": "dia_chi", "label": "Địa chỉ", "type": "address"},
    {"key": "giay_to", "label": "Giấy tờ", "type": "file", "required": True},
]
VALID = {
    "ho_ten": " Nguyễn Thị Lan ", "cccd": "031 190 001 234", "dien_thoai": "+84 912 345 678",
    "ngay_sinh": "05/09/1990", "so_ban": "2", "loai": "khai_sinh",
    "dia_chi": {"line": "Số 5 Lạch Tray", "ward": "11311"},
}


@pytest.fixture
def ward(db):
    province = Province.objects.create(
        code=31, name="Hải Phòng", division_type="thành phố", codename="hai_phong"
    )
    return Ward.objects.create(
        code=11311, province=province, name="Phường Lạch Tray", kind=Ward.Kind.WARD,
        codename="lach_tray", name_folded="lach tray",
    )


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, at(2026, 2, 13, 10))  # Friday before Tết 2026


@pytest.fixture
def w(db, clock):
    agency = f.agency(code="000.00.07.H31")
    procedure = f.procedure(agency=agency, days=5, fee=50_000)
    return SimpleNamespace(
        agency=agency, procedure=procedure, staff=f.team(agency), citizen=f.citizen(),
        clock=clock,
    )


def submitted(w, key="k1", form_data=None) -> Dossier:
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.agency, form_data=form_data or {}
    )
    return A.dossier_submit(dossier=draft, submit_key=key)


def received(w) -> Dossier:
    dossier = submitted(w)
    return A.dossier_receive(
        officer=w.staff.receiver, dossier=dossier, expected_version=dossier.version
    )


def processing(w) -> Dossier:
    dossier = received(w)
    return A.dossier_process(
        officer=w.staff.processor, dossier=dossier, expected_version=dossier.version
    )


# --- online path -------------------------------------------------------------------------------


def test_online_dossier_from_draft_to_rating(w):
    steps = list(w.procedure.steps.order_by("order"))
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.agency, form_data={}
    )
    assert (draft.status, draft.code, draft.version) == (S.DRAFT, None, 1)
    assert draft.applicant_phone == w.citizen.phone

    dossier = A.dossier_submit(dossier=draft, submit_key="abc")
    assert dossier.status == S.NEW
    assert dossier.code == "000.00.07.H31-260213-0001"
    assert dossier.received_at == dossier.submitted_at == at(2026, 2, 13, 10)
    # Tết 2026: 5 working days from Fri 13/2 10:00 is Fri 27/2 10:00 (services.md §7.3).
    assert dossier.due_at == dossier.original_due_at == at(2026, 2, 27, 10)
    assert dossier.current_step == steps[0]
    assert dossier.step_due_at == at(2026, 2, 13, 16)  # receive step: 4 working hours

    w.clock.set(at(2026, 2, 13, 11))
    dossier = A.dossier_receive(officer=w.staff.receiver, dossier=dossier, expected_version=2)
    assert (dossier.status, dossier.current_step) == (S.RECEIVED, steps[1])
    assert dossier.step_due_at == at(2026, 2, 26, 11)  # 32 working hours, across Tết
    dossier = A.dossier_process(officer=w.staff.processor, dossier=dossier, expected_version=3)
    dossier = A.dossier_forward(officer=w.staff.processor, dossier=dossier, expected_version=4)
    assert dossier.current_step == steps[2]
    w.clock.set(at(2026, 2, 26, 9))
    dossier = A.dossier_approve(officer=w.staff.approver, dossier=dossier, expected_version=5)
    assert (dossier.status, dossier.finished_at, dossier.current_step) == (
        S.DONE, at(2026, 2, 26, 9), None
    )
    assert classify(dossier=dossier, as_of=at(2026, 3, 1)) == "early"
    dossier = A.dossier_return(
        officer=w.staff.receiver, dossier=dossier, expected_version=6, delivery="post"
    )
    assert (dossier.status, dossier.returned_at, dossier.result_delivery) == (
        S.RETURNED, at(2026, 2, 26, 9), "post"
    )
    dossier = A.dossier_rate(applicant=w.citizen, dossier=dossier, rating=4, comment="Nhanh")
    assert (dossier.rating, dossier.rating_comment, dossier.version) == (4, "Nhanh", 8)

    events = list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert events == ["draft_save", "submit", "receive", "process", "forward", "approve",
                      "return", "rate"]
    assert AuditEntry.objects.filter(object_id=str(dossier.pk)).count() == 8
    assert audit_verify().ok


def test_events_record_who_where_and_what_moved(w):
    dossier = received(w)
    event = DossierEvent.objects.get(dossier=dossier, action="receive")
    assert (event.actor, event.agency, event.at) == (w.staff.receiver, w.agency, w.clock.now)
    steps = list(w.procedure.steps.order_by("order"))
    assert event.data["step"] == [steps[0].pk, steps[1].pk]


def test_register_at_the_desk_creates_and_receives_at_once(w, ward):
    dossier = A.dossier_register(
        officer=w.staff.receiver, procedure=w.procedure, agency=w.agency,
        applicant_name="  Trần   Văn Bình ", applicant_phone="0912 345 678",
        applicant_id_number="031190001234", applicant_ward=ward, channel="postal",
        form_data={},
    )
    assert dossier.status == S.RECEIVED
    assert dossier.channel == "postal"
    assert dossier.code == "000.00.07.H31-260213-0001"
    assert dossier.applicant is None
    assert (dossier.applicant_name, dossier.applicant_phone) == ("Trần Văn Bình", "0912345678")
    assert dossier.current_step == w.procedure.steps.get(order=2)
    assert dossier.due_at == at(2026, 2, 27, 10)
    event = DossierEvent.objects.get(dossier=dossier)
    assert (event.action, event.from_status, event.to_status) == ("register", S.DRAFT, S.RECEIVED)
    assert Notification.objects.filter(template="dossier_received", channel="sms").count() == 1


def test_register_checks_the_desk_entries(w):
    with pytest.raises(ValidationError) as caught:
        A.dossier_register(
            officer=w.staff.receiver, procedure=w.procedure, agency=w.agency,
            applicant_name=" ", applicant_id_number="12345", applicant_phone="12",
            applicant_email="not-an-email",
        )
    codes = {k: [e.code for e in v] for k, v in caught.value.error_dict.items()}
    assert codes == {
        "applicant_name": ["required"], "applicant_id_number": ["invalid_id_number"],
        "applicant_phone": ["invalid_phone"], "applicant_email": ["invalid_email"],
    }
    assert not Dossier.objects.exists()


def test_online_submit_of_a_desk_only_procedure_is_refused(w):
    desk_only = f.procedure(agency=w.agency, level="truc_tiep")
    with pytest.raises(ValidationError) as caught:
        A.dossier_draft_save(
            applicant=w.citizen, procedure=desk_only, agency=w.agency, form_data={}
        )
    assert caught.value.error_dict["procedure"][0].code == "not_online"
    with pytest.raises(ValidationError) as caught:
        A.dossier_draft_save(
            applicant=w.citizen, procedure=w.procedure, agency=f.agency(), form_data={}
        )
    assert caught.value.error_dict["agency"][0].code == "agency_not_offering"


# --- optimistic locking ------------------------------------------------------------------------


def test_two_officers_with_the_same_version_one_wins(w):
    dossier = submitted(w)
    second_receiver = core.officer(agencies_roles=[(w.agency, Role.RECEIVER)])
    version = dossier.version
    A.dossier_receive(officer=w.staff.receiver, dossier=dossier, expected_version=version)
    before = AuditEntry.objects.count()
    with pytest.raises(ConflictError) as caught:
        A.dossier_refuse(
            officer=second_receiver, dossier=dossier, expected_version=version, reason="Thiếu"
        )
    assert caught.value.code == "version_conflict"
    row = Dossier.objects.get(pk=dossier.pk)
    assert (row.status, row.version) == (S.RECEIVED, version + 1)
    assert list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True)) \
        == ["draft_save", "submit", "receive"]
    assert AuditEntry.objects.count() == before


def test_conflict_message_is_translated(w):
    dossier = submitted(w)
    with translation.override("en"), pytest.raises(ConflictError) as caught:
        A.dossier_receive(officer=w.staff.receiver, dossier=dossier, expected_version=1)
    assert "Reload" in caught.value.message


# --- idempotent submit -------------------------------------------------------------------------


def test_same_submit_key_twice_gives_one_dossier_and_one_code(w):
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.agency, form_data={}
    )
    first = A.dossier_submit(dossier=draft, submit_key="retry-1")
    again = A.dossier_submit(dossier=draft, submit_key="retry-1")
    other_key = A.dossier_submit(dossier=draft, submit_key="retry-2")
    assert first.pk == again.pk == other_key.pk
    assert again.code == first.code and again.version == first.version
    assert DossierEvent.objects.filter(dossier=draft, action="submit").count() == 1
    assert DossierCounter.objects.get().last == 1


def test_a_submit_key_belongs_to_one_dossier(w):
    submitted(w, key="k-shared")
    other = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.agency, form_data={}
    )
    with pytest.raises(ValidationError) as caught:
        A.dossier_submit(dossier=other, submit_key="k-shared")
    assert caught.value.error_dict["submit_key"][0].code == "submit_key_reused"
    with pytest.raises(ValidationError):
        A.dossier_submit(dossier=other, submit_key="")


def test_an_invalid_form_is_not_submitted_and_uses_no_number(w, ward):
    procedure = f.procedure(agency=w.agency, form_schema=SCHEMA)
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=procedure, agency=w.agency, form_data={"cccd": "123"}
    )
    with pytest.raises(ValidationError):
        A.dossier_submit(dossier=draft, submit_key="bad")
    row = Dossier.objects.get(pk=draft.pk)
    assert (row.status, row.code, row.version, row.submit_key) == (S.DRAFT, None, 1, None)
    assert not DossierCounter.objects.exists()
    A.dossier_draft_save(
        applicant=w.citizen, procedure=procedure, agency=w.agency, form_data=VALID, dossier=row,
    )
    dossier = A.dossier_submit(dossier=row, submit_key="good")
    assert dossier.code.endswith("-0001")
    assert dossier.form_data["cccd"] == "031190001234"
    assert (dossier.applicant_id_number, dossier.applicant_ward_id) == ("031190001234", 11311)
    assert dossier.applicant_address == "Số 5 Lạch Tray"


# --- form validation -----------------------------------------------------------------------------


def test_form_cleaning(ward):
    cleaned = A.form_validate(SCHEMA, {**VALID, "extra": "dropped", "giay_to": [7]})
    assert cleaned == {
        "ho_ten": "Nguyễn Thị Lan", "cccd": "031190001234", "dien_thoai": "0912345678",
        "ngay_sinh": "1990-09-05", "so_ban": 2, "loai": "khai_sinh",
        "dia_chi": {"line": "Số 5 Lạch Tray", "ward": 11311}, "giay_to": [7],
    }
    assert A.form_validate(SCHEMA, {**VALID, "ngay_sinh": "1990-09-05", "so_ban": "2,5",
                                    "loai": "khai_tu"})["so_ban"] == 2.5


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("cccd", "03119000123", "invalid_id_number"),
        ("cccd", "0311900012345", "invalid_id_number"),
        ("cccd", "03119000123A", "invalid_id_number"),
        ("dien_thoai", "0123", "invalid_phone"),
        ("dien_thoai", "+1 202 555 0100", "invalid_phone"),
        ("ngay_sinh", "31/02/1990", "invalid_date"),
        ("ngay_sinh", "1990/09/05", "invalid_date"),
        ("ngay_sinh", "05-09-1990", "invalid_date"),
        ("so_ban", "hai", "invalid_number"),
        ("so_ban", 11, "out_of_range"),
        ("loai", "ket_hon", "invalid_choice"),
        ("dia_chi", "Số 5 Lạch Tray", "invalid_address"),
        ("dia_chi", {"line": "Số 5", "ward": 99999}, "unknown_ward"),
        ("ho_ten", "x" * 1001, "too_long"),
        ("ho_ten", "   ", "required"),
        ("ngay_sinh", None, "required"),
    ],
)
def test_form_errors_have_stable_codes(ward, key, value, code):
    with pytest.raises(ValidationError) as caught:
        A.form_validate(SCHEMA, {**VALID, key: value})
    assert list(caught.value.error_dict) == [key]
    assert caught.value.error_dict[key][0].code == code


def test_form_errors_in_english_and_all_at_once(ward):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        A.form_validate(SCHEMA, {"cccd": "12", "dien_thoai": "12", "ngay_sinh": "x"})
    messages = {k: v[0].messages[0] for k, v in caught.value.error_dict.items()}
    assert messages == {
        "ho_ten": "This field is required.",
        "cccd": "Enter the 12-digit citizen ID number (digits only).",
        "dien_thoai": "Enter a Vietnamese phone number (e.g. 0912345678).",
        "ngay_sinh": "Enter a date as dd/mm/yyyy, e.g. 27/02/2026.",
    }  # the file field is checked where uploads are stored


def test_form_data_must_be_an_object():
    with pytest.raises(ValidationError):
        A.form_validate(SCHEMA, ["not", "a", "dict"])


# --- pauses: supplement and fee ------------------------------------------------------------------


def test_supplement_pause_shifts_deadlines_by_the_working_time_paused(w):
    dossier = processing(w)  # received Fri 13/2 10:00, due Fri 27/2 10:00
    step_due = dossier.step_due_at
    w.clock.set(at(2026, 2, 13, 14))
    dossier = A.dossier_request_supplement(
        officer=w.staff.processor, dossier=dossier, expected_version=dossier.version,
        reason="Bổ sung bản sao giấy khai sinh",
    )
    assert (dossier.status, dossier.paused_at, dossier.supplement_count) == (
        S.SUPPLEMENT, at(2026, 2, 13, 14), 1
    )
    assert dossier.due_at == at(2026, 2, 27, 10)  # unchanged while paused
    # Supplied on Mon 23/2 09:00, after a weekend and Tết (16–20/2): 3 h + 2 h paused.
    w.clock.set(at(2026, 2, 23, 9))
    dossier = A.dossier_supply(applicant=w.citizen, dossier=dossier)
    paused = timedelta(hours=5)
    assert working_time_between(at(2026, 2, 13, 14), at(2026, 2, 23, 9)) == paused
    assert dossier.status == S.PROCESSING and dossier.paused_at is None
    assert dossier.due_at == dossier.original_due_at == at(2026, 2, 27, 17)
    assert working_time_between(at(2026, 2, 27, 10), dossier.due_at) == paused
    assert working_time_between(step_due, dossier.step_due_at) == paused
    event = DossierEvent.objects.get(dossier=dossier, action="supply")
    assert event.data["due_at"] == [at(2026, 2, 27, 10).isoformat(),
                                    at(2026, 2, 27, 17).isoformat()]


def test_a_second_supplement_request_counts_and_makes_it_late(w):
    dossier = processing(w)
    for _ in range(2):
        dossier = A.dossier_request_supplement(
            officer=w.staff.processor, dossier=dossier, expected_version=dossier.version,
            reason="Bổ sung",
        )
        w.clock.advance(hours=1)
        dossier = A.dossier_supply(applicant=w.citizen, dossier=dossier)
    assert dossier.supplement_count == 2
    dossier = A.dossier_approve(
        officer=w.staff.approver, dossier=dossier, expected_version=dossier.version
    )
    assert classify(dossier=dossier, as_of=at(2026, 3, 31)) == "late"


def test_stopping_during_a_supplement_ends_the_pause(w):
    dossier = processing(w)
    dossier = A.dossier_request_supplement(
        officer=w.staff.processor, dossier=dossier, expected_version=dossier.version,
        reason="Bổ sung",
    )
    w.clock.set(at(2026, 3, 31, 9))
    dossier = A.dossier_stop(
        officer=w.staff.approver, dossier=dossier, expected_version=dossier.version,
        reason="Quá hạn bổ sung",
    )
    assert (dossier.status, dossier.paused_at, dossier.finished_at) == (
        S.STOPPED, None, at(2026, 3, 31, 9)
    )
    assert dossier.due_at > at(2026, 3, 31, 9)  # the applicant's wait is not the agency's


def test_fee_request_pauses_and_payment_resumes(w):
    dossier = processing(w)
    with pytest.raises(ValidationError):
        A.dossier_request_fee(
            officer=w.staff.processor, dossier=dossier, expected_version=dossier.version,
            amount=0,
        )
    dossier = A.dossier_request_fee(
        officer=w.staff.processor, dossier=dossier, expected_version=dossier.version
    )
    assert (dossier.status, dossier.fee_amount, dossier.paused_at) == (
        S.WAITING_FEE, 50_000, w.clock.now
    )
    w.clock.set(at(2026, 2, 23, 9))
    dossier = A.dossier_pay_fee(actor=w.citizen, dossier=dossier, online=True)
    assert (dossier.status, dossier.paid_online, dossier.fee_paid_at) == (
        S.PROCESSING, True, at(2026, 2, 23, 9)
    )
    # Paused Fri 13/2 10:00 – Mon 23/2 09:00: 5 h on Friday + 2 h on Monday, Tết skipped.
    assert working_time_between(at(2026, 2, 13, 10), at(2026, 2, 23, 9)) == timedelta(hours=7)
    assert dossier.due_at == dossier.original_due_at == at(2026, 3, 2, 9)
    assert working_time_between(at(2026, 2, 27, 10), dossier.due_at) == working_time_between(
        at(2026, 2, 13, 10), at(2026, 2, 23, 9)
    )
    assert dossier.supplement_count == 0


# --- forward across agencies ----------------------------------------------------------------------


def test_forward_to_another_agency_and_back(w):
    department = f.agency()
    dept_staff = f.team(department)
    dossier = processing(w)
    dossier = A.dossier_forward(
        officer=w.staff.processor, dossier=dossier, expected_version=dossier.version,
        to_agency=department, note="Xin ý kiến Sở",
    )
    assert (dossier.current_agency, dossier.agency) == (department, w.agency)
    assert dossier.current_step == w.procedure.steps.get(order=2)
    with pytest.raises(ActionDenied):
        A.dossier_forward(
            officer=w.staff.processor, dossier=dossier, expected_version=dossier.version
        )
    approve_step = w.procedure.steps.get(order=3)
    dossier = A.dossier_forward(
        officer=dept_staff.processor, dossier=dossier, expected_version=dossier.version,
        to_step=approve_step,
    )
    assert (dossier.current_agency, dossier.current_step) == (w.agency, approve_step)
    assert dossier.step_due_at == at(2026, 2, 13, 16)  # 4 working hours, lunch excluded
    dossier = A.dossier_approve(
        officer=w.staff.approver, dossier=dossier, expected_version=dossier.version
    )
    assert dossier.current_agency == w.agency


def test_forward_to_a_step_of_another_agency_goes_there(w):
    department = f.agency()
    procedure = f.procedure(
        agency=w.agency,
        steps=[("Tiếp nhận", Role.RECEIVER, 4), ("Thẩm định", Role.PROCESSOR, 8, department),
               ("Phê duyệt", Role.APPROVER, 4)],
    )
    dossier = A.dossier_register(
        officer=w.staff.receiver, procedure=procedure, agency=w.agency, applicant_name="A"
    )
    assert dossier.current_agency == department  # step 2 belongs to the department
    foreign = f.procedure(agency=w.agency).steps.first()
    dept_processor = core.officer(agencies_roles=[(department, Role.PROCESSOR)])
    dossier = A.dossier_process(
        officer=dept_processor, dossier=dossier, expected_version=dossier.version
    )
    with pytest.raises(ValidationError):
        A.dossier_forward(
            officer=dept_processor, dossier=dossier, expected_version=dossier.version,
            to_step=foreign,
        )
    dossier = A.dossier_forward(
        officer=dept_processor, dossier=dossier, expected_version=dossier.version
    )
    assert (dossier.current_agency, dossier.current_step.order) == (w.agency, 3)
    with pytest.raises(ValidationError) as caught:
        A.dossier_forward(
            officer=w.staff.processor, dossier=dossier, expected_version=dossier.version
        )
    assert caught.value.error_dict["to_step"][0].code == "no_next_step"


# --- apology, rating, withdrawal ----------------------------------------------------------------


def test_apology_keeps_the_original_appointment_for_reporting(w):
    dossier = processing(w)
    w.clock.set(at(2026, 2, 27, 8))
    kwargs = {"officer": w.staff.approver, "dossier": dossier}
    with pytest.raises(ValidationError) as caught:
        A.dossier_apologize(**kwargs, expected_version=dossier.version, reason=" ",
                            new_due_at=at(2026, 3, 6, 10))
    assert caught.value.error_dict["reason"][0].code == "reason_required"
    with pytest.raises(ValidationError) as caught:
        A.dossier_apologize(**kwargs, expected_version=dossier.version, reason="Chờ xác minh",
                            new_due_at=at(2026, 2, 27, 10))
    assert caught.value.error_dict["new_due_at"][0].code == "not_later"
    dossier = A.dossier_apologize(
        **kwargs, expected_version=dossier.version, reason="Chờ xác minh",
        new_due_at=at(2026, 3, 6, 10),
    )
    assert (dossier.due_at, dossier.original_due_at) == (at(2026, 3, 6, 10), at(2026, 2, 27, 10))
    assert Notification.objects.filter(template="dossier_apology").count() == 2
    # A second apology moves the date again; the legal appointment stays.
    dossier = A.dossier_apologize(
        officer=w.staff.approver, dossier=dossier, expected_version=dossier.version,
        reason="Chờ ý kiến Sở", new_due_at=at(2026, 3, 13, 10),
    )
    assert dossier.original_due_at == at(2026, 2, 27, 10)
    w.clock.set(at(2026, 3, 5, 9))  # before the new date, after the legal one
    dossier = A.dossier_approve(
        officer=w.staff.approver, dossier=dossier, expected_version=dossier.version
    )
    assert classify(dossier=dossier, as_of=at(2026, 3, 31)) == "late"


def test_rating_rules(w):
    dossier = processing(w)
    with pytest.raises(TransitionError):
        A.dossier_rate(applicant=w.citizen, dossier=dossier, rating=5)
    dossier = A.dossier_approve(
        officer=w.staff.approver, dossier=dossier, expected_version=dossier.version
    )
    for bad in (0, 6, True, "5"):
        with pytest.raises(ValidationError):
            A.dossier_rate(applicant=w.citizen, dossier=dossier, rating=bad)
    dossier = A.dossier_rate(applicant=w.citizen, dossier=dossier, rating=2, comment="Chậm")
    w.clock.advance(days=29)
    dossier = A.dossier_rate(applicant=w.citizen, dossier=dossier, rating=4)
    assert (dossier.rating, dossier.rating_comment) == (4, "")
    w.clock.advance(days=2)
    with pytest.raises(ValidationError) as caught:
        A.dossier_rate(applicant=w.citizen, dossier=dossier, rating=5)
    assert caught.value.error_dict["rating"][0].code == "rating_closed"
    ratings = DossierEvent.objects.filter(dossier=dossier, action="rate")
    assert [e.data["rating"] for e in ratings] == [[None, 2], [2, 4]]


def test_withdraw_needs_a_reason_and_ends_the_dossier(w):
    dossier = received(w)
    with pytest.raises(ValidationError):
        A.dossier_withdraw(applicant=w.citizen, dossier=dossier, reason="")
    dossier = A.dossier_withdraw(applicant=w.citizen, dossier=dossier, reason="Nộp nhầm")
    assert (dossier.status, dossier.finished_at, dossier.step_due_at) == (
        S.WITHDRAWN, w.clock.now, None
    )
    assert DossierEvent.objects.get(dossier=dossier, action="withdraw").note == "Nộp nhầm"


def test_refuse_needs_a_reason(w):
    dossier = submitted(w)
    with pytest.raises(ValidationError):
        A.dossier_refuse(officer=w.staff.receiver, dossier=dossier, expected_version=2,
                         reason="  ")
    dossier = A.dossier_refuse(
        officer=w.staff.receiver, dossier=dossier, expected_version=2, reason="Sai thủ tục"
    )
    assert (dossier.status, dossier.finished_at) == (S.REFUSED, w.clock.now)


def test_return_needs_a_known_delivery(w):
    dossier = processing(w)
    dossier = A.dossier_approve(
        officer=w.staff.approver, dossier=dossier, expected_version=dossier.version
    )
    with pytest.raises(ValidationError):
        A.dossier_return(officer=w.staff.receiver, dossier=dossier,
                         expected_version=dossier.version, delivery="drone")


# --- notifications -----------------------------------------------------------------------------


def test_applicant_notifications_are_queued_on_commit_with_event_keys(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        dossier = submitted(w)
    event = DossierEvent.objects.get(dossier=dossier, action="submit")
    rows = Notification.objects.filter(template="dossier_submitted").order_by("channel")
    assert [(n.channel, n.recipient, n.idempotency_key) for n in rows] == [
        ("email", w.citizen.email, f"dossier:{dossier.pk}:{event.pk}:email"),
        ("sms", w.citizen.phone, f"dossier:{dossier.pk}:{event.pk}:sms"),
    ]
    assert len(callbacks) == 3  # the two deliveries and the audit trail's seal
    sms = rows.get(channel="sms")
    assert dossier.code in sms.body and "27/02/2026" in sms.body
    email = rows.get(channel="email")
    assert dossier.code in email.subject and "10:00 27/02/2026" in email.body


@pytest.mark.parametrize(
    ("steps", "template"),
    [
        (["receive"], "dossier_received"),
        (["refuse"], "dossier_refused"),
        (["receive", "process", "request_supplement"], "dossier_supplement"),
        (["receive", "process", "approve"], "dossier_done"),
        (["receive", "process", "approve", "return"], "dossier_returned"),
        (["receive", "process", "stop"], "dossier_stopped"),
    ],
)
def test_each_notified_action_renders_its_templates(w, steps, template):
    dossier = submitted(w)
    officer = {"receive": w.staff.receiver, "refuse": w.staff.receiver,
               "return": w.staff.receiver, "process": w.staff.processor,
               "request_supplement": w.staff.processor, "approve": w.staff.approver,
               "stop": w.staff.approver}
    extra = {"refuse": {"reason": "Sai"}, "request_supplement": {"reason": "Thiếu bản sao"},
             "stop": {"reason": "Dừng"}, "return": {"delivery": "online"}}
    for step in steps:
        dossier = getattr(A, f"dossier_{step}")(
            officer=officer[step], dossier=dossier, expected_version=dossier.version,
            **extra.get(step, {}),
        )
    rows = Notification.objects.filter(template=template)
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "sms"]
    assert all(dossier.code in (n.subject + n.body) for n in rows)


def test_no_notifications_for_internal_steps_or_missing_contacts(w):
    w.citizen.phone, w.citizen.email = "", ""
    w.citizen.save()
    processing(w)
    assert not Notification.objects.exists()


def test_an_unusable_phone_does_not_block_the_action(w):
    dossier = f.dossier(procedure=w.procedure, applicant=w.citizen, applicant_phone="12345")
    dossier = A.dossier_submit(dossier=dossier, submit_key="x")
    assert dossier.status == S.NEW
    assert list(Notification.objects.values_list("channel", flat=True)) == ["email"]


# --- step reminders ------------------------------------------------------------------------------


def test_step_reminders_reach_the_step_role_once_a_day(w):
    dossier = received(w)  # step 2 (processor, 32 h from Fri 13/2 10:00): Thu 26/2 10:00
    assert dossier.step_due_at == at(2026, 2, 26, 10)
    other_processor = core.officer(agencies_roles=[(f.agency(), Role.PROCESSOR)],
                                   email="x@example.gov.vn")
    assert A.step_reminders_send(at(2026, 2, 25, 9)) == 0  # 9 working hours ahead
    sent = A.step_reminders_send(at(2026, 2, 25, 16))  # 1 h today + 3 h tomorrow
    assert sent == 1
    note = Notification.objects.get(template="dossier_step_reminder")
    assert note.recipient == w.staff.processor.email
    assert note.idempotency_key == (
        f"dossier-reminder:{dossier.pk}:{dossier.current_step_id}:20260225:{w.staff.processor.pk}"
    )
    assert dossier.code in note.subject and "Sắp đến hạn" in note.subject
    assert A.step_reminders_send(at(2026, 2, 25, 16, 30)) == 0  # same day: nothing new
    assert A.step_reminders_send(at(2026, 2, 27, 8)) == 1  # overdue, next day: again
    assert "Quá hạn" in Notification.objects.filter(
        template="dossier_step_reminder").order_by("-pk").first().subject
    assert not Notification.objects.filter(recipient=other_processor.email).exists()


def test_paused_dossiers_get_no_reminders(w):
    dossier = processing(w)
    A.dossier_request_supplement(
        officer=w.staff.processor, dossier=dossier, expected_version=dossier.version,
        reason="Thiếu",
    )
    assert A.step_reminders_send(at(2026, 3, 31, 8)) == 0


# --- concurrency (PostgreSQL) -------------------------------------------------------------------


def _threads(count, work):
    import threading

    barrier, results, errors = threading.Barrier(count), [], []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results.append(work(index))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_online_submissions_get_unique_gap_free_codes(monkeypatch):
    # On SQLite the test database is a shared-cache in-memory file whose table locks fail at
    # once instead of waiting; production SQLite (a WAL file, IMMEDIATE transactions)
    # serialises writers. The gap-free sequence itself is tested sequentially above.
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (CI)")
    calendar_seed()
    Clock(monkeypatch, at(2026, 3, 2, 9))
    agency = f.agency(code="000.00.11.H31")
    procedure = f.procedure(agency=agency, days=3)
    drafts = [
        A.dossier_draft_save(applicant=f.citizen(), procedure=procedure, agency=agency,
                             form_data={})
        for _ in range(30)
    ]

    def submit(index):
        return A.dossier_submit(dossier=drafts[index], submit_key=f"c-{index}").code

    codes, errors = _threads(30, submit)
    assert errors == []
    assert sorted(codes) == [f"000.00.11.H31-260302-{n:04d}" for n in range(1, 31)]
    assert all(dossier_code_valid(code) for code in codes)
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_submit_give_one_dossier(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (CI)")
    calendar_seed()
    Clock(monkeypatch, at(2026, 3, 2, 9))
    agency = f.agency(code="000.00.12.H31")
    procedure = f.procedure(agency=agency, days=3)
    draft = A.dossier_draft_save(applicant=f.citizen(), procedure=procedure, agency=agency,
                                 form_data={})
    results, errors = _threads(8, lambda i: A.dossier_submit(dossier=draft, submit_key="same"))
    assert errors == []
    assert {d.code for d in results} == {"000.00.12.H31-260302-0001"}
    assert DossierEvent.objects.filter(dossier=draft, action="submit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_officers_one_wins(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (CI)")
    calendar_seed()
    Clock(monkeypatch, at(2026, 3, 2, 9))
    agency = f.agency(code="000.00.13.H31")
    procedure = f.procedure(agency=agency, days=3)
    receivers = [core.officer(agencies_roles=[(agency, Role.RECEIVER)]) for _ in range(6)]
    with transaction.atomic():
        draft = A.dossier_draft_save(applicant=f.citizen(), procedure=procedure, agency=agency,
                                     form_data={})
        dossier = A.dossier_submit(dossier=draft, submit_key="o")
    results, errors = _threads(6, lambda i: A.dossier_receive(
        officer=receivers[i], dossier=dossier, expected_version=dossier.version))
    assert len(results) == 1
    assert len(errors) == 5 and all(isinstance(e, ConflictError) for e in errors)
    assert Dossier.objects.get(pk=dossier.pk).version == dossier.version + 1


def test_submit_takes_the_applicants_own_fields_not_the_first_of_their_type(ward, clock):
    """A birth registration asks for the mother's ID and the place of birth first."""
    schema = [
        {"key": "mother_id_number", "label": "Mẹ", "type": "id_number", "required": True},
        {"key": "birth_place", "label": "Nơi sinh", "type": "address", "required": True},
        {"key": "applicant_id_number", "label": "CCCD", "type": "id_number", "required": True},
        {"key": "applicant_phone", "label": "Điện thoại", "type": "phone", "required": True},
        {"key": "applicant_address", "label": "Nơi cư trú", "type": "address", "required": True},
    ]
    procedure = f.procedure(form_schema=schema)
    applicant = f.citizen(phone="", email="me@example.vn")
    data = {
        "mother_id_number": "031190000001",
        "birth_place": {"line": "Bệnh viện", "ward": ward.code},
        "applicant_id_number": "031190000002",
        "applicant_phone": "+84 912 000 111",
        "applicant_address": {"line": "Số 5", "ward": ward.code},
    }
    draft = A.dossier_draft_save(
        applicant=applicant, procedure=procedure, agency=procedure.agencies.first(),
        form_data=data,
    )
    dossier = A.dossier_submit(dossier=draft, submit_key="k-applicant-fields")
    assert dossier.applicant_id_number == "031190000002"
    assert dossier.applicant_address == "Số 5"
    assert dossier.applicant_phone == "0912000111"
