"""The other modules' statistics published as open datasets (through `table_publish`).

* dossiers: publicservices.queries.dossier_counts by agency × month of a year;
* feedback: feedback.queries.monthly_statistics_rows(year=…) (agency × month).

Each run publishes a new version only when the figures changed (table_publish is
idempotent), so running it daily from cron is harmless.
"""

from importlib import import_module

from django.utils import timezone

from civicport.core.models import Agency
from civicport.datahub import actions


class FeedMissing(Exception):
    """The module that should supply the figures is not available (yet)."""


def _publisher() -> Agency:
    agency = (Agency.objects.filter(kind=Agency.Kind.CITY, is_active=True).order_by("pk").first()
              or Agency.objects.filter(kind=Agency.Kind.DEPARTMENT).order_by("code").first())
    if agency is None:
        raise FeedMissing("no agency to publish as (run `civicport seed` first)")
    return agency


def _rate(value) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


def dossier_statistics_publish(*, year: int, actor=None):
    from datetime import datetime

    from civicport.publicservices import queries as dossiers

    tz = timezone.get_default_timezone()
    rows = dossiers.dossier_counts(start=datetime(year, 1, 1, tzinfo=tz),
                                   end=datetime(year + 1, 1, 1, tzinfo=tz),
                                   by=("agency", "month"))
    columns = [("thang", "Tháng"), ("ma_co_quan", "Mã cơ quan"), ("co_quan", "Cơ quan"),
               ("tiep_nhan", "Hồ sơ tiếp nhận"), ("truc_tuyen", "Hồ sơ trực tuyến"),
               ("da_giai_quyet", "Đã giải quyết"), ("ty_le_dung_han", "Tỷ lệ đúng hạn (%)"),
               ("ty_le_truc_tuyen", "Tỷ lệ trực tuyến (%)")]
    data = [
        [r["month"].strftime("%m/%Y") if hasattr(r["month"], "strftime") else str(r["month"]),
         r.get("agency_code", ""), r.get("agency_name", ""), r["received"], r["online"],
         r["done"], _rate(r.get("on_time_rate")), _rate(r.get("online_rate"))]
        for r in rows
    ]
    if not data:
        return None
    return actions.table_publish(
        slug=f"thong-ke-ho-so-{year}", title=f"Thống kê hồ sơ thủ tục hành chính năm {year}",
        publisher=_publisher(), columns=columns, rows=data, actor=actor,
        description=("Số hồ sơ tiếp nhận, trực tuyến, đã giải quyết và tỷ lệ đúng hạn theo "
                     "cơ quan và tháng, lấy tự động từ hệ thống một cửa điện tử."),
        tags=["thủ tục hành chính", "thống kê"],
    )


def feedback_statistics_publish(*, year: int, actor=None):
    try:
        feedback = import_module("civicport.feedback.queries")
        rows_for = feedback.monthly_statistics_rows
    except (ImportError, AttributeError) as exc:
        raise FeedMissing("civicport.feedback.queries.monthly_statistics_rows is not "
                          "available yet") from exc
    rows = rows_for(year=year)
    columns = [("thang", "Tháng"), ("ma_co_quan", "Mã cơ quan"), ("co_quan", "Cơ quan"),
               ("tiep_nhan", "Phản ánh tiếp nhận"), ("da_tra_loi", "Đã trả lời"),
               ("dung_han", "Trả lời đúng hạn"), ("ty_le_dung_han", "Tỷ lệ đúng hạn (%)"),
               ("danh_gia", "Lượt đánh giá"), ("hai_long", "Mức hài lòng")]
    data = [[r["month"], r["agency_code"], r["agency_name"], r["received"], r["answered"],
             r["answered_on_time"], _rate(r["on_time_rate"]), r["ratings"], r["satisfaction"]]
            for r in rows]
    if not data:
        return None
    return actions.table_publish(
        slug=f"thong-ke-phan-anh-{year}", title=f"Thống kê phản ánh, kiến nghị năm {year}",
        publisher=_publisher(), columns=columns, rows=data, actor=actor,
        description=("Số phản ánh, kiến nghị tiếp nhận và trả lời theo cơ quan và tháng, "
                     "lấy tự động từ Tổng đài 1022."),
        tags=["phản ánh", "thống kê"],
    )


FEEDS = (("dossiers", dossier_statistics_publish), ("feedback", feedback_statistics_publish))


def statistics_publish_all(*, year: int, actor=None) -> list[str]:
    """Publish every module's statistics for `year`; one line per feed saying what happened
    (a feed whose module is missing is skipped, not an error)."""
    lines = []
    for name, publish in FEEDS:
        try:
            version = publish(year=year, actor=actor)
        except FeedMissing as exc:
            lines.append(f"{name}: skipped — {exc}")
            continue
        if version is None:
            lines.append(f"{name}: no figures for {year}, nothing published")
        else:
            lines.append(f"{name}: {version.resource.dataset.slug} version {version.number} "
                         f"({version.row_count} rows)")
    return lines
