"""Migration: search moves to the Tantivy index; triggers queue every article change in an outbox.

Drops 0002's PostgreSQL search vector (column, triggers, GIN index) and SQLite
FTS5 table and triggers; creates ``articles_searchoutbox`` and the triggers that
fill it on every insert, update or delete of an article or a byline, and
queues every existing article so the first drain (or ``rebuild_search_index``)
indexes the archive. The SQL is frozen here; ``articles.search_index`` keeps
the live copy of the SQLite triggers it recreates after a table rebuild.
"""

# ruff: noqa: S608 - every statement is built from this module's constants only.

import importlib

from django.db import migrations, models
from django.db.models.functions import Now

OUTBOX = "articles_searchoutbox"
ARTICLES = "articles_article"
BYLINES = "articles_articleauthor"

POSTGRES_FUNCTIONS = {
    "articles_search_outbox_article": "id",
    "articles_search_outbox_byline": "article_id",
}
POSTGRES_TRIGGERS = [
    # (trigger, table, event, transition tables, function)
    ("articles_article_search_insert", ARTICLES, "INSERT", "NEW TABLE AS new_rows", "articles_search_outbox_article"),
    (
        "articles_article_search_update",
        ARTICLES,
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "articles_search_outbox_article",
    ),
    ("articles_article_search_delete", ARTICLES, "DELETE", "OLD TABLE AS old_rows", "articles_search_outbox_article"),
    ("articles_byline_search_insert", BYLINES, "INSERT", "NEW TABLE AS new_rows", "articles_search_outbox_byline"),
    (
        "articles_byline_search_update",
        BYLINES,
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "articles_search_outbox_byline",
    ),
    ("articles_byline_search_delete", BYLINES, "DELETE", "OLD TABLE AS old_rows", "articles_search_outbox_byline"),
]


def postgres_function(name: str, column: str) -> str:
    # Statement-level with transition tables: one INSERT ... SELECT per statement, however many rows.
    return f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {OUTBOX} (article_id) SELECT {column} FROM new_rows ORDER BY {column};
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO {OUTBOX} (article_id)
                SELECT {column} FROM (SELECT {column} FROM new_rows UNION SELECT {column} FROM old_rows) AS changed
                ORDER BY {column};
            ELSE
                INSERT INTO {OUTBOX} (article_id) SELECT {column} FROM old_rows ORDER BY {column};
            END IF;
            RETURN NULL;
        END
        $$"""


POSTGRES_INSTALL = [
    *(postgres_function(name, column) for name, column in POSTGRES_FUNCTIONS.items()),
    *(
        f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for trigger, table, event, tables, function in POSTGRES_TRIGGERS
    ),
]
POSTGRES_UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {trigger} ON {table}" for trigger, table, *_ in POSTGRES_TRIGGERS),
    *(f"DROP FUNCTION IF EXISTS {name}()" for name in POSTGRES_FUNCTIONS),
]
SQLITE_TRIGGERS = {
    "articles_article_search_insert": f"AFTER INSERT ON {ARTICLES} BEGIN "
    f"INSERT INTO {OUTBOX} (article_id) VALUES (new.id); END",
    "articles_article_search_update": f"AFTER UPDATE ON {ARTICLES} BEGIN "
    f"INSERT INTO {OUTBOX} (article_id) SELECT old.id WHERE old.id IS NOT new.id; "
    f"INSERT INTO {OUTBOX} (article_id) VALUES (new.id); END",
    "articles_article_search_delete": f"AFTER DELETE ON {ARTICLES} BEGIN "
    f"INSERT INTO {OUTBOX} (article_id) VALUES (old.id); END",
    "articles_byline_search_insert": f"AFTER INSERT ON {BYLINES} BEGIN "
    f"INSERT INTO {OUTBOX} (article_id) VALUES (new.article_id); END",
    "articles_byline_search_update": f"AFTER UPDATE ON {BYLINES} BEGIN "
    f"INSERT INTO {OUTBOX} (article_id) SELECT old.article_id WHERE old.article_id IS NOT new.article_id; "
    f"INSERT INTO {OUTBOX} (article_id) VALUES (new.article_id); END",
    "articles_byline_search_delete": f"AFTER DELETE ON {BYLINES} BEGIN "
    f"INSERT INTO {OUTBOX} (article_id) VALUES (old.article_id); END",
}
SQLITE_INSTALL = [f"CREATE TRIGGER {name} {body}" for name, body in SQLITE_TRIGGERS.items()]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
QUEUE_EVERY_ARTICLE = f"INSERT INTO {OUTBOX} (article_id) SELECT id FROM {ARTICLES} ORDER BY id"  # noqa: S608

# 0002's frozen DDL, to drop it going forwards and to put it back going backwards.
old_search = importlib.import_module("articles.migrations.0002_search")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [*old_search.POSTGRES_UNINSTALL, *POSTGRES_INSTALL]
    elif vendor == "sqlite":
        statements = [*old_search.SQLITE_UNINSTALL, *SQLITE_INSTALL]
    else:
        statements = []
    for statement in [*statements, QUEUE_EVERY_ARTICLE]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_UNINSTALL, "sqlite": SQLITE_UNINSTALL}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)
    old_search.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_import_run_status")]

    operations = [
        migrations.CreateModel(
            name="SearchOutbox",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("article_id", models.BigIntegerField(verbose_name="article id")),
                ("queued_at", models.DateTimeField(db_default=Now(), verbose_name="queued at")),
            ],
            options={
                "verbose_name": "search outbox entry",
                "verbose_name_plural": "search outbox",
                "ordering": ["id"],
            },
        ),
        migrations.DeleteModel(name="ArticleSearchIndex"),
        migrations.RunPython(forwards, backwards),
    ]
