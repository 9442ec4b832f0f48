"""`civicport periodic`: run the periodic jobs that are due (see civicport/core/schedule.py).

    * * * * *  cd /srv/civicport && .venv/bin/civicport periodic        # cron, every minute
    civicport periodic --loop                                          # or one long-lived process
"""

import time

from django.core.management.base import BaseCommand, CommandError

from civicport.core.schedule import periodic_jobs, run_due


class Command(BaseCommand):
    help = "Run the periodic jobs that are due (reminders, escalations, refreshes)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", action="store_true", dest="list_jobs", help="list the jobs and exit"
        )
        parser.add_argument("--job", help="run only this job")
        parser.add_argument("--force", action="store_true", help="run even if not due")
        parser.add_argument("--loop", action="store_true", help="keep running, every minute")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds per loop")

    def handle(self, *args, list_jobs, job, force, loop, interval, **options):
        jobs = periodic_jobs()
        if list_jobs:
            for item in jobs:
                self.stdout.write(f"{item.name:<40} every {item.every}  {item.description}")
            return
        if job and job not in {item.name for item in jobs}:
            raise CommandError(f"no periodic job named {job!r} (see --list)")
        while True:
            failed = 0
            for name, ok, message in run_due(only=job, force=force):
                failed += not ok
                self.stdout.write(f"{name}: {'ok' if ok else 'FAILED'} {message}")
            if not loop:
                if failed:
                    raise CommandError(f"{failed} job(s) failed")
                return
            force = False
            time.sleep(interval)
