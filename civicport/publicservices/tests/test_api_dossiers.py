"""The dossier API: the citizen's and officers' flow, error mapping, access, idempotency."""

import json
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, path, resolve
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI

from civicport.core.api import install_error_handlers
from civicport.core.api_auth import auth_methods
from civicport.core.auth import api_token_create
from civicport.core.tests import factories as core
from civicport.core.tests.factories import router_client
from civicport.publicservices import actions as A
from civicport.publicservices import api_tracking, tracking
from civicport.publicservices.api_dossiers import router
from civicport.publicservices.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    DossierStatus,
    RequiredDocument,
)
from civicport.publicservices.schemas import TrackingOut
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import Clock, at

pytestmark = pytest.mark.usefixtures("calendar", "media")

S = DossierStatus
SCHEMA = [
    {"key": "ho_ten", "label": "Họ và tên", "type": "text", "required": True},
    {"key": "cccd", "label": "Số CCCD", "type": "id_number", "required": True},
    {"key": "dien_thoai", "label": "Điện thoại", "type": "phone"},
]
VALID = {"ho_ten": "Nguyễn Thị Lan", "cccd": "031190001234", "dien_thoai": "0912345678"}
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R /Size 3 >>\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"
KEY = "3f1c9a7e-0b6d-4c55-9d0e-2a8f4b1c7e60"


# --- a test mount of the router through Django's whole stack (middleware, CSRF) -----------

_csrf_api = NinjaAPI(urls_namespace="test-dossiers-csrf", auth=auth_methods(optional=True))
install_error_handlers(_csrf_api)
_csrf_api.add_router("/dossiers/", router)
urlpatterns = [path("api-test/", _csrf_api.urls)]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def w(db, monkeypatch):
    clock = Clock(monkeypatch, at(2026, 2, 13, 10))  # Friday before Tết 2026
    agency = f.agency(code="000.00.07.H31")
    procedure = f.procedure(agency=agency, days=5, form_schema=SCHEMA)
    # Optional here, so most tests need no upload; test_required_documents makes one required.
    document = RequiredDocument.objects.create(
        procedure=procedure, order=1, name="Tờ khai", is_required=False
    )
    other_agency = f.agency()
    return SimpleNamespace(
        clock=clock,
        agency=agency,
        procedure=procedure,
        document=document,
        staff=f.team(agency),
        citizen=f.citizen(),
        other_citizen=f.citizen(),
        outsider=f.team(other_agency).receiver,
        other_agency=other_agency,
        api=router_client("/dossiers/", router),
    )


def auth(user) -> dict:
    _, token = api_token_create(user=user)
    return {"Authorization": f"Bearer {token}"}


def pdf_upload(name="to-khai.pdf", data=PDF, content_type="application/pdf"):
    return MultiValueDict({"file": [SimpleUploadedFile(name, data, content_type=content_type)]})


def create(w, form_data=None, user=None):
    response = w.api.post(
        "/dossiers/",
        json={"procedure_code": w.procedure.code, "form_data": form_data or VALID},
        headers=auth(user or w.citizen),
    )
    assert response.status_code == 201, response.json()
    return response.json()


def submit(w, dossier_id, key=KEY, user=None):
    return w.api.post(
        f"/dossiers/{dossier_id}/submit",
        headers={**auth(user or w.citizen), "Idempotency-Key": key},
    )


def act(w, dossier_id, action, user, **body):
    if "version" not in body:
        body["version"] = Dossier.objects.get(pk=dossier_id).version
    return w.api.post(f"/dossiers/{dossier_id}/actions/{action}", json=body, headers=auth(user))


def submitted(w, key=KEY) -> int:
    dossier_id = create(w)["id"]
    assert submit(w, dossier_id, key=key).status_code == 201
    return dossier_id


def processing(w, key=KEY) -> int:
    dossier_id = submitted(w, key=key)
    assert act(w, dossier_id, "receive", w.staff.receiver).status_code == 200
    assert act(w, dossier_id, "process", w.staff.processor).status_code == 200
    return dossier_id


def snapshot(dossier_id):
    """What must not move when a request is refused."""
    dossier = Dossier.objects.get(pk=dossier_id)
    return (
        dossier.status,
        dossier.version,
        dossier.code,
        dossier.form_data,
        DossierEvent.objects.filter(dossier_id=dossier_id).count(),
        DossierFile.objects.filter(dossier_id=dossier_id).count(),
    )


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


# --- the whole flow ---------------------------------------------------------------------------


