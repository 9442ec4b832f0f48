"""Where the city is: a point-in-city test and distances, for pins on maps.

The outline is a deliberately generous hand-simplified polygon of Hải Phòng as merged on
1 July 2025 (old Hải Phòng, old Hải Dương, Cát Bà) plus a box around Bạch Long Vĩ. It is
meant to reject pins that are plainly elsewhere (Hà Nội, Hạ Long, a swapped lat/lon), not to
decide ward boundaries: a point near the border is accepted. Coordinates are WGS 84.
"""

import math

from django.conf import settings

# (longitude, latitude) vertices, clockwise from the north of Chí Linh.
_MAINLAND = [
    (106.33, 21.26), (106.56, 21.16), (106.62, 21.07), (106.76, 21.03), (106.86, 20.97),
    (107.16, 20.86), (107.12, 20.64), (106.82, 20.62), (106.66, 20.56), (106.48, 20.57),
    (106.34, 20.66), (106.19, 20.70), (106.03, 20.84), (105.98, 21.00), (106.12, 21.16),
]
_BACH_LONG_VI = [(107.66, 20.09), (107.78, 20.09), (107.78, 20.18), (107.66, 20.18)]

OUTLINES = {31: [_MAINLAND, _BACH_LONG_VI]}
# A sensible map centre and zoom per province (Leaflet's initial view).
CENTRES = {31: (20.86, 106.55, 10)}

EARTH_RADIUS_M = 6_371_008.8


def _inside(polygon, lon: float, lat: float) -> bool:
    inside = False
    j = len(polygon) - 1
    for i, (xi, yi) in enumerate(polygon):
        xj, yj = polygon[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def point_in_city(lat: float, lon: float, province_code: int | None = None) -> bool:
    """True when (lat, lon) lies in the configured province's outline.

    A province without an outline accepts any valid coordinate (a new deployment is not
    locked out before someone draws its outline).
    """
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        return False
    outlines = OUTLINES.get(province_code or settings.CIVICPORT_PROVINCE)
    if outlines is None:
        return True
    return any(_inside(polygon, lon, lat) for polygon in outlines)


def city_centre(province_code: int | None = None) -> tuple[float, float, int]:
    """(lat, lon, zoom) to open a map of the city at."""
    return CENTRES.get(province_code or settings.CIVICPORT_PROVINCE, (16.0, 106.0, 6))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) around a point: the indexed pre-filter for
    "within radius_m" before the exact distance_m test."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
