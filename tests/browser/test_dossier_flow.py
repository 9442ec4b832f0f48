"""A dossier's whole life as the people involved see it, in a real Chromium.

A citizen files a fully-online birth registration with a file and gets the receipt; the
commune's receiver takes it in; the processor asks for a supplement; the citizen sends it;
the approver approves with the result; the receiver returns it online; the citizen tracks
the dossier by code and phone number and downloads the result.
"""

import pytest
from playwright.sync_api import expect

from civicport.publicservices.models import Dossier, DossierStatus

# The smallest file the content check recognises as a PDF.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CITIZEN = "0900000001"
COMMUNE = "Ủy ban nhân dân phường Hồng Bàng"


@pytest.fixture
def catalogue(transactional_db):
    """Reference data (units, agencies, procedures) and the demo accounts, no demo dossiers."""
    from civicport.core import seeding as core_seeding
    from civicport.core.seeding import run_seeders

    for _ in run_seeders(demo=False):
        pass
    core_seeding.demo(1)


def open_desk(page, code):
    page.goto("/can-bo/ho-so/")
    row = page.get_by_test_id("inbox-row").filter(has=page.locator(f'[data-code="{code}"]'))
    if not row.count():
        row = page.locator(f'[data-testid="inbox-row"][data-code="{code}"]')
    row.get_by_test_id("inbox-link").click()
    expect(page.get_by_test_id("desk-code")).to_have_text(code)


def act(page, action, expected_status, fill=None):
    card = page.get_by_test_id(f"action-{action}")
    if fill:
        fill(card)
    card.get_by_test_id(f"action-{action}-submit").click()
    expect(page.get_by_test_id("desk")).to_have_attribute("data-status", expected_status)


def test_citizen_files_officers_process_citizen_tracks_and_downloads(
    logged_in, catalogue, tmp_path
):
    document = tmp_path / "giay-chung-sinh.pdf"
    document.write_bytes(PDF)

    # The citizen files the procedure online.
    citizen = logged_in(CITIZEN)
    citizen.goto("/thu-tuc/1.001193/")
    citizen.get_by_test_id("submit-online").click()
    form = citizen.get_by_test_id("dossier-form")
    form.locator("[name=agency]").select_option(label=COMMUNE)
    form.locator("[name=f-child_name]").fill("Nguyễn Minh Khang")
    form.locator("[name=f-child_sex]").select_option("Nam")
    form.locator("[name=f-child_birth_date]").fill("2026-11-18")
    form.locator("[name=f-child_birth_place]").fill("Bệnh viện Phụ sản Hải Phòng")
    form.locator("[name=f-child_birth_place-ward]").select_option(label="Phường Lê Chân")
    form.locator("[name=f-child_ethnicity]").fill("Kinh")
    form.locator("[name=f-mother_name]").fill("Trần Thị Mai")
    form.locator("[name=f-mother_id_number]").fill("031190001234")
    form.locator("[name=f-relationship]").select_option("Mẹ")
    form.locator("[name=f-applicant_id_number]").fill("031190001234")
    form.locator("[name=f-applicant_address]").fill("Số 5 phố Hoàng Văn Thụ")
    form.locator("[name=f-applicant_address-ward]").select_option(label="Phường Hồng Bàng")
    form.locator("[name=f-birth_certificate]").set_input_files(str(document))
    for upload in form.locator('input[type=file][name^="doc-"]').all():
        upload.set_input_files(str(document))
    citizen.get_by_test_id("preview").click()
    expect(citizen.get_by_test_id("answers")).to_contain_text("Nguyễn Minh Khang")
    citizen.get_by_test_id("submit").click()

    code = citizen.get_by_test_id("dossier-code").inner_text().strip()
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == DossierStatus.NEW and dossier.agency.name == COMMUNE
    with citizen.expect_download() as receipt:
        citizen.get_by_test_id("receipt-link").click()
    assert receipt.value.path().read_bytes().startswith(b"%PDF")

    # The commune's one-stop desk receives it; the processor takes it up and asks for more.
    receiver = logged_in("xa.receiver")
    open_desk(receiver, code)
    act(receiver, "receive", "received")
    processor = logged_in("xa.processor")
    open_desk(processor, code)
    act(processor, "process", "processing")
    act(
        processor, "request_supplement", "supplement",
        lambda card: card.locator("[name=reason]").fill("Giấy chứng sinh bị mờ, đề nghị chụp lại."),
    )

    # The citizen sees the request and sends the document again.
    citizen.goto(f"/ho-so-cua-toi/{dossier.pk}/")
    expect(citizen.get_by_test_id("supplement-reason")).to_contain_text("Giấy chứng sinh bị mờ")
    supplement = citizen.get_by_test_id("supplement-form")
    supplement.locator('input[type=file]').first.set_input_files(str(document))
    citizen.get_by_test_id("supply").click()
    expect(citizen.get_by_test_id("status")).to_contain_text("Đang xử lý")

    # The approver approves with the result; the desk returns it online.
    approver = logged_in("xa.approver")
    open_desk(approver, code)
    act(
        approver, "approve", "done",
        lambda card: card.locator("input[type=file]").set_input_files(str(document)),
    )
    open_desk(receiver, code)
    act(
        receiver, "return", "returned",
        lambda card: card.locator("[name=delivery]").select_option("online"),
    )

    # Anyone with the code and the phone number can track it; the citizen downloads the result.
    citizen.goto(f"/tra-cuu/?ma={code}")
    citizen.locator("[name=second_factor]").fill(CITIZEN)
    citizen.get_by_test_id("tracking-submit").click()
    expect(citizen.get_by_test_id("tracking-result")).to_contain_text("Đã trả kết quả")
    citizen.goto(f"/ho-so-cua-toi/{dossier.pk}/")
    result_link = citizen.get_by_test_id("file-link").filter(has_text="pdf").last
    with citizen.expect_download() as result:
        result_link.click()
    assert result.value.path().read_bytes() == PDF
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED and dossier.supplement_count == 1
