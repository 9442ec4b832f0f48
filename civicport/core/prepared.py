"""Hot read paths: a hand-written statement, planned once per connection on PostgreSQL.

Django binds parameters on the client, so PostgreSQL parses and plans every statement anew,
and it turns off psycopg's automatic preparation (for connection poolers). For a join of
six tables that is read per request, like the public dossier lookup, planning costs about
eight times the execution (0.5 ms against 0.06 ms). `fetch_all` sends such a statement
with server-side binding and `prepare=True`: prepared on its first use by each connection
(connections persist, CONN_MAX_AGE), then only executed with one generic plan
(`plan_cache_mode=force_generic_plan` in the connection options, settings.py). Write such
statements so that one plan suits every parameter value (e.g. a partial index's condition
in the text, not a parameter).

Behind a pooler in transaction mode older than PgBouncer 1.21, prepared statements do not
survive a change of server connection: set DATABASE_PREPARED_STATEMENTS=0 there.
Other databases (SQLite) run the statement through Django's own cursor.
"""

from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class _PreparingCursor(psycopg.Cursor):
    """A server-binding cursor whose statements are prepared on first execution."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare,
                               binary=binary)


def prepared_enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(
        settings, "DATABASE_PREPARED_STATEMENTS", True
    )


def fetch_all(sql: str, params: list) -> list[tuple]:
    """Run one SELECT written with %s placeholders and return its rows."""
    if not prepared_enabled():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    raw = _PreparingCursor(connection.connection)
    # Django's wrapper keeps what its own cursors do: query logging in tests and DEBUG,
    # execute wrappers, and database errors as django.db errors.
    wrapped = (
        connection.make_debug_cursor(raw) if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with wrapped as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def aware(value) -> datetime | None:
    """A datetime column as `fetch_all` returns it — aware on PostgreSQL; on SQLite a naive
    UTC datetime or its text — as an aware datetime (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