def test_citizen_and_officers_from_draft_to_rating(w):
    citizen = auth(w.citizen)
    draft = create(w, form_data={"ho_ten": "Nguyễn Thị Lan"})
    assert (draft["status"], draft["code"], draft["version"]) == (S.DRAFT, None, 1)
    assert draft["procedure"]["code"] == w.procedure.code
    assert draft["agency"]["id"] == w.agency.pk  # the procedure's only agency
    assert draft["actions"] == ["draft_save", "submit"]
    dossier_id = draft["id"]

    updated = w.api.patch(
        f"/dossiers/{dossier_id}", json={"version": 1, "form_data": VALID}, headers=citizen
    )
    assert updated.status_code == 200
    assert (updated.json()["version"], updated.json()["form_data"]) == (2, VALID)

    uploaded = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"required_document_id": w.document.pk},
        FILES=pdf_upload(),
        headers=citizen,
    )
    assert uploaded.status_code == 201, uploaded.json()
    assert uploaded.json()["kind"] == "document"
    assert uploaded.json()["name"] == "to-khai.pdf"
    assert uploaded.json()["content_type"] == "application/pdf"
    assert uploaded.json()["required_document_id"] == w.document.pk

    first = submit(w, dossier_id)
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == S.NEW
    assert body["code"] == "000.00.07.H31-260213-0001"
    assert body["submitted_at"] == "2026-02-13T10:00:00+07:00"
    assert body["due_at"] == "2026-02-27T10:00:00+07:00"  # 5 working days across Tết
    assert body["applicant"]["id_number"] == "031190001234"

    # The same key again (a retried request): the same dossier, nothing new.
    before = snapshot(dossier_id)
    again = submit(w, dossier_id)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["code"]) == (dossier_id, body["code"])
    assert snapshot(dossier_id) == before
    # Another key on the dossier already submitted: still that dossier, not a new one.
    other = submit(w, dossier_id, key="another-key-123")
    assert other.status_code == 200
    assert (other.json()["id"], other.json()["code"]) == (dossier_id, body["code"])
    assert snapshot(dossier_id) == before
    assert Dossier.objects.count() == 1

    w.clock.advance(hours=1)
    received = act(w, dossier_id, "receive", w.staff.receiver)
    assert received.status_code == 200
    assert received.json()["status"] == S.RECEIVED
    assert act(w, dossier_id, "process", w.staff.processor).json()["status"] == S.PROCESSING
    result = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"kind": "result"},
        FILES=pdf_upload("ket-qua.pdf"),
        headers=auth(w.staff.approver),
    )
    assert result.status_code == 201
    assert result.json()["kind"] == "result"
    # The applicant sees the result file only once it is theirs to download.
    early = w.api.get(f"/dossiers/{dossier_id}", headers=citizen).json()
    assert [f["kind"] for f in early["files"]] == ["document"]
    approved = act(w, dossier_id, "approve", w.staff.approver)
    assert approved.json()["status"] == S.DONE
    returned = act(w, dossier_id, "return", w.staff.receiver, delivery="online")
    assert returned.status_code == 200
    assert returned.json()["status"] == S.RETURNED
    assert returned.json()["result_delivery"] == "online"

    detail = w.api.get(f"/dossiers/{dossier_id}", headers=citizen).json()
    # The applicant's timeline is the citizen pages' one: no draft saves, their wording.
    assert [e["action"] for e in detail["events"]] == [
        "submit",
        "receive",
        "process",
        "approve",
        "return",
    ]
    assert [e["actor"] for e in detail["events"]] == [
        "applicant",
        "officer",
        "officer",
        "officer",
        "officer",
    ]
    # Officers see every event.
    desk = w.api.get(f"/dossiers/{dossier_id}", headers=auth(w.staff.receiver)).json()
    assert [e["action"] for e in desk["events"]][:3] == ["draft_save", "draft_save", "submit"]
    assert desk["events"][0]["actor"] == "applicant"
    assert {f["kind"] for f in detail["files"]} == {"document", "result"}
    assert detail["actions"] == ["rate"]
    # No officer is named anywhere in what the citizen gets.
    text = json.dumps(detail, ensure_ascii=False)
    for officer in (w.staff.receiver, w.staff.processor, w.staff.approver):
        assert officer.full_name not in text and officer.username not in text

    receipt = w.api.get(f"/dossiers/{dossier_id}/receipt.pdf", headers=citizen)
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF-")
    assert "000.00.07.H31-260213-0001.pdf" in receipt["Content-Disposition"]

    rated = w.api.post(
        f"/dossiers/{dossier_id}/rating",
        json={"rating": 5, "comment": "Nhanh, gọn."},
        headers=citizen,
    )
    assert rated.status_code == 200
    assert (rated.json()["rating"], rated.json()["rating_comment"]) == (5, "Nhanh, gọn.")
    assert rated.json()["events"][-1]["action"] == "rate"


