"""``manage.py rebuild_search_index`` and ``manage.py check_search_index``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from articles import search_index
from articles.models import Article, SearchOutbox
from tests.factories import ArticleFactory
from tests.search.conftest import found

pytestmark = pytest.mark.django_db


def test_rebuild_restores_a_lost_index():
    """
    GIVEN an article whose index document was lost
    WHEN rebuild_search_index runs
    THEN the article is found again, and the command said what it did
    """
    article = ArticleFactory(body="The heronry by the river was counted again.")
    search_index.sync_pending()
    search_index._write(search_index.current_index(), lambda writer: writer.delete_all_documents())
    assert found("heronry") == set()
    out = StringIO()

    call_command("rebuild_search_index", "--batch-size", "1", verbosity=2, stdout=out)

    assert found("heronry") == {article.pk}
    assert "Indexed 1 articles" in out.getvalue()
    assert "Rebuilt the search index: 1 articles." in out.getvalue()


def test_if_outdated_leaves_a_current_index_alone_and_rebuilds_an_older_schemas():
    """
    GIVEN an up-to-date index, then one whose directory records an older schema version
    WHEN rebuild_search_index --if-outdated runs on each (as `make run` does after migrating)
    THEN the first is left as it is, the second rebuilt, its articles found again
    """
    article = ArticleFactory(body="The heronry by the river was counted again.")
    search_index.sync_pending()
    out = StringIO()

    call_command("rebuild_search_index", "--if-outdated", verbosity=2, stdout=out)

    assert "up to date: nothing to rebuild" in out.getvalue()
    live = (search_index.index_root() / search_index.CURRENT).resolve()
    (live / search_index.VERSION_FILE).write_text(f"{search_index.SCHEMA_VERSION - 1}\n")
    assert search_index.is_outdated()
    out = StringIO()

    call_command("rebuild_search_index", "--if-outdated", stdout=out)

    assert "Rebuilt the search index: 1 articles." in out.getvalue()
    assert not search_index.is_outdated()
    assert found("heronry") == {article.pk}


def test_check_passes_on_a_consistent_index():
    ArticleFactory.create_batch(3)
    out = StringIO()

    call_command("check_search_index", stdout=out)

    assert "Checked 3 articles: 0 missing from the index, 0 stale, 0 deleted but still indexed." in out.getvalue()


def test_check_fails_on_divergence_and_repair_fixes_it():
    article = ArticleFactory(body="The heronry by the river.")
    search_index.sync_pending()
    Article.objects.filter(pk=article.pk).update(body="The rookery by the river.")
    SearchOutbox.objects.all().delete()  # as if the queue was lost

    with pytest.raises(CommandError, match="1 stale"):
        call_command("check_search_index", stdout=StringIO())
    out = StringIO()
    call_command("check_search_index", "--repair", verbosity=2, stdout=out)

    assert f"Article {article.pk}: stale" in out.getvalue()
    assert "Reindexed 1 articles." in out.getvalue()
    assert found("rookery") == {article.pk}
    call_command("check_search_index", stdout=StringIO())
