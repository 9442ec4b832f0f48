"""Demo catalogue: about 100 datasets of the city's departments, half of them open, with
small real-looking Hải Phòng tables (wards, schools, health stations, bus routes, markets,
budgets, indicators). Numbers are invented but deterministic; place names are the real
post-2025 wards from core. Big tables belong to the benchmark, not here.

Idempotent: a dataset that exists is left alone, so a second run creates nothing.
"""

import random
from datetime import date

from django.utils import translation

from civicport.core.models import Agency, Ward
from civicport.datahub import actions
from civicport.datahub.models import Access, Dataset, Frequency

YEARS = (2023, 2024, 2025)
BUS_ROUTES = [
    ("01", "Bến xe Cầu Rào", "Bến xe Đồ Sơn", 24.5), ("02", "Bến xe Lạc Long", "Đình Vũ", 16.8),
    ("03", "Bến xe Niệm Nghĩa", "Bến xe Thủy Nguyên", 21.0),
    ("04", "Bến xe Cầu Rào", "Bến xe Kiến Thụy", 19.2), ("05", "Ga Hải Phòng", "Cát Bà", 48.0),
    ("06", "Bến xe Lạc Long", "An Lão", 22.4), ("07", "Bến xe Thượng Lý", "Tiên Lãng", 31.6),
    ("08", "Bến xe Niệm Nghĩa", "Vĩnh Bảo", 38.9), ("09", "Bến xe Cầu Rào", "Hải Dương", 52.3),
    ("10", "Sân bay Cát Bi", "Trung tâm thành phố", 7.5),
    ("11", "Bến xe Hải Dương", "Chí Linh", 33.1), ("12", "Bến xe Hải Dương", "Kinh Môn", 29.7),
]
MARKETS = ["Chợ Sắt", "Chợ Đổ", "Chợ Cát Bi", "Chợ An Dương", "Chợ Hàng", "Chợ Tam Bạc",
           "Chợ Lương Văn Can", "Chợ Đôn", "Chợ Núi Đèo", "Chợ Kiến An", "Chợ Mới Hải Dương",
           "Chợ Thanh Hà", "Chợ Cát Bà", "Chợ Vĩnh Bảo", "Chợ Tiên Lãng"]


def _wards() -> list[Ward]:
    return list(Ward.objects.order_by("code"))


def _ward_table(rng, wards):
    columns = [("ma", "Mã đơn vị"), ("ten", "Tên đơn vị"), ("loai", "Loại"),
               ("dan_so", "Dân số"), ("dien_tich", "Diện tích (km2)")]
    rows = [[w.code, w.name, w.get_kind_display(), f"{rng.randint(8, 95) * 1000:,}"
             .replace(",", "."), f"{rng.uniform(3, 60):.2f}".replace(".", ",")] for w in wards]
    return columns, rows


