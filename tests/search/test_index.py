"""The search index stays in step with the articles table: triggers, repair and rebuild, per database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, models

from articles.models import Article
from articles.search import (
    FTS_TABLE,
    VECTOR_COLUMN,
    rebuild_search_index,
    repair_search_index,
    search,
)
from tests.search.conftest import found, make, on_postgres, on_sqlite

pytestmark = pytest.mark.django_db

FTS_TRIGGERS = {f"{FTS_TABLE}_insert", f"{FTS_TABLE}_update", f"{FTS_TABLE}_delete"}


def fts_integrity_check() -> None:
    """Raise unless SQLite's FTS5 index matches the articles table exactly."""
    with connection.cursor() as cursor:
        # rank=1 makes FTS5 compare the index with the external content table too.
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")


def sqlite_triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles_article'")
        return {name for (name,) in cursor.fetchall()}


@on_sqlite
def test_fts_index_matches_the_table_after_every_kind_of_write(filler):
    """
    GIVEN articles written through create, bulk_create, save, update, bulk_update and delete
    WHEN FTS5 compares its index with the articles table
    THEN they agree (a trigger that missed a write would make this fail).
    """
    articles = [make(f"zeppelin {n}") for n in range(4)]
    Article.objects.bulk_create([Article(**_copy(articles[0], n)) for n in range(2)])
    articles[0].body = "balloon"
    articles[0].save()
    Article.objects.filter(pk=articles[1].pk).update(title="Balloon", subtitle="balloon")
    articles[2].body = "dirigible"
    Article.objects.bulk_update([articles[2]], ["body"])
    articles[3].delete()
    Article.objects.filter(pk=articles[1].pk).update(status=Article.Status.WITHDRAWN)

    fts_integrity_check()
    assert found("balloon") == {articles[0].pk, articles[1].pk}


def _copy(article: Article, n: int) -> dict:
    return {
        "title": f"Copy {n}",
        "slug": f"copy-{n}",
        "body": "zeppelin copy",
        "source_key": f"copy/{n}.txt",
        "content_sha256": f"{n:064d}",
        "raw_text": "copy",
        "publisher": article.publisher,
    }


@on_sqlite
def test_fts_table_has_the_documented_tokenizer_and_triggers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        (sql,) = cursor.fetchone()

    assert "content='articles_article'" in sql
    assert "tokenize='porter unicode61 remove_diacritics 2'" in sql
    assert sqlite_triggers() >= FTS_TRIGGERS


@on_sqlite
def test_sqlite_folds_diacritics(filler):
    article = make("A café in Zürich.")

    assert found("cafe zurich") == {article.pk}


@on_sqlite
def test_repair_does_nothing_when_the_index_is_intact():
    assert repair_search_index() is False
    assert sqlite_triggers() >= FTS_TRIGGERS


@on_sqlite
def test_repair_recreates_dropped_triggers_and_reindexes(filler):
    """
    GIVEN an article, and the FTS triggers lost (as a table rebuild loses them) while the text changed
    WHEN the index is repaired (as after every migrate)
    THEN the triggers are back and the index has caught up with the text.
    """
    article = make("zeppelin")
    with connection.cursor() as cursor:
        for name in FTS_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    Article.objects.filter(pk=article.pk).update(body="balloon")

    assert repair_search_index() is True

    assert sqlite_triggers() >= FTS_TRIGGERS
    fts_integrity_check()
    assert found("balloon") == {article.pk}


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_migration_that_rebuilds_the_articles_table_keeps_search_working():
    """
    GIVEN a searchable article
    WHEN a schema change makes Django's SQLite schema editor rebuild the articles table
         (which drops the table's triggers) and post_migrate's repair runs
    THEN new edits are indexed again.
    """
    article = make("zeppelin", title="Rebuilt")
    old_field = Article._meta.get_field("title")
    new_field = models.CharField(max_length=1001)
    new_field.set_attributes_from_name("title")
    new_field.model = Article
    try:
        with connection.schema_editor() as editor:
            editor.alter_field(Article, old_field, new_field)
        assert not sqlite_triggers() & FTS_TRIGGERS  # What the repair is for.

        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
        Article.objects.filter(pk=article.pk).update(body="balloon")

        fts_integrity_check()
        assert found("balloon") == {article.pk}
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Article, new_field, old_field)
        repair_search_index()
    assert sqlite_triggers() >= FTS_TRIGGERS


