"""`civicport remind`: send the officers' step reminders once, by hand (`civicport periodic`
runs them every 30 minutes; see civicport/publicservices/tasks.py)."""

from django.core.management.base import BaseCommand

from civicport.publicservices.tasks import step_reminders


class Command(BaseCommand):
    help = (
        "E-mail officers about dossiers whose step is due within 4 working hours or overdue, "
        "now (`civicport periodic` does it every 30 minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true",
            help="queue the task for `civicport worker` instead of running it here",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = step_reminders.enqueue()
            self.stdout.write(f"step reminders queued (task {result.id})")
            return
        queued = step_reminders.call()
        self.stdout.write(f"step reminders: {queued} e-mails queued")
