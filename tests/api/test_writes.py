"""Editors' writes: article edits, and authors and publishers created, changed and deleted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from articles import importing, search
from articles.models import Article, ArticleAuthor, Author, Publisher
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL, make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def article_url(article: Article) -> str:
    return f"{ARTICLES_URL}{article.pk}/"


def byline(article: Article) -> list[tuple[int, int]]:
    """Return the article's (author id, position) pairs in byline order."""
    return list(article.bylines.order_by("position").values_list("author_id", "position"))


# --- Article fields -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "A corrected headline"),
        ("subtitle", "A corrected standfirst"),
        ("subtitle", ""),
        ("body", "New first paragraph.\n\nNew second paragraph."),
        ("body", ""),
        ("status", "withdrawn"),
        ("status", "draft"),
    ],
)
def test_patch_changes_one_field_and_answers_the_detail(editor_client, field, value):
    article = ArticleFactory()

    response = editor_client.patch(article_url(article), {field: value})

    assert response.status_code == 200, response.json()
    assert response.json()[field] == value
    assert response.json()["id"] == article.pk
    assert "body" in response.json()
    article.refresh_from_db()
    assert getattr(article, field) == value


def test_patch_leaves_fields_not_sent_alone(editor_client):
    article = ArticleFactory(subtitle="Keep me", body="Keep this body.")

    editor_client.patch(article_url(article), {"title": "Only the title"})

    article.refresh_from_db()
    assert (article.title, article.subtitle, article.body) == ("Only the title", "Keep me", "Keep this body.")


def test_body_edit_recounts_words(editor_client):
    article = ArticleFactory(body="one two three")

    response = editor_client.patch(article_url(article), {"body": "one two three four five\n\nsix"})

    assert response.json()["word_count"] == 6
    article.refresh_from_db()
    assert article.word_count == 6


def test_body_whitespace_is_kept_as_sent(editor_client):
    article = ArticleFactory()
    body = "  Indented first paragraph.\n\nSecond.\n"

    editor_client.patch(article_url(article), {"body": body})

    article.refresh_from_db()
    assert article.body == body


def test_read_only_fields_are_ignored(editor_client):
    article = ArticleFactory()
    before = (article.slug, article.word_count, article.source_key, article.needs_review)

    response = editor_client.patch(
        article_url(article), {"slug": "hijacked", "word_count": 999, "source_key": "x", "needs_review": True}
    )

    assert response.status_code == 200
    article.refresh_from_db()
    assert (article.slug, article.word_count, article.source_key, article.needs_review) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 1001}, "title"),
        ({"body": "a null \x00 character"}, "body"),
        ({"status": "bogus"}, "status"),
        ({"status": "PUBLISHED"}, "status"),
        ({"published_at": "yesterday"}, "published_at"),
        ({"publisher": "blaze-media"}, "publisher"),
        ({"authors": "1,2"}, "authors"),
        ({"authors": ["x"]}, "authors"),
        ({"authors": [0]}, "authors"),
        ({"authors": [2**63]}, "authors"),
        ({"authors": [10**30]}, "authors"),
        ({"publisher": 10**30}, "publisher"),
        ({"publisher": -1}, "publisher"),
        ({"published_at": "99999-01-01T00:00:00Z"}, "published_at"),
        ({"authors": [{"id": 1}]}, "authors"),
        ({"authors": None}, "authors"),
    ],
)
def test_invalid_values_are_a_400_naming_the_field(editor_client, payload, field):
    article = ArticleFactory(title="Untouched")

    response = editor_client.patch(article_url(article), payload)

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert all(isinstance(message, str) for message in errors[field])
    article.refresh_from_db()
    assert article.title == "Untouched"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # JSON may escape a lone surrogate, which no database can store.
        (r'{"title": "lone \udc00 surrogate"}', "title"),
        (r'{"subtitle": "\ud800"}', "subtitle"),
        (r'{"body": "null \u0000 inside"}', "body"),
    ],
)
def test_text_no_database_can_store_is_a_400(editor_client, body, field):
    article = ArticleFactory()

    response = editor_client.patch(article_url(article), body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("body", ["[1, 2]", '"title"', "{not json"])
def test_a_body_that_is_not_an_object_is_a_400(editor_client, body):
    article = ArticleFactory()

    response = editor_client.patch(article_url(article), body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_an_invalid_change_changes_nothing(editor_client):
    """GIVEN an article
    WHEN a PATCH carries a good title and a bad status
    THEN it is refused and the title stays as it was.
    """
    article = ArticleFactory(title="Before")

    response = editor_client.patch(article_url(article), {"title": "After", "status": "bogus"})

    assert response.status_code == 400
    article.refresh_from_db()
    assert article.title == "Before"


# --- Publishing ---------------------------------------------------------------


def test_publishing_a_draft_without_a_date_dates_it_now(editor_client):
    """GIVEN an undated draft
    WHEN an editor publishes it without giving a date
    THEN it is published and dated now.
    """
    article = make_article(Article.Status.DRAFT)
    before = timezone.now()

    response = editor_client.patch(article_url(article), {"status": "published"})

    assert response.status_code == 200
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert before <= article.published_at <= timezone.now()


def test_publishing_with_a_date_keeps_that_date(editor_client):
    article = make_article(Article.Status.DRAFT)
    when = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)

    response = editor_client.patch(article_url(article), {"status": "published", "published_at": when.isoformat()})

    assert response.status_code == 200
    article.refresh_from_db()
    assert article.published_at == when


def test_a_draft_keeps_its_date_when_published(editor_client):
    when = timezone.now() - timedelta(days=3)
    article = make_article(Article.Status.DRAFT, published_at=when)

    editor_client.patch(article_url(article), {"status": "published"})

    article.refresh_from_db()
    assert article.published_at == when


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (Article.Status.PUBLISHED, {"published_at": None}),
        (Article.Status.DRAFT, {"status": "published", "published_at": None}),
    ],
)
def test_a_published_article_cannot_lose_its_date(editor_client, status, payload):
    article = make_article(status)

    response = editor_client.patch(article_url(article), payload)

    assert response.status_code == 400
    assert list(response.json()) == ["published_at"]
    article.refresh_from_db()
    assert article.status == status


