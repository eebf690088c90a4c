"""The editing service on its own (the API's PATCH and the admin's change form both call it)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import deduplication, editing
from articles.models import Article, ArticleAuthor, Author, Publisher
from tests.duplicate_texts import COPY, SAME_TOPIC, STORY
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

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


def test_an_edited_body_is_indexed_for_near_duplicates_as_written():
    """GIVEN an article whose body an editor replaces with a copy of another article's
    WHEN the edit is saved through the editing service
    THEN its near-duplicate index holds the new body's keys, which the other article shares
    """
    original = ArticleFactory(body="\n\n".join(STORY))
    deduplication.refresh_fingerprints(article=original)
    article = ArticleFactory(body="\n\n".join(SAME_TOPIC))
    deduplication.refresh_fingerprints(article=article)
    before = set(article.fingerprints.values_list("key", flat=True))

    editing.update_article(article=article, data={"body": "\n\n".join(COPY)})

    after = set(article.fingerprints.values_list("key", flat=True))
    assert after and after != before
    assert after & set(original.fingerprints.values_list("key", flat=True))


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


# --- Authors and publishers: one set of services for every NamedEntity -------------------

ENTITIES = [
    pytest.param(Author, AuthorFactory, id="author"),
    pytest.param(Publisher, PublisherFactory, id="publisher"),
]


def credit(obj) -> Article:
    """Return a new article crediting ``obj`` (as author or as publisher)."""
    if isinstance(obj, Author):
        return ArticleFactory(authors=[obj])
    return ArticleFactory(publisher=obj)


@pytest.mark.parametrize(("model", "factory"), ENTITIES)
def test_create_named_strips_the_name_derives_the_slug_and_records_who(model, factory, django_user_model):
    editor = django_user_model.objects.create_user("ed")

    obj = editing.create_named(model=model, data={"name": "  Kim Lee-Park "}, user=editor)

    assert (obj.name, obj.slug) == ("Kim Lee-Park", "kim-lee-park")
    assert obj.history.first().history_user == editor


@pytest.mark.parametrize(("model", "factory"), ENTITIES)
def test_a_name_with_nothing_to_slugify_gets_the_kinds_slug(model, factory):
    obj = editing.create_named(model=model, data={"name": "!!!"})

    assert obj.slug.startswith(f"{model._meta.model_name}-")


@pytest.mark.parametrize(("model", "factory"), ENTITIES)
def test_update_named_refuses_a_blank_name_a_taken_slug_and_an_unknown_field(model, factory):
    obj, other = factory(), factory()
    saved = (obj.name, obj.slug)

    with pytest.raises(ValidationError, match="name is required"):
        editing.update_named(obj=obj, data={"name": "   "})
    with pytest.raises(editing.SlugTaken, match=f"taken by another {model._meta.verbose_name}"):
        editing.update_named(obj=model.objects.get(pk=obj.pk), data={"slug": other.slug})
    with pytest.raises(ValueError, match="Not editable: created_at"):
        editing.update_named(obj=obj, data={"created_at": None})
    stored = model.objects.get(pk=obj.pk)
    assert (stored.name, stored.slug) == saved


def test_only_an_authors_own_fields_are_editable_on_an_author():
    author, publisher = AuthorFactory(), PublisherFactory()

    editing.update_named(obj=author, data={"bio": "New bio.", "social_handle": "@kim"})

    author.refresh_from_db()
    assert (author.bio, author.social_handle) == ("New bio.", "@kim")
    with pytest.raises(ValueError, match="Not editable: bio"):
        editing.update_named(obj=publisher, data={"bio": "Publishers have none."})


@pytest.mark.parametrize(("model", "factory"), ENTITIES)
def test_update_named_checks_the_precondition_before_changing_anything(model, factory):
    obj = factory(name="Before")

    def stale() -> None:
        raise RuntimeError("stale")

    with pytest.raises(RuntimeError, match="stale"):
        editing.update_named(obj=obj, data={"name": "After"}, precondition=stale)

    assert model.objects.get(pk=obj.pk).name == "Before"


@pytest.mark.parametrize(("model", "factory"), ENTITIES)
def test_delete_named_refuses_while_articles_credit_it(model, factory):
    obj = factory()
    credit(obj)
    credit(obj)

    with pytest.raises(editing.InUse, match="2 articles still credit it"):
        editing.delete_named(obj=obj)

    assert model.objects.filter(pk=obj.pk).exists()
    Article.objects.all().delete()
    editing.delete_named(obj=obj)
    assert not model.objects.filter(pk=obj.pk).exists()


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
