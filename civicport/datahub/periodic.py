"""Periodic jobs of the datahub (run by `civicport periodic`)."""

from datetime import timedelta

from django.utils import timezone

from civicport.core.schedule import Job
from civicport.datahub.feeds import statistics_publish_all

JOBS = [
    Job(
        name="datahub.publish_statistics",
        every=timedelta(days=1),
        # A new version only when the figures changed, so a daily run costs nothing new.
        run=lambda: "; ".join(statistics_publish_all(year=timezone.localdate().year)),
        description="publish the dossier and feedback statistics as open datasets",
    ),
]
