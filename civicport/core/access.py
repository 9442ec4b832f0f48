"""The one rule of who sees what: an officer sees only the data of their agencies.

Every module filters its querysets through `scope_to_user`, so the rule lives here once.
Membership in an agency covers the agency's sub-tree (a department officer sees its units).
City administrators and IOC viewers see everything.
"""

from django.db.models import Q, QuerySet

from civicport.core.models import MEMBERSHIPS_KNOWN, Agency, Membership, Role


def sees_everything(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.is_city_admin or user.is_ioc_viewer)
    )


def agency_ids_for(user, roles: list[str] | None = None) -> set[int]:
    """Ids of the agencies whose data `user` may see (optionally: holding one of `roles`)."""
    if not (user and user.is_authenticated and user.is_active):
        return set()
    cache_key = f"_civicport_agency_ids_{','.join(sorted(roles or []))}"
    cached = getattr(user, cache_key, None)
    if cached is not None:
        return cached
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    paths = list(memberships.values_list("agency__path", flat=True).distinct())
    ids: set[int] = set()
    if paths:
        subtree = Q()
        for path in paths:
            subtree |= Q(path__startswith=path)
        ids = set(Agency.objects.filter(subtree).values_list("id", flat=True))
    setattr(user, cache_key, ids)
    return ids


def note_memberships(user, present: bool) -> None:
    """Record on `user` whether they hold any membership, for a caller that has just read
    them: `User.has_memberships` (the header of every page) then runs no query."""
    setattr(user, MEMBERSHIPS_KNOWN, present)


def scope_to_user(queryset: QuerySet, user, agency_field: str = "agency") -> QuerySet:
    """Restrict `queryset` to rows whose `agency_field` is one of the user's agencies."""
    if sees_everything(user):
        return queryset
    ids = agency_ids_for(user)
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{agency_field}__in": ids})


def can_act(user, agency: Agency | int, role: str | None = None) -> bool:
    """May `user` act in `agency` (with `role`, when given)? City admins always may."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.is_city_admin:
        return True
    agency_id = agency if isinstance(agency, int) else agency.pk
    roles = [role, Role.AGENCY_ADMIN] if role else None
    return agency_id in agency_ids_for(user, roles)
