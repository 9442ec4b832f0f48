"""The open-data portal in a real Chromium.

A department officer publishes a CSV that has errors, sees them by row and column, uploads
the corrected file and gets it published; a visitor then finds the dataset by searching
without diacritics and downloads it as CSV.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicport.core.models import Agency, Role
from civicport.core.tests.factories import agency, officer

PASSWORD = "Mat-khau-2025"
HEADER = "Tên trạm,Phường xã,Số bác sĩ,Ngày khai trương\n"
GOOD = [("Trạm Y tế phường Hồng Bàng", "Phường Hồng Bàng", "3", "01/07/2025"),
        ("Trạm Y tế xã Kiến Thụy", "Xã Kiến Thụy", "2", "01/07/2025")] * 10


def _csv(rows) -> bytes:
    return (HEADER + "".join(",".join(r) + "\n" for r in rows)).encode()


@pytest.fixture
def publisher_account(transactional_db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    health = agency(name="Sở Y tế thành phố Hải Phòng", kind=Agency.Kind.DEPARTMENT)
    user = officer(agencies_roles=[(health, Role.PROCESSOR)], username="soyte.canbo")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_publish_with_errors_fix_and_a_visitor_finds_and_downloads(browser, live_server,
                                                                  publisher_account):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN",
                                  viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/dang-nhap/")
    page.locator("[name=login]").fill("soyte.canbo")
    page.locator("[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    page.goto("/du-lieu/dang-tai/")
    page.get_by_label("Tiêu đề").fill("Trạm y tế phường, xã")
    page.get_by_label("Cơ quan công bố").select_option(label="Sở Y tế thành phố Hải Phòng")
    page.get_by_label("Từ khóa (cách nhau bằng dấu phẩy)").fill("y tế, trạm y tế")
    bad = list(GOOD)
    bad[4] = ("Trạm Y tế phường Lê Chân", "Phường Lê Chân", "ba", "01/07/2025")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "tram-y-te.csv", "mimeType": "text/csv", "buffer": _csv(bad)}])
    page.get_by_test_id("upload-submit").click()

    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-status", "invalid")
    error = page.get_by_test_id("job-error").first
    expect(error).to_contain_text("Số bác sĩ")
    expect(error).to_contain_text("“ba” không phải số nguyên hợp lệ.")
    expect(error.locator("td").first).to_have_text("5")

    page.get_by_test_id("reupload-form").locator("input[type=file]").set_input_files(
        files=[{"name": "tram-y-te.csv", "mimeType": "text/csv", "buffer": _csv(GOOD)}])
    page.get_by_test_id("reupload-submit").click()
    expect(page.get_by_test_id("job-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("job-done")).to_contain_text("phiên bản 1")
    context.close()

    visitor = browser.new_context(base_url=live_server.url, locale="vi-VN",
                                  viewport={"width": 390, "height": 844}, accept_downloads=True)
    visitor.set_default_timeout(15_000)
    page = visitor.new_page()
    page.goto("/du-lieu/")
    page.get_by_test_id("dataset-q").fill("tram y te phuong")
    page.get_by_test_id("dataset-q").press("Enter")
    result = page.get_by_test_id("dataset-result").filter(has_text="Trạm y tế phường, xã")
    expect(result).to_have_count(1)
    result.get_by_role("link").click()
    expect(page.get_by_test_id("dataset-title")).to_have_text("Trạm y tế phường, xã")
    expect(page.get_by_test_id("preview")).to_contain_text("Xã Kiến Thụy")
    with page.expect_download() as download_info:
        page.get_by_test_id("download-csv").click()
    download = download_info.value
    assert download.suggested_filename == "tram-y-te-phuong-xa-v1.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "Tên trạm,Phường xã,Số bác sĩ,Ngày khai trương"
    assert "Trạm Y tế xã Kiến Thụy,Xã Kiến Thụy,2,01/07/2025" in text
    assert len(text.splitlines()) == len(GOOD) + 1
    visitor.close()
