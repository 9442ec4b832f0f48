"""Vietnamese working-time calendar. (Interface stub: being implemented.)"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Holiday:
    date: date
    name: str


def next_holiday(today: date) -> Holiday | None:
    return None