def test_withdrawing_keeps_the_date_and_hides_the_article(editor_client, api_client):
    article = ArticleFactory()
    published_at = article.published_at

    response = editor_client.patch(article_url(article), {"status": "withdrawn"})

    assert response.json()["status"] == "withdrawn"
    article.refresh_from_db()
    assert article.published_at == published_at
    assert api_client.get(article_url(article)).status_code == 404


def test_editors_can_edit_drafts_they_are_not_staff_for(editor_client, editor):
    article = make_article(Article.Status.DRAFT)
    assert not editor.is_staff

    response = editor_client.patch(article_url(article), {"title": "Draft headline"})

    assert response.status_code == 200
    assert response.json()["status"] == "draft"


# --- Byline and publisher -----------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param([0, 1], [1, 0], id="reorder"),
        pytest.param([0], [0, 1, 2], id="add"),
        pytest.param([0, 1, 2], [2], id="remove"),
        pytest.param([0, 1], [2, 0], id="replace-and-move"),
        pytest.param([], [1], id="first-author"),
        pytest.param([0, 1], [], id="clear"),
    ],
)
def test_authors_set_the_byline_in_the_order_given(editor_client, before, after):
    authors = AuthorFactory.create_batch(3)
    article = ArticleFactory(authors=[authors[i] for i in before])

    response = editor_client.patch(article_url(article), {"authors": [authors[i].pk for i in after]})

    assert response.status_code == 200
    assert [a["id"] for a in response.json()["authors"]] == [authors[i].pk for i in after]
    assert byline(article) == [(authors[i].pk, position) for position, i in enumerate(after)]


def test_repeated_author_is_a_400(editor_client):
    author = AuthorFactory()
    article = ArticleFactory(authors=[author])

    response = editor_client.patch(article_url(article), {"authors": [author.pk, author.pk]})

    assert response.status_code == 400
    assert "once" in response.json()["authors"][0]


def test_unknown_authors_are_named_in_a_409(editor_client):
    # Well-formed ids the archive does not hold: a conflict with its state, as the schema documents.
    article = ArticleFactory()
    author = AuthorFactory()

    response = editor_client.patch(article_url(article), {"authors": [author.pk, 999998, 999999]})

    assert response.status_code == 409
    assert response.json() == {"detail": "No author has the id 999998, 999999."}


def test_an_unknown_publisher_is_a_409_that_changes_nothing(editor_client):
    article = ArticleFactory(title="Untouched")

    response = editor_client.patch(article_url(article), {"publisher": 999999, "title": "Changed"})

    assert response.status_code == 409
    assert response.json() == {"detail": "No publisher has the id 999999."}
    article.refresh_from_db()
    assert article.title == "Untouched"


def test_unchanged_byline_is_not_rewritten(editor_client):
    authors = AuthorFactory.create_batch(2)
    article = ArticleFactory(authors=authors)
    ids_before = list(article.bylines.order_by("position").values_list("id", flat=True))

    editor_client.patch(article_url(article), {"authors": [a.pk for a in authors]})

    assert list(article.bylines.order_by("position").values_list("id", flat=True)) == ids_before


