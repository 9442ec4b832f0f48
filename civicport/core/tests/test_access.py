import pytest

from civicport.core.access import agency_ids_for, can_act, scope_to_user
from civicport.core.models import Agency, Membership, Role, User
from civicport.core.tests import factories


@pytest.fixture
def tree(db):
    city = factories.agency(name="UBND thành phố", kind=Agency.Kind.CITY)
    dept = factories.agency(name="Sở Tư pháp", parent=city)
    unit = factories.agency(name="Phòng Hộ tịch", parent=dept, kind=Agency.Kind.UNIT)
    other = factories.agency(name="Sở Y tế", parent=city)
    return city, dept, unit, other


def test_officer_sees_own_agency_and_its_subtree_only(tree):
    city, dept, unit, other = tree
    officer = factories.officer(agencies_roles=[(dept, Role.PROCESSOR)])
    assert agency_ids_for(officer) == {dept.pk, unit.pk}
    scoped = scope_to_user(Membership.objects.all(), officer)
    assert set(scoped.values_list("agency_id", flat=True)) == {dept.pk}


def test_officer_in_two_agencies_sees_both(tree):
    city, dept, unit, other = tree
    officer = factories.officer(
        agencies_roles=[(dept, Role.RECEIVER), (other, Role.APPROVER)]
    )
    assert agency_ids_for(officer) == {dept.pk, unit.pk, other.pk}


def test_citizen_and_anonymous_see_nothing(tree, make_user):
    from django.contrib.auth.models import AnonymousUser

    citizen = make_user()
    assert scope_to_user(Agency.objects.all(), citizen, agency_field="pk").count() == 0
    assert scope_to_user(Agency.objects.all(), AnonymousUser(), agency_field="pk").count() == 0


@pytest.mark.parametrize("flag", ["is_city_admin", "is_ioc_viewer", "is_superuser"])
def test_city_wide_roles_see_everything(tree, flag):
    user = User.objects.create(username="boss", **{flag: True})
    assert scope_to_user(Agency.objects.all(), user, agency_field="pk").count() == 4


def test_can_act_checks_role_and_agency_admin_implies_all(tree):
    city, dept, unit, other = tree
    receiver = factories.officer(agencies_roles=[(dept, Role.RECEIVER)])
    admin = factories.officer(agencies_roles=[(dept, Role.AGENCY_ADMIN)])
    assert can_act(receiver, dept, Role.RECEIVER)
    assert can_act(receiver, unit, Role.RECEIVER)
    assert not can_act(receiver, dept, Role.APPROVER)
    assert not can_act(receiver, other, Role.RECEIVER)
    assert can_act(admin, dept, Role.APPROVER)


def test_inactive_officer_sees_nothing(tree):
    city, dept, unit, other = tree
    officer = factories.officer(agencies_roles=[(dept, Role.PROCESSOR)], is_active=False)
    assert agency_ids_for(officer) == set()
    assert not can_act(officer, dept)
