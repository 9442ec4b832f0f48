"""Geometry of small server-side SVG bar charts (no JavaScript charting library), like the
public-services statistics page."""

import math


def _ceiling(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def month_bars(series: dict, *, width: int = 360, height: int = 140) -> dict:
    """Bars of one indicator's twelve months: {indicator, bars: [{x, y, w, h, label,
    value}], top}. Percent indicators use a fixed 0–100 scale."""
    indicator = series["indicator"]
    values = [m["value"] for m in series["months"]]
    top = 100 if indicator.unit == "percent" else _ceiling(max([v for v in values if v] or [1]))
    left, bottom, plot_h = 4, height - 18, height - 30
    step = (width - left) / max(len(values), 1)
    bars = []
    for n, (month, value) in enumerate(zip(series["months"], values, strict=True)):
        h = 0 if value is None else max(1.0, plot_h * min(value, top) / top)
        bars.append({
            "x": round(left + n * step + step * 0.15, 1), "w": round(step * 0.7, 1),
            "y": round(bottom - h, 1), "h": round(h, 1), "value": value,
            "label": f"{month['period'].start:%m}", "lx": round(left + n * step + step / 2, 1),
            "period": month["period"],
        })
    return {"indicator": indicator, "bars": bars, "top": top, "width": width,
            "height": height, "label_y": height - 4}
