"""`civicport audit verify|seal`: check the hash chain of the audit trail, or chain the
entries still waiting to be sealed (normally done right after each commit)."""

from django.core.management.base import BaseCommand, CommandError

from civicport.core.audit import SEAL_LATE, audit_seal, audit_verify


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="verify the hash chain; exit 1 at the first broken link")
        sub.add_parser("seal", help="chain the committed entries not sealed yet")

    def handle(self, *args, action, **options):
        if action == "seal":
            self.stdout.write(f"audit trail: {audit_seal()} entries sealed")
            return
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"audit trail BROKEN at entry #{result.first_broken_seq}: {result.problem} "
                f"({result.checked} entries verified before it)"
            )
        self.stdout.write(f"audit trail OK: {result.checked} entries verified")
        if result.unsealed:
            self.stdout.write(f"{result.unsealed} entries not sealed yet")
        if result.unsealed_late:
            self.stderr.write(
                f"WARNING: {result.unsealed_late} entries unsealed for more than "
                f"{int(SEAL_LATE.total_seconds() // 60)} minutes: is `civicport periodic` running?"
            )
