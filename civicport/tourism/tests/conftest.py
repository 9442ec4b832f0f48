"""Fixtures of the tourism tests: wards, the tourism department with a staff officer, venues."""

import pytest

from civicport.core.calendar import calendar_seed, clear_calendar_cache
from civicport.core.models import Agency, Role, Ward
from civicport.core.tests import factories as core
from civicport.core.units import units_load
from civicport.tourism import actions
from civicport.tourism.permissions import TOURISM_AGENCY_CODE


@pytest.fixture
def wards(db):
    units_load()
    calendar_seed()
    yield {w.name: w for w in Ward.objects.all()}
    clear_calendar_cache()


@pytest.fixture
def staff(wards):
    department = core.agency(code=TOURISM_AGENCY_CODE, name="Sở Văn hóa, Thể thao và Du lịch",
                             kind=Agency.Kind.DEPARTMENT)
    return core.officer(agencies_roles=[(department, Role.PROCESSOR)])


@pytest.fixture
def make_venue(staff, wards):
    def make(name="Bánh đa cua Cầu Đất", hours="Mo-Su 06:00-22:00; PH off",
             dishes=(("Bánh đa cua", 35000), ("Chả lá lốt", 10000)), ward="Phường Ngô Quyền",
             lat=20.858, lon=106.688, **extra):
        return actions.venue_create(actor=staff, data={
            "name": name, "address": "Số 1 Cầu Đất", "ward": wards[ward], "lat": lat,
            "lon": lon, "opening_hours": hours,
            "dishes": [{"name": n, "price": p} for n, p in dishes], **extra})
    return make


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts without another test's cached map version, searches or map."""
    from civicport.tourism import hours, mapversion, queries

    hours.holiday_cache_clear()
    mapversion.forget()
    queries._search_cache.clear()
    queries._map_cache.clear()
    yield
    mapversion.forget()
