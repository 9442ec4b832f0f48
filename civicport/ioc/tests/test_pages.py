"""Pages and the chart-data API: access rules (nothing revealed), forms with bad input,
Excel round trips, the periodic PDF with Vietnamese text intact."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from civicport.ioc import actions
from civicport.ioc.models import (
    Indicator,
    IndicatorValue,
    Plan,
    PlanTask,
    ReportSubmission,
    ReportTemplate,
)
from civicport.ioc.periods import period_of, today

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def plan_task(reference, department):
    plan = Plan.objects.create(year=today().year, name="Kế hoạch chuyển đổi số thử")
    return PlanTask.objects.create(plan=plan, code="NV01", title="Số hóa hồ sơ", agency=department,
                                   deadline=today() - timedelta(days=3), budget=Decimal(500))


def test_public_page_shows_only_public_indicators(client, reference, fake_contracts):
    actions.indicators_refresh(force=True)
    page = client.get("/dieu-hanh/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "tile-CQS-03" in html and "tile-FB-06" not in html
    assert "Hải Phòng" in html and "dti-history" in html


def test_wall_is_for_ioc_viewers(client, reference, dept_officer, ioc_viewer, fake_contracts):
    assert client.get("/dieu-hanh/tuong/").status_code == 302
    assert _client(client, dept_officer).get("/dieu-hanh/tuong/").status_code == 403
    actions.indicators_refresh(force=True)
    page = _client(client, ioc_viewer).get("/dieu-hanh/tuong/")
    html = page.content.decode()
    assert page.status_code == 200 and 'hx-trigger="every 60s"' in html
    assert 'data-testid="value-FB-05">95,0%' in html
    assert client.get("/dieu-hanh/tuong/noi-dung/").status_code == 200
    assert client.post("/dieu-hanh/tuong/lam-moi/").status_code == 302


def test_agency_drilldown_scoped(client, reference, dept_officer, department, other_department,
                                 fake_contracts, plan_task):
    actions.indicators_refresh(force=True)
    c = _client(client, dept_officer)
    page = c.get(f"/dieu-hanh/don-vi/{department.code}/?ky={period_of('year', today()).key}")
    assert page.status_code == 200
    assert "Số hóa hồ sơ" in page.content.decode()
    assert c.get(f"/dieu-hanh/don-vi/{other_department.code}/").status_code == 404
    assert c.get("/dieu-hanh/don-vi/khong-co/").status_code == 404
    assert c.get("/dieu-hanh/don-vi/").status_code == 302  # one agency: straight to it


def test_city_pages_for_ioc_viewer(client, reference, ioc_viewer, dept_officer, fake_contracts):
    actions.indicators_refresh(force=True)
    c = _client(client, ioc_viewer)
    wards = c.get(f"/dieu-hanh/phuong-xa/?chi-so=FB-01&ky={period_of('year', today()).key}")
    assert wards.status_code == 200
    assert wards.content.decode().count("data-ward=") == 114
    for url in ("/dieu-hanh/thang/", "/dieu-hanh/chi-so/", "/dieu-hanh/dti/",
                "/dieu-hanh/bao-cao/", "/dieu-hanh/nhiem-vu/", "/dieu-hanh/don-vi/"):
        assert c.get(url).status_code == 200, url
    client.logout()
    assert _client(client, dept_officer).get("/dieu-hanh/phuong-xa/").status_code == 403


def _monthly():
    return ReportTemplate.objects.get(code="bao-cao-thang")


def test_report_form_submit_and_bad_input(client, reference, dept_officer, department):
    c = _client(client, dept_officer)
    period = period_of("month", today()).previous()
    url = "/dieu-hanh/bao-cao/bao-cao-thang/nop/"
    assert c.get(url).status_code == 200
    bad = c.post(url, {"agency": department.code, "period": period.key,
                       "f_ho_so_cong_viec": "150", "f_van_ban_ky_so": "99"})
    assert bad.status_code == 400
    assert "ngoài khoảng cho phép" in bad.content.decode()
    assert not ReportSubmission.objects.exists()
    ok = c.post(url, {"agency": department.code, "period": period.key,
                      "f_ho_so_cong_viec": "91,5", "f_van_ban_ky_so": "99"})
    assert ok.status_code == 302
    assert ReportSubmission.objects.get().values == {"ho_so_cong_viec": 91.5,
                                                     "van_ban_ky_so": 99.0}
    history = c.get(ok["Location"])
    assert "91,5" in history.content.decode()


def test_report_excel_round_trip_and_wrong_template(client, reference, dept_officer, department):
    c = _client(client, dept_officer)
    period = period_of("month", today()).previous()
    template = c.get(f"/dieu-hanh/bao-cao/bao-cao-thang/mau.xlsx?period={period.key}")
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        row[3].value = 88 if row[0].value != "thu_ngan_sach" else None
    filled = io.BytesIO()
    book.save(filled)
    filled.seek(0)
    filled.name = "bao-cao.xlsx"
    url = "/dieu-hanh/bao-cao/bao-cao-thang/nop/"
    ok = c.post(url, {"agency": department.code, "period": period.key, "file": filled})
    assert ok.status_code == 302
    assert ReportSubmission.objects.get().origin == "imported"
    wrong = Workbook()
    wrong.active.append(["Tên", "Tuổi"])
    data = io.BytesIO()
    wrong.save(data)
    data.seek(0)
    data.name = "khac.xlsx"
    refused = c.post(url, {"agency": department.code, "period": period.key, "file": data})
    assert refused.status_code == 400
    assert "không đúng mẫu" in refused.content.decode()
    junk = io.BytesIO(b"not a workbook")
    junk.name = "x.xlsx"
    assert c.post(url, {"agency": department.code, "period": period.key,
                        "file": junk}).status_code == 400
    assert ReportSubmission.objects.count() == 1


def test_task_form_conflict_and_other_agency(client, reference, plan_task, dept_officer,
                                             other_department):
    from civicport.core.models import Role
    from civicport.core.tests.factories import officer

    c = _client(client, dept_officer)
    url = f"/dieu-hanh/nhiem-vu/{plan_task.pk}/"
    assert c.post(url, {"version": 1, "progress": "40", "status": "in_progress"}).status_code == 302
    stale = c.post(url, {"version": 1, "progress": "60", "status": "in_progress"})
    assert stale.status_code == 409
    assert "cập nhật" in stale.content.decode()
    plan_task.refresh_from_db()
    assert plan_task.progress == 40
    client.logout()
    stranger = officer(agencies_roles=[(other_department, Role.PROCESSOR)])
    assert _client(client, stranger).get(url).status_code == 404


def test_tasks_excel_export_import_and_wrong_template(client, reference, plan_task, city_admin):
    c = _client(client, city_admin)
    exported = c.get(f"/dieu-hanh/nhiem-vu/xuat.xlsx?nam={today().year}")
    book = load_workbook(io.BytesIO(exported.content))
    sheet = book.active
    assert sheet.cell(2, 1).value == "NV01"
    sheet.append(["NV02", "-Nhiệm vụ bắt đầu bằng dấu trừ", plan_task.agency.code, "",
                  "31/12/2026", 1000, 0, 0, "Chưa triển khai"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "nv.xlsx"
    c.post(f"/dieu-hanh/nhiem-vu/nhap/?nam={today().year}", {"file": data})
    assert PlanTask.objects.count() == 2
    again = load_workbook(io.BytesIO(c.get(f"/dieu-hanh/nhiem-vu/xuat.xlsx?nam={today().year}")
                                     .content)).active
    assert again.cell(3, 2).value == "'-Nhiệm vụ bắt đầu bằng dấu trừ"  # no formula
    wrong = Workbook()
    wrong.active.append(["Mã", "Tên"])
    wrong.active.append(["NV03", "Nhiệm vụ lạ"])
    data = io.BytesIO()
    wrong.save(data)
    data.seek(0)
    data.name = "sai.xlsx"
    page = c.post(f"/dieu-hanh/nhiem-vu/nhap/?nam={today().year}", {"file": data}, follow=True)
    assert "không đúng mẫu" in page.content.decode()
    assert PlanTask.objects.count() == 2
    # Bad rows: nothing imported, every problem named.
    book = load_workbook(io.BytesIO(c.get(f"/dieu-hanh/nhiem-vu/xuat.xlsx?nam={today().year}")
                                    .content))
    book.active.append(["NV09", "Mới", "KHONG-CO", "", "31/02/2026", -1, 0, 0, "?"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "loi.xlsx"
    page = c.post(f"/dieu-hanh/nhiem-vu/nhap/?nam={today().year}", {"file": data}, follow=True)
    assert "Dòng" in page.content.decode()
    assert not PlanTask.objects.filter(code="NV09").exists()


def test_monthly_pdf_keeps_vietnamese_and_local_time(client, reference, ioc_viewer,
                                                     fake_contracts, plan_task, settings,
                                                     tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    actions.indicators_refresh(force=True)
    c = _client(client, ioc_viewer)
    month = period_of("month", today())
    response = c.get(f"/dieu-hanh/bao-cao-dinh-ky/thang/{month.key}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "TRUNG TÂM GIÁM SÁT, ĐIỀU HÀNH THÔNG MINH" in text
    assert "Tỷ lệ phản ánh trả lời đúng hạn" in text
    assert "giờ Việt Nam" in text
    assert "Số hóa hồ sơ" in text  # the overdue task
    xlsx = c.get(f"/dieu-hanh/bao-cao-dinh-ky/thang/{month.key}.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).active.cell(1, 1).value.startswith("BÁO CÁO")
    future = period_of("month", today()).next()
    assert c.get(f"/dieu-hanh/bao-cao-dinh-ky/thang/{future.key}.pdf").status_code == 404


# --- API ------------------------------------------------------------------------------------


def test_api_scoping(client, reference, dept_officer, department, other_department, ioc_viewer,
                     fake_contracts):
    actions.indicators_refresh(force=True)
    year = period_of("year", today()).key
    anonymous = client.get(f"/api/v1/ioc/values?period={year}").json()
    codes = {row["indicator"] for row in anonymous}
    assert "FB-05" in codes and "FB-06" not in codes
    assert client.get(f"/api/v1/ioc/values?period={year}&agency={department.code}"
                      ).status_code == 404
    c = _client(client, dept_officer)
    own = c.get(f"/api/v1/ioc/values?period={year}&agency={department.code}")
    assert own.status_code == 200 and own.json()
    other = c.get(f"/api/v1/ioc/values?period={year}&agency={other_department.code}")
    assert other.status_code == 404 and "error" in other.json()
    assert c.get(f"/api/v1/ioc/agencies/{other_department.code}").status_code == 404
    assert c.get(f"/api/v1/ioc/agencies/{department.code}").status_code == 200
    assert c.get("/api/v1/ioc/wall").status_code == 403
    assert c.get("/api/v1/ioc/wards").status_code == 403
    assert c.get(f"/api/v1/ioc/series?indicator=FB-05&agency={other_department.code}"
                 ).status_code == 404
    client.logout()
    viewer = _client(client, ioc_viewer)
    wall = viewer.get("/api/v1/ioc/wall").json()
    assert any(t["indicator"] == "FB-05" and t["value"] == 95.0 for t in wall["tiles"])
    assert len(viewer.get("/api/v1/ioc/wards?indicator=FB-01").json()["wards"]) == 114


def test_api_task_patch_conflict_and_forbidden(client, reference, plan_task, dept_officer,
                                               other_department):
    from civicport.core.models import Role
    from civicport.core.tests.factories import officer

    c = _client(client, dept_officer)
    url = f"/api/v1/ioc/tasks/{plan_task.pk}"
    ok = c.patch(url, {"version": 1, "progress": 30}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    conflict = c.patch(url, {"version": 1, "progress": 50}, content_type="application/json")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    bad = c.patch(url, {"version": 2, "progress": 150}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "out_of_range"
    client.logout()
    stranger = officer(agencies_roles=[(other_department, Role.PROCESSOR)])
    s = _client(client, stranger)
    assert s.patch(url, {"version": 2, "progress": 90},
                   content_type="application/json").status_code == 404
    assert plan_task.__class__.objects.get(pk=plan_task.pk).progress == 30
    assert s.get("/api/v1/ioc/tasks").json() == []


def test_api_report_submission(client, reference, dept_officer, department, other_department):
    c = _client(client, dept_officer)
    period = period_of("month", today()).previous()
    url = "/api/v1/ioc/reports/bao-cao-thang/submissions"
    body = {"agency": department.code, "period": period.key,
            "values": {"ho_so_cong_viec": 90, "van_ban_ky_so": 97}}
    created = c.post(url, body, content_type="application/json")
    assert created.status_code == 201 and created.json()["revision"] == 1
    wrong_unit = c.post(url, {**body, "units": {"ho_so_cong_viec": "tỷ đồng"}},
                        content_type="application/json")
    assert wrong_unit.status_code == 400
    assert wrong_unit.json()["error"]["details"][0]["field"] == "ho_so_cong_viec"
    other = c.post(url, {**body, "agency": other_department.code},
                   content_type="application/json")
    assert other.status_code == 404
    assert ReportSubmission.objects.count() == 1
    _unused = (Indicator, IndicatorValue, _monthly)


def test_api_value_entry_and_dti_weights(client, reference, dept_officer, department,
                                         other_department, city_admin):
    from civicport.ioc.models import DtiMethodology

    c = _client(client, dept_officer)
    body = {"indicator": "CQS-09", "period": "2026-01", "value": "97,5", "unit": "%",
            "agency": department.code}
    created = c.post("/api/v1/ioc/values", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["value"] == 97.5
    assert c.post("/api/v1/ioc/values", {**body, "agency": other_department.code},
                  content_type="application/json").status_code == 404
    out_of_range = c.post("/api/v1/ioc/values", {**body, "value": 130, "version": 1},
                          content_type="application/json")
    assert out_of_range.status_code == 400
    assert "ngoài khoảng" in out_of_range.json()["error"]["message"]
    stale = c.post("/api/v1/ioc/values", {**body, "value": 90, "version": 0},
                   content_type="application/json")
    assert stale.status_code == 409
    assert c.patch("/api/v1/ioc/dti/methodologies/922-2022", {"weights": {"CQS": 250}},
                   content_type="application/json").status_code == 403
    client.logout()
    admin = _client(client, city_admin)
    method = DtiMethodology.objects.get(code="922-2022")
    actions.dti_assessment_record(user=city_admin, methodology=method, year=2022,
                                  province_code=31, province_name="Hải Phòng",
                                  values={"NT": (0.5, 0.5, 0.5)})
    changed = admin.patch("/api/v1/ioc/dti/methodologies/922-2022", {"weights": {"CQS": 250}},
                          content_type="application/json").json()
    assert changed["derived_from"] == "922-2022" and changed["weights"]["CQS"] == 250
    assert method.indicators.get(code="CQS").max_points == 200


def test_dti_weights_form_copies_a_used_methodology(client, reference, city_admin,
                                                    dept_officer):
    from civicport.ioc.models import DtiMethodology

    url = "/dieu-hanh/dti/922-2022/trong-so/"
    assert _client(client, dept_officer).post(url, {"w_CQS": "250"}).status_code == 403
    client.logout()
    c = _client(client, city_admin)
    page = c.get("/dieu-hanh/dti/")
    assert 'data-testid="dti-weights-922-2022"' in page.content.decode()
    done = c.post(url, {"w_CQS": "250"}, follow=True)
    assert "phiên bản mới" in done.content.decode()
    assert DtiMethodology.objects.get(code="922-2022").indicators.get(code="CQS").max_points == 200
    assert DtiMethodology.objects.get(code="922-2022.r1").indicators.get(
        code="CQS").max_points == 250
    bad = c.post("/dieu-hanh/dti/405-2025/trong-so/", {"w_NT": "nhiều"}, follow=True)
    assert "0 đến 1000" in bad.content.decode()


def test_admin_closes_a_period(client, reference, city_admin, dept_officer, department):
    period = period_of("month", today()).previous()
    row = actions.report_period_ensure(template=_monthly(), period=period)
    assert _client(client, dept_officer).post(
        f"/dieu-hanh/bao-cao/ky/{row.pk}/dong/").status_code == 403
    form = {"agency": department.code, "period": period.key, "f_ho_so_cong_viec": "90",
            "f_van_ban_ky_so": "99"}
    assert client.post("/dieu-hanh/bao-cao/bao-cao-thang/nop/", form).status_code == 302
    client.logout()
    assert _client(client, city_admin).post(
        f"/dieu-hanh/bao-cao/ky/{row.pk}/dong/").status_code == 302
    row.refresh_from_db()
    assert row.closed_at is not None
    client.logout()
    refused = _client(client, dept_officer).post("/dieu-hanh/bao-cao/bao-cao-thang/nop/",
                                                 {**form, "f_ho_so_cong_viec": "91"})
    assert refused.status_code == 400 and "đã đóng" in refused.content.decode()
    assert ReportSubmission.objects.count() == 1


def test_evidence_upload_and_download_scoped(client, reference, plan_task, dept_officer,
                                             other_department, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civicport.core.models import Role
    from civicport.core.tests.factories import officer

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    c = _client(client, dept_officer)
    url = f"/dieu-hanh/nhiem-vu/{plan_task.pk}/"
    pdf = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 minh chung", "application/pdf")
    assert c.post(url, {"version": 1, "progress": "20", "evidence": pdf}).status_code == 302
    evidence = plan_task.evidence.get()
    link = f"{url}minh-chung/{evidence.pk}/"
    assert link in c.get(url).content.decode()
    assert b"".join(c.get(link).streaming_content).startswith(b"%PDF")
    exe = SimpleUploadedFile("virus.exe", b"MZ", "application/octet-stream")
    bad = c.post(url, {"version": 2, "progress": "30", "evidence": exe})
    assert "PDF, Word, Excel" in bad.content.decode()
    plan_task.refresh_from_db()
    assert plan_task.progress == 20 and plan_task.evidence.count() == 1  # nothing changed
    client.logout()
    stranger = officer(agencies_roles=[(other_department, Role.PROCESSOR)])
    assert _client(client, stranger).get(link).status_code == 404
