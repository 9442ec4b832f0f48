"""Demo data of the food-tour map: about 60 Hải Phòng venues per scale step, two tours,
a staff account, a venue owner and a few reviews.

Every venue is marked `is_demo` and says so in its description: the streets, wards and dishes
are real Hải Phòng ones, the venues are invented. Venues are written in bulk (venues, dishes,
weekly intervals, search words) so `seed --demo --scale 167` makes ~10,000 in seconds.
Idempotent: a second run finds the demo venues there and creates nothing.
"""

import random

from django.contrib.auth.hashers import make_password

from civicport.core.models import Membership, Role, SearchEntry, User, UserKind, Ward
from civicport.core.search import index_words
from civicport.core.seeding import DEMO_PASSWORD
from civicport.tourism import hours
from civicport.tourism.actions import DISH_SCOPE, VENUE_SCOPE, rating_refresh
from civicport.tourism.mapversion import map_version_bump
from civicport.tourism.models import (
    Dish,
    OpenInterval,
    Review,
    Tour,
    TourStop,
    Venue,
)
from civicport.tourism.permissions import tourism_agency

PER_SCALE = 60
STAFF_USERNAME = "dulich"
OWNER_USERNAME = "0900000020"

# (street, ward, lat, lon): real streets of the central wards, Đồ Sơn, Cát Bà, Hải Dương.
STREETS = [
    ("Cầu Đất", "Phường Ngô Quyền", 20.8580, 106.6880),
    ("Lê Lợi", "Phường Ngô Quyền", 20.8600, 106.6930),
    ("Lạch Tray", "Phường Gia Viên", 20.8470, 106.6960),
    ("Văn Cao", "Phường Gia Viên", 20.8450, 106.7060),
    ("Đà Nẵng", "Phường Đông Hải", 20.8620, 106.7120),
    ("Điện Biên Phủ", "Phường Hồng Bàng", 20.8630, 106.6840),
    ("Hoàng Văn Thụ", "Phường Hồng Bàng", 20.8620, 106.6810),
    ("Quang Trung", "Phường Hồng Bàng", 20.8590, 106.6800),
    ("Tam Bạc", "Phường Hồng Bàng", 20.8610, 106.6760),
    ("Tô Hiệu", "Phường Lê Chân", 20.8520, 106.6780),
    ("Hàng Kênh", "Phường Lê Chân", 20.8460, 106.6830),
    ("Đình Đông", "Phường An Biên", 20.8540, 106.6740),
    ("Cát Cụt", "Phường An Biên", 20.8560, 106.6800),
    ("Trần Nguyên Hãn", "Phường An Biên", 20.8500, 106.6700),
    ("Lê Hồng Phong", "Phường Hải An", 20.8390, 106.7150),
    ("Trần Thành Ngọ", "Phường Kiến An", 20.8100, 106.6300),
    ("Lý Thánh Tông", "Phường Đồ Sơn", 20.7110, 106.7830),
    ("Núi Ngọc", "Đặc khu Cát Hải", 20.7270, 107.0480),
    ("Trần Hưng Đạo", "Phường Hải Dương", 20.9400, 106.3310),
]

# (dish, typical price VND, related dishes served alongside)
DISHES = [
    ("Bánh đa cua", 35_000, [("Chả lá lốt", 10_000), ("Bánh đa cua chả cá", 45_000)]),
    ("Bánh mì cay", 3_000, [("Bánh mì pate", 5_000), ("Sữa đậu nành", 10_000)]),
    ("Nem cua bể", 60_000, [("Bún chả nem cua bể", 55_000), ("Bánh đa cua", 35_000)]),
    ("Lẩu cua đồng", 250_000, [("Bánh đa đỏ", 15_000), ("Rau muống", 20_000)]),
    ("Bánh bèo", 25_000, [("Bánh đúc nóng", 25_000), ("Bánh giò", 20_000)]),
    ("Bánh đúc tàu", 20_000, [("Chè Sài Gòn", 20_000)]),
    ("Sứa đỏ", 40_000, [("Bún sứa", 40_000), ("Trà đá", 5_000)]),
    ("Cháo cá", 35_000, [("Cháo cá rô", 40_000), ("Quẩy", 5_000)]),
    ("Bánh gối", 10_000, [("Bánh rán", 8_000), ("Bánh khoai", 8_000)]),
    ("Ốc", 80_000, [("Ốc hương xào bơ tỏi", 120_000), ("Ốc mỡ luộc", 70_000)]),
    ("Bún cá cay", 40_000, [("Bún cá ngọt", 40_000)]),
    ("Bún tôm", 50_000, [("Chả lá lốt", 10_000)]),
    ("Chè Hải Phòng", 20_000, [("Chè bà cốt", 20_000), ("Sữa chua mít", 25_000)]),
    ("Tôm sú hấp", 350_000, [("Ghẹ hấp", 300_000), ("Cá song hấp", 450_000)]),
    ("Bánh đa cá rô", 40_000, [("Bánh gai Ninh Giang", 10_000)]),
]

