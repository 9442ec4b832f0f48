"""Fixtures of the feedback tests: reference data loaded once per session, a private data dir,
and small builders."""

import io

import pytest
from PIL import Image

from civicport.core.calendar import clear_calendar_cache


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Units, agencies and the feedback catalogue, once for the whole session (tests roll back
    their own changes on top of it)."""
    from civicport.core import seeding as core_seeding
    from civicport.feedback import seeding

    with django_db_blocker.unblock():
        core_seeding.reference()
        seeding.reference()


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Photos and the model go to a temporary data dir; caches from other tests are cleared."""
    from django.core.cache import cache

    settings.DATA_DIR = tmp_path
    clear_calendar_cache()
    cache.clear()
    yield tmp_path
    clear_calendar_cache()


def image_bytes(fmt="JPEG", size=(64, 48), exif_gps=False) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "SecretCam"  # Make
        exif[0x8825] = {1: "N", 2: (20.0, 50.0, 0.0)}  # GPSInfo
        kwargs["exif"] = exif
    image.save(out, fmt, **kwargs)
    return out.getvalue()


@pytest.fixture
def jpeg():
    return image_bytes