def test_supplement_fee_and_forward_through_the_api(w):
    dossier_id = processing(w)
    citizen = auth(w.citizen)
    asked = act(w, dossier_id, "request_supplement", w.staff.processor, reason="Thiếu bản sao.")
    assert (asked.json()["status"], asked.json()["paused"]) == (S.SUPPLEMENT, True)
    assert asked.json()["events"][-1]["note"] == "Thiếu bản sao."

    added = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"kind": "supplement"},
        FILES=pdf_upload(),
        headers=citizen,
    )
    assert added.status_code == 201
    w.clock.advance(hours=2)
    supplied = w.api.post(
        f"/dossiers/{dossier_id}/supply", json={"note": "Đã bổ sung."}, headers=citizen
    )
    assert supplied.status_code == 200
    assert (supplied.json()["status"], supplied.json()["paused"]) == (S.PROCESSING, False)

    fee = act(w, dossier_id, "request_fee", w.staff.processor, amount=30_000)
    assert (fee.json()["status"], fee.json()["fee_amount"]) == (S.WAITING_FEE, 30_000)
    paid = act(w, dossier_id, "pay_fee", w.staff.receiver, online=False)
    assert paid.json()["status"] == S.PROCESSING
    assert paid.json()["fee_paid_at"] is not None

    forwarded = act(w, dossier_id, "forward", w.staff.processor, to_step=3, note="Trình ký.")
    assert forwarded.status_code == 200
    assert forwarded.json()["current_step"]["order"] == 3
    # The note between officers is not shown to the applicant.
    assert forwarded.json()["events"][-1]["note"] == "Trình ký."
    mine = w.api.get(f"/dossiers/{dossier_id}", headers=citizen).json()
    assert mine["events"][-1]["action"] == "forward"
    assert mine["events"][-1]["note"] == ""


def test_apology_sets_a_new_appointment(w):
    dossier_id = processing(w)
    response = act(
        w,
        dossier_id,
        "apologize",
        w.staff.approver,
        reason="Cần xác minh thêm.",
        new_due_at="2026-03-06T16:00:00+07:00",
    )
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-03-06T16:00:00+07:00"


def test_datetimes_are_local_whatever_the_offset_sent(w):
    dossier_id = processing(w)
    response = act(
        w,
        dossier_id,
        "apologize",
        w.staff.approver,
        reason="Chậm.",
        new_due_at="2026-03-06T09:00:00Z",
    )
    assert response.json()["due_at"] == "2026-03-06T16:00:00+07:00"
    assert response.json()["events"][-1]["at"].endswith("+07:00")


def test_the_applicant_supplies_files_the_desk_may_record_papers(w):
    dossier_id = processing(w)
    citizen = auth(w.citizen)
    asked = act(w, dossier_id, "request_supplement", w.staff.processor, reason="Thiếu sổ hộ khẩu.")
    assert asked.status_code == 200
    before = snapshot(dossier_id)
    empty = w.api.post(f"/dossiers/{dossier_id}/supply", json={}, headers=citizen)
    details = error(empty, 422)["details"]
    assert (details[0]["field"], details[0]["code"]) == ("files", "file_required")
    assert snapshot(dossier_id) == before
    # The receiving desk records papers brought in person, without an upload.
    desk = w.api.post(
        f"/dossiers/{dossier_id}/supply",
        json={"version": before[1]},
        headers=auth(w.staff.receiver),
    )
    assert desk.status_code == 200
    assert desk.json()["status"] == S.PROCESSING
    assert desk.json()["events"][-1]["actor"] == "officer"
    again = w.api.post(f"/dossiers/{dossier_id}/supply", json={}, headers=citizen)
    assert error(again, 409)["code"] == "illegal_transition"


def test_a_citizen_cannot_mark_the_fee_paid(w):
    dossier_id = processing(w)
    assert act(w, dossier_id, "request_fee", w.staff.processor, amount=20_000).status_code == 200
    citizen = auth(w.citizen)
    assert "pay_fee" not in w.api.get(f"/dossiers/{dossier_id}", headers=citizen).json()["actions"]
    before = snapshot(dossier_id)
    response = act(w, dossier_id, "pay_fee", w.citizen, online=True)
    assert error(response, 403)["code"] == "forbidden"
    assert snapshot(dossier_id) == before
    desk = w.api.get(f"/dossiers/{dossier_id}", headers=auth(w.staff.receiver)).json()
    assert "pay_fee" in desk["actions"]


def test_withdraw_needs_a_reason(w):
    dossier_id = submitted(w)
    citizen = auth(w.citizen)
    before = snapshot(dossier_id)
    missing = w.api.post(f"/dossiers/{dossier_id}/withdraw", json={"reason": " "}, headers=citizen)
    body = error(missing, 422)
    assert body["code"] == "invalid"
    assert body["details"][0]["field"] == "reason"
    assert body["details"][0]["code"] == "reason_required"
    assert snapshot(dossier_id) == before
    done = w.api.post(
        f"/dossiers/{dossier_id}/withdraw", json={"reason": "Nộp nhầm."}, headers=citizen
    )
    assert done.status_code == 200
    assert done.json()["status"] == S.WITHDRAWN


def test_refuse_and_stop_need_reasons(w):
    dossier_id = submitted(w)
    before = snapshot(dossier_id)
    assert error(act(w, dossier_id, "refuse", w.staff.receiver), 422)["details"][0]["code"] == (
        "reason_required"
    )
    assert snapshot(dossier_id) == before
    refused = act(w, dossier_id, "refuse", w.staff.receiver, reason="Không thuộc thẩm quyền.")
    assert refused.json()["status"] == S.REFUSED