@pytest.mark.parametrize("has_publisher", [True, False])
def test_publisher_is_set_or_removed(editor_client, has_publisher):
    article = ArticleFactory()
    other = PublisherFactory()

    response = editor_client.patch(article_url(article), {"publisher": other.pk if has_publisher else None})

    assert response.status_code == 200
    article.refresh_from_db()
    assert article.publisher == (other if has_publisher else None)
    assert (response.json()["publisher"] or {}).get("id") == (other.pk if has_publisher else None)


# --- What every write keeps right ---------------------------------------------


def test_history_names_the_editor_for_token_requests(editor_client, editor):
    """GIVEN an article with one author, edited by an editor authenticating with a token
    WHEN the editor changes its title and byline
    THEN the article's and the bylines' history records name the editor and the API.
    """
    first, second = AuthorFactory.create_batch(2)
    article = ArticleFactory(authors=[first])

    editor_client.patch(article_url(article), {"title": "Changed", "authors": [second.pk]})

    latest = article.history.latest()
    assert latest.title == "Changed"
    assert latest.history_user == editor
    assert latest.history_change_reason == "edited through the API"
    byline_records = ArticleAuthor.history.filter(article_id=article.pk).order_by("history_id")
    assert [(r.history_type, r.author_id, r.history_user) for r in byline_records.filter(history_user=editor)] == [
        ("-", first.pk, editor),
        ("+", second.pk, editor),
    ]


def test_a_patch_that_changes_nothing_records_no_history(editor_client):
    article = ArticleFactory(title="Same")
    records = article.history.count()

    response = editor_client.patch(article_url(article), {"title": "Same", "status": "published"})

    assert response.status_code == 200
    assert article.history.count() == records


def test_a_byline_change_moves_updated_at(editor_client):
    article = ArticleFactory()
    before = article.updated_at

    editor_client.patch(article_url(article), {"authors": [AuthorFactory().pk]})

    article.refresh_from_db()
    assert article.updated_at > before


def test_search_finds_the_new_words_and_not_the_old(editor_client):
    """GIVEN an article about zebras
    WHEN an editor rewrites its title and body about giraffes
    THEN a search finds it by giraffes and no longer by zebras (the index follows the edit).
    """
    article = ArticleFactory(title="Zebras escape", body="The zebras crossed the road.")
    articles = Article.objects.all()
    assert list(search.search(articles, "zebras")) == [article]

    editor_client.patch(article_url(article), {"title": "Giraffes escape", "body": "The giraffes crossed the road."})

    assert list(search.search(articles, "giraffe")) == [article]
    assert list(search.search(articles, "zebras")) == []


# --- Authors and publishers ---------------------------------------------------


NAMED = [
    pytest.param(AUTHORS_URL, Author, AuthorFactory, id="author"),
    pytest.param(PUBLISHERS_URL, Publisher, PublisherFactory, id="publisher"),
]


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_create_derives_the_slug_and_answers_201_with_location(editor_client, url, model, factory):
    response = editor_client.post(url, {"name": "Ada  Lovelace Média"})

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["name"] == "Ada  Lovelace Média"
    assert data["slug"] == "ada-lovelace-media"
    assert data["article_count"] == 0
    assert response["Location"] == data["url"] == f"http://testserver{url}{data['id']}/"
    # Exactly str: WSGI servers (wsgiref, gunicorn) refuse str subclasses such as DRF's Hyperlink.
    assert type(response.headers["Location"]) is str
    assert model.objects.get(pk=data["id"]).slug == "ada-lovelace-media"


