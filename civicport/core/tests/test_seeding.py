import io

import pytest
from django.apps import apps
from django.core.management import call_command

from civicport.core.models import Agency, LegacyWard, MakeupWorkday, Membership, User, Ward


def _counts():
    return {
        model.__name__: model.objects.count() for model in apps.get_app_config("core").get_models()
    }


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    call_command("seed", "--demo", stdout=io.StringIO())
    first = _counts()
    call_command("seed", "--demo", stdout=io.StringIO())
    assert _counts() == first
    assert (Ward.objects.count(), LegacyWard.objects.count()) == (114, 374)
    assert Agency.objects.filter(kind="commune").count() == 114
    assert MakeupWorkday.objects.count() == 4
    assert User.objects.filter(username="xa.processor", memberships__role="processor").exists()
    assert Membership.objects.filter(user__username="so.approver").count() == 1


@pytest.mark.django_db
def test_scale_multiplies_demo_citizens():
    call_command("seed", "--scale", "3", stdout=io.StringIO())
    assert User.objects.filter(kind="citizen").count() == 60


@pytest.mark.django_db
def test_reference_only_creates_no_accounts():
    call_command("seed", stdout=io.StringIO())
    assert not User.objects.exists()
