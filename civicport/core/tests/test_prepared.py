import pytest
from django.db import connection

from civicport.core import prepared

pytestmark = pytest.mark.django_db

def statement(tag: str) -> str:
    # Each test its own text: prepared statements outlive a test's transaction.
    return f"SELECT CAST(%s AS INTEGER) + 1 AS next_number /* core.prepared {tag} */"


def _prepared_here(tag: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%core.prepared {tag}%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_fetch_all_answers_on_every_database():
    assert prepared.fetch_all(statement("any"), [41]) == [(42,)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_statement_is_prepared_once_per_connection(django_assert_num_queries):
    with django_assert_num_queries(2):  # still seen by Django's query log
        assert prepared.fetch_all(statement("once"), [1]) == [(2,)]
        assert prepared.fetch_all(statement("once"), [2]) == [(3,)]
    assert len(_prepared_here("once")) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_setting_off_prepares_nothing(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert prepared.fetch_all(statement("off"), [1]) == [(2,)]
    assert _prepared_here("off") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_django_statements_stay_unprepared():
    for _ in range(10):  # more than psycopg's default threshold of 5
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 /* core.prepared django */")
    assert _prepared_here("django") == []


def test_aware_reads_datetimes_as_either_database_returns_them():
    from datetime import UTC, datetime, timedelta, timezone

    moment = datetime(2026, 2, 13, 3, 0, tzinfo=UTC)
    hanoi = moment.astimezone(timezone(timedelta(hours=7)))
    assert prepared.aware(None) is None
    assert prepared.aware(hanoi) is hanoi
    assert prepared.aware(moment.replace(tzinfo=None)) == moment  # SQLite: naive UTC
    assert prepared.aware("2026-02-13 03:00:00") == moment
