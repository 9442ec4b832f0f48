"""Builders for datahub tests: tables in every encoding, published datasets."""

from civicport.datahub import actions
from civicport.datahub.encodings import encode_cp1258, encode_tcvn3, encode_vni

WARDS_HEADER = ["Mã phường", "Tên phường", "Dân số", "Diện tích (ha)", "Ngày thành lập"]
WARDS_ROWS = [
    ["31135", "Phường Hồng Bàng", "1.234.567", "12,5", "01/07/2025"],
    ["31136", "Phường Lê Chân", "98.765", "7,25", "01/07/2025"],
    ["31137", "Xã Kiến Thụy", "45.000", "30,75", "01/07/2025"],
    ["31138", "Đặc khu Bạch Long Vĩ", "1.000", "3,1", "15/08/2025"],
    ["31139", "Phường Thủy Nguyên", "120.300", "20,0", "01/07/2025"],
]


def table_text(header=WARDS_HEADER, rows=WARDS_ROWS, delimiter=",") -> str:
    lines = [delimiter.join(header)] + [
        delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in rows
    ]
    return "\r\n".join(lines) + "\r\n"


def encoded(text: str, encoding: str) -> bytes:
    return {
        "utf-8": lambda t: t.encode(),
        "utf-8-sig": lambda t: t.encode("utf-8-sig"),
        "cp1258": encode_cp1258,
        "tcvn3": encode_tcvn3,
        "vni": encode_vni,
    }[encoding](text)


def publish_wards(*, publisher, slug="phuong-xa", access="open", rows=WARDS_ROWS):
    return actions.table_publish(
        slug=slug, title="Danh sách phường, xã", publisher=publisher,
        columns=[("ma", "Mã phường"), ("ten", "Tên phường"), ("dan_so", "Dân số"),
                 ("dien_tich", "Diện tích (ha)"), ("ngay", "Ngày thành lập")],
        rows=rows, description="Các đơn vị hành chính cấp xã của Hải Phòng", tags=["hành chính"],
        access=access,
    )
