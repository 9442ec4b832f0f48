"""The Circular 01/2018 notices as PDFs: layout facts, Vietnamese text, dates, QR, determinism.

Text is read back with pypdf when it is installed (it is not a dependency yet); the tests that
need no extractor check the raw PDF: A5 page, embedded fonts, metadata, the QR's URL.
"""

import datetime as dt
import re
import shutil
import subprocess
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from civicport.core.models import Agency, Province
from civicport.publicservices import notices
from civicport.publicservices.models import (
    Channel,
    DossierEvent,
    DossierFile,
    DossierStatus,
    FileKind,
    RequiredDocument,
    ResultDelivery,
)
from civicport.publicservices.tests import factories

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC
RECEIVED = dt.datetime(2026, 2, 13, 8, 30, tzinfo=VN)
DUE_UTC = dt.datetime(2026, 2, 27, 9, 0, tzinfo=UTC)  # 16:00 in Hải Phòng
BASE_URL = "https://dichvucong.haiphong.example/"
CODE = "000.00.06.H31-260213-0001"
URL = "https://dichvucong.haiphong.example/tra-cuu/?ma=000.00.06.H31-260213-0001"


def text_of(content: bytes) -> str:
    """All pages' text, whitespace collapsed (lines wrap anywhere)."""
    pypdf = pytest.importorskip("pypdf")
    import io

    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def page_count(content: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", content))


@pytest.fixture
def dossier(db, make_user, settings):
    settings.CIVICPORT_PROVINCE = 31
    Province.objects.get_or_create(
        code=31,
        defaults={
            "name": "Thành phố Hải Phòng",
            "division_type": "thành phố trung ương",
            "codename": "hai_phong",
        },
    )
    city = factories.agency(name="Ủy ban nhân dân thành phố Hải Phòng", kind=Agency.Kind.CITY)
    city.short_name = "UBND thành phố Hải Phòng"
    city.save()
    agency = factories.agency(name="Sở Khoa học và Công nghệ thành phố Hải Phòng", parent=city)
    agency.short_name = "Sở Khoa học và Công nghệ"
    agency.save()
    procedure = factories.procedure(agency=agency, days=10, name="Cấp giấy phép bưu chính")
    form = RequiredDocument.objects.create(procedure=procedure, order=1, name="Đơn đề nghị")
    licence = RequiredDocument.objects.create(
        procedure=procedure, order=2, name="Bản sao Giấy chứng nhận đăng ký doanh nghiệp"
    )
    RequiredDocument.objects.create(procedure=procedure, order=3, name="Điều lệ (không nộp)")
    row = factories.dossier(
        procedure=procedure,
        agency=agency,
        status=DossierStatus.RECEIVED,
        channel=Channel.IN_PERSON,
        code=CODE,
        applicant_name="Nguyễn Thị Hồng Nhung",
        applicant_address="Số 12 đường Lạch Tray, phường Ngô Quyền",
        received_at=RECEIVED,
        due_at=DUE_UTC,
        result_delivery=ResultDelivery.IN_PERSON,
    )
    # Two files for the licence, one file answering no required document; uploaded out of
    # order. A supplement file is not part of the receipt.
    for document, name in [
        (licence, "gcn-1.pdf"),
        (form, "don.pdf"),
        (licence, "gcn-2.pdf"),
        (None, "Giấy ủy quyền.pdf"),
    ]:
        add_file(row, name, document)
    add_file(row, "bo-sung.pdf", None, kind=FileKind.SUPPLEMENT)
    officer = make_user(username="canbo", full_name="Trần Văn Bình")
    DossierEvent.objects.create(
        dossier=row,
        actor=officer,
        action="receive",
        from_status=DossierStatus.NEW,
        to_status=DossierStatus.RECEIVED,
        at=RECEIVED,
    )
    return row


def add_file(dossier, name, document, kind=FileKind.DOCUMENT):
    return DossierFile.objects.create(
        dossier=dossier,
        kind=kind,
        required_document=document,
        file=f"dossiers/{name}",
        original_name=name,
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )


def build(kind: str, dossier, **kwargs) -> bytes:
    """Each template with typical arguments, so the shared properties are tested once."""
    now = kwargs.pop("now", RECEIVED)
    if kind == "receipt":
        return notices.receipt_pdf(dossier, base_url=BASE_URL, now=now, **kwargs)
    if kind == "supplement":
        return notices.supplement_notice_pdf(
            dossier,
            reason="Bản sao chưa được chứng thực.",
            documents=["Bản chụp CCCD", dossier.procedure.documents.get(order=2)],
            now=now,
        )
    if kind == "refusal":
        return notices.refusal_notice_pdf(
            dossier, reason="Hồ sơ không thuộc thẩm quyền giải quyết.", now=now
        )
    return notices.apology_notice_pdf(
        dossier,
        reason="Cần xác minh thêm với cơ quan thuế.",
        new_due_at=dt.datetime(2026, 3, 6, 16, 0, tzinfo=VN),
        now=now,
    )


KINDS = ["receipt", "supplement", "refusal", "apology"]
TITLES = {
    "receipt": ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
    "supplement": ("02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
    "refusal": ("03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
    "apology": ("04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
}


# --- dates ----------------------------------------------------------------------------------


def test_vietnamese_dates():
    assert notices.vn_date(dt.date(2026, 2, 3)) == "ngày 03 tháng 02 năm 2026"
    assert notices.vn_datetime(RECEIVED) == "08 giờ 30 phút, ngày 13 tháng 02 năm 2026"
    # 17:30 UTC is already the next day in Hải Phòng.
    late = dt.datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert notices.vn_datetime(late) == "00 giờ 30 phút, ngày 01 tháng 01 năm 2027"
    assert notices.vn_date(late) == "ngày 01 tháng 01 năm 2027"


def test_tracking_url():
    assert notices.tracking_url(BASE_URL, CODE) == URL
    assert notices.tracking_url(BASE_URL.rstrip("/"), CODE) == URL


# --- shared properties of the four templates ------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_notice_is_an_a5_pdf_with_embedded_unicode_fonts(dossier, kind):
    content = build(kind, dossier)
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 419.53 595.28]" in content  # 148 × 210 mm portrait
    assert page_count(content) == 1
    # Subset TrueType fonts with a ToUnicode map: no system font needed, text extractable.
    assert content.count(b"/FontFile2") >= 2
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSerifBold", content)
    assert b"/ToUnicode" in content
    assert b"/CreationDate (D:20260213083000+07'00')" in content
    assert len(content) < 100_000


@pytest.mark.parametrize("kind", KINDS)
def test_every_notice_is_deterministic(dossier, kind):
    assert build(kind, dossier) == build(kind, dossier)
    later = RECEIVED + dt.timedelta(days=1)
    assert build(kind, dossier) != build(kind, dossier, now=later)


@pytest.mark.parametrize("kind", KINDS)
def test_every_notice_has_the_official_heading(dossier, kind):
    form, title = TITLES[kind]
    text = text_of(build(kind, dossier))
    assert f"Mẫu số {form} (Thông tư số 01/2018/TT-VPCP)" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert title in text
    assert "Hải Phòng, ngày 13 tháng 02 năm 2026" in text
    assert "Nguyễn Thị Hồng Nhung" in text
    assert CODE in text
    assert "Cấp giấy phép bưu chính" in text


# --- Mẫu số 01 ------------------------------------------------------------------------------


def test_the_receipt_lists_the_documents_and_the_appointment(dossier):
    text = text_of(notices.receipt_pdf(dossier, base_url=BASE_URL, now=RECEIVED))
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" in text
    assert (
        "1) Đơn đề nghị 2) Bản sao Giấy chứng nhận đăng ký doanh nghiệp 3) Giấy ủy quyền.pdf"
    ) in text
    assert text.count("Giấy chứng nhận đăng ký doanh nghiệp") == 1
    assert "không nộp" not in text and "bo-sung.pdf" not in text
    assert "Thời gian giải quyết hồ sơ theo quy định: 10 ngày làm việc" in text
    assert "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 13 tháng 02 năm 2026" in text
    assert (
        "Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 00 phút, ngày 27 tháng 02 năm 2026" in text
    )
    assert "Đăng ký nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert "Trần Văn Bình" in text  # the officer who received it, from the event
    assert "https://dichvucong.haiphong.example/tra-cuu/" in text


def test_the_receipt_qr_code_carries_the_tracking_url(dossier):
    content = notices.receipt_pdf(dossier, base_url=BASE_URL, now=RECEIVED)
    # The QR figure's alternative text is the URL it encodes.
    assert b"/Alt (" + URL.encode() + b")" in content


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)",
)
def test_the_receipt_qr_code_decodes_to_the_tracking_url(dossier, tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(notices.receipt_pdf(dossier, base_url=BASE_URL, now=RECEIVED))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", path, tmp_path / "page"], check=True
    )
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", tmp_path / "page.png"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == URL


def test_an_online_receipt_has_only_the_officer_signature(dossier):
    dossier.channel = Channel.ONLINE
    text = text_of(notices.receipt_pdf(dossier, base_url=BASE_URL, now=RECEIVED))
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and "NGƯỜI NỘP HỒ SƠ" not in text


def test_an_explicit_officer_signs(dossier, make_user):
    clerk = make_user(username="clerk", full_name="Lê Thu Hà")
    text = text_of(notices.receipt_pdf(dossier, base_url=BASE_URL, now=RECEIVED, officer=clerk))
    assert "Lê Thu Hà" in text and "Trần Văn Bình" not in text


def test_a_dossier_without_code_has_no_receipt(dossier):
    dossier.code = None
    with pytest.raises(ValueError):
        notices.receipt_pdf(dossier, base_url=BASE_URL)


def test_the_receipt_date_defaults_to_the_receipt_time(dossier):
    content = notices.receipt_pdf(dossier, base_url=BASE_URL)
    assert b"/CreationDate (D:20260213083000+07'00')" in content


def test_decomposed_vietnamese_is_composed(dossier):
    dossier.applicant_name = unicodedata.normalize("NFD", "Phạm Thị Ánh Tuyết")
    text = text_of(notices.receipt_pdf(dossier, base_url=BASE_URL, now=RECEIVED))
    assert "Phạm Thị Ánh Tuyết" in text


def test_a_long_receipt_continues_on_numbered_pages(dossier):
    for n in range(40):
        add_file(dossier, f"Phụ lục số {n + 1} kèm theo hồ sơ.pdf", None)
    content = notices.receipt_pdf(dossier, base_url=BASE_URL, now=RECEIVED)
    assert page_count(content) >= 2
    text = text_of(content)
    assert "Phụ lục số 40 kèm theo hồ sơ.pdf" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text


# --- Mẫu số 02–04 ---------------------------------------------------------------------------


def test_the_supplement_request_lists_what_is_missing(dossier):
    text = text_of(build("supplement", dossier))
    assert (
        "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau: 1) Bản chụp CCCD "
        "2) Bản sao Giấy chứng nhận đăng ký doanh nghiệp"
    ) in text
    assert "Lý do: Bản sao chưa được chứng thực." in text
    assert "NGƯỜI HƯỚNG DẪN" in text


def test_the_refusal_states_the_reason(dossier):
    text = text_of(build("refusal", dossier))
    assert (
        "từ chối tiếp nhận, giải quyết hồ sơ này vì lý do sau: "
        "Hồ sơ không thuộc thẩm quyền giải quyết." in text
    )
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text


def test_the_apology_gives_both_appointments(dossier):
    text = text_of(build("apology", dossier))
    # Signed by the head of the agency: the agency under its parent in the heading.
    assert "UBND THÀNH PHỐ HẢI PHÒNG SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text
    assert "Kính gửi: Nguyễn Thị Hồng Nhung" in text
    assert "Ngày 13 tháng 02 năm 2026, Sở Khoa học và Công nghệ thành phố Hải Phòng" in text
    assert "Thời gian hẹn trả kết quả: 16 giờ 00 phút, ngày 27 tháng 02 năm 2026" in text
    assert "Lý do: Cần xác minh thêm với cơ quan thuế." in text
    assert "16 giờ 00 phút, ngày 06 tháng 03 năm 2026" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text


def test_the_apology_names_the_missed_appointment_when_the_dossier_was_moved(dossier):
    new_due = dt.datetime(2026, 3, 6, 16, 0, tzinfo=VN)
    dossier.due_at = new_due
    text = text_of(
        notices.apology_notice_pdf(
            dossier,
            reason="x",
            new_due_at=new_due,
            previous_due_at=DUE_UTC,
            now=RECEIVED,
        )
    )
    assert "Thời gian hẹn trả kết quả: 16 giờ 00 phút, ngày 27 tháng 02 năm 2026" in text


def test_a_commune_dates_its_notices_with_its_own_name(dossier):
    from civicport.core.models import Ward

    ward = Ward.objects.create(
        code=11311, province_id=31, name="Phường Lê Chân", kind=Ward.Kind.WARD, codename="le_chan"
    )
    commune = factories.agency(name="Ủy ban nhân dân phường Lê Chân", kind=Agency.Kind.COMMUNE)
    commune.ward = ward
    commune.save()
    dossier.agency = commune
    text = text_of(build("refusal", dossier))
    assert "Lê Chân, ngày 13 tháng 02 năm 2026" in text


def test_time_amounts_use_a_decimal_comma():
    assert notices._number(Decimal("10.00")) == "10"
    assert notices._number(Decimal("0.50")) == "0,5"
