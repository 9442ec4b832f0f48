"""The map version: one counter row bumped in the transaction of every venue or rating change.

Every web process caches the map's GeoJSON and popular searches keyed by this version
(queries.py). Reading it is one primary-key query; a process trusts its last reading for
VERSION_TTL seconds, so under load most requests touch no database at all. The process that
makes a change forgets its reading at once; other processes see it within VERSION_TTL.
"""

import secrets
import time
from threading import Lock

from django.db import transaction
from django.db.models import F

from civicport.tourism.models import MapVersion

VERSION_TTL = 1.0
_lock = Lock()
_reading: list = [0.0, None]  # [monotonic time read, version]


def map_version() -> int:
    now = time.monotonic()
    with _lock:
        if _reading[1] is not None and now - _reading[0] < VERSION_TTL:
            return _reading[1]
    version = MapVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    with _lock:
        _reading[:] = [now, version]
    return version


def forget() -> None:
    with _lock:
        _reading[1] = None


def map_version_bump() -> None:
    """Invalidate every process's cached map and searches. A re-created row starts at a random
    version, so a restored or re-created database never meets a stale cache entry."""
    updated = MapVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        MapVersion.objects.get_or_create(pk=1, defaults={"version": secrets.randbelow(2**48)})
    forget()
    transaction.on_commit(forget)  # a reading taken before the commit is stale now
