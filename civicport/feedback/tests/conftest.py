"""Fixtures of the feedback tests: reference data in every database test, a private data dir,
and small builders."""

import io

import pytest
from PIL import Image

from civicport.core.calendar import clear_calendar_cache

_DB_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences")


@pytest.fixture(autouse=True)
def reference_data(request):
    """Units, agencies and the feedback catalogue, loaded inside each test that uses the
    database (its transaction or flush removes them again). Not once per session: data
    committed outside the tests outlives them and breaks other apps' tests in the same run."""
    uses_db = request.node.get_closest_marker("django_db") or any(
        name in request.fixturenames for name in _DB_FIXTURES
    )
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    from civicport.core import seeding as core_seeding
    from civicport.feedback import seeding

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
