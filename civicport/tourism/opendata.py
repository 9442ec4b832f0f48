"""The venue list as open data through the datahub: a table (CSV) and the map's GeoJSON.

The datahub is another app built alongside this one; it is imported inside the function so
the tourism app works (and its own open-data endpoints serve) when the datahub is missing.
"""

from importlib import import_module

from civicport.tourism import queries
from civicport.tourism.permissions import tourism_agency

TABLE_SLUG = "dia-diem-am-thuc-hai-phong"
GEOJSON_SLUG = "ban-do-am-thuc-hai-phong"
LABELS = {
    "id": "Mã", "name": "Tên quán", "address": "Địa chỉ", "ward_code": "Mã phường/xã",
    "ward": "Phường/xã", "lat": "Vĩ độ", "lon": "Kinh độ", "opening_hours": "Giờ mở cửa",
    "price_min_vnd": "Giá thấp nhất (đồng)", "price_max_vnd": "Giá cao nhất (đồng)",
    "dishes": "Món ăn và giá", "rating": "Điểm đánh giá", "reviews": "Số đánh giá",
    "phone": "Điện thoại", "website": "Trang web", "tags": "Nhãn", "demo": "Dữ liệu mẫu",
}


class DatahubMissing(RuntimeError):
    pass


class NothingToPublish(RuntimeError):
    pass


def venues_publish(*, actor=None) -> list[str]:
    """Publish (or re-publish; unchanged content is not a new version) both datasets."""
    try:
        datahub = import_module("civicport.datahub.actions")
    except ImportError as exc:
        raise DatahubMissing(str(exc)) from exc
    if not hasattr(datahub, "table_publish") or not hasattr(datahub, "file_publish"):
        raise DatahubMissing("civicport.datahub.actions has no table_publish/file_publish")
    publisher = tourism_agency()
    if publisher is None:
        raise DatahubMissing("the tourism department agency is not loaded (civicport seed)")
    columns, rows = queries.open_dataset_rows()
    if not rows:
        raise NothingToPublish("there are no published venues yet")
    tags = ("ẩm thực", "du lịch", "food tour", "Hải Phòng")
    table = datahub.table_publish(
        slug=TABLE_SLUG, title="Địa điểm ẩm thực Food tour Hải Phòng", publisher=publisher,
        columns=[(c, LABELS[c]) for c in columns], rows=rows, tags=tags, actor=actor,
        description="Danh sách quán ăn trên Bản đồ số Food tour Hải Phòng: địa chỉ, toạ độ, "
                    "giờ mở cửa (cú pháp OpenStreetMap), món ăn và giá, điểm đánh giá.")
    _version, body = queries.map_geojson()
    geo = datahub.file_publish(
        slug=GEOJSON_SLUG, title="Bản đồ ẩm thực Hải Phòng (GeoJSON)", publisher=publisher,
        filename="dia-diem-am-thuc.geojson", content=body, media_type="application/geo+json",
        tags=tags, actor=actor,
        description="Các quán ăn dạng điểm GeoJSON; thuộc tính n = tên, r = điểm, "
                    "c = số đánh giá, p = mức giá 1–4.")
    return [f"{TABLE_SLUG}: {table}", f"{GEOJSON_SLUG}: {geo}"]