HOURS = [
    "Mo-Su 06:00-22:00; PH off",
    "Mo-Su 06:30-11:00,16:00-21:30",
    "Mo-Fr 06:00-22:00; Sa,Su 07:00-23:00",
    "Mo-Su 15:00-23:30",
    "Mo-Su 17:00-02:00; PH off",
    "24/7",
    "Mo-Sa 06:00-14:00; Su off; PH off",
    "Mo-Su 10:00-14:00,17:00-22:00; PH 10:00-22:00",
    "Tu-Su 16:00-23:00",
    "May-Sep Mo-Su 09:00-23:00; Oct-Apr Mo-Su 10:00-21:00",
]
TAGS = [["bình dân", "vỉa hè"], ["gia đình"], ["hải sản"], ["ăn đêm"], ["ăn sáng"],
        ["có chỗ đỗ ô tô"], ["món quà"]]


def demo(scale: int = 1) -> str:
    staff = _staff_account()
    target = PER_SCALE * max(1, scale)
    existing = Venue.objects.filter(is_demo=True).count()
    created = _venues(existing, target - existing) if existing < target else 0
    owner = _owner_account()
    tours = _tours()
    reviews = _reviews()
    return (f"{created} demo venues ({existing + created} in all), {tours} tours, "
            f"{reviews} reviews; staff account {staff!r}, owner {owner!r} "
            f"(password {DEMO_PASSWORD})")


def _staff_account() -> str:
    agency = tourism_agency()
    user, _created = User.objects.get_or_create(
        username=STAFF_USERNAME,
        defaults={"full_name": "Cán bộ Sở Văn hóa, Thể thao và Du lịch", "kind": UserKind.OFFICER,
                  "password": make_password(DEMO_PASSWORD)})
    if agency:
        Membership.objects.get_or_create(user=user, agency=agency, role=Role.PROCESSOR)
    return STAFF_USERNAME


def _owner_account() -> str:
    """A demo citizen (core's last one at scale 1) owns the first demo venue and may answer
    its reviews; no extra account, so core's account counts stay as they are."""
    user = User.objects.filter(username=OWNER_USERNAME).first()
    first = Venue.objects.filter(is_demo=True).order_by("id").first()
    if user and first and first.owner_id is None:
        Venue.objects.filter(pk=first.pk).update(owner=user)
    return OWNER_USERNAME


