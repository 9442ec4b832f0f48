import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicport.core.auth import api_token_user
from civicport.core.models import ApiToken


@pytest.mark.django_db
def test_token_create_prints_once_and_stores_only_a_hash(make_user):
    user = make_user(username="an", phone="0912345678")
    out = io.StringIO()
    call_command("token", "create", "--user", "0912345678", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("cvp_") and len(token) > 40
    row = ApiToken.objects.get()
    assert token not in (row.digest, row.prefix) and row.prefix == token[:12]
    assert api_token_user(token) == user


@pytest.mark.django_db
def test_token_for_unknown_user_fails(make_user):
    with pytest.raises(CommandError):
        call_command("token", "create", "--user", "nobody")


@pytest.mark.django_db
def test_revoked_or_inactive_tokens_do_not_authenticate(make_user):
    from django.utils import timezone

    from civicport.core.auth import api_token_create

    user = make_user(username="an")
    row, token = api_token_create(user=user)
    row.revoked_at = timezone.now()
    row.save()
    assert api_token_user(token) is None
    _, token2 = api_token_create(user=user)
    user.is_active = False
    user.save()
    assert api_token_user(token2) is None
    assert api_token_user("cvp_forged") is None
    assert api_token_user("") is None
