"""A visitor on a phone: searches `banh da cua` without accents, opens a venue, sees its hours
and dish prices, logs in, leaves a review and sees the rating update."""

from playwright.sync_api import expect

from civicport.core.seeding import DEMO_PASSWORD
from civicport.tourism.models import Review

CITIZEN = "0900000009"  # a demo citizen who has not reviewed anything in the demo data


def test_search_open_venue_review_and_rating_updates(page, seeded, settings):
    settings.CIVICPORT_TILE_URL = ""  # no tile server: markers on a blank background
    page.goto("/am-thuc/")
    expect(page.get_by_test_id("tourism-map")).to_be_visible()
    page.get_by_test_id("tourism-q").fill("banh da cua")
    page.get_by_test_id("tourism-submit").click()
    results = page.get_by_test_id("venue-item")
    expect(results.first).to_contain_text("Bánh đa cua")
    # The map draws markers (clustered) from the GeoJSON even without tiles.
    expect(page.locator("#tourism-map.no-tiles")).to_be_attached()
    expect(page.locator(".leaflet-marker-icon").first).to_be_attached()
    assert page.locator(".leaflet-tile").count() == 0

    venue = page.get_by_test_id("venue-link").filter(has_text="Bánh đa cua Cầu Đất")
    venue.first.click()
    expect(page.get_by_test_id("venue-name")).to_have_text("Bánh đa cua Cầu Đất")
    expect(page.get_by_test_id("hours-text")).to_contain_text("06:00")
    expect(page.get_by_test_id("dish").first).to_contain_text("Bánh đa cua")
    expect(page.get_by_test_id("dish").first).to_contain_text(" đ")
    venue_id = int(page.get_by_test_id("venue").get_attribute("data-id"))
    before = Review.objects.filter(venue_id=venue_id, status="visible").count()
    assert before >= 1  # the demo data has reviews here: the 1-star one must move the mean
    mean_before = page.get_by_test_id("rating-mean").inner_text()

    page.get_by_test_id("review-login").click()
    page.locator("[name=login]").fill(CITIZEN)
    page.locator("[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("venue-name")).to_have_text("Bánh đa cua Cầu Đất")

    form = page.get_by_test_id("review-form")
    form.get_by_label("1 ★").check()
    form.locator("[name=text]").fill("Nước dùng hơi nhạt, gọi 0912 345 678 để góp ý")
    page.get_by_test_id("review-submit").click()

    expect(page.get_by_test_id("rating-count")).to_have_text(f"{before + 1} đánh giá")
    expect(page.get_by_test_id("review-item").first).to_contain_text("[đã ẩn]")
    review = Review.objects.get(venue_id=venue_id, user__username=CITIZEN)
    assert review.rating == 1 and "0912" not in review.text
    mean = page.get_by_test_id("rating-mean").inner_text()
    stored = review.venue.__class__.objects.get(pk=venue_id).rating_mean
    assert mean == f"{stored:.1f}".replace(".", ",") and mean != mean_before


def test_staff_hours_editor_live_preview_and_error_position(page, seeded):
    page.goto("/dang-nhap/?next=/am-thuc/quan-ly/")
    page.locator("[name=login]").fill("dulich")
    page.locator("[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Thêm địa điểm").click()
    editor = page.get_by_test_id("hours-editor")
    for day in range(5):  # Monday to Friday, 06:00-22:00
        row = editor.locator(f'.hours-row[data-day="{day}"]')
        row.locator(".h-from1").fill("06:00")
        row.locator(".h-to1").fill("22:00")
        row.locator(".h-open").check()
    editor.locator(".h-ph-off").check()
    expect(page.get_by_test_id("opening-hours")).to_have_value("Mo-Fr 06:00-22:00; PH off")
    expect(page.get_by_test_id("hours-rendered")).to_have_text(
        "Thứ Hai–Thứ Sáu 06:00–22:00; nghỉ ngày lễ")
    page.get_by_test_id("opening-hours").fill("Mo-Fr 06:00-")
    expect(page.get_by_test_id("hours-error")).to_contain_text("ký tự thứ 13")
