"""Small rules shared by the feedback actions and queries: errors, who may do what, routing,
SLA deadlines, text similarity and the reporter's contact fields."""

import os
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from civicport.core.access import can_act, sees_everything
from civicport.core.calendar import add_working_days, add_working_hours
from civicport.core.models import Agency, Membership, Province, Ward
from civicport.core.text import words

# Reports answered this many days ago or less may be reopened by their reporter.
REOPEN_DAYS = 7
# "Follow this one instead": open reports of the same category this close (FixMyStreet's 250 m).
DUPLICATE_RADIUS_M = 250
# Word-set overlap (Jaccard) above which two descriptions count as "similar".
DUPLICATE_MIN_SIMILARITY = 0.2
MAX_DESCRIPTION = 4000  # Open311's limit
# The 1022 switchboard: members of the city People's Committee or of its Office (Văn phòng
# UBND) act as operators (triage, merge, phone intake).
OPERATOR_AGENCY_KINDS = (Agency.Kind.CITY,)
OPERATOR_AGENCY_CODES = ("000.00.01.H31",)


class FeedbackError(Exception):
    """A refused request: nothing was changed. `status` is the HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int = 400, field: str = ""):
        super().__init__(message)
        self.code, self.message, self.status, self.field = code, message, status, field


def env_int(name: str, default: int) -> int:
    """A deploy-time number: Django setting `name` first, then the environment."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(f"CIVICPORT_{name}", default)
    return int(value)


def city_name() -> str:
    province = Province.objects.filter(code=settings.CIVICPORT_PROVINCE).first()
    return province.name if province else _("the city")


def is_operator(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if sees_everything(user) and not user.is_ioc_viewer:
        return True
    return Membership.objects.filter(user=user).filter(
        agency__kind__in=OPERATOR_AGENCY_KINDS
    ).exists() or Membership.objects.filter(
        user=user, agency__code__in=OPERATOR_AGENCY_CODES
    ).exists()


def can_handle(user, report) -> bool:
    """May `user` work on the report as its agency (or as an operator)?"""
    if is_operator(user):
        return True
    return report.agency_id is not None and can_act(user, report.agency_id)


def city_agency() -> Agency | None:
    return Agency.objects.filter(kind=Agency.Kind.CITY).order_by("id").first()


def route(category, ward: Ward | None) -> Agency | None:
    """The agency responsible for `category` in `ward`: a rule for that ward, else the
    category's rule for any ward, else its default agency, else the ward's committee, else the
    city (someone must own every report)."""
    if category is None:
        return None
    rules = {r.ward_id: r for r in category.rules.select_related("agency", "ward__committee")}
    rule = rules.get(ward.code if ward else None) or rules.get(None)
    if rule is not None:
        if rule.agency_id:
            return rule.agency
        if ward is not None:
            committee = Agency.objects.filter(ward=ward).first()
            if committee:
                return committee
    if category.default_agency_id:
        return category.default_agency
    if ward is not None:
        committee = Agency.objects.filter(ward=ward).first()
        if committee:
            return committee
    return city_agency()


def sla_deadline(urgency, start: datetime) -> datetime:
    if urgency.sla_unit == urgency.Unit.HOURS:
        return add_working_hours(start, urgency.sla_amount)
    return add_working_days(start, urgency.sla_amount)


def similarity(a_folded: str, b_folded: str) -> float:
    """Jaccard overlap of the two texts' word sets (syllables; short words ignored)."""
    a = {w for w in words(a_folded) if len(w) > 1}
    b = {w for w in words(b_folded) if len(w) > 1}
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
