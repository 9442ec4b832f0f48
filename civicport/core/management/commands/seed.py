"""`civicport seed [--demo] [--scale N]`: reference data, and generated demo data.

Each app contributes through an optional `seeding` module with `reference()` and
`demo(scale)` functions, so a new module adds its demo data without touching this file.
Everything is idempotent: running it twice changes nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from civicport.core.seeding import run_seeders


class Command(BaseCommand):
    help = "Load reference data (units, agencies, calendar) and optionally demo data."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="also load demo data")
        parser.add_argument(
            "--scale", type=int, default=1,
            help="multiply demo data volume (for benchmarks); implies --demo when > 1",
        )

    def handle(self, *args, demo, scale, **options):
        if scale < 1 or scale > 10_000:
            raise CommandError("--scale must be between 1 and 10000")
        for app_label, stage, summary in run_seeders(demo=demo or scale > 1, scale=scale):
            self.stdout.write(f"{app_label:>16} {stage:<9} {summary}")