# --- creating and updating drafts -------------------------------------------------------------


def test_create_needs_a_known_procedure_and_agency(w):
    citizen = auth(w.citizen)
    unknown = w.api.post("/dossiers/", json={"procedure_code": "9.999999"}, headers=citizen)
    assert error(unknown, 422)["details"][0] == {
        "field": "procedure_code",
        "message": unknown.json()["error"]["details"][0]["message"],
        "code": "unknown_procedure",
    }
    w.procedure.agencies.add(w.other_agency)
    several = w.api.post("/dossiers/", json={"procedure_code": w.procedure.code}, headers=citizen)
    assert error(several, 422)["details"][0]["code"] == "agency_required"
    elsewhere = w.api.post(
        "/dossiers/",
        json={"procedure_code": w.procedure.code, "agency_id": f.agency().pk},
        headers=citizen,
    )
    details = error(elsewhere, 422)["details"]
    assert (details[0]["field"], details[0]["code"]) == ("agency_id", "agency_not_offering")
    chosen = w.api.post(
        "/dossiers/",
        json={"procedure_code": w.procedure.code, "agency_id": w.other_agency.pk},
        headers=citizen,
    )
    assert chosen.status_code == 201
    assert chosen.json()["agency"]["id"] == w.other_agency.pk
    assert Dossier.objects.count() == 1


def test_unknown_fields_are_refused_not_ignored(w):
    response = w.api.post(
        "/dossiers/",
        json={"procedure_code": w.procedure.code, "applicant_phone": "0900000000"},
        headers=auth(w.citizen),
    )
    assert error(response, 422)["code"] == "invalid"
    assert Dossier.objects.count() == 0


def test_an_offline_procedure_cannot_be_filed_online(w):
    w.procedure.level = "truc_tiep"
    w.procedure.save()
    response = w.api.post(
        "/dossiers/", json={"procedure_code": w.procedure.code}, headers=auth(w.citizen)
    )
    assert error(response, 422)["details"][0]["code"] == "not_online"


def test_stale_version_on_a_draft_is_a_conflict(w):
    dossier_id = create(w)["id"]
    citizen = auth(w.citizen)
    assert (
        w.api.patch(
            f"/dossiers/{dossier_id}", json={"version": 1, "form_data": {}}, headers=citizen
        ).status_code
        == 200
    )
    before = snapshot(dossier_id)
    stale = w.api.patch(
        f"/dossiers/{dossier_id}", json={"version": 1, "form_data": VALID}, headers=citizen
    )
    assert error(stale, 409)["code"] == "version_conflict"
    assert snapshot(dossier_id) == before


def test_a_submitted_dossier_is_no_draft_any_more(w):
    dossier_id = submitted(w)
    before = snapshot(dossier_id)
    response = w.api.patch(
        f"/dossiers/{dossier_id}",
        json={"version": before[1], "form_data": {}},
        headers=auth(w.citizen),
    )
    assert error(response, 409)["code"] == "illegal_transition"
    assert snapshot(dossier_id) == before


# --- submitting ----------------------------------------------------------------------------------


def test_submit_reports_every_form_error_and_changes_nothing(w):
    dossier_id = create(w, form_data={"ho_ten": "", "cccd": "123", "dien_thoai": "12"})["id"]
    before = snapshot(dossier_id)
    body = error(submit(w, dossier_id), 422)
    assert body["code"] == "invalid"
    assert {(d["field"], d["code"]) for d in body["details"]} == {
        ("form_data.ho_ten", "required"),
        ("form_data.cccd", "invalid_id_number"),
        ("form_data.dien_thoai", "invalid_phone"),
    }
    assert snapshot(dossier_id) == before
    assert Dossier.objects.get(pk=dossier_id).submit_key is None


@pytest.mark.parametrize(
    "headers", [{}, {"Idempotency-Key": "short"}, {"Idempotency-Key": "x" * 65}]
)
def test_submit_needs_an_idempotency_key_of_8_to_64_characters(w, headers):
    dossier_id = create(w)["id"]
    before = snapshot(dossier_id)
    response = w.api.post(f"/dossiers/{dossier_id}/submit", headers={**auth(w.citizen), **headers})
    assert error(response, 422)["code"] == "invalid"
    assert snapshot(dossier_id) == before


def test_a_key_used_for_another_dossier_is_refused(w):
    first = submitted(w)
    second = create(w)["id"]
    before = snapshot(second)
    details = error(submit(w, second), 422)["details"]
    assert (details[0]["field"], details[0]["code"]) == ("submit_key", "submit_key_reused")
    assert snapshot(second) == before
    assert Dossier.objects.get(pk=first).submit_key == KEY


def test_required_documents_before_submit(w):
    w.document.is_required = True
    w.document.save()
    dossier_id = create(w)["id"]
    before = snapshot(dossier_id)
    details = error(submit(w, dossier_id), 422)["details"]
    assert (details[0]["field"], details[0]["code"]) == ("documents", "document_required")
    assert snapshot(dossier_id) == before
    uploaded = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"required_document_id": w.document.pk},
        FILES=pdf_upload(),
        headers=auth(w.citizen),
    )
    assert uploaded.status_code == 201
    assert submit(w, dossier_id).status_code == 201


