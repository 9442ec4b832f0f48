"""Reads of the shared platform, for views, APIs and other apps."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from civicport.core.access import agency_ids_for, can_act, scope_to_user, sees_everything
from civicport.core.calendar import next_holiday
from civicport.core.models import Agency, Membership, Province, Ward
from civicport.core.units import resolve_address, ward_search

__all__ = [
    "agency_ids_for",
    "can_act",
    "home_overview",
    "resolve_address",
    "scope_to_user",
    "sees_everything",
    "user_agencies",
    "ward_search",
]


def user_agencies(user):
    return Membership.objects.filter(user=user).select_related("agency").order_by("agency__name")


def home_overview() -> dict:
    """What the home page shows: the modules and a few live facts about the city."""
    province = Province.objects.filter(code=settings.CIVICPORT_PROVINCE).first()
    return {
        "province_name": province.name if province else _("the city"),
        "ward_count": Ward.objects.filter(province_id=settings.CIVICPORT_PROVINCE).count(),
        "agency_count": Agency.objects.filter(is_active=True).count(),
        "next_holiday": next_holiday(timezone.localdate()),
        "modules": _modules(),
    }


def _modules() -> list[dict]:
    # Each module's entry page, in the order the home page lists them.
    return [
        {"key": "publicservices", "url": "/thu-tuc/", "title": _("Online public services"),
         "description": _("Find a procedure, file a dossier online and track it.")},
        {"key": "feedback", "url": "/phan-anh/", "title": _("Feedback 1022"),
         "description": _("Report a problem in your street and follow the answer.")},
        {"key": "datahub", "url": "/du-lieu/", "title": _("Open data"),
         "description": _("Datasets published by the city's agencies, free to reuse.")},
        {"key": "ioc", "url": "/dieu-hanh/", "title": _("Operations centre"),
         "description": _("The city's indicators, targets and digital transformation index.")},
        {"key": "tourism", "url": "/am-thuc/", "title": _("Food tour map"),
         "description": _("Where to eat bánh đa cua, bánh mì cay and more.")},
    ]