def test_rebuild_reindexes_every_article(filler):
    """
    GIVEN an index that lost its entries
    WHEN it is rebuilt
    THEN every article is searchable again.
    """
    article = make("zeppelin")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"UPDATE articles_article SET {VECTOR_COLUMN} = NULL")
        else:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    assert found("zeppelin") == set()

    rebuild_search_index()

    assert found("zeppelin") == {article.pk}
    assert len(found("story")) == 6


@on_postgres
def test_postgres_keeps_a_gin_indexed_vector_maintained_by_triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'articles_article'::regclass AND NOT tgisinternal"
        )
        triggers = {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'articles_article_search_vector_idx'")
        (indexdef,) = cursor.fetchone()

    assert {"articles_article_search_vector_insert", "articles_article_search_vector_update"} <= triggers
    assert "USING gin (search_vector)" in indexdef


@on_postgres
def test_postgres_weights_title_subtitle_and_body():
    article = make("zeppelin body", title="Zeppelin title", subtitle="zeppelin subtitle")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {VECTOR_COLUMN}::text FROM articles_article WHERE id = %s", [article.pk])
        (vector,) = cursor.fetchone()

    assert "'zeppelin':1A,3B,5C" in vector


@on_postgres
def test_postgres_search_can_use_the_gin_index(filler):
    make("zeppelin")
    with connection.cursor() as cursor:
        # On a table this small a sequential scan is cheaper: rule out the other plans.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")

    plan = search(Article.objects.order_by(), "zeppelin -balloon").explain()

    assert "articles_article_search_vector_idx" in plan


@on_postgres
def test_postgres_rebuild_applies_a_changed_text_search_configuration(filler, settings):
    """
    GIVEN an article saying "detainers", indexed with the english configuration (stemming)
    WHEN ARCHIVE_SEARCH_CONFIG becomes "simple" (no stemming) and the index is rebuilt
    THEN "detainer" no longer finds it and "detainers" still does; new articles use the new configuration.
    """
    article = make("Immigration detainers.")
    assert found("detainer") == {article.pk}

    settings.ARCHIVE_SEARCH_CONFIG = "simple"
    rebuild_search_index()
    later = make("More detainers.")

    assert found("detainer") == set()
    assert found("detainers") == {article.pk, later.pk}
    # The test's transaction rolls the function back to english; prove it for the next tests anyway.
    settings.ARCHIVE_SEARCH_CONFIG = "english"
    rebuild_search_index()
    assert found("detainer") == {article.pk, later.pk}


@pytest.mark.parametrize("config", ["english; DROP TABLE articles_article", "'english'", ""])
def test_an_unsafe_search_configuration_is_refused(settings, config):
    settings.ARCHIVE_SEARCH_CONFIG = config

    if connection.vendor == "postgresql":
        with pytest.raises(ImproperlyConfigured):
            search(Article.objects.all(), "zeppelin")
        with pytest.raises(ImproperlyConfigured):
            rebuild_search_index()
    else:  # SQLite's FTS5 index has no configuration to choose.
        assert list(search(Article.objects.all(), "zeppelin")) == []


@on_postgres
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("the", set()),  # Only stop words: nothing to search for.
        ("the -landed", set()),  # Not "everything without 'landed'".
        ("zeppelin -the", {"zeppelin"}),  # Excluding a stop word excludes nothing.
        ('zeppelin -"the"', {"zeppelin"}),
    ],
)
def test_postgres_stop_words(filler, q, expected):
    articles = {"zeppelin": make("The zeppelin landed."), "balloon": make("A balloon flew.")}

    assert found(q) == {articles[name].pk for name in expected}
