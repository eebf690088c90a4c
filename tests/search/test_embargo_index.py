"""Issue 14: the index's ``embargo_until`` field, the condition on it, and the schema change it is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles import search_index
from articles.models import Article, SearchOutbox
from articles.search import SearchFilters, search
from tests.search.conftest import make

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def public_at(moment: dt.datetime | None, q: str = "zeppelin") -> set[int]:
    """Return the ids ``q`` finds in the index alone (no database visibility) under the embargo condition."""
    filters = SearchFilters(statuses=("published",), embargo_ended_by=moment)
    chunks = search(Article.objects.all(), q, filters=filters).hit_chunks(100)
    return {pk for chunk in chunks for pk, _score in chunk}


@pytest.fixture
def articles(filler):
    """A public zeppelin story, one embargoed until an hour after NOW, and one whose embargo ended an hour before."""
    return {
        "none": make("zeppelin none"),
        "running": make("zeppelin running", embargo_until=NOW + dt.timedelta(hours=1)),
        "ended": make("zeppelin ended", embargo_until=NOW - dt.timedelta(hours=1)),
    }


def pks(articles, *names: str) -> set[int]:
    return {articles[name].pk for name in names}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (None, ("none", "running", "ended")),
        (NOW, ("none", "ended")),
        (NOW + dt.timedelta(hours=1), ("none", "running", "ended")),  # the embargo's own moment lifts it
        (NOW - dt.timedelta(hours=2), ("none",)),
    ],
)
def test_the_condition_keeps_what_is_under_no_embargo_at_the_moment(articles, moment, expected):
    assert public_at(moment) == pks(articles, *expected)


def test_a_changed_embargo_is_reindexed(articles):
    """GIVEN an article under no embargo, in the index
    WHEN its embargo is set with a bare QuerySet.update() (no save(), no service)
    THEN the outbox trigger queues it and the next search sees the embargo; clearing it brings it back
    """
    assert articles["none"].pk in public_at(NOW)

    Article.objects.filter(pk=articles["none"].pk).update(embargo_until=NOW + dt.timedelta(days=1))

    assert SearchOutbox.objects.filter(article_id=articles["none"].pk).exists()
    assert articles["none"].pk not in public_at(NOW)
    Article.objects.filter(pk=articles["none"].pk).update(embargo_until=None)
    assert articles["none"].pk in public_at(NOW)


def test_a_stale_embargo_in_a_document_is_found_by_the_check(articles):
    """The fingerprint covers embargo_until: a document left with an old one is reported stale."""
    public_at(NOW)  # drain the outbox
    Article.objects.filter(pk=articles["none"].pk).update(embargo_until=timezone.now())
    SearchOutbox.objects.all().delete()  # as if the trigger had been missing

    assert search_index.check_index().stale == [articles["none"].pk]


def test_an_index_without_the_field_must_be_rebuilt(articles):
    """GIVEN a live index of schema version 3 (before embargo_until)
    THEN opening it fails naming rebuild_search_index, `manage.py check` warns, check_search_index says so;
    AND after rebuild_search_index the embargo condition answers.
    """
    assert public_at(NOW) == pks(articles, "none", "ended")
    directory = (search_index.index_root() / search_index.CURRENT).resolve()
    (directory / search_index.VERSION_FILE).write_text("3\n")
    search_index.reset_engine()

    with pytest.raises(search_index.SearchIndexOutdated, match=r"version 3.*rebuild_search_index"):
        search_index.current_index()
    assert [m.id for m in checks.run_checks() if m.id == "articles.W001"] == ["articles.W001"]
    with pytest.raises(CommandError, match="rebuild_search_index"):
        call_command("check_search_index")

    call_command("rebuild_search_index")

    assert public_at(NOW) == pks(articles, "none", "ended")
    assert [m for m in checks.run_checks() if m.id == "articles.W001"] == []
