"""The platform as a person meets it: home page, language switch, registration, login."""

import re

from playwright.sync_api import expect

from civicport.core.models import User
from civicport.core.seeding import DEMO_PASSWORD


def test_home_language_switch_register_and_officer_login(page, seeded):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Dịch vụ công trực tuyến")).to_be_visible()
    expect(page.get_by_test_id("ward-count")).to_have_text("114")

    # English and back again, keeping the page.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Online public services")).to_be_visible()
    page.get_by_test_id("lang-vi").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    # A citizen registers with a phone number; a weak password is refused first.
    page.get_by_role("link", name="Đăng ký").first.click()
    page.get_by_label("Họ và tên").fill("Phạm Thị Hoa")
    page.get_by_label("Số điện thoại hoặc e-mail").fill("0987 654 321")
    page.get_by_label("Mật khẩu", exact=True).fill("12345678")
    page.get_by_label("Nhập lại mật khẩu").fill("12345678")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_text("hoàn toàn là số")).to_be_visible()
    assert not User.objects.filter(phone="0987654321").exists()

    page.get_by_label("Mật khẩu", exact=True).fill("Hoa-HaiPhong-2025")
    page.get_by_label("Nhập lại mật khẩu").fill("Hoa-HaiPhong-2025")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_text("Chào mừng")).to_be_visible()
    assert User.objects.get(phone="0987654321").full_name == "Phạm Thị Hoa"
    page.get_by_role("button", name="Đăng xuất").click()

    # A demo officer logs in and sees their agency and role.
    page.get_by_role("link", name="Đăng nhập").click()
    page.get_by_label("Số điện thoại, e-mail hoặc tên đăng nhập").fill("xa.processor")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name=re.compile("Chuyên viên xử lý")).click()
    expect(page.get_by_test_id("memberships")).to_contain_text("Ủy ban nhân dân phường Hồng Bàng")
    expect(page.get_by_test_id("memberships")).to_contain_text("Chuyên viên xử lý")


def test_login_with_wrong_password_shows_vietnamese_error(page, seeded):
    page.goto("/dang-nhap/")
    page.get_by_label("Số điện thoại, e-mail hoặc tên đăng nhập").fill("xa.processor")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng.")