def _schools(rng, wards):
    columns = [("ten", "Tên trường"), ("cap", "Cấp học"), ("phuong_xa", "Phường, xã"),
               ("hoc_sinh", "Số học sinh"), ("lop", "Số lớp")]
    rows = []
    for w in wards[:60]:
        place = w.name.split(" ", 1)[-1]
        for level in ("Tiểu học", "THCS"):
            pupils = rng.randint(300, 1500)
            rows.append([f"Trường {level} {place}", level, w.name, pupils, pupils // 35])
    return columns, rows


def _health(rng, wards):
    columns = [("ten", "Tên trạm"), ("phuong_xa", "Phường, xã"), ("bac_si", "Số bác sĩ"),
               ("giuong", "Số giường"), ("dien_thoai", "Điện thoại")]
    rows = [[f"Trạm Y tế {w.name}", w.name, rng.randint(1, 5), rng.randint(3, 12),
             f"0225{rng.randint(3000000, 3999999)}"] for w in wards]
    return columns, rows


def _bus(rng, wards):
    columns = [("so_hieu", "Số hiệu tuyến"), ("diem_dau", "Điểm đầu"), ("diem_cuoi", "Điểm cuối"),
               ("cu_ly", "Cự ly (km)"), ("tan_suat", "Tần suất (phút/chuyến)"),
               ("gia_ve", "Giá vé (đồng)")]
    rows = [[code, start, end, f"{km:.1f}".replace(".", ","),
             rng.choice([10, 15, 20, 30]), rng.choice([7000, 9000, 12000, 20000])]
            for code, start, end, km in BUS_ROUTES]
    return columns, rows


def _markets(rng, wards):
    columns = [("ten", "Tên chợ"), ("phuong_xa", "Phường, xã"), ("hang", "Hạng chợ"),
               ("ho_kinh_doanh", "Số hộ kinh doanh")]
    rows = [[name, rng.choice(wards).name, rng.choice(["1", "2", "3"]), rng.randint(80, 900)]
            for name in MARKETS]
    return columns, rows


def _monthly(rng, wards, year=2024, unit="Tỷ đồng"):
    columns = [("thang", "Tháng"), ("chi_tieu", "Chỉ tiêu"), ("gia_tri", f"Giá trị ({unit})"),
               ("ngay_cap_nhat", "Ngày cập nhật")]
    rows = [[f"{m:02d}/{year}", "Thực hiện", f"{rng.uniform(100, 5000):.1f}".replace(".", ","),
             date(year, m, 28).strftime("%d/%m/%Y")] for m in range(1, 13)]
    return columns, rows


BUILDERS = {"wards": _ward_table, "schools": _schools, "health": _health, "bus": _bus,
            "markets": _markets, "monthly": _monthly}

# (department code, title, tags, builder, frequency)
THEMES = [
    ("000.00.02.H31", "Danh sách đơn vị hành chính cấp xã", ["hành chính", "phường xã"], "wards",
     Frequency.YEARLY),
    ("000.00.07.H31", "Danh sách trường tiểu học và trung học cơ sở", ["giáo dục", "trường học"],
     "schools", Frequency.YEARLY),
    ("000.00.08.H31", "Danh sách trạm y tế phường, xã", ["y tế"], "health", Frequency.YEARLY),
    ("000.00.04.H31", "Tuyến xe buýt nội thành và liên huyện", ["giao thông", "xe buýt"], "bus",
     Frequency.QUARTERLY),
    ("000.00.09.H31", "Danh sách chợ trên địa bàn thành phố", ["thương mại", "chợ"], "markets",
     Frequency.YEARLY),
]
MONTHLY = [
    ("000.00.03.H31", "Thu ngân sách nhà nước", ["tài chính", "ngân sách"]),
    ("000.00.03.H31", "Chi ngân sách địa phương", ["tài chính", "ngân sách"]),
    ("000.00.05.H31", "Chất lượng không khí", ["môi trường", "không khí"]),
    ("000.00.05.H31", "Sản lượng thủy sản", ["nông nghiệp", "thủy sản"]),
    ("000.00.06.H31", "Dịch vụ công trực tuyến phát sinh hồ sơ", ["chuyển đổi số"]),
    ("000.00.09.H31", "Kim ngạch xuất khẩu", ["công thương", "xuất khẩu"]),
    ("000.00.10.H31", "Lượt khách du lịch", ["du lịch"]),
    ("000.00.04.H31", "Cấp giấy phép xây dựng", ["xây dựng"]),
    ("000.00.08.H31", "Số ca khám chữa bệnh", ["y tế"]),
    ("000.00.07.H31", "Tuyển sinh đầu cấp", ["giáo dục"]),
    ("000.00.02.H31", "Biên chế công chức, viên chức", ["nội vụ"]),
    ("000.00.11.H31", "Trợ giúp pháp lý", ["tư pháp"]),
    ("000.00.01.H31", "Văn bản chỉ đạo điều hành", ["điều hành"]),
    ("000.00.12.H31", "Vốn đầu tư nước ngoài đăng ký", ["đầu tư", "FDI"]),
    ("000.00.05.H31", "Lượng mưa và mực nước sông", ["môi trường", "thủy văn"]),
    ("000.00.06.H31", "Phổ cập Wi-Fi công cộng", ["chuyển đổi số", "hạ tầng"]),
    ("000.00.09.H31", "Chỉ số giá tiêu dùng", ["thống kê", "giá cả"]),
    ("000.00.10.H31", "Doanh thu du lịch", ["du lịch"]),
    ("000.00.04.H31", "Tai nạn giao thông", ["giao thông"]),
    ("000.00.08.H31", "Tiêm chủng mở rộng", ["y tế"]),
    ("000.00.03.H31", "Đăng ký doanh nghiệp mới", ["doanh nghiệp"]),
    ("000.00.05.H31", "Thu gom rác thải sinh hoạt", ["môi trường"]),
    ("000.00.02.H31", "Giải quyết việc làm", ["lao động"]),
    ("000.00.07.H31", "Kết quả thi tốt nghiệp", ["giáo dục"]),
    ("000.00.11.H31", "Đăng ký hộ tịch", ["tư pháp", "hộ tịch"]),
    ("000.00.12.H31", "Doanh nghiệp trong khu công nghiệp", ["đầu tư"]),
    ("000.00.01.H31", "Tiếp công dân", ["điều hành"]),
    ("000.00.06.H31", "Thuê bao băng rộng cố định", ["chuyển đổi số"]),
    ("000.00.09.H31", "Sản lượng điện tiêu thụ", ["năng lượng"]),
    ("000.00.10.H31", "Sự kiện văn hóa, thể thao", ["văn hóa"]),
]


def demo(scale: int = 1) -> str:
    with translation.override("vi"):
        return _demo()


def _demo() -> str:
    departments = {a.code: a for a in Agency.objects.filter(kind=Agency.Kind.DEPARTMENT)}
    if not departments:
        return "no departments: run the core reference seed first"
    fallback = sorted(departments.values(), key=lambda a: a.code)
    wards = _wards()
    created = 0
    specs = [(code, title, tags, builder, frequency, None)
             for code, title, tags, builder, frequency in THEMES]
    specs += [(code, f"{title} năm {year}", tags, "monthly", Frequency.MONTHLY, year)
              for code, title, tags in MONTHLY for year in YEARS]
    for index, (code, title, tags, builder, frequency, year) in enumerate(specs):
        publisher = departments.get(code) or fallback[index % len(fallback)]
        # Half open; the rest shared with all agencies, a few restricted.
        access = Access.OPEN if index % 2 == 0 or index < len(THEMES) else (
            Access.RESTRICTED if index % 7 == 0 else Access.SHARED)
        created += _dataset(index, title, publisher, tags, builder, frequency, access, year,
                            wards)
    return f"{created} datasets created ({Dataset.objects.count()} in the catalogue)"


def _dataset(index, title, publisher, tags, builder, frequency, access, year, wards) -> int:
    from civicport.core.text import slugify

    slug = slugify(title, max_length=90)
    if Dataset.objects.filter(slug=slug).exists():
        return 0
    rng = random.Random(index)
    if builder == "wards" and not wards:
        return 0
    columns, rows = (BUILDERS[builder](rng, wards, year) if builder == "monthly"
                     else BUILDERS[builder](rng, wards))
    description = (f"{title} do {publisher.name} công bố. Dữ liệu cập nhật "
                   f"{Frequency(frequency).label}, theo Nghị định 47/2020/NĐ-CP về quản lý, "
                   "kết nối và chia sẻ dữ liệu số của cơ quan nhà nước.")
    actions.table_publish(slug=slug, title=title, publisher=publisher, columns=columns,
                          rows=rows, description=description, tags=tags, access=access)
    dataset = Dataset.objects.get(slug=slug)
    dataset.frequency = frequency
    dataset.contact_name = publisher.short_name or publisher.name
    if year:
        dataset.temporal_start, dataset.temporal_end = date(year, 1, 1), date(year, 12, 31)
    dataset.save(update_fields=["frequency", "contact_name", "temporal_start", "temporal_end"])
    if builder in ("wards", "health"):
        dataset.wards.set(wards)
    return 1
