"""The citizen's dossier pages through the Django test client: filing (draft → resume →
review → submit), the receipt, supplements, results, rating, withdrawal, and who sees what.

Assertions look at data, status codes, error codes and data-testid elements, never at
Vietnamese text.
"""

import re
import struct
import zlib
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicport.core.models import Agency, Province, Ward
from civicport.publicservices import actions as A
from civicport.publicservices.codes import dossier_code_valid
from civicport.publicservices.files import generated_file_store
from civicport.publicservices.models import (
    Dossier,
    DossierCounter,
    DossierFile,
    DossierStatus,
    FileKind,
    RequiredDocument,
)
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import Clock, at

pytestmark = pytest.mark.usefixtures("media")

S = DossierStatus
SCHEMA = [
    {"key": "applicant_name", "label": "Họ và tên", "type": "text", "required": True},
    {"key": "cccd", "label": "Số CCCD", "type": "id_number", "required": True},
    {"key": "applicant_phone", "label": "Điện thoại", "type": "phone"},
    {"key": "ngay_sinh", "label": "Ngày sinh", "type": "date", "required": True},
    {"key": "loai", "label": "Loại", "type": "choice", "required": True,
     "choices": ["Khai sinh", "Khai tử"]},
    {"key": "so_ban", "label": "Số bản sao", "type": "number"},
    {"key": "dia_chi", "label": "Nơi cư trú", "type": "address", "required": True},
    {"key": "anh", "label": "Ảnh chân dung", "type": "file", "required": True},
]
COMPLETE = {
    "f-applicant_name": "Nguyễn Thị Lan", "f-cccd": "031 190 001 234",
    "f-applicant_phone": "0912345678", "f-ngay_sinh": "1990-09-05", "f-loai": "Khai sinh",
    "f-so_ban": "2", "f-dia_chi": "Số 5 Lạch Tray", "f-dia_chi-ward": "11311",
}

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data)
        )

    return b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    ) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")


def pdf(name="to-khai.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png(name="anh.png"):
    return SimpleUploadedFile(name, _png(), content_type="image/png")


def exe(name="to-khai.pdf"):
    return SimpleUploadedFile(name, EXE, content_type="application/pdf")


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, at(2026, 3, 2, 9))  # a Monday morning


def _committee(ward: Ward) -> Agency:
    agency = f.agency(name=f"UBND {ward.name}", kind=Agency.Kind.COMMUNE)
    agency.ward = ward
    agency.save(update_fields=["ward"])
    return agency


@pytest.fixture
def w(db, clock, settings):
    """Two commune committees handling one procedure; a citizen with an account."""
    settings.CIVICPORT_PROVINCE = 31
    province = Province.objects.create(
        code=31, name="Hải Phòng", division_type="thành phố", codename="hai_phong"
    )
    wards = [
        Ward.objects.create(
            code=code, province=province, name=name, kind=kind, codename=slug, name_folded=folded
        )
        for code, name, kind, slug, folded in (
            (11311, "Phường Lạch Tray", Ward.Kind.WARD, "lach_tray", "phuong lach tray"),
            (11312, "Xã Đại Hợp", Ward.Kind.COMMUNE, "dai_hop", "xa dai hop"),
        )
    ]
    committees = [_committee(ward) for ward in wards]
    procedure = f.procedure(agency=committees[0], days=5, form_schema=SCHEMA)
    procedure.agencies.add(committees[1])
    docs = [
        RequiredDocument.objects.create(procedure=procedure, order=1, name="Tờ khai"),
        RequiredDocument.objects.create(
            procedure=procedure, order=2, name="Giấy ủy quyền", is_required=False
        ),
    ]
    return SimpleNamespace(
        wards=wards, committees=committees, procedure=procedure, docs=docs,
        citizen=f.citizen(full_name="Nguyễn Thị Lan", phone="0912345678"),
        staff=f.team(committees[0]), clock=clock,
    )


@pytest.fixture
def logged_in(client, w):
    client.force_login(w.citizen)
    return client


def apply_url(w):
    return reverse("citizen:apply", args=[w.procedure.code])


def codes(response, name=None) -> dict | list:
    """Error codes of the page's form (of one field when `name` is given)."""
    found = response.context["form"].error_codes()
    return found.get(name, []) if name else found


def submitted(w, key="key-1") -> Dossier:
    """A dossier filed through the actions (no documents required by this procedure)."""
    procedure = f.procedure(agency=w.committees[0])
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=procedure, agency=w.committees[0], form_data={}
    )
    return A.dossier_submit(dossier=draft, submit_key=key)


