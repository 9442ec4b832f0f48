"""Demo data: a realistic month, idempotent, consistent with the workflow's rules."""

import pytest

from civicport.feedback import seeding
from civicport.feedback.models import Channel, Report, ReportEvent, Status

pytestmark = pytest.mark.django_db


def test_demo_month_is_varied_and_idempotent():
    assert seeding.reference().startswith("0 ")  # loaded once by the session already
    assert seeding.demo(1).startswith("300 demo reports created")
    assert seeding.demo(1) == "0 demo reports created"
    reports = Report.objects.all()
    assert reports.count() == 300
    assert len(set(reports.values_list("status", flat=True))) >= 6
    assert set(reports.values_list("channel", flat=True)) == set(Channel.values)
    assert reports.values("category").distinct().count() >= 12
    assert reports.filter(answered_at__isnull=False, answered_on_time=False).exists()
    assert reports.filter(reopen_count__gt=0).exists()
    assert all(r.agency_id for r in reports)
    closed = reports.filter(status=Status.CLOSED)
    assert closed.exclude(rating__isnull=False).count() == 0
    assert ReportEvent.objects.filter(action="created").count() == 300
