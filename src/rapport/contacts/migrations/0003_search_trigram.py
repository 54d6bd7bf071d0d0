"""On PostgreSQL, trigram indexes make substring search on names, emails, phones and handles fast at scale."""

import logging

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger(__name__)

INDEXES = [
    ("contacts_person", "person_search_trgm"),
    ("contacts_organization", "org_search_trgm"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite scans; the embedded default is sized for one team
    with schema_editor.connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            log.warning(
                "pg_trgm is not available: contact search will scan. Ask a superuser to CREATE EXTENSION pg_trgm."
            )
            return
        for table, name in INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for _, name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]
    operations = [migrations.RunPython(create, drop)]