def test_receipt_only_once_submitted(w):
    dossier_id = create(w)["id"]
    response = w.api.get(f"/dossiers/{dossier_id}/receipt.pdf", headers=auth(w.citizen))
    assert error(response, 404)["code"] == "not_found"


# --- files ---------------------------------------------------------------------------------------


def test_an_executable_is_refused_and_nothing_stored(w):
    dossier_id = create(w)["id"]
    before = snapshot(dossier_id)
    response = w.api.post(
        f"/dossiers/{dossier_id}/files",
        FILES=pdf_upload("to-khai.pdf", EXE, "application/pdf"),
        headers=auth(w.citizen),
    )
    body = error(response, 422)
    assert body["code"] == "file_type"
    assert body["details"][0]["field"] == "file"
    assert snapshot(dossier_id) == before


def test_an_empty_or_too_large_file_is_refused(w, settings):
    dossier_id = create(w)["id"]
    empty = w.api.post(
        f"/dossiers/{dossier_id}/files", FILES=pdf_upload(data=b""), headers=auth(w.citizen)
    )
    assert error(empty, 422)["code"] == "file_empty"
    settings.CIVICPORT_MAX_UPLOAD_BYTES = 50
    large = w.api.post(f"/dossiers/{dossier_id}/files", FILES=pdf_upload(), headers=auth(w.citizen))
    assert error(large, 422)["code"] == "file_too_large"
    assert DossierFile.objects.count() == 0


def test_upload_rules_by_kind_role_and_status(w):
    dossier_id = create(w)["id"]
    citizen = auth(w.citizen)
    result = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"kind": "result"},
        FILES=pdf_upload(),
        headers=citizen,
    )
    assert error(result, 403)["code"] == "forbidden"
    supplement = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"kind": "supplement"},
        FILES=pdf_upload(),
        headers=citizen,
    )
    assert error(supplement, 409)["code"] == "illegal_transition"
    receipt = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"kind": "receipt"},
        FILES=pdf_upload(),
        headers=citizen,
    )
    assert error(receipt, 422)["code"] == "invalid"
    foreign = RequiredDocument.objects.create(procedure=f.procedure(), order=1, name="Khác")
    wrong_document = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"required_document_id": foreign.pk},
        FILES=pdf_upload(),
        headers=citizen,
    )
    assert error(wrong_document, 422)["details"][0]["code"] == "unknown_document"
    assert submit(w, dossier_id).status_code == 201
    late = w.api.post(f"/dossiers/{dossier_id}/files", FILES=pdf_upload(), headers=citizen)
    assert error(late, 409)["code"] == "illegal_transition"
    # A receiver may not attach the result; the processor and the approver may.
    assert act(w, dossier_id, "receive", w.staff.receiver).status_code == 200
    assert act(w, dossier_id, "process", w.staff.processor).status_code == 200
    by_receiver = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"kind": "result"},
        FILES=pdf_upload(),
        headers=auth(w.staff.receiver),
    )
    assert error(by_receiver, 403)["code"] == "forbidden"
    by_processor = w.api.post(
        f"/dossiers/{dossier_id}/files",
        data={"kind": "result"},
        FILES=pdf_upload(),
        headers=auth(w.staff.processor),
    )
    assert by_processor.status_code == 201
    assert DossierFile.objects.count() == 1


# --- who sees what -------------------------------------------------------------------------------


def test_another_citizens_dossier_is_not_found(w):
    draft_id = create(w)["id"]
    sent_id = create(w)["id"]
    assert submit(w, sent_id, key="second-key-000").status_code == 201
    stranger = auth(w.other_citizen)
    before = {pk: snapshot(pk) for pk in (draft_id, sent_id)}
    for dossier_id in (draft_id, sent_id, 999_999):
        calls = [
            w.api.get(f"/dossiers/{dossier_id}", headers=stranger),
            w.api.get(f"/dossiers/{dossier_id}/receipt.pdf", headers=stranger),
            w.api.patch(f"/dossiers/{dossier_id}", json={"version": 1}, headers=stranger),
            w.api.post(f"/dossiers/{dossier_id}/files", FILES=pdf_upload(), headers=stranger),
            w.api.post(
                f"/dossiers/{dossier_id}/submit",
                headers={**stranger, "Idempotency-Key": "stranger-key"},
            ),
            w.api.post(f"/dossiers/{dossier_id}/withdraw", json={"reason": "x"}, headers=stranger),
            w.api.post(f"/dossiers/{dossier_id}/supply", json={}, headers=stranger),
            w.api.post(f"/dossiers/{dossier_id}/rating", json={"rating": 1}, headers=stranger),
            w.api.post(
                f"/dossiers/{dossier_id}/actions/receive", json={"version": 2}, headers=stranger
            ),
        ]
        bodies = {json.dumps(error(response, 404)) for response in calls}
        assert len(bodies) == 1  # the same answer whatever the reason
    assert {pk: snapshot(pk) for pk in (draft_id, sent_id)} == before
    assert w.api.get("/dossiers/", headers=stranger).json() == {"items": [], "count": 0}


