"""Reference data (urgency levels, categories with their questions, routing rules) and demo
reports of the feedback app.

Demo scale: `civicport seed --demo --scale N` holds 300 × N reports spread over the last
min(365, 30 × N) days — scale 1 is a realistic month, scale 667 ≈ 200,000 reports over a year
(the benchmark). Reruns top up to the target and create nothing more (idempotent).
"""

import random
from datetime import timedelta
from functools import cache

from django.contrib.auth.hashers import make_password
from django.utils import timezone, translation

from civicport.core.geo import point_in_city
from civicport.core.models import Agency, Membership, Role, User, UserKind, Ward
from civicport.core.text import fold
from civicport.feedback.classifier import labelled_rows
from civicport.feedback.models import (
    Category,
    CategoryAttribute,
    Channel,
    Open311Key,
    Report,
    ReportEvent,
    RoutingRule,
    Status,
    Urgency,
    local_month,
)
from civicport.feedback.rules import sla_deadline

DEMO_REPORTS_PER_SCALE = 300
DEMO_OPEN311_KEY = "o311_demo_HaiPhong2025"  # published in docs/feedback.md: demo only
DEPARTMENT = {  # agency codes in core/data/agencies_31.json
    "xay_dung": "000.00.04.H31",
    "moi_truong": "000.00.05.H31",
    "y_te": "000.00.08.H31",
    "cong_an": "000.00.15.H31",
    "van_phong": "000.00.01.H31",
}

URGENCIES = [
    # code, name, amount, unit (iHanoi: urgent 4 working hours; Đà Nẵng: 3 working days)
    ("khan", "Khẩn", 4, Urgency.Unit.HOURS),
    ("binh-thuong", "Bình thường", 3, Urgency.Unit.DAYS),
    ("phuc-tap", "Phức tạp", 10, Urgency.Unit.DAYS),
]

YES_NO = [{"key": "co", "name": "Có"}, {"key": "khong", "name": "Không"}]
# code, name, group, keywords, urgency, department (None = the ward's committee), attributes
CATEGORIES = [
    ("chieu-sang", "Đèn chiếu sáng công cộng hỏng", "Hạ tầng đô thị",
     "đèn đường, chiếu sáng, cột đèn", "binh-thuong", "xay_dung",
     [("so-cot", "Số hiệu cột đèn (nếu thấy)", "string", False, []),
      ("nguy-hiem", "Có dây điện hở hoặc cột nghiêng nguy hiểm không?", "singlevaluelist",
       False, YES_NO)]),
    ("duong-hu-hong", "Đường, vỉa hè hư hỏng, ổ gà", "Hạ tầng đô thị",
     "ổ gà, mặt đường, vỉa hè, nắp cống", "binh-thuong", "xay_dung", []),
    ("rac-thai", "Rác thải, vệ sinh môi trường", "Môi trường",
     "rác, thu gom, phế thải", "binh-thuong", None, []),
    ("ngap-ung", "Ngập úng, thoát nước", "Hạ tầng đô thị",
     "ngập, cống, thoát nước, triều cường", "khan", "xay_dung",
     [("do-sau", "Độ sâu ngập ước tính", "singlevaluelist", False, [
         {"key": "duoi-20", "name": "Dưới 20 cm"}, {"key": "20-50", "name": "20–50 cm"},
         {"key": "tren-50", "name": "Trên 50 cm"}])]),
    ("tieng-on", "Tiếng ồn", "Trật tự", "karaoke, ồn ào, công trình đêm", "binh-thuong",
     None, [("khung-gio", "Khung giờ gây ồn", "string", False, [])]),
    ("xay-dung-trai-phep", "Xây dựng trái phép, sai phép", "Trật tự",
     "xây dựng không phép, lấn chiếm đất", "phuc-tap", None, []),
    ("den-giao-thong", "Đèn tín hiệu giao thông", "Giao thông", "đèn đỏ, đèn xanh, nút giao",
     "khan", "xay_dung", []),
    ("cay-xanh", "Cây xanh", "Hạ tầng đô thị", "cây đổ, cắt tỉa, chặt cây", "binh-thuong",
     "xay_dung", []),
    ("cap-nuoc", "Cấp nước sinh hoạt", "Hạ tầng đô thị", "mất nước, nước bẩn, vỡ ống",
     "binh-thuong", "xay_dung", []),
    ("o-nhiem", "Ô nhiễm môi trường", "Môi trường", "khói, bụi, nước thải, mùi hôi",
     "phuc-tap", "moi_truong", []),
    ("trat-tu-do-thi", "Trật tự đô thị, lấn chiếm vỉa hè", "Trật tự",
     "lấn chiếm, vỉa hè, hàng rong, quảng cáo", "binh-thuong", None, []),
    ("an-ninh", "An ninh trật tự", "Trật tự", "đua xe, trộm cắp, đánh bạc", "khan",
     "cong_an", []),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính", "Hành chính",
     "hồ sơ, một cửa, dịch vụ công", "binh-thuong", "van_phong",
     [("ma-ho-so", "Mã hồ sơ (nếu có)", "string", False, [])]),
    ("an-toan-thuc-pham", "An toàn thực phẩm", "Y tế", "ngộ độc, thực phẩm bẩn",
     "khan", "y_te", []),
]
# Places of the city (lat, lon) the demo scatters pins around.
DEMO_PLACES = [
    (20.8449, 106.6881), (20.8561, 106.6822), (20.8320, 106.7040), (20.8170, 106.6320),
    (20.7220, 106.7800), (20.9230, 106.6680), (20.9400, 106.3300), (21.0820, 106.3900),
    (20.7260, 106.9980), (20.6700, 106.4500),
]


