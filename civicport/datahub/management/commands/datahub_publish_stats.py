"""`civicport datahub_publish_stats [--year 2026]`: publish the dossier and feedback
statistics as open datasets (a new version only when the figures changed). Run it daily
from cron; see docs/datahub.md."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from civicport.datahub import feeds


class Command(BaseCommand):
    help = "Publish the modules' monthly statistics as open datasets."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        for name, publish in (("dossiers", feeds.dossier_statistics_publish),
                              ("feedback", feeds.feedback_statistics_publish)):
            try:
                version = publish(year=year)
            except feeds.FeedMissing as exc:
                self.stderr.write(f"{name}: skipped — {exc}")
                continue
            if version is None:
                self.stdout.write(f"{name}: no figures for {year}, nothing published")
            else:
                self.stdout.write(f"{name}: {version.resource.dataset.slug} version "
                                  f"{version.number} ({version.row_count} rows)")
