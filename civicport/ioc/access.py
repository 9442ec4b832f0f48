"""Who may see and change what in the IOC (on top of core.access).

IOC viewers and city administrators see everything; city administrators change everything.
Officers of an agency see and change only their agency's values, reports and tasks (its
sub-tree, as core.access defines it). Everyone else sees the public subset only.
"""

from civicport.core.access import agency_ids_for, sees_everything


def is_officer(user) -> bool:
    return bool(sees_everything(user) or agency_ids_for(user))


def may_edit_all(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.is_city_admin))


def may_see_agency(user, agency_id: int) -> bool:
    return sees_everything(user) or agency_id in agency_ids_for(user)


def may_edit_agency(user, agency_id: int) -> bool:
    return may_edit_all(user) or agency_id in agency_ids_for(user)


def visible_agency_ids(user) -> set[int] | None:
    """None = every agency; otherwise the ids the user may see."""
    return None if sees_everything(user) else agency_ids_for(user)
