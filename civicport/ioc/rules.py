"""Pure rules of the IOC: target status, staleness, the DTI index and the 2025 merger rule.

No database here, so each rule is tested on its own and reused by actions and queries.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "on_track", "at_risk", "off_track", "no_data"

# How long a value stays fresh after its as-of time, by the indicator's frequency. A live
# value refreshed every 15 minutes that is an hour old means the refresh stopped.
FRESH_FOR = {
    "live": timedelta(hours=1),
    "week": timedelta(days=10),
    "month": timedelta(days=40),
    "quarter": timedelta(days=100),
    "year": timedelta(days=400),
}


def target_status(*, actual: float | None, target: float, direction: str,
                  tolerance: float | None = None) -> str:
    """On track when the actual meets the target (≥ for higher-is-better, ≤ for
    lower-is-better); at risk when it misses by no more than `tolerance` (default 10 % of
    the target's size, at least 1 % of a point so a target of 0 has a band); off track
    otherwise. Neutral indicators have no status."""
    if actual is None or direction == "neutral":
        return NO_DATA
    band = tolerance if tolerance is not None else max(abs(target) * 0.10, 0.01)
    gap = (target - actual) if direction == "higher" else (actual - target)
    if gap <= 0:
        return ON_TRACK
    if gap <= band:
        return AT_RISK
    return OFF_TRACK


def is_stale(*, as_of: datetime | None, origin: str, frequency: str, now: datetime) -> bool:
    if as_of is None:
        return True
    fresh_for = FRESH_FOR["live"] if origin == "live" else FRESH_FOR[frequency]
    return now - as_of > fresh_for


def dti_index(values: Sequence[float | None], max_points: Sequence[int],
              total_points: int = 1000) -> float | None:
    """Σ wᵢ·vᵢ / total, each vᵢ a 0–1 main-indicator value and wᵢ its maximum points
    (922/QĐ-BTTTT; verified against dti.gov.vn's 2022 table). None if a scored value is
    missing. Rounded to 4 decimals as published."""
    if len(values) != len(max_points):
        raise ValueError("one value per main indicator")
    total = 0.0
    for value, weight in zip(values, max_points, strict=True):
        if weight == 0:
            continue  # not scored (smart city in 2022)
        if value is None:
            return None
        if not 0 <= value <= 1:
            raise ValueError("main-indicator values are between 0 and 1")
        total += weight * value
    return round(total / total_points, 4)


def merged_values(predecessors: Iterable[Sequence[float | None]]) -> list[float | None]:
    """The 2025 rule: a merged province's main-indicator values are the arithmetic mean of its
    predecessors' values, indicator by indicator (None where any predecessor lacks one)."""
    rows = [list(row) for row in predecessors]
    if not rows:
        raise ValueError("a merger needs predecessors")
    result = []
    for column in zip(*rows, strict=True):
        result.append(None if any(v is None for v in column) else sum(column) / len(column))
    return result


def ranks(scores: dict, *, higher_first: bool = True) -> dict:
    """Competition ranks (1, 2, 2, 4) of `scores` {key: score}; missing scores get no rank."""
    ordered = sorted((s for s in scores.values() if s is not None), reverse=higher_first)
    first_place = {}
    for place, score in enumerate(ordered, start=1):
        first_place.setdefault(score, place)
    return {key: first_place.get(score) for key, score in scores.items() if score is not None}


def task_overdue(*, deadline: date, status: str, today: date) -> bool:
    return status not in ("done", "cancelled") and deadline < today
