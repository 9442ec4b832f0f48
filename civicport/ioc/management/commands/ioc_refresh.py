"""`civicport ioc_refresh`: recompute the live indicators and produce the reports due now."""

from django.core.management.base import BaseCommand

from civicport.ioc import actions, reports, tasks


class Command(BaseCommand):
    help = "Refresh the IOC's live indicators and produce the weekly/monthly reports due."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true",
                            help="queue the tasks on the task backend instead of running them")

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            tasks.refresh_indicators.enqueue()
            tasks.scheduled_reports.enqueue()
            self.stdout.write("queued")
            return
        result = actions.indicators_refresh()
        self.stdout.write(f"stored {result['stored']} values; missing sources: "
                          f"{', '.join(sorted(result['missing'])) or 'none'}; failed: "
                          f"{', '.join(sorted(result['failed'])) or 'none'}"
                          f"{'; skipped (another refresh is running)' if result['skipped'] else ''}")
        for row in reports.reports_run():
            self.stdout.write(f"report {row.kind} {row.period_key}")
