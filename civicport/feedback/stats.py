"""Public statistics page: key figures, a monthly bar chart (server-side SVG), the agency
ranking by on-time rate, figures by category and ward."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from civicport.feedback import queries

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 220, 28


def _month_bounds(text: str) -> tuple[datetime.date, datetime.date, str]:
    today = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    try:
        year, month = (int(p) for p in text.split("-", 1))
        first = datetime.date(year, month, 1)
    except (ValueError, TypeError):
        first = today.replace(day=1)
    next_month = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first, min(next_month - datetime.timedelta(days=1), today), f"{first:%Y-%m}"


def _chart(by_month: list[dict]) -> dict:
    peak = max([m["total"] for m in by_month] + [1])
    step = (CHART_WIDTH - 2 * CHART_PAD) / max(len(by_month), 1)
    bars = []
    for i, m in enumerate(by_month):
        height = (CHART_HEIGHT - 2 * CHART_PAD) * m["total"] / peak
        answered = (CHART_HEIGHT - 2 * CHART_PAD) * m["answered"] / peak
        x = CHART_PAD + i * step
        bars.append({
            "x": round(x + step * 0.1, 1), "w": round(step * 0.8, 1),
            "y": round(CHART_HEIGHT - CHART_PAD - height, 1), "h": round(height, 1),
            "ay": round(CHART_HEIGHT - CHART_PAD - answered, 1), "ah": round(answered, 1),
            "label": m["month"][5:] + "/" + m["month"][2:4], "lx": round(x + step / 2, 1),
            "total": m["total"], "answered": m["answered"],
        })
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars,
            "base": CHART_HEIGHT - CHART_PAD + 14}


def stats_context(params) -> dict:
    start, end, month = _month_bounds(params.get("month", ""))
    summary = queries.feedback_summary(start=start, end=end)
    year_start = (start.replace(day=1) - datetime.timedelta(days=334)).replace(day=1)
    trend = queries.feedback_summary(start=year_start, end=end)["by_month"]
    return {
        "month": month, "start": start, "end": end, "summary": summary,
        "on_time_pct": _pct(summary["on_time_rate"]),
        "satisfied_pct": _pct(summary["satisfaction_rate"]),
        "ranking": [{**r, "on_time_pct": _pct(r["on_time_rate"])}
                    for r in queries.agency_ranking(start=start, end=end)],
        "categories": [{**r, "on_time_pct": _pct(r["on_time_rate"])}
                       for r in queries.by_category(start=start, end=end)],
        "wards": [{**r, "on_time_pct": _pct(r["on_time_rate"])}
                  for r in summary["by_ward"][:15]],
        "chart": _chart(trend),
    }


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)
