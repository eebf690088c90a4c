"""The editing service on its own (the API's PATCH and the admin's change form both call it)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import editing
from articles.models import Article, ArticleAuthor
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


def test_an_edit_saves_only_the_changed_fields_with_who_and_why(django_user_model):
    editor = django_user_model.objects.create_user("ed")
    article = ArticleFactory(title="Old", subtitle="Same")

    editing.update_article(article=article, data={"title": "New", "subtitle": "Same"}, user=editor, reason="typo")

    article.refresh_from_db()
    record = article.history.first()
    assert (article.title, record.history_user, record.history_change_reason) == ("New", editor, "typo")


def test_an_edit_that_changes_nothing_writes_no_history():
    article = ArticleFactory()
    before = article.history.count()

    editing.update_article(article=article, data={"title": article.title})

    assert article.history.count() == before


def test_publishing_an_undated_article_dates_it_now():
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    editing.update_article(article=draft, data={"status": Article.Status.PUBLISHED})

    draft.refresh_from_db()
    assert abs(draft.published_at - timezone.now()).total_seconds() < 60


def test_clearing_the_date_while_publishing_is_refused_and_changes_nothing():
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Kept")

    with pytest.raises(ValidationError) as refused:
        editing.update_article(
            article=draft, data={"status": Article.Status.PUBLISHED, "published_at": None, "title": "Lost"}
        )

    assert "published_at" in refused.value.message_dict
    draft.refresh_from_db()
    assert (draft.status, draft.title) == (Article.Status.DRAFT, "Kept")


def test_reviewed_takes_the_article_out_of_the_queue_in_the_same_history_row():
    article = ArticleFactory(needs_review=True, review_reasons=["no author"], import_conflicts={"title": {}})
    before = article.history.count()

    editing.update_article(article=article, data={"subtitle": "Fixed"}, reason="marked reviewed", reviewed=True)

    article.refresh_from_db()
    assert (article.needs_review, article.review_reasons, article.import_conflicts) == (False, [], {})
    assert article.history.count() == before + 1
    assert article.history.first().history_change_reason == "marked reviewed"


def test_the_byline_is_set_in_order_and_renumbered():
    article = ArticleFactory(authors=AuthorFactory.create_batch(2))
    newcomer = AuthorFactory()
    second = article.bylines.order_by("position")[1].author

    editing.update_article(article=article, data={"authors": [newcomer, second]})

    rows = ArticleAuthor.objects.filter(article=article).order_by("position")
    assert [(row.author, row.position) for row in rows] == [(newcomer, 0), (second, 1)]


def test_check_article_change_names_what_the_save_would_imply_without_saving():
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    implied = editing.check_article_change(article=draft, data={"status": Article.Status.PUBLISHED})

    assert set(implied) == {"published_at"}
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    with pytest.raises(ValidationError):
        editing.check_article_change(article=draft, data={"title": "  "})


def test_an_editor_corrects_the_original_dates_and_the_date_follows():
    """
    GIVEN a published article whose source gave no date
    WHEN an editor sets its original publication and update dates through the service
    THEN they are saved with history, and ``date`` (read again from the database) is the original one
    """
    import datetime as dt

    article = ArticleFactory()
    published = dt.datetime(2019, 5, 1, 12, 0, tzinfo=dt.UTC)
    updated = published + dt.timedelta(days=1)
    assert article.date == article.published_at

    saved = editing.update_article(
        article=article, data={"original_published_at": published, "original_updated_at": updated}
    )

    assert (saved.original_published_at, saved.original_updated_at, saved.date) == (published, updated, published)
    assert Article.objects.get(pk=article.pk).date == published
    assert saved.history.first().original_published_at == published
