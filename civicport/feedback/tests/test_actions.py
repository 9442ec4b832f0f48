"""Intake, routing, bad input, workflow, duplicates, escalation."""

import datetime

import pytest
from django.utils import timezone
from PIL import Image

from civicport.core.models import AuditEntry, Notification
from civicport.feedback import actions, queries
from civicport.feedback.actions import Intake
from civicport.feedback.models import Channel, Report, ReportEvent, ReportPhoto, Status
from civicport.feedback.photos import photo_root
from civicport.feedback.rules import FeedbackError
from civicport.feedback.tests import factories
from civicport.feedback.tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


def _refused(code, **intake_fields):
    before = (Report.objects.count(), ReportEvent.objects.count(), AuditEntry.objects.count())
    fields = {"description": factories.LIGHT_TEXT, "channel": Channel.WEB,
              "category_code": "chieu-sang", "lat": factories.IN_CITY[0],
              "lon": factories.IN_CITY[1], **intake_fields}
    with pytest.raises(FeedbackError) as caught:
        actions.report_create(intake=Intake(**fields), address="10.0.0.9")
    assert caught.value.code == code
    assert (Report.objects.count(), ReportEvent.objects.count(),
            AuditEntry.objects.count()) == before
    return caught.value


def test_create_routes_suggests_and_starts_the_clock():
    report = factories.report(reporter_email="dan@example.vn", reporter_name="Nguyễn Văn A")
    assert report.status == Status.RECEIVED
    assert report.agency.code == "000.00.04.H31"  # street lighting → Sở Xây dựng
    assert report.suggested_category.code == "chieu-sang"
    assert report.suggested_agency == report.agency
    assert report.deadline > report.created_at  # 3 working days (normal urgency)
    assert report.ward.name.endswith("Lê Chân")
    assert report.events.get().action == "created"
    assert AuditEntry.objects.filter(action="feedback.report.created").exists()
    note = Notification.objects.get(recipient="dan@example.vn")
    assert "Đã tiếp nhận phản ánh số" in note.subject


def test_garbage_goes_to_the_ward_committee():
    report = factories.report(category="rac-thai", description="Rác tràn ra vỉa hè.",
                              ward_name="Hồng Bàng")
    assert report.agency.kind == "commune" and report.agency.ward.name.endswith("Hồng Bàng")


def test_same_idempotency_key_returns_the_first_report():
    first = factories.report(idempotency_key="abc123")
    again = factories.report(idempotency_key="abc123")
    assert first.pk == again.pk and Report.objects.count() == 1


def test_bad_input_is_refused_and_changes_nothing():
    assert _refused("empty_description", description="   ")
    assert _refused("unknown_category", category_code="khong-co")
    error = _refused("outside_city", lat=factories.HANOI[0], lon=factories.HANOI[1])
    assert "Hải Phòng" in error.message
    assert _refused("bad_location", lat=float("nan"), lon=106.7)
    assert _refused("bad_location", lon=None)
    assert _refused("no_location", lat=None, lon=None)
    assert _refused("description_too_long", description="x" * 4001)
    assert _refused("photo_not_image", photos=[("virus.jpg", b"MZ\x90\x00 not an image")])
    assert _refused("bad_phone", reporter_phone="12345")


def test_huge_photo_and_pixel_bomb_are_refused(settings):
    settings.FEEDBACK_MAX_PHOTO_BYTES = 1000
    assert _refused("photo_too_large", photos=[("big.jpg", image_bytes(size=(400, 400)))])
    settings.FEEDBACK_MAX_PHOTO_BYTES = 10**7
    settings.FEEDBACK_MAX_PHOTO_PIXELS = 1000
    assert _refused("photo_too_many_pixels", photos=[("wide.png", image_bytes("PNG", (100, 100)))])


