"""Demo catalogue and the statistics feeds from the other modules."""

import time

import pytest
from django.core.management import call_command

from civicport.core import seeding as core_seeding
from civicport.datahub import feeds, queries, seeding
from civicport.datahub.models import Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(db):
    core_seeding.reference()


def test_demo_catalogue_is_about_100_datasets_half_open_fast_and_idempotent(reference):
    started = time.perf_counter()
    seeding.demo(1)
    elapsed = time.perf_counter() - started
    summary = queries.publishing_summary()
    assert 90 <= summary["datasets_total"] <= 110
    assert 0.4 <= summary["datasets_open"] / summary["datasets_total"] <= 0.6
    assert summary["departments_publishing"] >= 7
    wards = Dataset.objects.get(slug="danh-sach-don-vi-hanh-chinh-cap-xa")
    assert wards.resources.get().current_version.row_count == 114
    assert elapsed < 30, elapsed
    assert seeding.demo(1).startswith("0 datasets created")


def test_statistics_command_publishes_dossier_figures(reference, capsys):
    from civicport.publicservices import seeding as ps_seeding

    ps_seeding.reference()
    if hasattr(ps_seeding, "demo"):
        ps_seeding.demo(1)
    from django.utils import timezone

    year = timezone.localdate().year
    call_command("datahub_publish_stats", year=year)
    out = capsys.readouterr()
    dataset = Dataset.objects.filter(slug=f"thong-ke-ho-so-{year}").first()
    if dataset is not None:
        version = dataset.resources.get().current_version
        assert version.row_count >= 1
        assert {f["name"] for f in version.schema["fields"]} >= {"thang", "tiep_nhan"}
    else:
        assert "no figures" in out.out
    again = feeds.dossier_statistics_publish(year=year)
    assert again is None or again.number == 1
    # The feedback module's statistics function exists now: the command uses it.
    assert "feedback: skipped" not in out.err
    assert "feedback:" in out.out


def test_feedback_feed_publishes_rows_or_says_what_is_missing(reference, monkeypatch):
    rows = [{"month": "01/2026", "agency_code": "000.00.04.H31", "agency_name": "Sở Xây dựng",
             "received": 10, "answered": 8, "answered_on_time": 7, "on_time_rate": 0.875,
             "ratings": 5, "satisfaction": 4.2}]
    import civicport.feedback.queries as feedback_queries

    monkeypatch.setattr(feedback_queries, "monthly_statistics_rows", lambda *, year: rows,
                        raising=False)
    version = feeds.feedback_statistics_publish(year=2026)
    assert version.row_count == 1
    monkeypatch.delattr(feedback_queries, "monthly_statistics_rows")
    with pytest.raises(feeds.FeedMissing):
        feeds.feedback_statistics_publish(year=2026)
