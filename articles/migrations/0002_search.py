"""Migration: full-text search (PostgreSQL search vector + GIN, SQLite FTS5), kept in sync by triggers.

The DDL lives in ``articles.search`` beside the queries that rely on it; the
operation checks the database vendor, so one migration serves both databases.
"""

import django.db.models.deletion
from django.db import migrations, models

from articles import search


def install(apps, schema_editor):
    search.install_search_index(schema_editor)


def uninstall(apps, schema_editor):
    search.uninstall_search_index(schema_editor)


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