def walk(w, dossier: Dossier, *steps: str) -> Dossier:
    """Move a dossier through officer actions of w.staff."""
    staff = w.staff
    for step in steps:
        dossier.refresh_from_db()
        version = dossier.version
        if step == "receive":
            dossier = A.dossier_receive(
                officer=staff.receiver, dossier=dossier, expected_version=version
            )
        elif step == "process":
            dossier = A.dossier_process(
                officer=staff.processor, dossier=dossier, expected_version=version
            )
        elif step == "supplement":
            dossier = A.dossier_request_supplement(
                officer=staff.processor, dossier=dossier, expected_version=version,
                reason="Thiếu bản sao giấy khai sinh",
            )
        elif step == "approve":
            dossier = A.dossier_approve(
                officer=staff.approver, dossier=dossier, expected_version=version
            )
    return dossier


# --- the whole flow ------------------------------------------------------------------------------


def test_file_a_dossier_from_draft_to_rating(
    logged_in, w, media, django_capture_on_commit_callbacks
):
    client, required, optional = logged_in, *w.docs

    page = client.get(apply_url(w))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["f-applicant_name"].initial == "Nguyễn Thị Lan"  # prefilled from the account
    assert form["f-applicant_phone"].initial == "0912345678"
    assert "agency" in form.fields  # two committees handle it

    # 1. An incomplete draft with one document; the agency follows the address's ward.
    response = client.post(apply_url(w), {
        "action": "draft", "f-applicant_name": "Nguyễn Thị Lan", "f-dia_chi-ward": "11312",
        f"doc-{required.pk}": pdf(),
    })
    draft = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("citizen:edit", args=[draft.pk])
    assert (draft.status, draft.agency, draft.applicant) == (S.DRAFT, w.committees[1], w.citizen)
    assert draft.form_data["dia_chi"] == {"line": "", "ward": 11312}  # cleaned where valid
    [stored] = draft.files.all()
    assert (stored.kind, stored.required_document) == (FileKind.DOCUMENT, required)

    # 2. Resume it: the page shows what is already there.
    page = client.get(reverse("citizen:edit", args=[draft.pk]))
    assert page.status_code == 200
    assert page.context["form"]["f-applicant_name"].initial == "Nguyễn Thị Lan"
    assert b'data-testid="current-file"' in page.content

    # 3. Complete it and review: a new file replaces the old one of the same document.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("citizen:edit", args=[draft.pk]), {
            **COMPLETE, "action": "preview", "agency": str(w.committees[0].pk),
            "version": draft.version, "f-anh": png(), f"doc-{required.pk}": pdf("to-khai-2.pdf"),
            f"doc-{optional.pk}": pdf("uy-quyen.pdf"),
        })
    assert response.status_code == 302
    assert response["Location"] == reverse("citizen:preview", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.agency == w.committees[0]
    assert draft.form_data["ngay_sinh"] == "1990-09-05"
    assert draft.form_data["cccd"] == "031190001234"
    assert draft.form_data["dia_chi"] == {"line": "Số 5 Lạch Tray", "ward": 11311}
    assert draft.form_data["anh"]["name"] == "anh.png"
    names = sorted(draft.files.values_list("original_name", flat=True))
    assert names == ["anh.png", "to-khai-2.pdf", "uy-quyen.pdf"]
    assert len([p for p in media.rglob("*") if p.is_file()]) == 3  # the replaced file is gone

    page = client.get(reverse("citizen:preview", args=[draft.pk]))
    assert page.status_code == 200
    assert page.context["problems"] == []
    key = page.context["form"]["submit_key"].initial
    assert len(key) >= 20
    assert b'data-testid="submit"' in page.content

    # 4. Submit: code, appointment, receipt.
    response = client.post(reverse("citizen:submit", args=[draft.pk]), {"submit_key": key})
    assert response.status_code == 302
    assert response["Location"] == reverse("citizen:dossier", args=[draft.pk])
    dossier = Dossier.objects.get()
    assert dossier.status == S.NEW
    assert dossier_code_valid(dossier.code)
    assert dossier.due_at is not None
    assert dossier.applicant_id_number == "031190001234"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert dossier.code in message

    page = client.get(reverse("citizen:dossier", args=[dossier.pk]))
    assert page.status_code == 200
    assert b'data-testid="receipt-link"' in page.content
    receipt = client.get(reverse("citizen:receipt", args=[dossier.pk]))
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt["Content-Disposition"].startswith("attachment;")
    assert receipt.content.startswith(b"%PDF")

    # 5. The agency asks for more; the citizen supplies it.
    walk(w, dossier, "receive", "process", "supplement")
    page = client.get(reverse("citizen:dossier", args=[dossier.pk]))
    assert page.context["supplement_request"].note == "Thiếu bản sao giấy khai sinh"
    assert b'data-testid="supplement-form"' in page.content
    dossier.refresh_from_db()
    response = client.post(reverse("citizen:supply", args=[dossier.pk]), {
        f"doc-{required.pk}": pdf("ban-sao.pdf"), "note": "Đã bổ sung", "version": dossier.version,
    })
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.PROCESSING
    supplied = dossier.files.get(kind=FileKind.SUPPLEMENT)
    assert (supplied.original_name, supplied.required_document) == ("ban-sao.pdf", required)

    # 6. Done: the result file is the applicant's to download; then the rating.
    dossier = walk(w, dossier, "approve")
    result = generated_file_store(
        dossier=dossier, kind=FileKind.RESULT, name="giay-khai-sinh.pdf", content=PDF,
        content_type="application/pdf",
    )
    page = client.get(reverse("citizen:dossier", args=[dossier.pk]))
    assert result in page.context["files"]
    download = client.get(reverse("citizen:dossier_file", args=[dossier.pk, result.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF

    response = client.post(reverse("citizen:rate", args=[dossier.pk]), {
        "rating": "5", "comment": "Nhanh, chu đáo", "version": dossier.version,
    })
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.rating, dossier.rating_comment) == (5, "Nhanh, chu đáo")

    # The history: steps the citizen may see, without officers' names.
    page = client.get(reverse("citizen:dossier", args=[dossier.pk]))
    actions = [entry.action for entry in page.context["timeline"]]
    assert actions == ["submit", "receive", "process", "request_supplement", "supply",
                       "approve", "rate"]
    for officer in (w.staff.receiver, w.staff.processor, w.staff.approver):
        assert officer.full_name.encode() not in page.content


def test_the_same_submit_key_twice_gives_one_dossier(logged_in, w):
    dossier = submitted(w)  # a filed dossier with code …-0001 exists already
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=dossier.procedure, agency=dossier.agency, form_data={}
    )
    url = reverse("citizen:submit", args=[draft.pk])

    first = logged_in.post(url, {"submit_key": "double-click-key"})
    second = logged_in.post(url, {"submit_key": "double-click-key"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("citizen:dossier", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.code.endswith("-0002")
    assert Dossier.objects.filter(code__isnull=False).count() == 2
    assert DossierCounter.objects.get().last == 2
    assert draft.events.filter(action="submit").count() == 1

    # A reloaded review page (a new key) cannot submit it a second time either.
    third = logged_in.post(url, {"submit_key": "another-key"})
    assert third.status_code == 302
    assert DossierCounter.objects.get().last == 2


def test_a_draft_lacking_required_documents_is_not_submitted(logged_in, w):
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.committees[0], form_data={}
    )
    page = logged_in.get(reverse("citizen:preview", args=[draft.pk]))
    assert page.context["problems"]
    assert b'data-testid="submit"' not in page.content

    response = logged_in.post(reverse("citizen:submit", args=[draft.pk]), {"submit_key": "k"})
    assert response.status_code == 400
    assert codes(response) == {"__all__": ["document_required"]}
    draft.refresh_from_db()
    assert (draft.status, draft.code) == (S.DRAFT, None)


def test_an_executable_named_pdf_is_refused_and_changes_nothing(logged_in, w, media):
    required = w.docs[0]
    response = logged_in.post(apply_url(w), {
        **COMPLETE, "action": "draft", f"doc-{required.pk}": exe(),
    })
    assert response.status_code == 400
    assert codes(response, f"doc-{required.pk}") == ["file_type"]
    assert b'data-testid="form-errors"' in response.content
    assert not Dossier.objects.exists()
    assert not DossierFile.objects.exists()

    # On an existing draft: the draft, its version and its files stay as they were.
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.committees[0],
        form_data={"applicant_name": "Lan"},
    )
    response = logged_in.post(reverse("citizen:edit", args=[draft.pk]), {
        **COMPLETE, "action": "preview", "version": draft.version, "f-anh": exe("anh.png"),
        f"doc-{required.pk}": pdf(),
    })
    assert response.status_code == 400
    assert codes(response, "f-anh") == ["file_type"]
    fresh = Dossier.objects.get(pk=draft.pk)
    assert (fresh.version, fresh.form_data) == (draft.version, {"applicant_name": "Lan"})
    assert not DossierFile.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_review_checks_the_whole_form_and_saves_nothing_when_wrong(logged_in, w):
    response = logged_in.post(apply_url(w), {
        **COMPLETE, "action": "preview", "f-cccd": "12345", "f-applicant_name": "",
        "f-dia_chi-ward": "99999", f"doc-{w.docs[0].pk}": pdf(),
    })
    assert response.status_code == 400
    assert codes(response, "f-cccd") == ["invalid_id_number"]
    assert codes(response, "f-applicant_name") == ["required"]
    assert codes(response, "f-dia_chi") == ["unknown_ward"]
    assert codes(response, "f-anh") == ["document_required"]
    assert response.context["uploads_lost"] is True
    assert not Dossier.objects.exists()


def test_the_agency_is_asked_for_when_the_address_does_not_tell(logged_in, w):
    response = logged_in.post(apply_url(w), {"action": "draft", "f-applicant_name": "Lan"})
    assert response.status_code == 400
    assert codes(response, "agency") == ["agency_required"]
    assert not Dossier.objects.exists()

    response = logged_in.post(apply_url(w), {
        "action": "draft", "agency": str(w.committees[1].pk), "f-dia_chi-ward": "11311",
    })
    assert response.status_code == 302
    assert Dossier.objects.get().agency == w.committees[1]  # the explicit choice wins


def test_a_stale_edit_is_a_conflict(logged_in, w):
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.committees[0], form_data={}
    )
    stale = draft.version
    A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.committees[0],
        form_data={"applicant_name": "Lan"}, dossier=draft,
    )
    response = logged_in.post(reverse("citizen:edit", args=[draft.pk]), {
        "action": "draft", "version": stale, "agency": str(w.committees[0].pk),
    })
    assert response.status_code == 409
    assert codes(response) == {"__all__": ["version_conflict"]}
    assert Dossier.objects.get().form_data == {"applicant_name": "Lan"}


def test_a_submitted_dossier_is_not_edited(logged_in, w):
    dossier = submitted(w)
    response = logged_in.get(reverse("citizen:edit", args=[dossier.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("citizen:dossier", args=[dossier.pk])


def test_desk_only_and_inactive_procedures_cannot_be_filed(logged_in, w):
    desk = f.procedure(agency=w.committees[0], level="truc_tiep")
    response = logged_in.get(reverse("citizen:apply", args=[desk.code]))
    assert response.status_code == 404
    assert b'data-testid="offline-only"' in response.content
    response = logged_in.post(reverse("citizen:apply", args=[desk.code]), {"action": "draft"})
    assert response.status_code == 404
    assert not Dossier.objects.exists()

    w.procedure.is_active = False
    w.procedure.save()
    assert logged_in.get(apply_url(w)).status_code == 404
    assert logged_in.get(reverse("citizen:apply", args=["0.000000"])).status_code == 404


def test_withdrawal_needs_a_reason_and_a_confirmation(logged_in, w):
    dossier = submitted(w)
    url = reverse("citizen:withdraw", args=[dossier.pk])
    assert logged_in.get(url).status_code == 200

    response = logged_in.post(url, {"reason": "Nộp nhầm", "version": dossier.version})
    assert response.status_code == 400
    assert codes(response, "confirm") == ["required"]
    dossier.refresh_from_db()
    assert dossier.status == S.NEW

    response = logged_in.post(url, {"reason": "Nộp nhầm", "confirm": "on"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.WITHDRAWN
    assert dossier.events.get(action="withdraw").note == "Nộp nhầm"
    # Nothing more to withdraw.
    assert logged_in.get(url).status_code == 302
    response = logged_in.post(url, {"reason": "Lần nữa", "confirm": "on"})
    assert response.status_code == 409
    assert codes(response) == {"__all__": ["illegal_transition"]}


def test_rating_is_only_for_finished_dossiers(logged_in, w):
    dossier = submitted(w)
    response = logged_in.post(reverse("citizen:rate", args=[dossier.pk]), {"rating": "4"})
    assert response.status_code == 409
    response = logged_in.post(reverse("citizen:rate", args=[dossier.pk]), {"rating": "9"})
    assert response.status_code == 400
    dossier.refresh_from_db()
    assert dossier.rating is None


def test_a_supplement_needs_a_file_and_refuses_bad_ones(logged_in, w):
    dossier = walk(w, submitted(w), "receive", "process", "supplement")
    url = reverse("citizen:supply", args=[dossier.pk])
    response = logged_in.post(url, {"note": "x"})
    assert response.status_code == 400
    assert response.context["supplement_form"].error_codes() == {"other": ["file_required"]}
    response = logged_in.post(url, {"other": exe()})
    assert response.status_code == 400
    assert response.context["supplement_form"].error_codes() == {"other": ["file_type"]}
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENT
    assert not dossier.files.exists()


def test_results_are_hidden_until_the_dossier_is_done(logged_in, w):
    dossier = walk(w, submitted(w), "receive", "process")
    result = generated_file_store(
        dossier=dossier, kind=FileKind.RESULT, name="kq.pdf", content=PDF,
        content_type="application/pdf",
    )
    url = reverse("citizen:dossier_file", args=[dossier.pk, result.pk])
    assert logged_in.get(url).status_code == 404
    page = logged_in.get(reverse("citizen:dossier", args=[dossier.pk]))
    assert result not in page.context["files"]


def test_my_dossiers_lists_mine_with_drafts_to_resume(logged_in, w):
    filed = submitted(w)
    draft = A.dossier_draft_save(
        applicant=w.citizen, procedure=w.procedure, agency=w.committees[0], form_data={}
    )
    theirs = f.dossier(procedure=w.procedure, applicant=f.citizen())
    page = logged_in.get(reverse("citizen:dossiers"))
    assert page.status_code == 200
    assert [d.pk for d in page.context["page"].object_list] == [draft.pk, filed.pk]
    assert theirs.pk not in [d.pk for d in page.context["page"].object_list]
    assert reverse("citizen:edit", args=[draft.pk]).encode() in page.content
    assert b'data-testid="resume"' in page.content


# --- who sees what -------------------------------------------------------------------------------

OWN_PAGES = [
    ("get", "citizen:dossier"), ("get", "citizen:edit"), ("get", "citizen:preview"),
    ("get", "citizen:receipt"), ("get", "citizen:withdraw"), ("get", "citizen:dossier_file"),
    ("post", "citizen:submit"), ("post", "citizen:supply"), ("post", "citizen:rate"),
    ("post", "citizen:withdraw"),
]


@pytest.mark.parametrize(("method", "name"), OWN_PAGES)
def test_another_citizens_dossier_is_not_found(client, w, method, name):
    dossier = walk(w, submitted(w), "receive", "process", "approve")
    file = generated_file_store(
        dossier=dossier, kind=FileKind.DOCUMENT, name="x.pdf", content=PDF,
        content_type="application/pdf",
    )
    args = [dossier.pk, file.pk] if name == "citizen:dossier_file" else [dossier.pk]
    client.force_login(f.citizen())
    response = getattr(client, method)(
        reverse(name, args=args), {"submit_key": "k", "rating": "5", "reason": "x"}
    )
    assert response.status_code == 404
    dossier.refresh_from_db()
    assert (dossier.status, dossier.rating) == (S.DONE, None)


def test_a_file_of_another_dossier_is_not_found(logged_in, w):
    mine = submitted(w)
    other = f.dossier(procedure=w.procedure, applicant=f.citizen())
    file = generated_file_store(
        dossier=other, kind=FileKind.DOCUMENT, name="x.pdf", content=PDF,
        content_type="application/pdf",
    )
    url = reverse("citizen:dossier_file", args=[mine.pk, file.pk])
    assert logged_in.get(url).status_code == 404


@pytest.mark.parametrize("name", ["citizen:dossiers", "citizen:apply", "citizen:dossier",
                                  "citizen:receipt", "citizen:edit"])
def test_citizen_pages_need_a_login(client, w, name):
    args = {"citizen:dossiers": [], "citizen:apply": [w.procedure.code]}.get(name, [1])
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('core:login')}?next={url}"


# --- small things --------------------------------------------------------------------------------


def test_ward_search_narrows_the_options(client, w):
    response = client.get(reverse("citizen:ward_choices"), {"q": "lach", "f-dia_chi-ward": "11312"})
    assert response.status_code == 200
    values = re.findall(rb'<option value="(\d+)"', response.content)
    assert values == [b"11312", b"11311"]  # communes, then wards
    assert b'value="11312" selected' in response.content  # the choice made is kept
    response = client.get(reverse("citizen:ward_choices"), {"q": "lach"})
    assert re.findall(rb'<option value="(\d+)"', response.content) == [b"11311"]


def test_pages_speak_english_on_request(logged_in, w):
    logged_in.cookies["django_language"] = "en"
    page = logged_in.get(apply_url(w))
    assert b"Save draft" in page.content
    assert b"Review" in page.content