def reference() -> str:
    with translation.override("vi"):
        return _reference()


def _reference() -> str:
    created = 0
    urgencies = {}
    for order, (code, name, amount, unit) in enumerate(URGENCIES):
        urgencies[code], new = Urgency.objects.get_or_create(
            code=code, defaults={"name": name, "sla_amount": amount, "sla_unit": unit,
                                 "order": order})
        created += new
    agencies = {key: Agency.objects.filter(code=code).first() for key, code in DEPARTMENT.items()}
    for order, (code, name, group, keywords, urgency, dept, attributes) in enumerate(CATEGORIES):
        category, new = Category.objects.get_or_create(code=code, defaults={
            "name": name, "group": group, "keywords": keywords, "order": order,
            "default_urgency": urgencies[urgency],
            "default_agency": agencies.get(dept) if dept else None,
            "description": name,
        })
        created += new
        for position, (acode, question, datatype, required, values) in enumerate(attributes, 1):
            CategoryAttribute.objects.get_or_create(category=category, code=acode, defaults={
                "description": question, "datatype": datatype, "required": required,
                "order": position, "values": values})
        target = agencies.get(dept) if dept else None
        RoutingRule.objects.get_or_create(category=category, ward=None, defaults={
            "agency": target, "to_ward_committee": target is None})
    return f"{created} urgency levels and categories created"


def demo(scale: int = 1) -> str:
    with translation.override("vi"):
        return _demo(max(1, scale))


def _demo_accounts() -> None:
    password = make_password("HaiPhong@2025")
    for username, code, role in (("xaydung.processor", DEPARTMENT["xay_dung"], Role.PROCESSOR),
                                 ("tongdai.1022", DEPARTMENT["van_phong"], Role.RECEIVER)):
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            continue
        user, _new = User.objects.get_or_create(username=username, defaults={
            "full_name": f"Cán bộ {agency.short_name or agency.name}", "kind": UserKind.OFFICER,
            "password": password})
        Membership.objects.get_or_create(user=user, agency=agency, role=role)
    if not Open311Key.objects.filter(name="Demo").exists():
        from civicport.feedback.actions import _key_digest

        Open311Key.objects.create(name="Demo", prefix=DEMO_OPEN311_KEY[:12],
                                  digest=_key_digest(DEMO_OPEN311_KEY))


def _demo(scale: int) -> str:
    _demo_accounts()
    target = DEMO_REPORTS_PER_SCALE * scale
    existing = Report.objects.filter(idempotency_key__startswith="demo-").count()
    if existing >= target:
        return "0 demo reports created"
    days = min(365, 30 * scale)
    categories = {c.code: c for c in Category.objects.select_related("default_urgency")}
    rules = {r.category_id: r for r in RoutingRule.objects.filter(ward__isnull=True)}
    committees = dict(Agency.objects.filter(kind=Agency.Kind.COMMUNE).values_list("ward_id", "id"))
    wards = list(Ward.objects.order_by("code").values_list("code", "name"))
    texts = [(code, text) for code, text in labelled_rows() if code in categories]
    now = timezone.now()
    rng = random.Random(2025)
    batch: list[Report] = []
    created = 0
    for i in range(target):
        values = _demo_values(rng, i, now, days, texts, wards)  # drawn for every i: stable
        if i < existing:
            continue
        category = categories[values.pop("code")]
        rule = rules.get(category.pk)
        agency_id = rule.agency_id if rule and rule.agency_id else committees.get(
            values["ward_id"])
        batch.append(_demo_report(values, category, agency_id, i, now))
        if len(batch) >= 5000:
            created += _flush(batch)
            batch = []
    created += _flush(batch)
    return f"{created} demo reports created ({target} for scale {scale} over {days} days)"