def test_create_author_with_every_field(editor_client):
    payload = {"name": "Kyle Shiver", "slug": "kshiver", "bio": "Writes about courts.", "social_handle": "@ks"}

    response = editor_client.post(AUTHORS_URL, payload)

    assert response.status_code == 201
    assert {k: response.json()[k] for k in payload} == payload


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "Fine", "slug": "not a slug"}, "slug"),
        ({"name": "Fine", "slug": ""}, "slug"),
    ],
)
def test_create_refuses_bad_input_with_a_400(editor_client, url, model, factory, payload, field):
    factory(name="Taken Name", slug="taken-name")
    count = model.objects.count()

    response = editor_client.post(url, payload)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert model.objects.count() == count


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
@pytest.mark.parametrize("payload", [{"name": "Taken Name"}, {"name": "Other", "slug": "taken-name"}])
def test_create_with_a_slug_taken_is_a_409(editor_client, url, model, factory, payload):
    # Well-formed input the archive's state refuses (as the schema documents): a conflict, not bad input.
    factory(name="Taken Name", slug="taken-name")
    count = model.objects.count()

    response = editor_client.post(url, payload)

    assert response.status_code == 409
    assert "taken-name" in response.json()["detail"]
    assert model.objects.count() == count


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_a_name_with_nothing_to_slugify_gets_a_slug_of_its_kind(editor_client, url, model, factory):
    response = editor_client.post(url, {"name": "!!!"})

    assert response.status_code == 201
    assert re.fullmatch(rf"{model._meta.model_name}-[0-9a-f]{{8}}", response.json()["slug"])


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_patch_renames_and_keeps_the_slug(editor_client, url, model, factory):
    obj = factory(name="Old Name", slug="old-name")

    response = editor_client.patch(f"{url}{obj.pk}/", {"name": "New Name"})

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["slug"]) == ("New Name", "old-name")
    obj.refresh_from_db()
    assert obj.name == "New Name"


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_patch_to_a_taken_slug_is_a_409(editor_client, url, model, factory):
    factory(slug="taken")
    obj = factory(slug="mine")

    response = editor_client.patch(f"{url}{obj.pk}/", {"slug": "taken"})

    assert response.status_code == 409
    assert list(response.json()) == ["detail"]
    obj.refresh_from_db()
    assert obj.slug == "mine"


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_patch_keeping_its_own_slug_is_fine(editor_client, url, model, factory):
    obj = factory(slug="mine")

    assert editor_client.patch(f"{url}{obj.pk}/", {"slug": "mine", "name": "Renamed"}).status_code == 200


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_the_answer_counts_the_articles(editor_client, url, model, factory):
    obj = factory()
    if model is Author:
        ArticleFactory.create_batch(2, authors=[obj])
    else:
        ArticleFactory.create_batch(2, publisher=obj)

    assert editor_client.patch(f"{url}{obj.pk}/", {"name": "Renamed"}).json()["article_count"] == 2


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_delete_an_unused_one(editor_client, editor, url, model, factory):
    obj = factory()

    response = editor_client.delete(f"{url}{obj.pk}/")

    assert response.status_code == 204
    assert not model.objects.filter(pk=obj.pk).exists()
    deletion = model.history.filter(id=obj.pk).latest()
    assert (deletion.history_type, deletion.history_user) == ("-", editor)


@pytest.mark.parametrize(
    ("status", "count"), [(Article.Status.PUBLISHED, 1), (Article.Status.DRAFT, 1), (Article.Status.WITHDRAWN, 2)]
)
@pytest.mark.parametrize("kind", ["author", "publisher"])
def test_delete_one_still_credited_is_a_409(editor_client, kind, status, count):
    """GIVEN an author or publisher credited on articles (even unpublished ones)
    WHEN an editor deletes it
    THEN the answer is a 409 saying how many articles credit it, and nothing is deleted.
    """
    obj = AuthorFactory() if kind == "author" else PublisherFactory()
    for _ in range(count):
        make_article(status, **({"authors": [obj]} if kind == "author" else {"publisher": obj}))
    url = AUTHORS_URL if kind == "author" else PUBLISHERS_URL

    response = editor_client.delete(f"{url}{obj.pk}/")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert f"{count} article" in response.json()["detail"]
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [("patch", ARTICLES_URL), ("patch", AUTHORS_URL), ("delete", AUTHORS_URL), ("patch", PUBLISHERS_URL)],
)
@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_writes_to_unknown_objects_are_a_404(editor_client, method, url, pk):
    response = getattr(editor_client, method)(f"{url}{pk}/", {"name": "x"})

    assert response.status_code == 404
    assert "detail" in response.json()


def test_api_edits_survive_a_reimport(editor_client):
    """GIVEN an imported article whose title and byline an editor changed through the API
    WHEN a changed source is imported that parses another title, byline and body
    THEN the body follows the source, the editor's title and byline stay, and both conflicts are flagged.
    """
    importing.import_sources(sources=[importing.bytes_source(seed_text(title="Parsed title").encode(), key="a.txt")])
    article = Article.objects.get()
    editor_pick = AuthorFactory()
    editor_client.patch(article_url(article), {"title": "Editor's title", "authors": [editor_pick.pk]})

    changed = seed_text(title="Newly parsed title", author="Other Writer", paragraphs=("A new body.",))
    importing.import_sources(sources=[importing.bytes_source(changed.encode(), key="a.txt")])

    article.refresh_from_db()
    assert article.body == "A new body."
    assert article.title == "Editor's title"
    assert byline(article) == [(editor_pick.pk, 0)]
    assert set(article.import_conflicts) == {"title", "authors"}
    assert article.needs_review is True


@pytest.mark.parametrize(("url", "model", "factory"), NAMED)
def test_a_number_for_a_slug_is_a_400_before_any_precondition(editor_client, url, model, factory):
    """A body off the schema is refused as such (400), even when its If-Match would fail too (412)."""
    obj = factory(slug="kept")

    response = editor_client.patch(
        f"{url}{obj.pk}/", {"slug": 0}, content_type="application/json", HTTP_IF_MATCH='"stale"'
    )

    assert response.status_code == 400
    assert "slug" in response.json()
    obj.refresh_from_db()
    assert obj.slug == "kept"
