"""`civicport serve`: the production web server (granian, WSGI), DEBUG off."""

import os
import shutil
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError


def granian_command(*, host: str, port: int, workers: int) -> list[str]:
    granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or shutil.which(
        "granian"
    )
    if granian is None:
        raise CommandError("granian is not installed: pip install granian")
    return [
        granian, "--interface", "wsgi", "--host", host, "--port", str(port),
        "--workers", str(workers), "--blocking-threads", "1", "--no-ws",
        "civicport.wsgi:application",
    ]


class Command(BaseCommand):
    help = "Run the production web server (granian) with DEBUG off."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("CIVICPORT_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="worker processes (default: WEB_CONCURRENCY or 2)",
        )
        parser.add_argument(
            "--debug", action="store_true", help="keep DEBUG on (the demo uses this)"
        )

    def handle(self, *args, host, port, workers, debug, **options):
        env = os.environ | {"DJANGO_SETTINGS_MODULE": "civicport.settings"}
        if not debug:
            env["DEBUG"] = "0"
            # The manifest storage needs collected files; the data dir holds them.
            self._collectstatic(env)
        self.stdout.write(f"CivicPort on http://{host}:{port}/ ({workers} workers)")
        self.stdout.flush()
        command = granian_command(host=host, port=port, workers=workers)
        os.execvpe(command[0], command, env)

    def _collectstatic(self, env):
        # In a child process: this one may have loaded settings with DEBUG on.
        subprocess.run(
            [sys.executable, "-m", "civicport.cli", "collectstatic", "--noinput", "-v0"],
            env=env, check=True,
        )
