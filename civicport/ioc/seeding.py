"""Reference data (catalogue, targets, report templates, DTI methodologies and published
history) and demo data (a yearly plan shaped like 2024's, reports, values) for the IOC.
Idempotent: a second run creates nothing."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from civicport.core.models import Agency
from civicport.ioc import catalogue
from civicport.ioc.models import (
    DtiAssessment,
    DtiMainIndicator,
    DtiMethodology,
    Indicator,
    IndicatorValue,
    Origin,
    Plan,
    PlanTask,
    ReportField,
    ReportSubmission,
    ReportTemplate,
    Target,
    TaskStatus,
)
from civicport.ioc.periods import period_of, today


def reference() -> str:
    agencies = dict(Agency.objects.values_list("code", "pk"))
    created = _indicators(agencies) + _targets() + _templates(agencies) + _dti()
    return f"{created} IOC reference rows created"


def _indicators(agencies: dict) -> int:
    created = 0
    for order, row in enumerate(catalogue.INDICATORS):
        (code, name_vi, name_en, unit, pillar, direction, frequency, agency, live, public,
         wall, source) = row
        _obj, new = Indicator.objects.get_or_create(code=code, defaults={
            "name_vi": name_vi, "name_en": name_en, "unit": unit, "pillar": pillar,
            "direction": direction, "frequency": frequency, "agency_id": agencies.get(agency),
            "live_source": live, "is_public": public, "on_wall": wall, "source": source,
            "order": order,
        })
        created += new
    return created


def _targets() -> int:
    indicators = dict(Indicator.objects.values_list("code", "pk"))
    created = 0
    for code, year, baseline, baseline_year, value, tolerance, document, note in catalogue.TARGETS:
        _obj, new = Target.objects.get_or_create(
            indicator_id=indicators[code], year=year, defaults={
                "baseline": baseline, "baseline_year": baseline_year, "value": value,
                "tolerance": tolerance, "source_document": document, "note": note})
        created += new
    for year in range(2025, today().year + 1):
        for code, value, tolerance, document in catalogue.YEARLY_TARGETS:
            _obj, new = Target.objects.get_or_create(
                indicator_id=indicators[code], year=year, defaults={
                    "value": value, "tolerance": tolerance, "source_document": document})
            created += new
    return created


def _templates(agencies: dict) -> int:
    indicators = dict(Indicator.objects.values_list("code", "pk"))
    departments = list(Agency.objects.filter(kind=Agency.Kind.DEPARTMENT)
                       .values_list("pk", flat=True))
    created = 0
    for code, name, frequency, days, who, fields in catalogue.REPORT_TEMPLATES:
        template, new = ReportTemplate.objects.get_or_create(code=code, defaults={
            "name": name, "frequency": frequency, "deadline_days": days})
        if not new:
            continue
        created += 1
        template.agencies.set(departments if who == "departments"
                              else [agencies[c] for c in who if c in agencies])
        for order, (field, label, unit, low, high, indicator) in enumerate(fields):
            ReportField.objects.create(template=template, code=field, label=label, unit=unit,
                                       min_value=low, max_value=high, order=order,
                                       required=field != "thu_ngan_sach",
                                       indicator_id=indicators.get(indicator))
    return created


def _dti() -> int:
    created = 0
    methods = {}
    for code, name, decision, first_year, verified, indicators in catalogue.DTI_METHODOLOGIES:
        method, new = DtiMethodology.objects.get_or_create(code=code, defaults={
            "name": name, "decision": decision, "first_year": first_year,
            "total_points": sum(p for _c, _n, p in indicators), "weights_verified": verified})
        methods[code] = method
        if new:
            created += 1
            DtiMainIndicator.objects.bulk_create([
                DtiMainIndicator(methodology=method, order=n, code=c, name=label, max_points=p)
                for n, (c, label, p) in enumerate(indicators, start=1)])
    for province, name, year, index, rank, source in catalogue.DTI_HISTORY:
        method = methods["1726-2020"] if year < 2021 else methods["922-2022"]
        _obj, new = DtiAssessment.objects.get_or_create(
            methodology=method, year=year, group=DtiAssessment.Group.OLD,
            province_code=province, defaults={
                "province_name": name, "published_index": index, "published_rank": rank,
                "source": source,
                "note": "Chỉ có kết quả công bố; giá trị các chỉ số chính chưa thu thập."})
        created += new
    created += _dti_2022(methods["922-2022"])
    return created


def _dti_2022(method: DtiMethodology) -> int:
    """The published top five of 2022, stored with their final values (computed index next
    to the published one)."""
    from civicport.ioc.actions import dti_assessment_record

    created = 0
    for code, name, values, index, rank in catalogue.DTI_2022_PUBLISHED:
        if DtiAssessment.objects.filter(methodology=method, year=2022, province_code=code,
                                        group=DtiAssessment.Group.OLD).exists():
            continue
        dti_assessment_record(
            user=None, methodology=method, year=2022, province_code=code, province_name=name,
            values={c: (None, None, v) for c, v in zip(catalogue.DTI_2022_CODES, values,
                                                        strict=True)},
            published_index=index, published_rank=rank, source="dti.gov.vn/xep-hang-2022")
        created += 1
    return created


# --- demo -----------------------------------------------------------------------------------

TASK_TOPICS = [
    "Nâng cấp Cổng dịch vụ công và Hệ thống một cửa điện tử",
    "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    "Xây dựng kho dữ liệu dùng chung của thành phố",
    "Mở rộng hệ thống camera giám sát giao thông",
    "Đào tạo kỹ năng số cho cán bộ, công chức",
    "Bảo đảm an toàn thông tin theo cấp độ cho hệ thống thông tin",
    "Phát triển nền tảng thương mại điện tử cho doanh nghiệp nhỏ và vừa",
    "Triển khai hồ sơ sức khỏe điện tử",
    "Ứng dụng VNeID trong giải quyết thủ tục hành chính",
    "Công bố dữ liệu mở của sở, ngành",
    "Vận hành Trung tâm giám sát, điều hành thông minh",
    "Hỗ trợ Tổ công nghệ số cộng đồng tại xã, phường",
]


def demo(scale: int = 1) -> str:
    with transaction.atomic():
        tasks = _demo_plan()
        reports = _demo_reports()
        values = _demo_values()
    from civicport.ioc.actions import indicators_refresh
    from civicport.ioc.models import RefreshState

    if RefreshState.objects.filter(last_run_at__isnull=False).exists():
        # Live values exist: the periodic refresh keeps them, a second seed adds nothing.
        return f"{tasks} plan tasks, {reports} report submissions, {values} values"
    refreshed = indicators_refresh(force=True)
    return (f"{tasks} plan tasks, {reports} report submissions, {values} values; "
            f"{refreshed['stored']} live values computed")


def _demo_plan() -> int:
    """A plan for the current year shaped like Hải Phòng's 2024 plan (81 tasks, about 400
    billion VND): illustrative tasks, deterministic."""
    year = today().year
    plan, new = Plan.objects.get_or_create(year=year, defaults={
        "name": f"Kế hoạch chuyển đổi số năm {year} (dữ liệu minh họa theo quy mô kế hoạch "
                f"2024: 81 nhiệm vụ, khoảng 400 tỷ đồng)",
        "document": "Minh họa; kế hoạch 2024 của thành phố có 81 nhiệm vụ, ~400 tỷ đồng"})
    if not new:
        return 0
    rng = random.Random(year)
    departments = list(Agency.objects.filter(kind=Agency.Kind.DEPARTMENT).order_by("code"))
    if not departments:
        return 0
    budgets = [rng.randint(800, 9000) for _ in range(81)]
    factor = Decimal(400_000) / sum(budgets)  # million VND: 400 billion in total
    day = today()
    tasks = []
    for n in range(81):
        deadline = date(year, 1, 1) + timedelta(days=rng.randint(60, 364))
        budget = (Decimal(budgets[n]) * factor).quantize(Decimal("0.1"))
        progress = 100 if deadline < day and rng.random() < 0.7 else rng.choice(
            [0, 10, 25, 40, 60, 80, 90])
        status = (TaskStatus.DONE if progress == 100 else
                  TaskStatus.NOT_STARTED if progress == 0 else TaskStatus.IN_PROGRESS)
        disbursed = (budget * Decimal(progress) / 100 * Decimal("0.9")).quantize(Decimal("0.1"))
        done_on = (deadline - timedelta(days=rng.randint(-10, 20))
                   if status == TaskStatus.DONE else None)
        if done_on and done_on > day:
            done_on = day
        tasks.append(PlanTask(
            plan=plan, code=f"NV{n + 1:02d}",
            title=f"{TASK_TOPICS[n % len(TASK_TOPICS)]} (giai đoạn {n // len(TASK_TOPICS) + 1})",
            agency=departments[n % len(departments)], deadline=deadline, budget=budget,
            disbursed=disbursed, progress=progress, status=status, done_on=done_on))
    PlanTask.objects.bulk_create(tasks)
    created = {t.code: t for t in plan.tasks.all()}
    for n, task in enumerate(tasks):
        task = created[task.code]
        task.coordinating.set([departments[(n + 3) % len(departments)]])
    return len(tasks)


def _demo_reports() -> int:
    """Last month's monthly reports from most departments (two missing, one late)."""
    from civicport.ioc.actions import report_period_ensure

    template = ReportTemplate.objects.filter(code="bao-cao-thang").first()
    if template is None:
        return 0
    period = period_of("month", today().replace(day=1) - timedelta(days=1))
    row = report_period_ensure(template=template, period=period)
    if row.submissions.exists():
        return 0
    rng = random.Random(period.key)
    agencies = list(template.agencies.order_by("code"))
    created = 0
    for n, agency in enumerate(agencies[2:]):  # the first two have not submitted: missing
        late = n == 0
        at = row.deadline + timedelta(days=1) if late else row.deadline - timedelta(days=1)
        ReportSubmission.objects.create(
            period=row, agency=agency, revision=1, origin=Origin.SUBMITTED, submitted_at=at,
            is_late=late, values={"ho_so_cong_viec": round(rng.uniform(80, 99), 1),
                                  "van_ban_ky_so": round(rng.uniform(90, 100), 1)})
        created += 1
    return created


def _demo_values() -> int:
    """A few yearly and quarterly figures agencies would submit (illustrative; KTS-01 2023
    is the published 29.7 %)."""
    rows = [("KTS-01", "2023", 29.7), ("DTI-00", "2024", 0.7857)]
    created = 0
    now = timezone.now()
    for code, key, value in rows:
        from civicport.ioc.periods import period_parse

        period = period_parse(key)
        _obj, new = IndicatorValue.objects.get_or_create(
            indicator=Indicator.objects.get(code=code), period_key=key, scope="city",
            defaults={"period_kind": period.kind, "period_start": period.start,
                      "value": value, "origin": Origin.IMPORTED, "as_of": now})
        created += new
    return created
