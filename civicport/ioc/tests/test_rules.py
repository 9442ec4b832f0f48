"""The pure rules: DTI (922 weights), the 2025 merger rule, target status both ways, ranks."""

from datetime import UTC, date, datetime, timedelta

import pytest

from civicport.ioc import rules

WEIGHTS_2022 = [100, 100, 100, 100, 100, 0, 200, 150, 150]


def test_dti_2022_is_the_weighted_sum_over_1000_and_smart_city_counts_nothing():
    values = [0.9, 0.8, 0.7, 0.6, 0.5, 0.123, 0.75, 0.6, 0.4]
    # 90 + 80 + 70 + 60 + 50 + 0 + 150 + 90 + 60 = 650
    assert rules.dti_index(values, WEIGHTS_2022) == 0.65
    changed_smart_city = values[:5] + [1.0] + values[6:]
    assert rules.dti_index(changed_smart_city, WEIGHTS_2022) == 0.65
    assert rules.dti_index([1.0] * 9, WEIGHTS_2022) == 1.0


def test_dti_needs_every_scored_value_and_values_in_0_1():
    assert rules.dti_index([None] + [0.5] * 8, WEIGHTS_2022) is None
    assert rules.dti_index([0.5] * 5 + [None] + [0.5] * 3, WEIGHTS_2022) == 0.5
    with pytest.raises(ValueError):
        rules.dti_index([1.2] + [0.5] * 8, WEIGHTS_2022)


def test_merger_rule_is_the_mean_indicator_by_indicator():
    merged = rules.merged_values([[0.8, 0.6, None], [0.6, 0.9, 0.5]])
    assert merged[0] == pytest.approx(0.7)
    assert merged[1] == pytest.approx(0.75)
    assert merged[2] is None


@pytest.mark.parametrize(("actual", "expected"), [
    (96.0, rules.ON_TRACK), (95.0, rules.ON_TRACK), (93.0, rules.AT_RISK),
    (91.0, rules.OFF_TRACK), (None, rules.NO_DATA),
])
def test_status_higher_is_better(actual, expected):
    assert rules.target_status(actual=actual, target=95.0, direction="higher",
                               tolerance=3.0) == expected


@pytest.mark.parametrize(("actual", "expected"), [
    (2.0, rules.ON_TRACK), (3.0, rules.ON_TRACK), (3.4, rules.AT_RISK),
    (4.0, rules.OFF_TRACK),
])
def test_status_lower_is_better(actual, expected):
    # Mean days to answer, target 3 days: fewer is better, so 2 days is on track.
    assert rules.target_status(actual=actual, target=3.0, direction="lower",
                               tolerance=0.5) == expected


def test_status_default_band_and_neutral():
    assert rules.target_status(actual=85, target=90, direction="higher") == rules.AT_RISK
    assert rules.target_status(actual=80, target=90, direction="higher") == rules.OFF_TRACK
    assert rules.target_status(actual=1, target=0, direction="lower") == rules.OFF_TRACK
    assert rules.target_status(actual=5, target=3, direction="neutral") == rules.NO_DATA


def test_ranks_share_places():
    assert rules.ranks({"a": 0.8, "b": 0.7, "c": 0.8, "d": None}) == {"a": 1, "c": 1, "b": 3}


def test_stale_by_origin_and_frequency():
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert rules.is_stale(as_of=now - timedelta(hours=2), origin="live", frequency="month",
                          now=now)
    assert not rules.is_stale(as_of=now - timedelta(days=20), origin="submitted",
                              frequency="month", now=now)
    assert rules.is_stale(as_of=now - timedelta(days=41), origin="submitted",
                          frequency="month", now=now)
    assert rules.is_stale(as_of=None, origin="", frequency="year", now=now)


def test_overdue_task():
    assert rules.task_overdue(deadline=date(2026, 3, 1), status="in_progress",
                              today=date(2026, 3, 2))
    assert not rules.task_overdue(deadline=date(2026, 3, 1), status="done",
                                  today=date(2026, 3, 2))