def test_officers_see_neither_drafts_nor_other_agencies_dossiers(w):
    draft_id = create(w)["id"]
    sent_id = create(w)["id"]
    assert submit(w, sent_id).status_code == 201
    receiver = auth(w.staff.receiver)
    assert error(w.api.get(f"/dossiers/{draft_id}", headers=receiver), 404)["code"] == ("not_found")
    assert w.api.get(f"/dossiers/{sent_id}", headers=receiver).status_code == 200

    outsider = auth(w.outsider)
    before = snapshot(sent_id)
    assert error(w.api.get(f"/dossiers/{sent_id}", headers=outsider), 404)["code"] == ("not_found")
    refused = w.api.post(
        f"/dossiers/{sent_id}/actions/receive", json={"version": before[1]}, headers=outsider
    )
    assert error(refused, 404)["code"] == "not_found"
    assert snapshot(sent_id) == before
    assert w.api.get("/dossiers/", headers=outsider).json()["count"] == 0


def test_the_receiving_agency_still_sees_a_dossier_forwarded_elsewhere(w):
    dossier_id = processing(w)
    partner = f.team(w.other_agency)
    forwarded = act(w, dossier_id, "forward", w.staff.processor, to_agency_id=w.other_agency.pk)
    assert forwarded.json()["current_agency"]["id"] == w.other_agency.pk
    assert w.api.get(f"/dossiers/{dossier_id}", headers=auth(w.staff.receiver)).status_code == 200
    seen = w.api.get(f"/dossiers/{dossier_id}", headers=auth(partner.processor))
    assert seen.status_code == 200
    assert "request_supplement" in seen.json()["actions"]
    # The receiving agency's processor does not follow it (queries.officer_scope).
    gone = w.api.get(f"/dossiers/{dossier_id}", headers=auth(w.staff.processor))
    assert error(gone, 404)["code"] == "not_found"


def test_lists_are_the_citizens_own_or_the_officers_scope(w):
    mine = [create(w)["id"] for _ in range(3)]
    assert submit(w, mine[0]).status_code == 201
    theirs = create(w, user=w.other_citizen)["id"]
    listed = w.api.get("/dossiers/", headers=auth(w.citizen)).json()
    assert listed["count"] == 3
    assert [d["id"] for d in listed["items"]] == sorted(mine, reverse=True)
    assert "events" not in listed["items"][0]
    drafts = w.api.get("/dossiers/?status=draft", headers=auth(w.citizen)).json()
    assert sorted(d["id"] for d in drafts["items"]) == sorted(mine[1:])
    inbox = w.api.get("/dossiers/", headers=auth(w.staff.receiver)).json()
    assert [d["id"] for d in inbox["items"]] == [mine[0]]
    assert theirs not in [d["id"] for d in inbox["items"]]
    new = w.api.get("/dossiers/?status=new", headers=auth(w.staff.receiver)).json()
    assert new["count"] == 1
    bad = w.api.get("/dossiers/?status=nope", headers=auth(w.citizen))
    assert error(bad, 422)["code"] == "invalid"
    paged = w.api.get("/dossiers/?page=2&page_size=2", headers=auth(w.citizen)).json()
    assert (paged["count"], len(paged["items"])) == (3, 1)


def test_the_officer_list_is_the_inbox(w):
    running = submitted(w)
    finished = processing(w, key="second-key-000")
    assert act(w, finished, "approve", w.staff.approver).status_code == 200
    assert act(w, finished, "return", w.staff.receiver, delivery="in_person").status_code == 200
    receiver = auth(w.staff.receiver)
    inbox = w.api.get("/dossiers/", headers=receiver).json()
    assert [d["id"] for d in inbox["items"]] == [running]  # work in hand only
    archive = w.api.get("/dossiers/?status=returned", headers=receiver).json()
    assert [d["id"] for d in archive["items"]] == [finished]
    drafts = w.api.get("/dossiers/?status=draft", headers=receiver).json()
    assert drafts == {"items": [], "count": 0}


def test_credentials_are_required(w):
    dossier_id = create(w)["id"]
    assert error(w.api.get("/dossiers/"), 401)["code"] == "unauthenticated"
    assert error(w.api.get(f"/dossiers/{dossier_id}"), 401)["code"] == "unauthenticated"
    bad = {"Authorization": "Bearer cvp_nope"}
    assert error(w.api.post("/dossiers/", json={}, headers=bad), 401)["code"] == "unauthenticated"


# --- officer actions: error mapping -------------------------------------------------------------


def test_stale_version_is_a_conflict_and_changes_nothing(w):
    dossier_id = submitted(w)
    before = snapshot(dossier_id)
    response = act(w, dossier_id, "receive", w.staff.receiver, version=before[1] - 1)
    assert error(response, 409)["code"] == "version_conflict"
    assert snapshot(dossier_id) == before


