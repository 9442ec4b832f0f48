"""Issue an Open311 API key for a client app (printed once; only its digest is stored)."""

from django.core.management.base import BaseCommand

from civicport.feedback.actions import open311_key_create


class Command(BaseCommand):
    help = "Create an Open311 API key."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who the key is for")

    def handle(self, *args, **options):
        _row, plain = open311_key_create(name=options["name"])
        self.stdout.write(plain)
