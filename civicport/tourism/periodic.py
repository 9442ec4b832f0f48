"""Periodic jobs of the tourism module (run by `civicport periodic`)."""

from datetime import timedelta

from civicport.core.schedule import Job
from civicport.tourism.opendata import venues_publish

JOBS = [
    Job(
        name="tourism.publish_venues",
        every=timedelta(days=1),
        # Unchanged content makes no new version, so a daily run costs nothing new.
        run=lambda: ", ".join(venues_publish()),
        description="publish the venue list (CSV, GeoJSON) as open data through the datahub",
    ),
]
