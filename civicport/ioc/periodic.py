"""Periodic jobs of the IOC (run by `civicport periodic`)."""

from datetime import timedelta

from civicport.core.schedule import Job
from civicport.ioc.tasks import refresh_indicators, scheduled_reports

JOBS = [
    Job(
        name="ioc.refresh_indicators",
        every=timedelta(minutes=15),
        run=refresh_indicators.call,
        description="recompute the live indicators from the other modules' queries",
    ),
    Job(
        name="ioc.scheduled_reports",
        every=timedelta(hours=1),
        # Each weekly/monthly report is produced once, when due (Asia/Ho_Chi_Minh time).
        run=scheduled_reports.call,
        description="produce the weekly and monthly PDF/Excel reports when due",
    ),
]
