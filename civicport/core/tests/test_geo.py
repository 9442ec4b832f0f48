import pytest

from civicport.core.geo import bounding_box, city_centre, distance_m, point_in_city


@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [
        ("Nhà hát lớn Hải Phòng", 20.8590, 106.6830),
        ("Đồ Sơn", 20.7160, 106.7860),
        ("Cát Bà town", 20.7270, 107.0480),
        ("Hải Dương city centre", 20.9390, 106.3300),
        ("Chí Linh", 21.1300, 106.3900),
        ("Thanh Miện", 20.7900, 106.2300),
        ("Bạch Long Vĩ", 20.1340, 107.7270),
    ],
)
def test_places_in_the_merged_city_are_inside(name, lat, lon):
    assert point_in_city(lat, lon, 31), name


@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [
        ("Hà Nội, Hoàn Kiếm", 21.0285, 105.8542),
        ("Hạ Long", 20.9500, 107.0700),
        ("Thái Bình", 20.4500, 106.3400),
        ("Swapped lat/lon of the opera house", 106.6830, 20.8590),
        ("Null island", 0.0, 0.0),
    ],
)
def test_places_elsewhere_are_outside(name, lat, lon):
    assert not point_in_city(lat, lon, 31), name


def test_nan_is_outside():
    assert not point_in_city(float("nan"), 106.6, 31)


def test_province_without_outline_accepts_valid_points():
    assert point_in_city(10.77, 106.70, 79)
    assert not point_in_city(95.0, 106.70, 79)


def test_distance_and_box_agree():
    # Opera house to Cầu Rào bridge, about 3 km.
    d = distance_m(20.8590, 106.6830, 20.8340, 106.6710)
    assert 2_900 < d < 3_200
    lat0, lat1, lon0, lon1 = bounding_box(20.8590, 106.6830, 250)
    assert distance_m(20.8590, 106.6830, lat1, 106.6830) == pytest.approx(250, rel=1e-3)
    assert distance_m(20.8590, 106.6830, 20.8590, lon1) == pytest.approx(250, rel=1e-3)
    assert lat0 < 20.8590 < lat1 and lon0 < 106.6830 < lon1


def test_city_centre_is_in_the_city():
    lat, lon, zoom = city_centre(31)
    assert point_in_city(lat, lon, 31) and 5 <= zoom <= 18
