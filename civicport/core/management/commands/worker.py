"""`civicport worker`: run queued background tasks (django-tasks database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background task worker."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args, batch, interval, **options):
        extra = ["--batch"] if batch else []
        call_command("db_worker", "--interval", str(interval), *extra)