def _spec(n: int, wards: dict[str, Ward]) -> dict:
    """The n-th demo venue, deterministically (the first 60 cycle dishes and streets)."""
    rng = random.Random(n)
    dish, price, extras = DISHES[n % len(DISHES)]
    street, ward_name, lat, lon = STREETS[(n * 7 + n // len(DISHES)) % len(STREETS)]
    number = 1 + (n * 37) % 240
    suffix = f" {n // PER_SCALE + 1}" if n >= PER_SCALE else ""
    menu = [(dish, price), *extras]
    return {
        "name": f"{dish} {street}{suffix}",
        "address": f"Số {number} {street}",
        "ward": wards.get(ward_name) or next(iter(wards.values())),
        # a few hundred metres around the street's point, so markers do not sit on each other
        "lat": round(lat + rng.uniform(-0.004, 0.004), 6),
        "lon": round(lon + rng.uniform(-0.004, 0.004), 6),
        "opening_hours": HOURS[(n * 3) % len(HOURS)],
        "dishes": [(name, int(p * rng.choice((0.9, 1, 1.1, 1.2)) // 1000 * 1000 or p))
                   for name, p in menu],
        "tags": TAGS[n % len(TAGS)],
        "phone": f"0225 3{n % 1000:03d} {(n * 13) % 1000:03d}",
    }


def _venues(start: int, count: int) -> int:
    wards = {w.name: w for w in Ward.objects.filter(name__in={s[1] for s in STREETS})}
    if not wards:
        return 0
    specs = [_spec(n, wards) for n in range(start, start + count)]
    note = "Dữ liệu mẫu (demo): quán ăn giả định trên phố có thật."
    venues = Venue.objects.bulk_create([
        Venue(name=s["name"], address=s["address"], ward=s["ward"], lat=s["lat"], lon=s["lon"],
              opening_hours=s["opening_hours"], description=note, tags=s["tags"],
              phone=s["phone"], is_demo=True,
              hours_seasonal=hours.parse(s["opening_hours"]).date_bound,
              price_min=min(p for _n, p in s["dishes"]),
              price_max=max(p for _n, p in s["dishes"]))
        for s in specs], batch_size=2000)
    dishes, intervals, words = [], [], []
    for venue, spec in zip(venues, specs, strict=True):
        dishes += [Dish(venue=venue, name=name, price=price, position=i)
                   for i, (name, price) in enumerate(spec["dishes"])]
        schedule = hours.parse(spec["opening_hours"])
        if not schedule.date_bound:
            intervals += [OpenInterval(venue=venue, weekday=w, holiday=h, month=m, start=s,
                                       end=e)
                          for w, h, m, s, e in hours.weekly_intervals(schedule)]
        names = [name for name, _p in spec["dishes"]]
        words += [SearchEntry(scope=VENUE_SCOPE, object_id=venue.pk, word=w) for w in
                  index_words(venue.name, venue.address, venue.ward.name, *names, *venue.tags)]
        words += [SearchEntry(scope=DISH_SCOPE, object_id=venue.pk, word=w)
                  for w in index_words(*names)]
    Dish.objects.bulk_create(dishes, batch_size=5000)
    OpenInterval.objects.bulk_create(intervals, batch_size=5000)
    SearchEntry.objects.bulk_create(words, batch_size=5000)
    map_version_bump()
    return len(venues)


def _tours() -> int:
    plans = [
        ("pho-co-hai-phong", "Một ngày ăn quanh phố cũ Hải Phòng",
         "Từ bánh mì cay buổi sáng đến chè và ốc buổi tối, đi bộ quanh khu phố cũ.",
         ["Bánh mì cay", "Bánh đa cua", "Nem cua bể", "Bánh bèo", "Chè Hải Phòng", "Ốc"]),
        ("hai-san-bien", "Hải sản và đặc sản miền biển",
         "Sứa đỏ, cháo cá, bún cá cay và hải sản hấp.",
         ["Sứa đỏ", "Cháo cá", "Bún cá cay", "Tôm sú hấp"]),
    ]
    created = 0
    for slug, name, description, dishes in plans:
        tour, is_new = Tour.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "is_demo": True})
        if not is_new:
            continue
        created += 1
        for position, dish in enumerate(dishes, start=1):
            venue = Venue.objects.filter(is_demo=True, dishes__name=dish, dishes__position=0,
                                         ward__name__in=["Phường Ngô Quyền", "Phường Hồng Bàng",
                                                         "Phường Lê Chân", "Phường An Biên",
                                                         "Phường Gia Viên", "Phường Đồ Sơn",
                                                         "Phường Đông Hải"]
                                         ).order_by("id").first()
            if venue:
                TourStop.objects.create(tour=tour, venue=venue, position=position, note=dish)
    return created


def _reviews() -> int:
    """A few reviews by demo citizens on the first venues; aggregates recounted."""
    texts = [(5, "Nước dùng đậm đà, cua rất tươi, giá hợp lý."),
             (4, "Ngon, phục vụ nhanh nhưng hơi đông vào buổi sáng."),
             (3, "Bình thường, chỗ ngồi hơi chật."),
             (5, "Đúng vị Hải Phòng, sẽ quay lại!")]
    citizens = list(User.objects.filter(kind=UserKind.CITIZEN, username__startswith="09")
                    .order_by("username")[:4])
    venues = list(Venue.objects.filter(is_demo=True).order_by("id")[:12])
    new = []
    for i, venue in enumerate(venues):
        for j, user in enumerate(citizens[: 1 + i % 4]):
            if not Review.objects.filter(venue=venue, user=user).exists():
                rating, text = texts[(i + j) % len(texts)]
                new.append(Review(venue=venue, user=user, rating=rating, text=text))
    Review.objects.bulk_create(new)
    for venue in venues:
        rating_refresh(venue.pk)
    if new:
        map_version_bump()
    return len(new)