def test_public_photo_is_reencoded_without_exif():
    data = image_bytes(exif_gps=True)
    assert b"SecretCam" in data
    report = factories.report(photos=[("p.jpg", data)])
    photo = report.photos.get()
    public = (photo_root() / "public" / photo.public_name).read_bytes()
    assert b"SecretCam" not in public
    with Image.open(photo_root() / "public" / photo.public_name) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert (photo_root() / "original" / photo.original_name).read_bytes() == data
    assert "media" not in str(photo_root())  # outside MEDIA_ROOT, served by our view only


def test_rate_limit_per_address_and_account(settings, make_user):
    settings.FEEDBACK_MAX_REPORTS_PER_ADDRESS = 2
    settings.FEEDBACK_MAX_REPORTS_PER_ACCOUNT = 1
    intake = Intake(description=factories.LIGHT_TEXT, channel=Channel.WEB,
                    category_code="chieu-sang", lat=factories.IN_CITY[0],
                    lon=factories.IN_CITY[1])
    actions.report_create(intake=intake, address="10.1.1.1")
    actions.report_create(intake=intake, address="10.1.1.1")
    with pytest.raises(FeedbackError) as caught:
        actions.report_create(intake=intake, address="10.1.1.1")
    assert caught.value.status == 429
    user = make_user("0901234567")
    actions.report_create(intake=intake, address="10.2.2.2", user=user)
    with pytest.raises(FeedbackError):
        actions.report_create(intake=intake, address="10.3.3.3", user=user)
    assert Report.objects.count() == 3


def test_text_only_channels_take_the_classifier_guess():
    intake = Intake(description="Cây xanh bị đổ chắn ngang đường sau cơn giông ở phường Kiến An",
                    channel=Channel.SMS, address="phường Kiến An", reporter_phone="0912345678")
    report = actions.report_create(intake=intake)
    assert report.category.code == "cay-xanh" and not report.category_confirmed
    assert report.ward.name.endswith("Kiến An")


def test_full_workflow_triage_answer_rate():
    operator, processor = factories.operator(), factories.agency_officer()
    report = factories.report(reporter_email="dan@example.vn")
    with pytest.raises(FeedbackError) as caught:
        actions.report_triage(report_id=report.pk, user=processor, category_code="chieu-sang")
    assert caught.value.status == 403
    report = actions.report_triage(report_id=report.pk, user=operator,
                                   category_code="chieu-sang", version=report.version)
    assert report.status == Status.ASSIGNED and report.category_confirmed
    with pytest.raises(FeedbackError) as stale:
        actions.report_start(report_id=report.pk, user=processor, version=1)
    assert stale.value.status == 409
    report = actions.report_start(report_id=report.pk, user=processor, version=report.version)
    report = actions.report_answer(report_id=report.pk, user=processor,
                                   answer="Đã thay bóng đèn mới.",
                                   photos=[("kq.jpg", image_bytes())])
    assert report.status == Status.ANSWERED and report.answered_on_time is True
    assert report.photos.filter(kind=ReportPhoto.Kind.ANSWER).count() == 1
    with pytest.raises(FeedbackError):
        actions.report_rate(report_id=report.pk, user=None, token="wrong", rating=5)
    with pytest.raises(FeedbackError):
        actions.report_rate(report_id=report.pk, user=None, token=report.token, rating=9)
    report = actions.report_rate(report_id=report.pk, user=None, token=report.token, rating=4)
    assert report.status == Status.CLOSED and report.rating == 4
    actions_done = list(report.events.values_list("action", flat=True))
    assert actions_done == ["created", "triaged", "started", "answered", "rated"]
    assert Notification.objects.filter(recipient="dan@example.vn").count() == 3


def test_another_agencys_officer_cannot_act():
    report = factories.report()
    outsider = factories.agency_officer("000.00.08.H31")  # Sở Y tế
    with pytest.raises(FeedbackError) as caught:
        actions.report_answer(report_id=report.pk, user=outsider, answer="x")
    assert caught.value.status == 403
    assert Report.objects.get(pk=report.pk).status == Status.RECEIVED


