"""The search index stays in step with the articles table: outbox triggers, drains, rebuild, check and repair."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import tantivy
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, models, transaction

from articles import search_index
from articles.models import Article, ArticleAuthor, SearchOutbox
from articles.search import search
from tests.factories import ArticleFactory, AuthorFactory
from tests.search.conftest import found, make

pytestmark = pytest.mark.django_db

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops triggers on table rebuilds")


@pytest.fixture
def index_writes(monkeypatch, filler) -> SimpleNamespace:
    """Record the article id of each document written to the index (``documents``) and each index commit, from
    when the filler articles are indexed."""
    search_index.sync_pending()
    writes = SimpleNamespace(documents=[], commits=[])
    document, write = search_index.IndexedArticle.document, search_index._write
    monkeypatch.setattr(
        search_index.IndexedArticle,
        "document",
        lambda self, **kw: writes.documents.append(self.article.id) or document(self, **kw),
    )
    monkeypatch.setattr(search_index, "_write", lambda *a, **k: writes.commits.append(1) or write(*a, **k))
    return writes


def queued() -> set[int]:
    return set(SearchOutbox.objects.values_list("article_id", flat=True))


def assert_index_matches_the_database() -> None:
    search_index.sync_pending()
    report = search_index.check_index()
    assert report.divergent == [], report


def test_every_kind_of_write_queues_the_article(filler):
    """
    GIVEN a drained outbox
    WHEN articles and bylines are written through save, bulk_create, update, bulk_update, delete and raw SQL
    THEN each written article is queued, whatever bypassed the ORM's signals.
    """
    articles = [make(f"zeppelin {n}") for n in range(5)]
    author = AuthorFactory()
    search_index.sync_pending()
    assert queued() == set()

    articles[0].body = "balloon"
    articles[0].save()
    Article.objects.filter(pk=articles[1].pk).update(status=Article.Status.WITHDRAWN)
    articles[2].title = "Dirigible"
    Article.objects.bulk_update([articles[2]], ["title"])
    ArticleAuthor.objects.create(article=articles[3], author=author)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET word_count = 7 WHERE id = %s", [articles[4].pk])
    [created] = Article.objects.bulk_create([ArticleFactory.build(body="airship", publisher=articles[0].publisher)])
    ids = {*(a.pk for a in articles), created.pk}
    articles[0].delete()

    assert queued() == ids


def test_byline_changes_queue_the_article():
    article, author, other = ArticleFactory(), AuthorFactory(), AuthorFactory()
    byline = ArticleAuthor.objects.create(article=article, author=author)
    search_index.sync_pending()

    ArticleAuthor.objects.filter(pk=byline.pk).update(author=other)
    assert queued() == {article.pk}
    search_index.sync_pending()
    byline.delete()

    assert queued() == {article.pk}


def test_the_index_matches_the_database_after_every_kind_of_write(filler):
    articles = [make(f"zeppelin {n}") for n in range(4)]
    articles[0].body = "balloon"
    articles[0].save()
    Article.objects.filter(pk=articles[1].pk).update(title="Balloon", subtitle="balloon")
    articles[3].delete()

    assert_index_matches_the_database()
    assert found("balloon") == {articles[0].pk, articles[1].pk}
    assert found("zeppelin") == {articles[1].pk, articles[2].pk}


def test_sync_drains_in_batches_and_deletes_only_what_it_drained(monkeypatch, filler):
    monkeypatch.setattr(search_index, "SYNC_BATCH", 2)
    monkeypatch.setattr(search_index, "COMMIT_ROWS", 2)
    [make(f"airship {n}") for n in range(5)]

    assert search_index.sync_pending(limit=3) == 3
    assert SearchOutbox.objects.count() == 11 - 3  # six filler articles and five airships
    assert search_index.sync_pending() == 8
    assert len(found("airship")) == 5


def test_a_search_drains_the_outbox_first(filler):
    article = make("zeppelin")
    search_index.sync_pending()
    Article.objects.filter(pk=article.pk).update(body="balloon")  # no signal, no on_commit drain

    assert found("balloon") == {article.pk}
    assert queued() == set()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writes_are_drained_when_their_transaction_commits():
    """
    GIVEN real commits (no test transaction around them)
    WHEN an article is created, then edited in a transaction
    THEN each commit drains the outbox at once: nothing stays queued, and the index has the edit.
    """
    article = make("zeppelin")
    assert queued() == set()

    with transaction.atomic():
        article.body = "balloon"
        article.save()
        assert queued() == {article.pk}

    assert queued() == set()
    assert search_index.check_index().divergent == []
    assert found("balloon") == {article.pk}


def test_a_rolled_back_write_leaves_no_ghost_result(filler):
    """
    GIVEN an article created and indexed inside a transaction that then rolls back
    WHEN searching
    THEN it is not found: results are read back from the database.
    """
    with transaction.atomic():
        ghost = make("poltergeist")
        search_index.sync_pending()
        transaction.set_rollback(True)

    assert not Article.objects.filter(pk=ghost.pk).exists()
    assert found("poltergeist") == set()


def test_accents_are_folded_and_every_word_is_indexed(filler):
    """The same analyser on both databases: no stop words, no accents, so ``a*`` means the word "a"."""
    cafe = make("A café in Zürich.")

    assert found("cafe zurich") == {cafe.pk}
    assert found("Café") == {cafe.pk}
    assert found("the") == {a.pk for a in filler}
    assert found("a*") == {cafe.pk, *(a.pk for a in filler)}  # "A story about the ..."


def test_the_index_is_shared_through_its_directory(filler, settings):
    """A second process (here: a fresh open of the directory) sees what the first one committed."""
    article = make("zeppelin")
    search_index.sync_pending()

    search_index.reset_engine()

    assert found("zeppelin") == {article.pk}
    assert (settings.ARCHIVE_SEARCH_INDEX_DIR / search_index.CURRENT).is_symlink()


def test_rebuild_replaces_the_index_and_replays_writes_made_meanwhile(filler, monkeypatch):
    """
    GIVEN an index that lost its documents, and an article edited (and drained) while the rebuild runs
    WHEN the rebuild finishes
    THEN every article is found again, the edited one by its new words, and the old directory is gone.
    """
    article = make("zeppelin")
    search_index.sync_pending()
    old = (search_index.index_root() / search_index.CURRENT).resolve()
    search_index._write(search_index.current_index(), lambda writer: writer.delete_all_documents())
    assert found("story") == set()
    edited = []

    def edit_meanwhile(done: int) -> None:
        if not edited:
            Article.objects.filter(pk=article.pk).update(body="balloon")
            search_index.sync_pending()  # drains into the old index, journaled for the new one
            edited.append(done)

    assert search_index.rebuild(batch_size=3, progress=edit_meanwhile) == 7

    assert found("balloon") == {article.pk}
    assert found("zeppelin") == set()
    assert len(found("story")) == 6
    assert not old.exists()
    assert not (search_index.index_root() / search_index.JOURNAL_FILE).exists()


def test_crash_before_the_drain_is_caught_up_by_the_next_search(filler):
    """
    GIVEN an edit committed while the drain never ran (the process died): outbox rows left, index stale
    WHEN the next search runs
    THEN it drains the rows first and finds the article by its new words.
    """
    article = make("zeppelin")
    search_index.sync_pending()
    Article.objects.filter(pk=article.pk).update(body="balloon")
    assert queued() == {article.pk}

    assert found("balloon") == {article.pk}
    assert found("zeppelin") == set()


def test_check_reports_and_repair_fixes_a_divergent_index(filler):
    """
    GIVEN an index that diverged from the database without any queued row (lost documents, a stale
          document, a document of a deleted article: e.g. a crash with the queue already gone)
    WHEN the index is checked, then repaired
    THEN the check names each divergent article and the repair makes the index match again.
    """
    lost, stale, deleted = make("zeppelin lost"), make("zeppelin stale"), make("zeppelin deleted")
    search_index.sync_pending()
    Article.objects.filter(pk=stale.pk).update(body="balloon")
    Article.objects.filter(pk=deleted.pk).delete()
    SearchOutbox.objects.all().delete()  # the queue lost with the crash
    search_index._write(search_index.current_index(), lambda w: search_index.delete_documents(w, [lost.pk]))

    report = search_index.check_index(batch_size=2)

    assert (report.missing, report.stale, report.extra) == ([lost.pk], [stale.pk], [deleted.pk])
    assert search_index.repair(report) == 3
    assert_index_matches_the_database()
    assert found("zeppelin") == {lost.pk}
    assert found("balloon") == {stale.pk}


@on_sqlite
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_migration_that_rebuilds_the_articles_table_gets_its_triggers_back():
    """
    GIVEN a searchable article
    WHEN a schema change makes Django's SQLite schema editor rebuild the articles table
         (which drops the table's triggers) and post_migrate's repair runs
    THEN new edits are queued and found again.
    """
    triggers = set(search_index._outbox_migration().SQLITE_TRIGGERS)
    article = make("zeppelin", title="Rebuilt")
    old_field = Article._meta.get_field("title")
    new_field = models.CharField(max_length=1001)
    new_field.set_attributes_from_name("title")
    new_field.model = Article
    try:
        with connection.schema_editor() as editor:
            editor.alter_field(Article, old_field, new_field)
        assert not sqlite_triggers() & {name for name in triggers if name.startswith("articles_article_")}

        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
        Article.objects.filter(pk=article.pk).update(body="balloon")

        assert found("balloon") == {article.pk}
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Article, new_field, old_field)
        search_index.repair_triggers()
    assert sqlite_triggers() >= triggers
    assert search_index.repair_triggers() is False


def sqlite_triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


def test_no_trace_of_the_old_database_search_is_left():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "articles_article")}
    assert "articles_article_fts" not in tables
    assert "search_vector" not in columns
    assert search(Article.objects.all(), "zeppelin").count() == 0


def test_one_commit_indexes_each_queued_article_once(monkeypatch, filler, index_writes):
    """
    GIVEN articles queued twice each (the article and its byline), read two at a time
    WHEN the outbox is drained
    THEN one commit writes each article's document once, and the outbox is empty
    """
    search_index.sync_pending()
    monkeypatch.setattr(search_index, "SYNC_BATCH", 2)
    articles = [make(f"dirigible {n}") for n in range(5)]
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(subtitle="twice")
    added, commits = index_writes.documents, index_writes.commits

    search_index.sync_pending()

    assert sorted(added) == sorted(a.pk for a in articles)
    assert len(commits) == 1
    assert queued() == set()
    assert len(found("dirigible")) == 5


def test_an_index_of_an_older_schema_is_refused_until_rebuilt(filler):
    """
    GIVEN a live index built with an older schema (before ``date``, schema version 2)
    WHEN it is opened, then rebuilt
    THEN opening names the command that fixes it, and after the rebuild every article is found
    """
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    directory = search_index._new_directory()
    directory.mkdir(parents=True)
    tantivy.Index(builder.build(), path=str(directory), reuse=False)
    search_index._point_current_at(directory)
    search_index.reset_engine()

    with pytest.raises(search_index.SearchIndexOutdated, match="rebuild_search_index"):
        search_index.searcher()

    assert search_index.rebuild() == 6
    assert len(found("story")) == 6
    assert not directory.exists()


def test_documents_sort_and_filter_by_the_articles_date(filler):
    """GIVEN a story first published in 2001 WHEN searched newest first by date THEN it comes last, found by date."""
    old = make("story from long ago")
    Article.objects.filter(pk=old.pk).update(original_published_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    search_index.sync_pending()
    results = search(Article.objects.all(), "story").order_by("-date", "-id")

    assert [a.pk for a in results][-1] == old.pk
    assert search_index.check_index().divergent == []


def test_an_article_queued_again_after_a_drains_limit_is_indexed_once(monkeypatch, filler, index_writes):
    """
    GIVEN three articles queued twice each (created, then changed), and drains of three rows
    WHEN the outbox is drained
    THEN the first drain takes each article's later row too: one document each, one commit, an empty outbox
    """
    search_index.sync_pending()
    monkeypatch.setattr(search_index, "COMMIT_ROWS", 3)
    articles = [make(f"zeppelin {n}") for n in range(3)]
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(subtitle="changed")
    added, commits = index_writes.documents, index_writes.commits

    assert search_index.sync_pending() == 6

    assert sorted(added) == sorted(a.pk for a in articles)
    assert len(commits) == 1
    assert queued() == set()
