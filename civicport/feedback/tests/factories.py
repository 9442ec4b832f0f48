"""Builders for feedback tests."""

from civicport.core.models import Agency, Role, Ward
from civicport.core.tests.factories import officer
from civicport.feedback.actions import Intake, report_create
from civicport.feedback.models import Channel

# A point in central Hải Phòng (Lạch Tray, Lê Chân) and one in Hà Nội.
IN_CITY = (20.8449, 106.6881)
HANOI = (21.0285, 105.8542)
LIGHT_TEXT = "Đèn đường trước số 12 phố Lạch Tray bị hỏng, tối om rất nguy hiểm."


def ward(name="Lê Chân") -> Ward:
    return Ward.objects.get(name__endswith=name)


def department(code="000.00.04.H31") -> Agency:
    return Agency.objects.get(code=code)


def operator():
    return officer(agencies_roles=[(department("000.00.01.H31"), Role.RECEIVER)])


def agency_officer(code="000.00.04.H31"):
    return officer(agencies_roles=[(department(code), Role.PROCESSOR)])


def report(*, category="chieu-sang", description=LIGHT_TEXT, at=IN_CITY, ward_name="Lê Chân",
           channel=Channel.WEB, user=None, **fields):
    intake = Intake(description=description, channel=channel, category_code=category,
                    lat=at[0] if at else None, lon=at[1] if at else None,
                    ward_code=ward(ward_name).code if ward_name else None, **fields)
    return report_create(intake=intake, user=user, rate_limited=False)
