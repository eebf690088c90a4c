from django.db import migrations

# Staff's newest first (undated drafts last) on SQLite: a descending walk of this
# index gives DESC NULLS LAST, and nothing else serves the admin's change list or a
# staff list without a status filter (PostgreSQL has its own, migration 0009).
SQLITE_STAFF_INDEX = "article_pub_id_sqlite_idx"


def create_sqlite_staff_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'CREATE INDEX "{SQLITE_STAFF_INDEX}" ON "articles_article" ("published_at", "id")')


def drop_sqlite_staff_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{SQLITE_STAFF_INDEX}"')


# The outbox is a queue: every article written passes through it and is deleted
# within moments, so the table is nearly always empty and made of dead rows.
# PostgreSQL's default thresholds (20% of a table that has ~0 live rows, counted
# only after analyze) leave an import's hundreds of thousands of dead rows in place,
# and every search's "anything queued?" probe walks them. Vacuum it after every
# 1,000 deletions instead. SQLite reuses the freed pages on its own.
TABLE = "articles_searchoutbox"


def tune_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'ALTER TABLE "{TABLE}" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, '
            "autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000)"
        )


def reset_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'ALTER TABLE "{TABLE}" RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, '
            "autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0009_article_ordering_indexes"),
    ]

    operations = [
        migrations.RunPython(create_sqlite_staff_index, drop_sqlite_staff_index),
        migrations.RunPython(tune_autovacuum, reset_autovacuum),
    ]
