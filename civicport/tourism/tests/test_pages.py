"""Pages, QR codes, the poster, photos, import/export, the open dataset and the demo seed."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from civicport.tourism import actions, photos, printouts, seeding, tabular
from civicport.tourism.models import Photo, Review, Tour, Venue


def test_map_page_search_list_and_no_tiles(client, make_venue, settings):
    settings.CIVICPORT_TILE_URL = ""
    make_venue()
    make_venue(name="Ốc Lạch Tray", dishes=(("Ốc", 80000),))
    page = client.get("/am-thuc/?q=banh+da+cua").content.decode()
    assert "Bánh đa cua Cầu Đất" in page and "Ốc Lạch Tray" not in page
    assert 'data-tiles=""' in page and "<script>" not in page
    fragment = client.get("/am-thuc/?q=oc", headers={"HX-Request": "true"}).content.decode()
    assert "Ốc Lạch Tray" in fragment and "<html" not in fragment


def test_venue_page_shows_hours_prices_and_open_state(client, make_venue):
    venue = make_venue()
    page = client.get(f"/am-thuc/dia-diem/{venue.pk}/").content.decode()
    assert "Hằng ngày 06:00–22:00; nghỉ ngày lễ" in page
    assert "35.000 đ" in page and "geo:20.858,106.688" in page
    assert "Đăng nhập để viết đánh giá" in page


def test_review_through_the_page_with_verified_visit(client, make_venue, make_user):
    venue = make_venue()
    client.force_login(make_user())
    client.get(f"/am-thuc/dia-diem/{venue.pk}/?qr={printouts.visit_token(venue.pk)}")
    response = client.post(f"/am-thuc/dia-diem/{venue.pk}/danh-gia/",
                           {"rating": "5", "text": "Tuyệt"})
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.verified_visit and review.rating == 5
    assert not printouts.visit_token_valid(venue.pk, "forged")
    assert not printouts.visit_token_valid(venue.pk + 1, printouts.visit_token(venue.pk))


def test_qr_codes_are_full_qr_png_and_svg(client, make_venue):
    venue = make_venue()
    png = client.get(f"/am-thuc/dia-diem/{venue.pk}/qr.png")
    assert png["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size[0] >= (21 + 8) * 10
    svg, _type = printouts.qr("1", "svg")  # a short text: segno.make would give Micro QR
    width = int(re.search(rb'width="(\d+)"', svg).group(1))
    assert width == (21 + 8) * 8  # version 1 QR is 21 modules; Micro QR at most 17
    assert client.get("/am-thuc/qr.svg")["Content-Type"] == "image/svg+xml"
    assert client.get("/am-thuc/qr.gif").status_code == 404


def test_poster_is_an_a4_pdf_in_vietnamese(client, make_venue):
    venue = make_venue()
    response = client.get(f"/am-thuc/dia-diem/{venue.pk}/poster.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = reader.pages[0].extract_text()
    assert "Bánh đa cua Cầu Đất" in text and "Quét mã" in text


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_photos_checked_stripped_and_served(client, make_venue, staff, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None}}}
    venue = make_venue()
    data = _jpeg_with_exif()
    assert b"CameraMaker" in data
    photo = photos.photo_add(actor=staff, venue_id=venue.pk,
                             upload=SimpleUploadedFile("a.jpg", data))
    stored = (tmp_path / photo.file).read_bytes()
    assert b"CameraMaker" not in stored and Image.open(io.BytesIO(stored)).size == (64, 48)
    served = client.get(reverse("tourism:photo", args=[photo.pk]))
    assert b"".join(served.streaming_content) == stored
    with pytest.raises(Exception) as err:
        photos.photo_add(actor=staff, venue_id=venue.pk,
                         upload=SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>"))
    assert "không phải ảnh" in str(err.value)
    big = SimpleUploadedFile("big.jpg", b"\xff" * (photos.MAX_BYTES + 1))
    with pytest.raises(Exception) as err:
        photos.photo_add(actor=staff, venue_id=venue.pk, upload=big)
    assert "5 MB" in str(err.value)
    assert Photo.objects.count() == 1


def test_import_is_all_or_nothing_with_row_errors(staff, wards, make_venue):
    rows = ("name,address,ward,lat,lon,opening_hours,dishes\n"
            "Bánh bèo Tô Hiệu,Số 5 Tô Hiệu,Phường Lê Chân,20.852,106.678,Mo-Su 06:00-10:00,"
            "Bánh bèo: 25000\n"
            "Quán sai,Số 1,Phường Lê Chân,21.03,105.85,Mo-Fr 8,Ốc: 1\n")
    with pytest.raises(Exception) as err:
        tabular.venues_import(actor=staff, filename="a.csv", content=rows.encode())
    text = " ".join(err.value.messages)
    assert "Dòng 3" in text and "ký tự thứ 7" in text and "nằm ngoài" in text
    assert not Venue.objects.exists()
    good = rows.splitlines()[:2]
    result = tabular.venues_import(actor=staff, filename="a.csv",
                                   content="\n".join(good).encode())
    assert result == {"created": 1, "updated": 0}
    venue = Venue.objects.get()
    assert venue.dishes.get().price == 25000 and venue.ward.name == "Phường Lê Chân"


def test_export_round_trip_and_formula_safety(staff, make_venue):
    make_venue(name="=HYPERLINK(1)")
    book = tabular.export_xlsx()
    result = tabular.venues_import(actor=staff, filename="v.xlsx", content=book)
    assert result == {"created": 0, "updated": 1}
    assert Venue.objects.get().name == "'=HYPERLINK(1)"
    csv_text = tabular.export_csv().decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text


def test_open_dataset_endpoints(client, make_venue):
    make_venue()
    assert client.get("/am-thuc/du-lieu/dia-diem.geojson").json()["type"] == (
        "FeatureCollection")
    csv_text = client.get("/am-thuc/du-lieu/dia-diem.csv").content.decode("utf-8-sig")
    assert "Bánh đa cua: 35000" in csv_text


def test_staff_pages_need_staff(client, make_user, staff, make_venue):
    venue = make_venue()
    client.force_login(make_user())
    assert client.get("/am-thuc/quan-ly/").status_code == 403
    client.force_login(staff)
    assert client.get("/am-thuc/quan-ly/").status_code == 200
    page = client.get(f"/am-thuc/quan-ly/{venue.pk}/").content.decode()
    assert "hours-editor" in page
    bad = client.post(f"/am-thuc/quan-ly/{venue.pk}/", {
        "name": "X", "address": "Y", "ward": venue.ward_id, "lat": "20.85", "lon": "106.68",
        "opening_hours": "Mo-Fr 08:00-", "version": venue.version})
    assert bad.status_code == 400 and "ký tự thứ 13" in bad.content.decode()
    preview = client.get("/am-thuc/gio-mo-cua/xem-truoc/?opening_hours=Mo-Fr+06:00-22:00;PH+off")
    assert "Thứ Hai–Thứ Sáu 06:00–22:00; nghỉ ngày lễ" in preview.content.decode()


def test_demo_seed_is_idempotent(wards, staff):
    from civicport.core import seeding as core_seeding
    core_seeding.demo(1)
    first = seeding.demo(1)
    assert Venue.objects.filter(is_demo=True).count() == seeding.PER_SCALE
    assert Tour.objects.count() == 2 and Review.objects.exists()
    assert first.startswith("60 demo venues")
    assert seeding.demo(1).startswith("0 demo venues")
    assert Venue.objects.filter(opening_hours__contains="PH off").exists()
    venue = Venue.objects.filter(rating_count__gt=0).first()
    assert venue.rating_count == venue.reviews.count()
    assert actions.VENUE_SCOPE


def test_moderation_queue_page(client, make_venue, make_user, staff):
    venue = make_venue()
    review = actions.review_submit(actor=make_user("a"), venue_id=venue.pk, rating=1,
                                   text="Tệ")
    actions.review_flag(actor=make_user("b"), review_id=review.pk)
    client.force_login(staff)
    page = client.get("/am-thuc/quan-ly/kiem-duyet/").content.decode()
    assert "Tệ" in page and "bị báo cáo, chờ kiểm duyệt" in page
    client.post("/am-thuc/quan-ly/kiem-duyet/", {"review": review.pk, "decision": "hide"})
    assert Review.objects.get(pk=review.pk).status == "hidden"
    visible = client.get(f"/am-thuc/dia-diem/{venue.pk}/").content.decode()
    assert "Tệ" not in visible


def test_a_bad_time_keeps_the_other_filters(client, make_venue):
    make_venue()
    make_venue(name="Ốc Lạch Tray", dishes=(("Ốc", 80000),))
    page = client.get("/am-thuc/?q=oc&when=at&at=hom-nay").content.decode()
    assert "Ốc Lạch Tray" in page and "Bánh đa cua Cầu Đất" not in page
    assert "2026-02-17T19:00" in page  # the error tells how to write a time
