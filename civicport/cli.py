"""The `civicport` command: Django's management commands plus our own.

`civicport serve`, `worker`, `seed`, `demo`, `token create`, `audit verify` are management
commands in civicport.core; this entry point only sets the settings module.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicport.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicport", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
