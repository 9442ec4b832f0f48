"""Fixtures shared by every app's tests and the browser tests."""

import pytest


@pytest.fixture
def make_user(db, django_user_model):
    """Create a user; `password` defaults to one that passes the validators."""

    def make(username="citizen", password="Mat-khau-2025", **fields):
        user = django_user_model(username=username, **fields)
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture(autouse=True)
def _vietnamese_by_default(settings):
    # Tests read error messages in the default (Vietnamese) language unless they switch.
    settings.LANGUAGE_CODE = "vi"
