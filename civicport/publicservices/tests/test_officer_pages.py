"""Officer pages under /can-bo/: access, the inbox, the desk and every action through it,
optimistic locking (409), files and notices, desk registration, and `civicport remind`.

Assertions read data, status codes, error codes and data-testid elements; English text only
with the language cookie set to English.
"""

import re
import struct
import zlib
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicport.core.calendar import working_time_between
from civicport.core.models import Notification, Province, Ward
from civicport.publicservices import actions as A
from civicport.publicservices.codes import dossier_code_valid
from civicport.publicservices.files import dossier_file_store
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierStatus,
    FileKind,
    RequiredDocument,
)
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import Clock, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("calendar", "media")]

S = DossierStatus
NOW = at(2026, 3, 10, 9)  # Tuesday
SCHEMA = [
    {"key": "ho_ten", "label": "Họ và tên người được cấp", "type": "text", "required": True},
    {"key": "ngay_sinh", "label": "Ngày sinh", "type": "date"},
    {"key": "loai", "label": "Loại bản sao", "type": "choice",
     "choices": [{"value": "chinh", "label": "Bản chính"}, {"value": "sao", "label": "Bản sao"}]},
    {"key": "dia_chi", "label": "Nơi cư trú", "type": "address"},
]
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


@pytest.fixture
def w(db, clock):
    province = Province.objects.create(
        code=settings.CIVICPORT_PROVINCE, name="Hải Phòng", division_type="thành phố",
        codename="hai_phong",
    )
    ward = Ward.objects.create(code=11311, province=province, name="Phường Lạch Tray",
                               kind=Ward.Kind.WARD, codename="lach_tray", name_folded="lach tray")
    agency = f.agency(code="000.00.07.H31", name="Ủy ban nhân dân phường Lạch Tray")
    other = f.agency(code="000.00.08.H31", name="Sở Tư pháp")
    procedure = f.procedure(agency=agency, days=5, fee=50_000, form_schema=SCHEMA,
                            name="Cấp bản sao trích lục hộ tịch")
    procedure.result_description = "Bản sao trích lục"
    procedure.save()
    document = RequiredDocument.objects.create(procedure=procedure, order=1, name="Tờ khai")
    return SimpleNamespace(
        agency=agency, other=other, procedure=procedure, document=document, ward=ward,
        staff=f.team(agency), far=f.team(other), citizen=f.citizen(full_name="Nguyễn Thị Lan"),
        clock=clock,
    )


def online(w, key="k1") -> Dossier:
    """An online dossier just submitted (status new, version 2)."""
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.agency,
        form_data={"ho_ten": "Nguyễn Thị Lan", "ngay_sinh": "05/09/1990", "loai": "sao",
                   "dia_chi": {"line": "Số 5 Lạch Tray", "ward": w.ward.code}},
    )
    return A.dossier_submit(dossier=draft, submit_key=key)


def as_user(client, user, english=True):
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def act(client, dossier, slug, version=None, **data):
    data["version"] = dossier.version if version is None else version
    return client.post(reverse("officer:act", args=[dossier.pk, slug]), data)


def snapshot(dossier) -> tuple:
    fresh = Dossier.objects.get(pk=dossier.pk)
    return (fresh.status, fresh.version, fresh.current_agency_id, fresh.due_at,
            DossierEvent.objects.filter(dossier=dossier).count(),
            DossierFile.objects.filter(dossier=dossier).count())


def found_testids(response, name) -> list[str]:
    return re.findall(rf'data-testid="{re.escape(name)}"', response.content.decode())


# --- URLs and access ----------------------------------------------------------------------------


