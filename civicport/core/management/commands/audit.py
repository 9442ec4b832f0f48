"""`civicport audit verify`: check the hash chain of the audit trail."""

from django.core.management.base import BaseCommand, CommandError

from civicport.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="verify the hash chain; exit 1 at the first broken link")

    def handle(self, *args, action, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"audit trail BROKEN at entry #{result.first_broken_seq}: {result.problem} "
                f"({result.checked} entries verified before it)"
            )
        self.stdout.write(f"audit trail OK: {result.checked} entries verified")
