"""The `civicport` command: Django's management commands plus our own.

`civicport serve`, `worker`, `seed`, `demo`, `token create`, `audit verify` are management
commands in civicport.core. `civicport openapi` lives here because it reads the project's
API wiring, which core must not import.
"""

import json
import os
import sys


def openapi_json() -> str:
    """The OpenAPI document of /api/v1/, as committed in docs/openapi-v1.json."""
    from civicport.api import api

    # A JSON round trip first: response codes come as ints, which cannot sort with strings.
    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _openapi(args: list[str]) -> None:
    import django

    django.setup()
    text = openapi_json()
    if args[:1] == ["--output"] and len(args) == 2:
        with open(args[1], "w", encoding="utf-8") as fh:
            fh.write(text)
    elif not args:
        sys.stdout.write(text)
    else:
        raise SystemExit("usage: civicport openapi [--output FILE]")


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicport.settings")
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["openapi"]:
        _openapi(args[1:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicport", *args])


if __name__ == "__main__":
    main()