def test_url_names():
    assert reverse("officer:home") == "/can-bo/"
    assert reverse("officer:inbox") == "/can-bo/ho-so/"
    assert reverse("officer:dossier", args=[7]) == "/can-bo/ho-so/7/"
    assert reverse("officer:act", args=[7, "tiep-nhan"]) == "/can-bo/ho-so/7/thao-tac/tiep-nhan/"
    assert reverse("officer:file", args=[7, 3]) == "/can-bo/ho-so/7/tep/3/"
    assert reverse("officer:notice", args=[7, "02"]) == "/can-bo/ho-so/7/mau/02.pdf"
    assert reverse("officer:register") == "/can-bo/tiep-nhan/moi/"


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("officer:inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))


def test_citizens_get_403_everywhere_and_change_nothing(client, w):
    dossier = online(w)
    before = snapshot(dossier)
    as_user(client, w.citizen)
    for url in (reverse("officer:home"), reverse("officer:inbox"),
                reverse("officer:dossier", args=[dossier.pk]), reverse("officer:register"),
                reverse("officer:notice", args=[dossier.pk, "01"])):
        assert client.get(url).status_code == 403, url
    assert act(client, dossier, "tiep-nhan").status_code == 403
    assert snapshot(dossier) == before


# --- inbox ----------------------------------------------------------------------------------------


def test_inbox_lists_own_agency_with_urgency_marks_and_counts(client, w):
    late = f.dossier(procedure=w.procedure, status=S.PROCESSING, code="000.00.07.H31-260301-0001",
                     step_due_at=NOW - timedelta(hours=3), due_at=NOW + timedelta(days=3))
    today = f.dossier(procedure=w.procedure, status=S.RECEIVED, code="000.00.07.H31-260309-0001",
                      step_due_at=at(2026, 3, 10, 16), due_at=NOW + timedelta(days=3))
    calm = f.dossier(procedure=w.procedure, status=S.NEW, code="000.00.07.H31-260310-0001",
                     step_due_at=NOW + timedelta(days=4), due_at=NOW + timedelta(days=5))
    f.dossier(agency=w.other, status=S.NEW, code="000.00.08.H31-260310-0001")
    response = as_user(client, w.staff.processor).get(reverse("officer:inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    rows = re.findall(r'data-testid="inbox-row" data-code="([^"]+)" data-urgency="([^"]+)"', body)
    assert rows == [(late.code, "overdue"), (today.code, "due_today"), (calm.code, "ok")]
    assert found_testids(response, "urgency-overdue") and found_testids(response, "urgency-due-today")
    assert ">Overdue<" in body and ">Due today<" in body
    assert re.search(r'data-testid="count-overdue".*?count-value">1<', body, re.S)
    assert re.search(r'data-testid="count-new".*?count-value">1<', body, re.S)
    assert "<script>" not in body and " style=" not in body  # CSP: no inline code or styles


def test_inbox_filters_and_htmx_fragment(client, w):
    f.dossier(procedure=w.procedure, status=S.PROCESSING, applicant_name="Trần Văn Bình",
              code="000.00.07.H31-260301-0001", due_at=NOW + timedelta(days=3))
    f.dossier(procedure=w.procedure, status=S.NEW, applicant_name="Nguyễn Thị Lan",
              code="000.00.07.H31-260302-0001", due_at=NOW + timedelta(days=3))
    as_user(client, w.staff.receiver)
    url = reverse("officer:inbox")
    by_name = client.get(url, {"q": "tran binh"})
    assert re.findall(r'data-code="([^"]+)"', by_name.content.decode()) == [
        "000.00.07.H31-260301-0001"
    ]
    by_status = client.get(url, {"status": "new"}, headers={"HX-Request": "true"})
    body = by_status.content.decode()
    assert by_status.status_code == 200 and "<html" not in body
    assert re.findall(r'data-code="([^"]+)"', body) == ["000.00.07.H31-260302-0001"]


def test_inbox_rejects_bad_filters(client, w):
    response = as_user(client, w.staff.receiver).get(
        reverse("officer:inbox"), {"status": "draft", "page": "0"}
    )
    assert response.status_code == 400 and found_testids(response, "inbox-errors")
    assert not found_testids(response, "inbox-row")


def test_inbox_pages(client, w):
    for n in range(32):
        f.dossier(procedure=w.procedure, status=S.PROCESSING, code=f"000.00.07.H31-260301-{n:04d}",
                  step_due_at=NOW + timedelta(hours=n), due_at=NOW + timedelta(days=9))
    as_user(client, w.staff.processor)
    first = client.get(reverse("officer:inbox"), {"status": "processing"})
    assert len(found_testids(first, "inbox-row")) == 30 and found_testids(first, "page-next")
    assert 'href="?status=processing&amp;page=2"' in first.content.decode()
    second = client.get(reverse("officer:inbox"), {"status": "processing", "page": 2})
    assert len(found_testids(second, "inbox-row")) == 2 and found_testids(second, "page-previous")


def _inbox_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("officer:inbox")).status_code == 200
    return len(queries)


def test_inbox_page_query_count_does_not_grow_with_rows(client, w):
    as_user(client, w.staff.processor)
    steps = list(w.procedure.steps.all())

    def add(count):
        for n in range(count):
            f.dossier(procedure=w.procedure, status=S.PROCESSING, current_step=steps[n % 3],
                      step_due_at=NOW + timedelta(hours=n), due_at=NOW + timedelta(days=9))

    add(3)
    working_time_between(NOW, NOW + timedelta(days=7))  # the calendar is cached per process
    few = _inbox_queries(client)
    add(27)
    assert _inbox_queries(client) == few <= 9


# --- the desk -----------------------------------------------------------------------------------


def test_desk_shows_the_dossier_and_only_the_actions_allowed(client, w):
    dossier = online(w)
    stored = dossier_file_store(dossier=dossier, upload=upload(PDF, "to-khai.pdf"),
                                kind=FileKind.DOCUMENT, required_document=w.document)
    response = as_user(client, w.staff.receiver).get(reverse("officer:dossier", args=[dossier.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="applicant-name">Nguyễn Thị Lan<' in body
    assert "Họ và tên người được cấp" in body and "05/09/1990" in body and "Bản sao" in body
    assert "Số 5 Lạch Tray, Phường Lạch Tray" in body
    assert reverse("officer:file", args=[dossier.pk, stored.pk]) in body
    assert re.findall(r'data-testid="timeline-event" data-action="(\w+)"', body) == [
        "draft_save", "submit"
    ]
    assert re.findall(r'data-testid="action-(\w+)" aria', body) == ["receive", "refuse", "withdraw"]
    assert f'name="version" value="{dossier.version}"' in body
    processor = as_user(client, w.staff.processor).get(reverse("officer:dossier", args=[dossier.pk]))
    assert found_testids(processor, "no-actions")


def test_pages_render_in_vietnamese_by_default(client, w):
    dossier = processing(w)
    as_user(client, w.staff.processor, english=False)
    for url in (reverse("officer:inbox"), reverse("officer:dossier", args=[dossier.pk])):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="vi">' in response.content.decode()
    as_user(client, w.staff.receiver, english=False)
    assert client.get(reverse("officer:register"), {"procedure": w.procedure.code}).status_code == 200


def test_another_agencys_officer_gets_404_for_the_desk_files_and_notices(client, w):
    dossier = A.dossier_receive(officer=w.staff.receiver, dossier=online(w), expected_version=2)
    stored = dossier_file_store(dossier=dossier, upload=upload(PDF, "a.pdf"), kind=FileKind.DOCUMENT)
    as_user(client, w.far.receiver)
    for url in (reverse("officer:dossier", args=[dossier.pk]),
                reverse("officer:file", args=[dossier.pk, stored.pk]),
                reverse("officer:notice", args=[dossier.pk, "01"])):
        assert client.get(url).status_code == 404, url


# --- actions through the page -------------------------------------------------------------------


def test_every_step_of_an_online_dossier_through_the_desk(client, w):
    dossier = online(w)

    def step(user, slug, expected_status, **data):
        nonlocal dossier
        before = Dossier.objects.get(pk=dossier.pk)
        response = act(as_user(client, user), before, slug, **data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == reverse("officer:dossier", args=[dossier.pk])
        dossier = Dossier.objects.get(pk=dossier.pk)
        assert dossier.status == expected_status and dossier.version == before.version + 1
        return dossier

    step(w.staff.receiver, "tiep-nhan", S.RECEIVED)
    step(w.staff.processor, "thu-ly", S.PROCESSING)
    step(w.staff.processor, "yeu-cau-nop-phi", S.WAITING_FEE, amount="")
    assert dossier.fee_amount == 50_000
    step(w.staff.receiver, "nop-phi", S.PROCESSING)
    assert dossier.fee_paid_at is not None and not dossier.paid_online
    step(w.staff.processor, "yeu-cau-bo-sung", S.SUPPLEMENT, reason="Thiếu tờ khai có chữ ký",
         documents=["Tờ khai"], other_documents="Bản sao CCCD")
    note = DossierEvent.objects.filter(dossier=dossier).last().note
    assert note == "Thiếu tờ khai có chữ ký\n• Tờ khai\n• Bản sao CCCD"
    step(w.staff.receiver, "bo-sung", S.PROCESSING, files=[upload(png(), "to-khai.png")])
    assert dossier.files.filter(kind=FileKind.SUPPLEMENT).count() == 1
    step(w.staff.processor, "chuyen", S.PROCESSING, to_agency=w.other.pk, note="Liên thông")
    assert dossier.current_agency == w.other
    step(w.far.approver, "phe-duyet", S.DONE, result=upload(PDF, "ket-qua.pdf"))
    assert dossier.current_agency == w.agency
    assert dossier.files.get(kind=FileKind.RESULT).original_name == "ket-qua.pdf"
    step(w.staff.receiver, "tra-ket-qua", S.RETURNED, delivery="post")
    assert dossier.result_delivery == "post"
    actions = list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert actions[2:] == ["receive", "process", "request_fee", "pay_fee", "request_supplement",
                           "supply", "forward", "approve", "return"]


@pytest.mark.parametrize(("user", "slug", "data", "status"), [
    ("receiver", "tu-choi", {"reason": "Không thuộc thẩm quyền"}, S.REFUSED),
    ("receiver", "rut-ho-so", {"reason": "Công dân có đơn xin rút"}, S.WITHDRAWN),
])
def test_refusal_and_withdrawal_at_the_desk(client, w, user, slug, data, status):
    dossier = online(w)
    response = act(as_user(client, getattr(w.staff, user)), dossier, slug, **data)
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == status and dossier.finished_at is not None


def processing(w) -> Dossier:
    dossier = A.dossier_receive(officer=w.staff.receiver, dossier=online(w), expected_version=2)
    return A.dossier_process(officer=w.staff.processor, dossier=dossier, expected_version=3)


def test_stop_needs_the_approver_and_a_reason(client, w):
    dossier = processing(w)
    before = snapshot(dossier)
    assert act(as_user(client, w.staff.approver), dossier, "dung-xu-ly", reason="").status_code == 400
    assert snapshot(dossier) == before
    assert act(client, dossier, "dung-xu-ly", reason="Hồ sơ giả mạo").status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == S.STOPPED


def test_apology_is_offered_once_the_appointment_is_due(client, w):
    dossier = processing(w)
    desk_url = reverse("officer:dossier", args=[dossier.pk])
    as_user(client, w.staff.approver)
    assert not found_testids(client.get(desk_url), "action-apologize")
    w.clock.set(dossier.due_at + timedelta(hours=1))
    page = as_user(client, w.staff.approver).get(desk_url)  # a new day, a new session
    assert found_testids(page, "action-apologize") and found_testids(page, "apology-needed")
    response = act(client, dossier, "xin-loi", reason="Chờ xác minh",
                   new_due_at=(dossier.due_at + timedelta(days=3)).astimezone(f.VN)
                   .strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert fresh.due_at == dossier.due_at + timedelta(days=3)
    assert fresh.original_due_at == dossier.due_at
    pdf = client.get(reverse("officer:notice", args=[dossier.pk, "04"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# --- refusals: nothing changes ------------------------------------------------------------------


def test_a_stale_version_is_a_409_and_changes_nothing(client, w):
    dossier = online(w)
    before = snapshot(dossier)
    response = act(as_user(client, w.staff.receiver), dossier, "tiep-nhan",
                   version=dossier.version - 1)
    assert response.status_code == 409
    assert 'data-testid="desk-error" data-code="version_conflict"' in response.content.decode()
    assert "Someone else has changed this dossier" in response.content.decode()
    assert snapshot(dossier) == before
    # The page shown is the fresh one: its forms carry the current version.
    assert f'name="version" value="{dossier.version}"' in response.content.decode()


def test_an_illegal_transition_is_a_409_and_changes_nothing(client, w):
    dossier = A.dossier_receive(officer=w.staff.receiver, dossier=online(w), expected_version=2)
    before = snapshot(dossier)
    response = act(as_user(client, w.staff.receiver), dossier, "tiep-nhan")
    assert response.status_code == 409
    assert 'data-code="illegal_transition"' in response.content.decode()
    assert snapshot(dossier) == before


def test_wrong_role_is_403_and_another_agency_is_404_and_nothing_changes(client, w):
    dossier = online(w)
    before = snapshot(dossier)
    assert act(as_user(client, w.staff.processor), dossier, "tiep-nhan").status_code == 403
    assert act(as_user(client, w.far.receiver), dossier, "tiep-nhan").status_code == 404
    assert act(as_user(client, w.far.receiver), dossier, "tu-choi", reason="x").status_code == 404
    assert act(client, dossier, "khong-co").status_code == 404
    assert snapshot(dossier) == before


def test_bad_input_is_a_400_with_the_error_on_its_field(client, w):
    dossier = online(w)
    before = snapshot(dossier)
    response = act(as_user(client, w.staff.receiver), dossier, "tu-choi", reason="   ")
    assert response.status_code == 400
    assert re.search(r'data-testid="field-reason">.*?class="error"', response.content.decode(), re.S)
    assert act(client, dossier, "tu-choi", version="abc", reason="x").status_code == 400
    assert snapshot(dossier) == before


def test_approval_rejects_a_program_as_result_and_requires_a_result(client, w, media):
    dossier = processing(w)
    before = snapshot(dossier)
    as_user(client, w.staff.approver)
    exe = act(client, dossier, "phe-duyet", result=upload(EXE, "ket-qua.pdf"))
    assert exe.status_code == 400
    assert re.search(r'data-testid="field-result">.*?class="error"', exe.content.decode(), re.S)
    png_result = act(client, dossier, "phe-duyet", result=upload(png(), "ket-qua.png"))
    assert png_result.status_code == 400  # a result is a PDF
    missing = act(client, dossier, "phe-duyet")
    assert missing.status_code == 400  # the procedure names a result: it must be attached
    assert snapshot(dossier) == before
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_approval_without_a_result_when_the_procedure_names_none(client, w):
    w.procedure.result_description = ""
    w.procedure.save()
    dossier = processing(w)
    assert act(as_user(client, w.staff.approver), dossier, "phe-duyet").status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == S.DONE


# --- files and notices --------------------------------------------------------------------------


def test_files_download_through_the_access_check(client, w):
    dossier = online(w)
    other = online(w, key="k2")
    stored = dossier_file_store(dossier=dossier, upload=upload(PDF, "Tờ khai.pdf"),
                                kind=FileKind.DOCUMENT)
    as_user(client, w.staff.receiver)
    response = client.get(reverse("officer:file", args=[dossier.pk, stored.pk]))
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert client.get(reverse("officer:file", args=[other.pk, stored.pk])).status_code == 404


def test_notice_pdfs(client, w):
    dossier = online(w)
    as_user(client, w.staff.receiver)
    assert client.get(reverse("officer:notice", args=[dossier.pk, "01"])).status_code == 404
    dossier = A.dossier_receive(officer=w.staff.receiver, dossier=dossier, expected_version=2)
    receipt = client.get(reverse("officer:notice", args=[dossier.pk, "01"]))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert receipt["Content-Type"] == "application/pdf"
    assert client.get(reverse("officer:notice", args=[dossier.pk, "02"])).status_code == 404
    assert client.get(f"/can-bo/ho-so/{dossier.pk}/mau/05.pdf").status_code == 404
    dossier = A.dossier_process(officer=w.staff.processor, dossier=dossier, expected_version=3)
    A.dossier_request_supplement(officer=w.staff.processor, dossier=dossier, expected_version=4,
                                 reason="Thiếu\n• Tờ khai")
    page = client.get(reverse("officer:dossier", args=[dossier.pk]))
    assert found_testids(page, "notice-01") and found_testids(page, "notice-02")
    supplement = client.get(reverse("officer:notice", args=[dossier.pk, "02"]))
    assert supplement.status_code == 200 and supplement.content.startswith(b"%PDF")

    refused = A.dossier_refuse(officer=w.staff.receiver, dossier=online(w, key="k3"),
                               expected_version=2, reason="Không thuộc thẩm quyền")
    refusal = client.get(reverse("officer:notice", args=[refused.pk, "03"]))
    assert refusal.status_code == 200 and refusal.content.startswith(b"%PDF")


# --- desk registration --------------------------------------------------------------------------


def registration(w, **overrides) -> dict:
    data = {
        "procedure": w.procedure.code, "agency": w.agency.pk,
        "applicant_name": "Phạm Văn Đức", "applicant_id_number": "031190001234",
        "applicant_phone": "0912 345 678", "applicant_email": "",
        "applicant_address": "Số 5 Lạch Tray", "applicant_ward": w.ward.code,
        "channel": Channel.IN_PERSON, "result_delivery": "in_person",
        "f_ho_ten": "Phạm Văn Đức", "f_ngay_sinh": "1990-09-05", "f_loai": "chinh",
        "f_dia_chi_line": "Số 5 Lạch Tray", "f_dia_chi_ward": str(w.ward.code),
        f"doc_{w.document.pk}": upload(PDF, "to-khai.pdf"),
    }
    return data | overrides


def test_registering_a_walk_in_dossier(client, w):
    as_user(client, w.staff.receiver)
    start = client.get(reverse("officer:register"))
    assert start.status_code == 200 and w.procedure.code in start.content.decode()
    form = client.get(reverse("officer:register"), {"procedure": w.procedure.code})
    assert form.status_code == 200 and "Họ và tên người được cấp" in form.content.decode()
    assert found_testids(form, f"field-doc_{w.document.pk}")

    response = client.post(reverse("officer:register"), registration(w))
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("officer:dossier", args=[dossier.pk])
    assert dossier_code_valid(dossier.code) and dossier.code.startswith("000.00.07.H31-260310-")
    assert (dossier.status, dossier.channel, dossier.applicant) == (S.RECEIVED, "in_person", None)
    assert dossier.applicant_phone == "0912345678" and dossier.applicant_ward == w.ward
    assert dossier.form_data == {"ho_ten": "Phạm Văn Đức", "ngay_sinh": "1990-09-05",
                                 "loai": "chinh",
                                 "dia_chi": {"line": "Số 5 Lạch Tray", "ward": w.ward.code}}
    assert dossier.files.get().required_document == w.document
    desk = client.get(response["Location"])
    assert found_testids(desk, "notice-01")
    receipt = client.get(reverse("officer:notice", args=[dossier.pk, "01"]))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


def test_registration_errors_create_nothing(client, w, media):
    as_user(client, w.staff.receiver)
    missing = client.post(reverse("officer:register"), registration(w, applicant_name=""))
    assert missing.status_code == 400 and found_testids(missing, "field-applicant_name")
    bad_id = client.post(reverse("officer:register"), registration(w, applicant_id_number="123"))
    assert bad_id.status_code == 400
    assert re.search(r'data-testid="field-applicant_id_number">.*?class="error"',
                     bad_id.content.decode(), re.S)
    bad_form = client.post(reverse("officer:register"), registration(w, f_ngay_sinh="31/02/1990"))
    assert bad_form.status_code == 400
    assert re.search(r'data-testid="field-f_ngay_sinh">.*?class="error"',
                     bad_form.content.decode(), re.S)
    exe = client.post(reverse("officer:register"),
                      registration(w, **{f"doc_{w.document.pk}": upload(EXE, "a.pdf")}))
    assert exe.status_code == 400
    assert not Dossier.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_only_desk_officers_register(client, w):
    as_user(client, w.staff.processor)
    assert client.get(reverse("officer:register")).status_code == 403
    assert client.post(reverse("officer:register"), registration(w)).status_code == 403
    as_user(client, w.far.receiver)  # a desk, but not of an agency offering the procedure
    assert client.get(reverse("officer:register"),
                      {"procedure": w.procedure.code}).status_code == 404
    assert not Dossier.objects.exists()


# --- reminders ----------------------------------------------------------------------------------


def test_civicport_remind_runs_the_reminders_once(w):
    dossier = A.dossier_receive(officer=w.staff.receiver, dossier=online(w), expected_version=2)
    w.clock.set(dossier.step_due_at + timedelta(hours=1))
    out = StringIO()
    call_command("remind", stdout=out)
    assert out.getvalue().strip() == "step reminders: 1 e-mails queued"
    assert Notification.objects.filter(recipient=w.staff.processor.email).count() == 1
    out = StringIO()
    call_command("remind", stdout=out)  # idempotent within the day
    assert out.getvalue().strip() == "step reminders: 0 e-mails queued"


def test_civicport_remind_can_queue_the_task(w, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    out = StringIO()
    call_command("remind", "--enqueue", stdout=out)
    assert out.getvalue().startswith("step reminders queued")
