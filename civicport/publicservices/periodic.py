"""Periodic jobs of the dossier module (run by `civicport periodic`)."""

from datetime import timedelta

from civicport.core.schedule import Job
from civicport.publicservices import actions

JOBS = [
    Job(
        name="publicservices.step_reminders",
        every=timedelta(minutes=30),
        run=actions.step_reminders_send,
        description="e-mail officers whose dossier step is due within 4 working hours",
    ),
]
