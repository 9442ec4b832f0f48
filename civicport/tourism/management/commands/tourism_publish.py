"""`civicport tourism_publish`: publish the venue list as open data through the datahub."""

from django.core.management.base import BaseCommand, CommandError

from civicport.tourism.opendata import DatahubMissing, NothingToPublish, venues_publish


class Command(BaseCommand):
    help = "Publish the food-tour venues (CSV table and GeoJSON) as open data in the datahub."

    def handle(self, *args, **options):
        try:
            published = venues_publish()
        except DatahubMissing as exc:
            raise CommandError(f"The datahub is not ready, nothing was published: {exc}") from exc
        except NothingToPublish as exc:
            raise CommandError(f"Nothing was published: {exc}") from exc
        for line in published:
            self.stdout.write(line)
