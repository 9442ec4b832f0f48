"""`civicport demo`: migrate, load reference + demo data, run web server, worker and the
periodic jobs.

Used by `make demo`. Idempotent: a second run migrates nothing and creates no new rows.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from civicport.core.seeding import DEMO_ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Set up the demo database and run the web server and the task worker together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up only, do not run")

    def handle(self, *args, host, port, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed", demo=True, stdout=self.stdout)
        self._print_welcome(host, port)
        if no_serve:
            return
        env = os.environ | {"DEBUG": "1", "CIVICPORT_DEMO": "1"}
        cli = [sys.executable, "-m", "civicport.cli"]
        processes = [
            subprocess.Popen([*cli, "worker"], env=env),
            subprocess.Popen([*cli, "periodic", "--loop"], env=env),
            subprocess.Popen(
                [*cli, "serve", "--debug", "--host", host, "--port", str(port)], env=env
            ),
        ]
        try:
            # Stop everything when either process ends, so nothing is left half-running.
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _print_welcome(self, host, port):
        base = f"http://{host}:{port}"
        accounts = [name for name, *_ in DEMO_ACCOUNTS] + [
            "so.receiver", "so.processor", "so.approver", "so.agency_admin",
            "xa.receiver", "xa.processor", "xa.approver", "xa.agency_admin", "0900000001",
        ]
        lines = [
            "",
            "CivicPort demo",
            f"  Home page      {base}/",
            f"  Admin          {base}/admin/",
            f"  API docs       {base}/api/v1/docs",
            f"  Data folder    {settings.DATA_DIR}",
            f"  Demo logins (password {DEMO_PASSWORD}): {', '.join(accounts)}",
            "  Stop with Ctrl-C.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
