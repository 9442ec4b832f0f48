"""The report schedule in Asia/Ho_Chi_Minh time, generated once; the refresh command."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from civicport.ioc import reports
from civicport.ioc.models import GeneratedReport

pytestmark = pytest.mark.django_db


def test_due_reports_follow_local_dates_not_utc():
    # Sunday 31 May 2026, 17:30 UTC is Monday 1 June, 00:30 in Hai Phong: both are due.
    due = reports.reports_due(datetime(2026, 5, 31, 17, 30, tzinfo=UTC))
    assert [p.key for p in due] == ["2026-W22", "2026-05"]
    # Monday 1 June 2026, 18:00 UTC is already Tuesday in Hai Phong: nothing.
    assert reports.reports_due(datetime(2026, 6, 1, 18, 0, tzinfo=UTC)) == []


def test_reports_are_generated_once(reference, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    now = datetime(2026, 5, 31, 17, 30, tzinfo=UTC)
    first = reports.reports_run(now=now)
    again = reports.reports_run(now=now)
    assert [r.pk for r in first] == [r.pk for r in again]
    assert GeneratedReport.objects.count() == 2
    assert first[1].pdf.open("rb").read(5) == b"%PDF-"


def test_refresh_command_reports_missing_sources(reference, monkeypatch):
    from civicport.datahub import queries as dq

    monkeypatch.delattr(dq, "publishing_summary", raising=False)
    out = StringIO()
    call_command("ioc_refresh", stdout=out)
    assert "CQS-10" in out.getvalue() and "stored" in out.getvalue()
