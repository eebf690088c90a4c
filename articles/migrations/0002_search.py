"""Migration: full-text search as it was until 0007 (PostgreSQL search vector + GIN, SQLite FTS5, by triggers).

Migration 0007 replaces it with the Tantivy index and drops all of this. The
DDL is frozen here, as it was, so that the migration history replays on an
empty database without depending on live code.
"""

# ruff: noqa: S608 - every statement is built from this module's constants only.

import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "articles_article"
FTS = "articles_article_fts"
FUNCTION = "articles_article_search_vector"
_CONFIG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
FTS_COLUMNS = "title, subtitle, body, id"
SQLITE_INSTALL = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(title, subtitle, body, id UNINDEXED, content='{TABLE}', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, {FTS_COLUMNS}) VALUES (new.id, new.title, new.subtitle, new.body, new.id);
    END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.title, old.subtitle, old.body, old.id);
    END""",
    f"""CREATE TRIGGER {FTS}_update AFTER UPDATE OF {FTS_COLUMNS} ON {TABLE}
    WHEN old.id IS NOT new.id OR old.title IS NOT new.title
        OR old.subtitle IS NOT new.subtitle OR old.body IS NOT new.body
    BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.title, old.subtitle, old.body, old.id);
        INSERT INTO {FTS}(rowid, {FTS_COLUMNS}) VALUES (new.id, new.title, new.subtitle, new.body, new.id);
    END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {FUNCTION}_insert ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {FUNCTION}_update ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
    f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_vector",
]


def postgres_install(config: str) -> list[str]:
    vector = " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({{row}}{column}, '')), '{weight}')"
        for column, weight in (("title", "A"), ("subtitle", "B"), ("body", "C"))
    )
    return [
        f"ALTER TABLE {TABLE} ADD COLUMN search_vector tsvector",
        f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_vector := {vector.format(row="NEW.")};
            RETURN NEW;
        END
        $$""",
        f"CREATE TRIGGER {FUNCTION}_insert BEFORE INSERT ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {FUNCTION}_update BEFORE UPDATE OF title, subtitle, body ON {TABLE} "
        "FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.subtitle IS DISTINCT FROM NEW.subtitle "
        f"OR OLD.body IS DISTINCT FROM NEW.body) EXECUTE FUNCTION {FUNCTION}()",
        f"UPDATE {TABLE} SET search_vector = {vector.format(row='')}",  # noqa: S608 - constant SQL
        f"CREATE INDEX {TABLE}_search_vector_idx ON {TABLE} USING gin (search_vector)",
    ]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        config = getattr(settings, "ARCHIVE_SEARCH_CONFIG", "english")
        statements = postgres_install(config if _CONFIG_NAME.fullmatch(config) else "english")
    else:
        statements = SQLITE_INSTALL if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_UNINSTALL, "sqlite": SQLITE_UNINSTALL}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="ArticleSearchIndex",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        db_column="id",
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_index",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("fts", models.TextField(db_column="articles_article_fts", editable=False)),
            ],
            options={"db_table": "articles_article_fts", "managed": False},
        ),
        migrations.RunPython(install, uninstall),
    ]
