"""The review service on its own (the admin's actions, buttons and conflict forms call it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import merging, review
from articles.models import Article, Author, Publisher
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("reviewer")


def conflicted(field: str, editor_value, parsed, **kwargs) -> Article:
    """An article whose last import parsed ``field`` as ``parsed`` while an editor had set ``editor_value``."""
    return ArticleFactory(
        needs_review=True,
        review_reasons=[review.conflict_reason(field), *kwargs.pop("other_reasons", [])],
        import_conflicts={field: {"editor": editor_value, "parsed": parsed}},
        **kwargs,
    )


# --- Publishing, withdrawing, marking reviewed -------------------------------------------


def test_publishing_dates_the_undated_keeps_other_dates_and_skips_the_published(editor):
    """GIVEN an undated draft, a dated withdrawn article and a published one
    WHEN all three are published
    THEN two change (the undated one dated now), each with a history row naming the editor and "published"
    """
    earlier = timezone.now() - timedelta(days=30)
    undated = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    dated = ArticleFactory(status=Article.Status.WITHDRAWN, published_at=earlier)
    published = ArticleFactory()
    history_before = published.history.count()

    count = review.publish_articles(Article.objects.all(), user=editor)

    assert count == 2
    undated.refresh_from_db()
    dated.refresh_from_db()
    assert undated.status == dated.status == Article.Status.PUBLISHED
    assert abs(undated.published_at - timezone.now()) < timedelta(minutes=1)
    assert dated.published_at == earlier
    for article in (undated, dated):
        record = article.history.first()
        assert (record.history_user, record.history_change_reason) == (editor, "published")
    assert published.history.count() == history_before


def test_withdrawing_keeps_the_publication_date(editor):
    published_at = timezone.now() - timedelta(days=3)
    article = ArticleFactory(published_at=published_at)

    assert review.withdraw_articles(Article.objects.filter(pk=article.pk), user=editor) == 1

    article.refresh_from_db()
    assert (article.status, article.published_at) == (Article.Status.WITHDRAWN, published_at)
    assert article.history.first().history_change_reason == "withdrawn"
    assert review.withdraw_articles(Article.objects.filter(pk=article.pk), user=editor) == 0


def test_mark_reviewed_clears_reasons_and_conflicts_of_flagged_articles_only(editor):
    flagged = conflicted("title", "Editor's", "Parsed")
    clean = ArticleFactory()
    clean_history = clean.history.count()

    assert review.mark_reviewed(Article.objects.all(), user=editor) == 1

    flagged.refresh_from_db()
    assert (flagged.needs_review, flagged.review_reasons, flagged.import_conflicts) == (False, [], {})
    assert flagged.history.first().history_change_reason == "marked reviewed"
    assert clean.history.count() == clean_history


# --- The queue ---------------------------------------------------------------------------


def test_the_queue_is_oldest_first_and_next_wraps_around():
    """GIVEN three flagged articles created one after another, and a clean one
    WHEN walking the queue with next_for_review
    THEN it goes oldest to newest, then wraps to the oldest, never to the clean one
    """
    now = timezone.now()
    first, second, third = (ArticleFactory(needs_review=True) for _ in range(3))
    ArticleFactory(needs_review=False)
    for offset, article in enumerate((first, second, third)):
        Article.objects.filter(pk=article.pk).update(created_at=now + timedelta(seconds=offset))
        article.refresh_from_db()

    assert list(review.review_queue()) == [first, second, third]
    assert review.next_for_review() == first
    assert review.next_for_review(after=first) == second
    assert review.next_for_review(after=third) == first


def test_next_after_the_last_flagged_article_is_none():
    only = ArticleFactory(needs_review=True)

    assert review.next_for_review(after=only) is None
    Article.objects.update(needs_review=False)
    assert review.next_for_review() is None


# --- Import conflicts --------------------------------------------------------------------


def test_accepting_a_parsed_text_field_sets_it_and_leaves_the_queue(editor):
    article = conflicted("title", "Editor's headline", "Parsed headline", title="Editor's headline")

    review.resolve_conflict(article=article, field="title", accept_parsed=True, user=editor)

    article.refresh_from_db()
    assert (article.title, article.import_conflicts, article.needs_review) == ("Parsed headline", {}, False)
    record = article.history.first()
    assert (record.history_user, record.history_change_reason) == (editor, "import conflict: accepted the parsed title")


def test_keeping_the_editors_value_drops_only_that_conflict(editor):
    article = conflicted("title", "Editor's", "Parsed", title="Editor's", other_reasons=["no author"])

    review.resolve_conflict(article=article, field="title", accept_parsed=False, user=editor)

    article.refresh_from_db()
    assert (article.title, article.import_conflicts) == ("Editor's", {})
    # Another reason is left: the article stays in the queue.
    assert (article.needs_review, article.review_reasons) == (True, ["no author"])
    assert article.history.first().history_change_reason == "import conflict: kept the editor's title"


def test_accepting_a_parsed_publisher_follows_a_merge():
    """GIVEN a conflict whose parsed publisher was merged into another since
    WHEN the parsed value is accepted
    THEN the article gets the survivor, through the merge's alias, and no new publisher is made
    """
    survivor, merged = PublisherFactory(name="Blaze Media LLC"), PublisherFactory(name="Blaze Media")
    merging.merge_entities(survivor=survivor, others=[merged])
    article = conflicted("publisher", "Other Press", "Blaze Media")

    review.resolve_conflict(article=article, field="publisher", accept_parsed=True)

    article.refresh_from_db()
    assert article.publisher == survivor
    assert not Publisher.objects.filter(slug="blaze-media").exists()


def test_accepting_an_empty_parsed_publisher_clears_it():
    article = conflicted("publisher", "Other Press", "")

    review.resolve_conflict(article=article, field="publisher", accept_parsed=True)

    article.refresh_from_db()
    assert article.publisher is None


def test_accepting_parsed_authors_sets_the_byline_in_order_creating_new_authors():
    known = AuthorFactory(name="Kim Lee", slug="kim-lee")
    article = conflicted("authors", ["Someone Else"], ["New Writer", "Kim Lee", "New Writer"], authors=[known])

    review.resolve_conflict(article=article, field="authors", accept_parsed=True)

    byline = list(article.bylines.order_by("position").values_list("author__name", flat=True))
    assert byline == ["New Writer", "Kim Lee"]
    assert Author.objects.filter(slug="new-writer").count() == 1


def test_settling_a_conflict_the_article_does_not_have_is_refused_and_changes_nothing():
    article = conflicted("title", "Editor's", "Parsed")

    with pytest.raises(review.ConflictError, match="no import conflict on 'subtitle'"):
        review.resolve_conflict(article=article, field="subtitle", accept_parsed=True)

    article.refresh_from_db()
    assert set(article.import_conflicts) == {"title"}


def test_a_conflict_on_a_field_no_import_sets_is_refused():
    article = conflicted("raw_text", "x", "y")

    with pytest.raises(review.ConflictError, match="not a field"):
        review.resolve_conflict(article=article, field="raw_text", accept_parsed=True)


def test_names_resolve_through_aliases_without_repeats():
    survivor, merged = AuthorFactory(name="Jane Reporter"), AuthorFactory(name="J. Reporter")
    merging.merge_entities(survivor=survivor, others=[merged])

    authors = review.authors_named(["J. Reporter", "Jane Reporter", "Brand New"])

    assert [author.name for author in authors] == ["Jane Reporter", "Brand New"]
    assert review.publisher_named("Fresh Press") == Publisher.objects.get(slug="fresh-press")
