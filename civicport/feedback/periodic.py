"""Periodic jobs of the feedback module (run by `civicport periodic`)."""

from datetime import timedelta

from civicport.core.schedule import Job
from civicport.feedback.actions import reports_close_answered, reports_escalate_overdue

JOBS = [
    Job(
        name="feedback.escalate_overdue",
        every=timedelta(minutes=10),
        run=reports_escalate_overdue,
        description="escalate reports past their SLA deadline to the city level",
    ),
    Job(
        name="feedback.close_answered",
        every=timedelta(hours=1),
        run=reports_close_answered,
        description="close answered reports once the reopen window has passed",
    ),
]