def _demo_values(rng, i, now, days, texts, wards) -> dict:
    code, text = texts[rng.randrange(len(texts))]
    lat0, lon0 = DEMO_PLACES[rng.randrange(len(DEMO_PLACES))]
    lat, lon = lat0 + rng.uniform(-0.02, 0.02), lon0 + rng.uniform(-0.02, 0.02)
    if not point_in_city(lat, lon):
        lat, lon = lat0, lon0
    ward_code, ward_name = wards[rng.randrange(len(wards))]
    age = timedelta(seconds=rng.uniform(0, days * 86400))
    roll = rng.random()
    channel = rng.choice([Channel.WEB, Channel.WEB, Channel.PHONE, Channel.PHONE, Channel.API,
                          Channel.OPEN311, Channel.SMS, Channel.EMAIL])
    return {"code": code, "text": text, "lat": lat, "lon": lon, "ward_id": ward_code,
            "ward_name": ward_name, "age": age, "roll": roll, "rating": rng.choice(
                [5, 5, 4, 4, 4, 3, 2, 1]), "answer_hours": rng.uniform(1, 120),
            "channel": channel, "wrong_guess": rng.random() < 0.15}


@cache
def _deadline(urgency_id: int, hour_start) -> object:
    return sla_deadline(Urgency.objects.get(pk=urgency_id), hour_start)


def _demo_report(v: dict, category: Category, agency_id, i: int, now) -> Report:
    created = (now - v["age"]).replace(minute=0, second=0, microsecond=0)
    urgency = category.default_urgency
    deadline = _deadline(urgency.pk, created)
    roll, status = v["roll"], Status.RECEIVED
    answered_at = None
    # Older reports are further along; recent ones mostly still open.
    progress = roll * min(1.0, v["age"].total_seconds() / (10 * 86400) + 0.2)
    for limit, step in ((0.12, Status.RECEIVED), (0.2, Status.ASSIGNED),
                        (0.3, Status.IN_PROGRESS), (0.33, Status.INFO_REQUESTED),
                        (0.36, Status.REJECTED),
                        (0.6, Status.ANSWERED), (1.01, Status.CLOSED)):
        if progress < limit:
            status = step
            break
    if status in (Status.ANSWERED, Status.CLOSED):
        answered_at = min(created + timedelta(hours=v["answer_hours"]), now)
    closed = status in (Status.CLOSED, Status.REJECTED)
    rated = status == Status.CLOSED and v["rating"]
    return Report(
        category=category, description=v["text"], description_folded=fold(v["text"]),
        lat=v["lat"], lon=v["lon"], address=v["ward_name"], ward_id=v["ward_id"],
        agency_id=agency_id, urgency=urgency, status=status, channel=v["channel"],
        reporter_name=f"Công dân thử nghiệm {i % 997}",
        reporter_phone=f"09{(i % 99_999_999) + 1:08d}",
        suggested_category=category if not v["wrong_guess"] else None,
        category_confirmed=status != Status.RECEIVED,
        created_at=created, received_month=local_month(created),
        updated_at=answered_at or created, deadline=deadline,
        answered_at=answered_at,
        answered_on_time=None if answered_at is None else answered_at <= deadline,
        hours_to_answer=None if answered_at is None else (
            answered_at - created).total_seconds() / 3600,
        answer="Đơn vị đã kiểm tra và xử lý xong." if answered_at else "",
        status_note="Không thuộc phạm vi tiếp nhận của 1022." if status == Status.REJECTED
        else "",
        closed_at=answered_at if closed and answered_at else (created if closed else None),
        rating=rated or None, rated_at=answered_at if rated else None,
        reopen_count=1 if i % 41 == 0 and answered_at else 0,
        token=f"demo{i:028d}", idempotency_key=f"demo-{i}",
    )


def _flush(batch: list[Report]) -> int:
    if not batch:
        return 0
    Report.objects.bulk_create(batch, batch_size=2000)
    keys = [r.idempotency_key for r in batch]
    saved = Report.objects.filter(idempotency_key__in=keys).values_list(
        "id", "created_at", "status", "answered_at", "answer")
    events = []
    for report_id, created, status, answered_at, answer in saved:
        events.append(ReportEvent(report_id=report_id, at=created, action="created",
                                  to_status=Status.RECEIVED, note="demo"))
        if answered_at:
            events.append(ReportEvent(report_id=report_id, at=answered_at, action="answered",
                                      from_status=Status.IN_PROGRESS, to_status=Status.ANSWERED,
                                      note=answer))
        elif status != Status.RECEIVED:
            events.append(ReportEvent(report_id=report_id, at=created, action="triaged",
                                      from_status=Status.RECEIVED, to_status=status))
    ReportEvent.objects.bulk_create(events, batch_size=5000)
    return len(batch)