def test_an_illegal_action_is_a_conflict_and_changes_nothing(w):
    dossier_id = submitted(w)
    before = snapshot(dossier_id)
    response = act(w, dossier_id, "approve", w.staff.approver)
    assert error(response, 409)["code"] == "illegal_transition"
    assert snapshot(dossier_id) == before


def test_the_wrong_role_is_forbidden_and_changes_nothing(w):
    dossier_id = submitted(w)
    before = snapshot(dossier_id)
    response = act(w, dossier_id, "receive", w.staff.processor)
    assert error(response, 403)["code"] == "forbidden"
    by_citizen = act(w, dossier_id, "receive", w.citizen)
    assert error(by_citizen, 403)["code"] == "forbidden"
    assert snapshot(dossier_id) == before


def test_an_unknown_action_is_refused(w):
    dossier_id = submitted(w)
    before = snapshot(dossier_id)
    for action in ("launch", "rate", "submit", "register"):
        assert error(act(w, dossier_id, action, w.staff.receiver), 422)["code"] == "invalid"
    assert snapshot(dossier_id) == before


def test_officer_actions_need_the_version(w):
    dossier_id = submitted(w)
    response = w.api.post(
        f"/dossiers/{dossier_id}/actions/receive", json={}, headers=auth(w.staff.receiver)
    )
    assert error(response, 422)["details"][0]["field"].endswith("version")


def test_forward_to_an_unknown_step_or_agency(w):
    dossier_id = processing(w)
    before = snapshot(dossier_id)
    step = act(w, dossier_id, "forward", w.staff.processor, to_step=9)
    assert error(step, 422)["details"][0]["code"] == "unknown_step"
    agency = act(w, dossier_id, "forward", w.staff.processor, to_agency_id=999_999)
    assert error(agency, 422)["details"][0]["code"] == "unknown_agency"
    assert snapshot(dossier_id) == before


def test_return_needs_a_delivery(w):
    dossier_id = processing(w)
    assert act(w, dossier_id, "approve", w.staff.approver).status_code == 200
    before = snapshot(dossier_id)
    response = act(w, dossier_id, "return", w.staff.receiver)
    assert error(response, 422)["details"][0]["field"] == "delivery"
    assert snapshot(dossier_id) == before


def test_rating_rules(w):
    dossier_id = submitted(w)
    citizen = auth(w.citizen)
    early = w.api.post(f"/dossiers/{dossier_id}/rating", json={"rating": 4}, headers=citizen)
    assert error(early, 409)["code"] == "illegal_transition"
    too_high = w.api.post(f"/dossiers/{dossier_id}/rating", json={"rating": 6}, headers=citizen)
    assert error(too_high, 422)["code"] == "invalid"
    dossier_id = processing(w, key="second-key-000")
    assert act(w, dossier_id, "approve", w.staff.approver).status_code == 200
    before = snapshot(dossier_id)
    wordy = w.api.post(
        f"/dossiers/{dossier_id}/rating", json={"rating": 4, "comment": "x" * 2001}, headers=citizen
    )
    assert error(wordy, 422)["details"][0]["field"] == "comment"
    assert snapshot(dossier_id) == before


def test_a_walk_in_dossier_can_be_followed_by_the_desk(w):
    """A registered (desk) dossier has no applicant account: officers still use the API."""
    dossier = A.dossier_register(
        officer=w.staff.receiver,
        procedure=w.procedure,
        agency=w.agency,
        applicant_name="Trần Văn Nam",
        form_data=VALID,
    )
    response = w.api.get(f"/dossiers/{dossier.pk}", headers=auth(w.staff.processor))
    assert response.status_code == 200
    assert response.json()["channel"] == "in_person"
    assert response.json()["actions"] == ["process"]


def test_city_admin_and_ioc_viewer(w):
    dossier_id = submitted(w)
    admin = core.officer(agencies_roles=[], is_city_admin=True)
    viewer = core.officer(agencies_roles=[], is_ioc_viewer=True)
    assert w.api.get(f"/dossiers/{dossier_id}", headers=auth(viewer)).json()["actions"] == []
    assert w.api.get("/dossiers/", headers=auth(viewer)).json()["count"] == 1
    assert act(w, dossier_id, "receive", viewer).status_code == 403
    assert act(w, dossier_id, "receive", admin).status_code == 200


# --- public tracking -------------------------------------------------------------------------


def track(w, code, phone):
    return w.api.get("/dossiers/track", query_params={"code": code, "phone": phone})


