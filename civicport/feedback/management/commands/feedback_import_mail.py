"""Import reports sent by e-mail, from an mbox file or an IMAP mailbox (unseen messages)."""

import os

from django.core.management.base import BaseCommand, CommandError

from civicport.feedback.channels import import_imap, import_mbox


class Command(BaseCommand):
    help = "Create feedback reports from e-mails (mbox file or IMAP; re-imports are no-ops)."

    def add_arguments(self, parser):
        parser.add_argument("--mbox", help="path of an mbox file")
        parser.add_argument("--imap-host")
        parser.add_argument("--imap-user")
        parser.add_argument("--imap-folder", default="INBOX")
        parser.add_argument("--imap-port", type=int, default=993)

    def handle(self, *args, **options):
        if options["mbox"]:
            if not os.path.isfile(options["mbox"]):
                raise CommandError(f"no such file: {options['mbox']}")
            created, problems = import_mbox(options["mbox"])
        elif options["imap_host"]:
            password = os.environ.get("CIVICPORT_FEEDBACK_IMAP_PASSWORD", "")
            if not (options["imap_user"] and password):
                raise CommandError("--imap-user and CIVICPORT_FEEDBACK_IMAP_PASSWORD are needed")
            created, problems = import_imap(
                host=options["imap_host"], user=options["imap_user"], password=password,
                folder=options["imap_folder"], port=options["imap_port"])
        else:
            raise CommandError("give --mbox PATH or --imap-host HOST")
        for problem in problems:
            self.stderr.write(problem)
        self.stdout.write(f"{created} reports created, {len(problems)} messages refused")
