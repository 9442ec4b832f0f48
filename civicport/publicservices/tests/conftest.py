"""Fixtures shared by the public-services tests."""

import pytest

from civicport.core.calendar import calendar_seed, clear_calendar_cache


@pytest.fixture
def calendar(db):
    """Deadlines counted with the make-up working days seeded, and no cache left behind."""
    calendar_seed()
    yield
    clear_calendar_cache()


@pytest.fixture
def media(settings, tmp_path):
    """A temporary default storage. STORAGES names its location explicitly, so overriding
    MEDIA_ROOT alone would not move it."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    settings.MEDIA_ROOT = root
    return root