def test_tracking_by_code_and_phone_or_id_number(w):
    dossier_id = processing(w)
    act(w, dossier_id, "request_supplement", w.staff.processor, reason="Thiếu giấy tờ riêng.")
    code = Dossier.objects.get(pk=dossier_id).code
    found = track(w, code.lower(), w.citizen.phone)
    assert found.status_code == 200
    assert found["Cache-Control"] == "no-store"
    body = found.json()
    assert (body["code"], body["status"], body["paused"]) == (code, S.SUPPLEMENT, True)
    assert body["due_at"] == "2026-02-27T10:00:00+07:00"
    assert body["applicant_initials"] == "C. D. " + w.citizen.full_name.split()[-1][0] + "."
    assert [e["action"] for e in body["timeline"]] == [
        "submit",
        "receive",
        "process",
        "request_supplement",
    ]
    text = json.dumps(body, ensure_ascii=False)
    for secret in (w.citizen.full_name, w.citizen.phone, "Thiếu giấy tờ riêng", "031190001234"):
        assert secret not in text
    assert track(w, code, "031190001234").status_code == 200  # the citizen ID works too


def test_tracking_answer_is_what_its_schema_gives(w):
    # The endpoint builds its JSON by hand for speed; TrackingOut documents it.
    dossier_id = processing(w)
    act(w, dossier_id, "request_supplement", w.staff.processor, reason="Thiếu giấy tờ.")
    code = Dossier.objects.get(pk=dossier_id).code
    tracked = tracking.tracking_lookup(code=code, second_factor=w.citizen.phone, address=None)
    expected = json.loads(TrackingOut.model_validate(tracked).model_dump_json())
    assert len(expected["timeline"]) == 4
    assert track(w, code, w.citizen.phone).json() == expected


def test_the_site_serves_tracking_outside_ninja_with_the_same_answers(w):
    assert resolve("/api/v1/dossiers/track").func is api_tracking.track
    code = Dossier.objects.get(pk=submitted(w)).code
    site = Client()
    for params in (
        {"code": code, "phone": w.citizen.phone},
        {"code": code, "phone": "0999999999"},
        {"code": code},
        {"code": "X" * 101, "phone": w.citizen.phone},
    ):
        served = site.get("/api/v1/dossiers/track", params)
        documented = w.api.get("/dossiers/track", query_params=params)
        assert served.status_code == documented.status_code
        assert served.json() == documented.json()
        assert served["Cache-Control"] == "no-store"
    assert site.post("/api/v1/dossiers/track").status_code == 405


def test_tracking_answers_every_mismatch_the_same(w):
    dossier_id = submitted(w)
    code = Dossier.objects.get(pk=dossier_id).code
    draft_id = create(w)["id"]
    answers = [
        track(w, code, "0999999999"),
        track(w, code, w.other_citizen.phone),
        track(w, "000.00.07.H31-260213-9999", w.citizen.phone),
        track(w, f"#{draft_id}", w.citizen.phone),
        track(w, "", w.citizen.phone),
    ]
    assert {json.dumps(error(r, 404)) for r in answers} == {json.dumps(answers[0].json()["error"])}
    missing = error(w.api.get("/dossiers/track"), 422)
    assert missing["code"] == "invalid"
    assert [d["field"] for d in missing["details"]] == ["code", "phone"]
    too_long = error(track(w, "X" * 101, w.citizen.phone), 422)
    assert [d["field"] for d in too_long["details"]] == ["code"]


def test_tracking_is_throttled_per_address(w, settings):
    settings.TRACKING_MAX_FAILURES = 2
    dossier_id = submitted(w)
    code = Dossier.objects.get(pk=dossier_id).code
    for _ in range(2):
        assert track(w, code, "0999999999").status_code == 404
    throttled = track(w, code, w.citizen.phone)  # right this time, but too late
    assert error(throttled, 429)["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


# --- OpenAPI and the Django stack ---------------------------------------------------------------


def test_every_operation_is_documented(w):
    spec = _csrf_api.get_openapi_schema(path_prefix="")
    operations = [op for item in spec["paths"].values() for op in item.values()]
    assert len(operations) == 13
    for operation in operations:
        assert operation["summary"] and operation["description"]
        if operation["operationId"].endswith("dossier_track"):
            assert "security" not in operation  # public
        else:
            assert operation["security"]
    submit_op = spec["paths"]["/dossiers/{dossier_id}/submit"]["post"]
    header = next(p for p in submit_op["parameters"] if p["in"] == "header")
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)


@pytest.mark.urls(__name__)
def test_a_session_post_without_csrf_token_is_refused(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.citizen)
    response = client.post(
        "/api-test/dossiers/", {"procedure_code": w.procedure.code}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert Dossier.objects.count() == 0
    # With the token (cookie and header) the same session works.
    token = "A" * 32
    client.cookies["csrftoken"] = token
    ok = client.post(
        "/api-test/dossiers/",
        {"procedure_code": w.procedure.code},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["applicant"]["name"] == w.citizen.full_name


def test_csrf_on_the_real_mount(w):
    try:
        match = resolve("/api/v1/dossiers/")
    except Resolver404:
        match = None
    if match is None or match.url_name not in {"dossier_create", "dossier_list"}:
        pytest.skip("the dossier router is not mounted at /api/v1/dossiers/ yet")
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.citizen)
    response = client.post(
        "/api/v1/dossiers/", {"procedure_code": w.procedure.code}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert Dossier.objects.count() == 0
