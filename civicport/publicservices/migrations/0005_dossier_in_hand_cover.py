"""PostgreSQL only: a covering index of the work in hand, for the officer inbox.

The inbox counts an agency's work in hand by status and urgency, and picks the most urgent
page of it, on every request. The urgency of a dossier reads its status, its two deadlines
and whether its clock is paused; with those columns (and the id) in the index, both are an
index-only scan of the agency's open dossiers, and only the page's rows are read from the
table (with `dossier_inbox` every one of the agency's open dossiers is a heap fetch, each in
its own block). Partial: the finished dossiers — nearly all of a million — are not in it,
so it stays small and costs nothing when they change. SQLite gets none (no INCLUDE; its
databases are small). Keep the status list equal to `queries.INBOX_STATUSES`: the planner
uses the index only for queries whose status condition implies this one.
"""

from django.db import migrations

INDEX = "dossier_in_hand"
IN_HAND = ("new", "received", "processing", "supplement", "waiting_fee", "done")
TARGET = (
    "publicservices_dossier (current_agency_id, status) "
    "INCLUDE (step_due_at, due_at, paused_at, id) "
    "WHERE status IN ({})".format(", ".join(f"'{s}'" for s in IN_HAND))
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TARGET}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("publicservices", "0004_dossier_verbose_names")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
