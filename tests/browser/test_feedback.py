"""A report's whole life in a real Chromium: a citizen reports a broken street light with a
photo and a pin; the form suggests the category and the agency; the 1022 operator confirms;
Sở Xây dựng answers; the citizen sees the published answer and rates it."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from civicport.feedback.models import Report

AGENCY = "Sở Xây dựng thành phố Hải Phòng"
CATEGORY = "Đèn chiếu sáng công cộng hỏng"


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 30, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_street_light_report_from_pin_to_rating(page, logged_in, seeded):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # The citizen, not logged in, opens the entry page and the form.
    page.goto("/phan-anh/")
    page.get_by_test_id("new-report").first.click()
    page.get_by_test_id("report-description").fill(
        "Đèn đường trước nhà số 25 ngõ 40 bị hỏng cả tuần nay, buổi tối tối om rất nguy hiểm.")
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_contain_text(CATEGORY)
    expect(suggestion).to_contain_text(AGENCY)
    expect(page.get_by_test_id("report-category")).to_have_value("chieu-sang")

    page.get_by_test_id("pick-map").click()  # the pin, in the middle of the city map
    expect(page.get_by_test_id("pin-label")).to_contain_text("20.")
    page.get_by_test_id("report-photos").set_input_files(
        files=[{"name": "den.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.get_by_test_id("report-submit").click()
    if page.get_by_test_id("duplicates").count():  # demo reports nearby: ours is different
        page.get_by_test_id("confirm-new").check()
        page.get_by_test_id("report-photos").set_input_files(
            files=[{"name": "den.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
        page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report")).to_be_visible()
    report_id = int(page.get_by_test_id("report").get_attribute("data-id"))
    expect(page.get_by_test_id("report-photo")).to_be_visible()
    report = Report.objects.get(pk=report_id)
    assert report.lat is not None and report.photos.count() == 1

    # The 1022 operator sees the suggestion and confirms it.
    operator = logged_in("tongdai.1022")
    operator.goto("/phan-anh/can-bo/?status=triage&q=nha so 25 ngo 40")
    operator.locator(f'[data-testid="inbox-row"][data-id="{report_id}"]').get_by_test_id(
        "inbox-link").click()
    expect(operator.get_by_test_id("desk-suggestion")).to_contain_text(CATEGORY)
    expect(operator.get_by_test_id("desk-suggestion")).to_contain_text(AGENCY)
    operator.get_by_test_id("triage-submit").click()
    expect(operator.get_by_test_id("report-status")).to_have_text("Đã chuyển xử lý")
    expect(operator.get_by_test_id("desk-agency")).to_have_text(AGENCY)

    # Sở Xây dựng starts and answers.
    agency = logged_in("xaydung.processor")
    agency.goto(f"/phan-anh/can-bo/{report_id}/")
    agency.get_by_test_id("start-submit").click()
    expect(agency.get_by_test_id("report-status")).to_have_text("Đang xử lý")
    agency.get_by_test_id("answer-input").fill(
        "Đơn vị chiếu sáng đã thay bóng đèn mới ngày hôm nay. Cảm ơn người dân đã phản ánh.")
    agency.get_by_test_id("answer-submit").click()
    expect(agency.get_by_test_id("report-status")).to_have_text("Đã trả lời")

    # The citizen sees the published answer and rates it.
    page.goto(f"/phan-anh/{report_id}/")
    expect(page.get_by_test_id("answer-text")).to_contain_text("đã thay bóng đèn mới")
    page.get_by_test_id("rating-5").check()
    page.get_by_test_id("rate-submit").click()
    expect(page.get_by_test_id("rating")).to_contain_text("5/5")
    expect(page.get_by_test_id("report-status")).to_have_text("Đã đóng")
    # The public page never shows the reporter's contact; the timeline has every step.
    expect(page.get_by_test_id("timeline")).to_contain_text("Đã công khai trả lời")
    assert not [e for e in errors if "Content Security Policy" in e], errors
