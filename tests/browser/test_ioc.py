"""The operations centre in a real Chromium: a department submits its monthly report, an IOC
viewer sees the KPI wall with live figures from public services and feedback, drills into
that agency and downloads the monthly PDF (Vietnamese text checked with pypdf)."""

import io
import os

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from civicport.ioc.models import IndicatorValue, ReportSubmission
from civicport.ioc.periods import period_of, today

DEPARTMENT = "000.00.01.H31"  # Văn phòng UBND thành phố: the demo "so.*" officers' agency
DESKTOP = {"width": 1280, "height": 900}  # the operations room's wall screen


def artifact(page, name):
    """A screenshot for looking at what users see (CIVICPORT_BROWSER_ARTIFACTS=1)."""
    if os.environ.get("CIVICPORT_BROWSER_ARTIFACTS"):
        os.makedirs("test-artifacts", exist_ok=True)
        page.screenshot(path=f"test-artifacts/ioc-{name}.png", full_page=True)


@pytest.mark.usefixtures("seeded")
def test_report_wall_drilldown_and_monthly_pdf(logged_in, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    last_month = period_of("month", today()).previous()

    # 1. The department's officer submits the monthly report.
    officer = logged_in("so.processor", viewport=DESKTOP)
    officer.goto("/dieu-hanh/")
    officer.get_by_test_id("nav-reports").click()
    officer.get_by_test_id("submit-bao-cao-thang").click()
    officer.get_by_test_id("report-period").select_option(last_month.key)
    officer.get_by_test_id("field-ho_so_cong_viec").fill("150")
    officer.get_by_test_id("field-van_ban_ky_so").fill("98,5")
    officer.get_by_test_id("report-submit").click()
    expect(officer.get_by_test_id("report-error")).to_contain_text("có lỗi")
    expect(officer.locator(".field.has-error")).to_contain_text("ngoài khoảng cho phép")
    officer.get_by_test_id("field-ho_so_cong_viec").fill("93,2")
    officer.get_by_test_id("report-submit").click()
    expect(officer.locator(".messages")).to_contain_text("Đã nhận báo cáo")
    expect(officer.get_by_test_id("report-history")).to_contain_text("93,2")
    submission = ReportSubmission.objects.get(agency__code=DEPARTMENT,
                                              period__period_key=last_month.key)
    assert submission.values == {"ho_so_cong_viec": 93.2, "van_ban_ky_so": 98.5}
    officer.context.close()

    # 2. The IOC viewer's wall shows live figures from public services and feedback.
    viewer = logged_in("ioc", viewport=DESKTOP)
    viewer.goto("/dieu-hanh/tuong/")
    expect(viewer.get_by_test_id("wall-asof")).to_contain_text("Số liệu trực tuyến")
    for code in ("CQS-03", "PS-01", "FB-01", "FB-05"):
        row = IndicatorValue.objects.filter(indicator__code=code, scope="city",
                                            origin="live").first()
        assert row is not None, code
        expect(viewer.get_by_test_id(f"value-{code}")).not_to_have_text("—")
    received = IndicatorValue.objects.filter(
        indicator__code="PS-01", scope="city",
        period_key__in=[period_of(k, today()).key for k in ("month", "quarter", "year")],
    ).order_by("period_start").last()
    assert received is not None and received.value > 0
    expect(viewer.get_by_role("button", name="Cập nhật số liệu ngay")).to_be_visible()
    artifact(viewer, "wall")

    # 3. Drill into the agency: its report for last month is there (late or on time).
    viewer.get_by_test_id("wall-agencies").click()
    viewer.get_by_test_id("agency-link").filter(has_text="Văn phòng UBND").click()
    expect(viewer.get_by_test_id("agency-name")).to_contain_text("Văn phòng Ủy ban nhân dân")
    expect(viewer.get_by_test_id("agency-reports")).to_contain_text(last_month.label)
    expect(viewer.get_by_test_id("agency-tasks")).to_contain_text("NV")
    artifact(viewer, "agency")
    viewer.goto("/dieu-hanh/phuong-xa/?chi-so=FB-01&ky=" + period_of("year", today()).key)
    expect(viewer.get_by_test_id("ward-grid").locator("li")).to_have_count(114)
    artifact(viewer, "wards")

    # 4. The monthly PDF, with its Vietnamese text intact.
    viewer.goto("/dieu-hanh/bao-cao/")
    with viewer.expect_download() as download_info:
        viewer.get_by_test_id("monthly-pdf").click()
    path = download_info.value.path()
    with open(path, "rb") as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "TRUNG TÂM GIÁM SÁT, ĐIỀU HÀNH THÔNG MINH" in text
    assert last_month.label in text
    assert "Hồ sơ công việc xử lý trên môi trường mạng" in text
    viewer.context.close()
