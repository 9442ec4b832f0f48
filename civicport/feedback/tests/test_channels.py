"""SMS webhook and e-mail import."""

import mailbox
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from civicport.feedback.models import Report

pytestmark = pytest.mark.django_db


def test_sms_webhook_needs_the_shared_secret(client, settings):
    settings.FEEDBACK_SMS_SECRET = "s3cret-value"
    data = {"from": "0912345678", "text": "Cay do chan duong o phuong Kien An", "id": "m1"}
    assert client.post("/phan-anh/sms/", data).status_code == 403
    assert client.post("/phan-anh/sms/", data, HTTP_X_FEEDBACK_SECRET="wrong").status_code == 403
    assert Report.objects.count() == 0
    response = client.post("/phan-anh/sms/", data, HTTP_X_FEEDBACK_SECRET="s3cret-value")
    assert response.status_code == 201
    report = Report.objects.get(pk=response.json()["id"])
    assert report.channel == "sms" and report.reporter_phone == "0912345678"
    assert report.category.code == "cay-xanh" and report.ward.name.endswith("Kiến An")
    again = client.post("/phan-anh/sms/", data, HTTP_X_FEEDBACK_SECRET="s3cret-value")
    assert again.json()["id"] == report.pk  # the gateway's retry creates nothing new


def test_sms_flood_from_one_number(client, settings):
    settings.FEEDBACK_SMS_SECRET = "k"
    settings.FEEDBACK_MAX_REPORTS_PER_SENDER = 2
    codes = [client.post("/phan-anh/sms/", {"from": "0912345678", "text": f"Rác thải {i}"},
                         HTTP_X_FEEDBACK_SECRET="k").status_code for i in range(3)]
    assert codes == [201, 201, 429]
    bad = client.post("/phan-anh/sms/", {"from": "abc", "text": "x"}, HTTP_X_FEEDBACK_SECRET="k")
    assert bad.status_code == 400


def test_sms_webhook_unconfigured_refuses_everything(client):
    assert client.post("/phan-anh/sms/", {"from": "0912345678", "text": "x"},
                       HTTP_X_FEEDBACK_SECRET="").status_code == 403


def test_mbox_import_is_idempotent(tmp_path, capsys):
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(str(path))
    for i, body in enumerate(["Nước máy có màu vàng đục ở phường Lê Chân", ""]):
        message = EmailMessage()
        message["From"] = "Hoa <hoa@example.vn>"
        message["Subject"] = "Phản ánh" if body else ""
        message["Message-ID"] = f"<m{i}@example.vn>"
        message.set_content(body)
        box.add(message)
    box.flush()
    call_command("feedback_import_mail", "--mbox", str(path))
    assert "1 reports created, 1 messages refused" in capsys.readouterr().out
    report = Report.objects.get()
    assert report.channel == "email" and report.reporter_email == "hoa@example.vn"
    assert report.category.code == "cap-nuoc"
    call_command("feedback_import_mail", "--mbox", str(path))
    assert Report.objects.count() == 1
