"""Escalate overdue reports to the city and close answered reports after the reopen window,
now. `civicport periodic` runs both on their own schedule (civicport/feedback/periodic.py)."""

from django.core.management.base import BaseCommand

from civicport.feedback.actions import reports_close_answered, reports_escalate_overdue


class Command(BaseCommand):
    help = "Escalate overdue feedback reports and close answered ones past the reopen window."

    def handle(self, *args, **options):
        escalated = reports_escalate_overdue()
        closed = reports_close_answered()
        self.stdout.write(f"{escalated} escalated, {closed} closed")
