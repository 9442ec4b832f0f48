"""`civicport datahub_publish_stats [--year 2026]`: publish the dossier and feedback
statistics as open datasets (a new version only when the figures changed), now. The periodic
job `datahub.publish_statistics` (`civicport periodic`) does it daily; see docs/datahub.md."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from civicport.datahub import feeds


class Command(BaseCommand):
    help = "Publish the modules' monthly statistics as open datasets."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        for line in feeds.statistics_publish_all(year=year):
            self.stdout.write(line)
