"""Saved searches and embargoes: readers hear of an embargoed article when its embargo ends, once.

The tasks are queued in the database queue (their rows are read here, as a worker would), and
run with ``.call()`` at a moved clock: the end of an embargo is a task deferred to that moment.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from articles import editing, review
from articles.alerts import deliveries
from articles.models import Article, Delivery
from tests.factories import ArticleFactory, SavedSearchFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def searches(settings):
    """The database queue, and a reader's and a staff member's digests of otters."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    reader = SavedSearchFactory(owner=UserFactory(username="reader"), query="q=otters")
    staff = SavedSearchFactory(owner=UserFactory(username="staffer", is_staff=True), query="q=otters")
    return reader, staff


def queued(name: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=f".{name}").order_by("enqueued_at"))


def run(task_name: str) -> None:
    """Run, as the worker would, every queued ``task_name`` task that is due (then forget it)."""
    for row in DBTaskResult.objects.ready().filter(task_path__endswith=f".{task_name}"):
        getattr(deliveries, task_name).call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()


def delivered(search) -> list[tuple[str, list[int]]]:
    return [(d.trigger, d.article_ids) for d in Delivery.objects.filter(saved_search=search).order_by("pk")]


def test_readers_hear_of_an_embargoed_article_when_the_embargo_ends(clock, searches):
    """
    GIVEN a reader's and a staff member's searches for otters, and a draft on otters under embargo for an hour
    WHEN an editor publishes it, the worker matches it, and the clock passes the end of the embargo
    THEN staff hear of it at once; the reader only when the deferred task runs at the embargo's end, once
    """
    reader, staff = searches
    draft = ArticleFactory(body="Otters.", status=Article.Status.DRAFT, embargo_until=NOW + HOUR)

    review.publish_articles(Article.objects.filter(pk=draft.pk))
    run("match_new_articles")

    assert delivered(staff) == [(Delivery.Trigger.PUBLISH, [draft.pk])]
    assert delivered(reader) == []
    (end,) = queued("notify_embargo_lifted")
    assert end.run_after == NOW + HOUR
    run("notify_embargo_lifted")
    assert delivered(reader) == [], "not before the embargo ends"

    clock(NOW + HOUR)
    run("notify_embargo_lifted")

    assert delivered(reader) == [(Delivery.Trigger.EMBARGO, [draft.pk])]
    assert delivered(staff) == [(Delivery.Trigger.PUBLISH, [draft.pk])], "staff are not told twice"
    assert queued("notify_embargo_lifted") == []


def test_a_changed_embargo_is_told_at_its_new_end_only(clock, searches):
    """
    GIVEN a published article on otters under embargo for an hour, its end queued
    WHEN an editor moves the embargo to three hours, and the clock passes both ends
    THEN the reader hears of it at the new end only, once
    """
    reader, _ = searches
    article = ArticleFactory(body="Otters.", status=Article.Status.DRAFT, embargo_until=NOW + HOUR)
    review.publish_articles(Article.objects.filter(pk=article.pk))
    run("match_new_articles")

    editing.update_article(article=article, data={"embargo_until": NOW + 3 * HOUR})
    clock(NOW + 2 * HOUR)
    run("notify_embargo_lifted")
    assert delivered(reader) == []

    clock(NOW + 3 * HOUR)
    run("notify_embargo_lifted")
    assert delivered(reader) == [(Delivery.Trigger.EMBARGO, [article.pk])]


def test_lifting_an_embargo_early_tells_the_readers_at_once(clock, searches):
    reader, _ = searches
    article = ArticleFactory(body="Otters.", status=Article.Status.DRAFT, embargo_until=NOW + HOUR)
    review.publish_articles(Article.objects.filter(pk=article.pk))
    run("match_new_articles")

    editing.update_article(article=article, data={"embargo_until": None})
    run("notify_embargo_lifted")
    assert delivered(reader) == [(Delivery.Trigger.EMBARGO, [article.pk])]

    clock(NOW + 2 * HOUR)
    run("notify_embargo_lifted")  # The hour's task: it finds the embargo changed.
    assert delivered(reader) == [(Delivery.Trigger.EMBARGO, [article.pk])]


def test_an_embargo_set_on_a_visible_article_tells_nobody_again(clock, searches):
    reader, _ = searches
    article = ArticleFactory(body="Otters.", status=Article.Status.DRAFT)
    review.publish_articles(Article.objects.filter(pk=article.pk))
    run("match_new_articles")
    assert delivered(reader) == [(Delivery.Trigger.PUBLISH, [article.pk])]

    editing.update_article(article=article, data={"embargo_until": NOW + HOUR})
    clock(NOW + 2 * HOUR)
    run("notify_embargo_lifted")

    assert delivered(reader) == [(Delivery.Trigger.PUBLISH, [article.pk])]
    assert queued("notify_embargo_lifted") == []
