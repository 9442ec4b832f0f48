"""PostgreSQL only: a covering index for the statistics, built without locking writes.

The statistics group one period's dossiers by agency/procedure/month and classify each one
on time or late from a dozen columns. Including those columns lets PostgreSQL answer from the
index alone (an index-only scan of the period) instead of reading the whole dossier heap. The
result-file index serves the 766 "electronic result" semi-join. SQLite gets neither: its
databases are small enough, and it has no INCLUDE.
"""

from django.db import migrations

STATS_COLUMNS = (
    "agency_id", "procedure_id", "status", "channel", "due_at", "original_due_at",
    "finished_at", "paused_at", "fee_amount", "paid_online", "rating", "supplement_count",
)
INDEXES = {
    "dossier_stats_cover": (
        "publicservices_dossier (received_at) INCLUDE ({})".format(", ".join(STATS_COLUMNS))
    ),
    "dossierfile_kind": "publicservices_dossierfile (kind, dossier_id)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("publicservices", "0002_dossier_desk_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
