"""Public tracking (/tra-cuu/): code + phone number or citizen ID; one answer for every
failure; per-address throttling kept in LoginFailure rows that the login throttle ignores."""

import re

import pytest
from django.urls import reverse

from civicport.core.auth import login_is_throttled
from civicport.core.models import LoginFailure
from civicport.publicservices import actions as A
from civicport.publicservices.citizen import name_initials
from civicport.publicservices.notices import TRACKING_PATH
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import Clock, at
from civicport.publicservices.tracking import TrackingThrottled, tracking_lookup

URL = "/tra-cuu/"
PHONE = "0912345678"
CITIZEN_ID = "031190001234"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, at(2026, 3, 2, 9))


@pytest.fixture
def dossier(db, clock):
    person = f.citizen(full_name="Nguyễn Thị Lan", phone=PHONE)
    procedure = f.procedure(form_schema=[{"key": "cccd", "label": "CCCD", "type": "id_number"}])
    draft = A.dossier_draft_save(
        applicant=person, procedure=procedure, agency=procedure.agencies.get(),
        form_data={"cccd": CITIZEN_ID},
    )
    return A.dossier_submit(dossier=draft, submit_key="track-1")


def look_up(client, code, second_factor, address="203.0.113.7"):
    return client.post(URL, {"code": code, "second_factor": second_factor}, REMOTE_ADDR=address)


def page(response) -> str:
    """The response without what differs per request (CSRF tokens)."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'data-csrf-token="[^"]+"', "", text)


def test_the_right_code_and_phone_show_the_status(client, dossier):
    response = look_up(client, dossier.code.lower(), "+84 912 345 678")
    assert response.status_code == 200
    assert response.context["tracked"].code == dossier.code
    content = response.content.decode()
    assert 'data-testid="tracking-result"' in content
    assert 'data-status="new"' in content
    assert response.context["initials"] == "N. T. L."
    assert [e.action for e in response.context["timeline"]] == ["submit"]
    # Nothing personal beyond the initials: no name, phone or ID, not even in the form.
    for secret in ("Nguyễn Thị Lan", PHONE, "912 345 678", CITIZEN_ID):
        assert secret not in content


def test_the_citizen_id_works_as_second_factor(client, dossier):
    response = look_up(client, dossier.code, "031 190 001 234")
    assert response.context["tracked"].code == dossier.code


def test_a_wrong_phone_and_an_unknown_code_get_the_same_answer(client, dossier):
    unknown = dossier.code[:-4] + "9999"
    wrong_phone = look_up(client, dossier.code, "0987654321")
    no_dossier = look_up(client, unknown, PHONE)
    assert wrong_phone.status_code == no_dossier.status_code == 200
    assert 'data-testid="tracking-not-found"' in page(wrong_phone)
    assert 'data-testid="tracking-result"' not in page(wrong_phone)
    # The same page except for the code typed back into the form.
    assert page(wrong_phone).replace(dossier.code, "CODE") == page(no_dossier).replace(
        unknown, "CODE"
    )


def test_a_code_alone_reveals_nothing(client, dossier):
    response = client.get(URL, {"ma": dossier.code})
    assert response.status_code == 200
    assert response.context["form"]["code"].initial == dossier.code  # the receipt's QR link
    content = page(response)
    assert "tracking-result" not in content
    assert "tracking-not-found" not in content
    assert dossier.procedure.name not in content
    assert look_up(client, dossier.code, "").status_code == 400  # nothing looked up
    assert not LoginFailure.objects.exists()


def test_drafts_cannot_be_tracked(db, clock):
    draft = f.dossier(applicant=f.citizen(phone=PHONE), code="900.00.01.H31-260302-0001")
    assert tracking_lookup(code=draft.code, second_factor=PHONE, address="198.51.100.1") is None


def test_failures_are_throttled_per_address(client, dossier, clock, settings):
    settings.TRACKING_MAX_FAILURES = 3
    for _ in range(3):
        assert look_up(client, dossier.code, "0987654321").status_code == 200
    # Locked out, even with the right answer; the dossier is not looked at.
    response = look_up(client, dossier.code, PHONE)
    assert response.status_code == 429
    assert 'data-testid="tracking-throttled"' in page(response)
    assert "tracked" not in response.context
    # Another address is not affected; nor is logging in from the same address.
    assert look_up(client, dossier.code, PHONE, address="198.51.100.2").context["tracked"]
    assert not login_is_throttled(login="someone", address="203.0.113.7")
    # After the window the address may try again.
    clock.advance(minutes=15, seconds=1)
    assert look_up(client, dossier.code, PHONE).context["tracked"].code == dossier.code


def test_the_default_limit_is_ten_failures_in_fifteen_minutes(dossier, clock):
    for _ in range(10):
        assert tracking_lookup(code="X", second_factor=PHONE, address="192.0.2.1") is None
        clock.advance(seconds=60)
    with pytest.raises(TrackingThrottled) as raised:
        tracking_lookup(code=dossier.code, second_factor=PHONE, address="192.0.2.1")
    assert raised.value.minutes == 15
    clock.advance(minutes=5, seconds=1)  # the first failure falls out of the window
    assert tracking_lookup(code=dossier.code, second_factor=PHONE, address="192.0.2.1")


def test_successes_do_not_count_and_old_rows_are_trimmed(dossier, clock):
    for _ in range(12):
        assert tracking_lookup(code=dossier.code, second_factor=PHONE, address="192.0.2.9")
    assert not LoginFailure.objects.exists()
    tracking_lookup(code="X", second_factor=PHONE, address="192.0.2.9")
    clock.advance(days=2)
    tracking_lookup(code="Y", second_factor=PHONE, address="192.0.2.9")
    assert LoginFailure.objects.count() == 1
    assert LoginFailure.objects.get().address is None


def test_name_initials():
    assert name_initials("Nguyễn Văn  an") == "N. V. A."
    assert name_initials("") == ""


def test_the_receipt_qr_link_lands_here_with_the_code(client, dossier):
    assert reverse("citizen:tracking") == URL == TRACKING_PATH
    response = client.get(URL + f"?ma={dossier.code.lower()}%20")
    assert response.context["form"]["code"].initial == dossier.code
