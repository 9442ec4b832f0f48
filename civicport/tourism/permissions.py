"""Who manages the food-tour map: officers of the Department of Culture, Sports and Tourism
(Sở Văn hóa, Thể thao và Du lịch, code 000.00.11.H31 in core's agency tree) and city admins."""

from civicport.core.access import agency_ids_for
from civicport.core.models import Agency

TOURISM_AGENCY_CODE = "000.00.11.H31"


def tourism_agency() -> Agency | None:
    return Agency.objects.filter(code=TOURISM_AGENCY_CODE).first()


def is_tourism_staff(user) -> bool:
    if not (user and getattr(user, "is_authenticated", False) and user.is_active):
        return False
    if user.is_superuser or user.is_city_admin:
        return True
    cached = getattr(user, "_tourism_staff", None)
    if cached is None:
        agency = tourism_agency()
        cached = bool(agency and agency.pk in agency_ids_for(user))
        user._tourism_staff = cached
    return cached