def test_operator_correction_is_recorded_and_reroutes():
    operator = factories.operator()
    report = factories.report(category="chieu-sang",
                              description="Có người xây nhà trái phép lấn chiếm đất công.")
    report = actions.report_triage(report_id=report.pk, user=operator,
                                   category_code="xay-dung-trai-phep")
    assert report.agency.kind == "commune"  # illegal construction → the ward's committee
    assert AuditEntry.objects.filter(action="feedback.report.category_corrected").exists()


def test_reopen_within_window_only():
    processor = factories.agency_officer()
    report = factories.report()
    actions.report_triage(report_id=report.pk, user=factories.operator(),
                          category_code="chieu-sang")
    report = actions.report_answer(report_id=report.pk, user=processor, answer="Đã sửa.")
    report = actions.report_reopen(report_id=report.pk, user=None, token=report.token,
                                   reason="Đèn vẫn chưa sáng.")
    assert report.status == Status.IN_PROGRESS and report.reopen_count == 1
    report = actions.report_answer(report_id=report.pk, user=processor, answer="Đã sửa lại.")
    Report.objects.filter(pk=report.pk).update(
        answered_at=timezone.now() - datetime.timedelta(days=8))
    with pytest.raises(FeedbackError) as caught:
        actions.report_reopen(report_id=report.pk, user=None, token=report.token, reason="x")
    assert caught.value.code == "reopen_expired"


def test_reject_with_reason():
    report = factories.report()
    with pytest.raises(FeedbackError):
        actions.report_reject(report_id=report.pk, user=factories.operator(), reason=" ")
    report = actions.report_reject(report_id=report.pk, user=factories.operator(),
                                   reason="Đây là đơn khiếu nại, đề nghị gửi theo thủ tục.")
    assert report.status == Status.REJECTED and "khiếu nại" in report.status_note


def test_duplicates_nearby_and_merge_links_both_ways():
    first = factories.report(reporter_email="a@example.vn")
    near = (factories.IN_CITY[0] + 0.001, factories.IN_CITY[1])  # ~110 m north
    found = queries.duplicates_near(category_code="chieu-sang", lat=near[0], lon=near[1],
                                    description="Đèn đường phố Lạch Tray hỏng, tối om")
    assert [d["id"] for d in found] == [first.pk] and 100 < found[0]["distance_m"] < 120
    far = (factories.IN_CITY[0] + 0.01, factories.IN_CITY[1])  # ~1.1 km
    assert queries.duplicates_near(category_code="chieu-sang", lat=far[0], lon=far[1],
                                   description=factories.LIGHT_TEXT) == []
    assert queries.duplicates_near(category_code="rac-thai", lat=near[0], lon=near[1],
                                   description=factories.LIGHT_TEXT) == []
    assert queries.duplicates_near(category_code="chieu-sang", lat=near[0], lon=near[1],
                                   description="Karaoke hát to cả đêm") == []
    second = factories.report(at=near, reporter_email="b@example.vn")
    merged = actions.report_merge(report_id=second.pk, into_id=first.pk,
                                  user=factories.operator())
    assert merged.status == Status.MERGED and merged.duplicate_of_id == first.pk
    assert list(first.duplicates.all()) == [merged]
    assert first.follows.filter(email="b@example.vn").exists()


def test_escalation_of_overdue_reports():
    report = factories.report()
    Report.objects.filter(pk=report.pk).update(
        deadline=timezone.now() - datetime.timedelta(hours=1))
    assert actions.reports_escalate_overdue() == 1
    assert actions.reports_escalate_overdue() == 0
    report.refresh_from_db()
    assert report.escalated_at is not None
    event = report.events.get(action="escalated")
    assert not event.public and "Ủy ban nhân dân thành phố Hải Phòng" in event.note


def test_follow_needs_a_contact():
    report = factories.report()
    with pytest.raises(FeedbackError):
        actions.report_follow(report_id=report.pk, email="", phone="")
    actions.report_follow(report_id=report.pk, email="x@example.vn")
    actions.report_follow(report_id=report.pk, email="x@example.vn")
    assert report.follows.count() == 1
