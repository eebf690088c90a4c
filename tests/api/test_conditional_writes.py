"""Optimistic concurrency on writes: If-Match and If-Unmodified-Since, 412 when the object changed since."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils.http import http_date

from articles import editing
from articles.models import Article, Author, Publisher
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

# (list URL, factory, a field to PATCH, its model)
KINDS = [
    (ARTICLES_URL, ArticleFactory, "title", Article),
    (AUTHORS_URL, AuthorFactory, "name", Author),
    (PUBLISHERS_URL, PublisherFactory, "name", Publisher),
]
KIND_IDS = ["articles", "authors", "publishers"]


def change_elsewhere(obj, field: str, value: str) -> None:
    """Another editor's change, through the same service the API and the admin use."""
    if isinstance(obj, Article):
        editing.update_article(article=obj, data={field: value})
    else:
        editing.update_named(obj=obj, data={field: value})


@pytest.mark.parametrize(("url", "factory", "field", "model"), KINDS, ids=KIND_IDS)
def test_a_stale_if_match_is_a_412_and_changes_nothing(editor_client, url, factory, field, model):
    """GIVEN an editor holding the ETag of an object they read
    WHEN someone else changes the object, then the editor PATCHes with If-Match: that ETag
    THEN the answer is 412 with a JSON message, and the other change stands.
    """
    obj = factory()
    etag = editor_client.get(f"{url}{obj.pk}/")["ETag"]
    change_elsewhere(obj, field, "Changed by someone else")

    response = editor_client.patch(f"{url}{obj.pk}/", {field: "My change"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert response["Content-Type"] == "application/json"
    assert "has changed since" in response.json()["detail"]
    assert getattr(model.objects.get(pk=obj.pk), field) == "Changed by someone else"


@pytest.mark.parametrize(("url", "factory", "field", "model"), KINDS, ids=KIND_IDS)
def test_the_current_if_match_is_saved_and_answers_the_new_etag(editor_client, url, factory, field, model):
    """GIVEN an editor holding the current ETag
    WHEN they PATCH with If-Match: that ETag
    THEN the change is saved, and the answer's ETag is the one a GET now sends, which a second PATCH can use.
    """
    obj = factory()
    etag = editor_client.get(f"{url}{obj.pk}/")["ETag"]

    first = editor_client.patch(f"{url}{obj.pk}/", {field: "First change"}, HTTP_IF_MATCH=etag)
    second = editor_client.patch(f"{url}{obj.pk}/", {field: "Second change"}, HTTP_IF_MATCH=first["ETag"])

    assert first.status_code == 200, first.json()
    assert first["ETag"] != etag
    assert second.status_code == 200, second.json()
    assert second["ETag"] == editor_client.get(f"{url}{obj.pk}/")["ETag"]
    assert getattr(model.objects.get(pk=obj.pk), field) == "Second change"


def test_if_match_takes_a_list_and_a_star(editor_client):
    article = ArticleFactory()
    etag = editor_client.get(f"{ARTICLES_URL}{article.pk}/")["ETag"]

    listed = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "A"}, HTTP_IF_MATCH=f'"other", {etag}')
    star = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "B"}, HTTP_IF_MATCH="*")

    assert (listed.status_code, star.status_code) == (200, 200)


def test_a_weak_if_match_never_matches(editor_client):
    """If-Match compares strong tags (RFC 9110): the weak form of the current tag is refused."""
    article = ArticleFactory()
    etag = editor_client.get(f"{ARTICLES_URL}{article.pk}/")["ETag"]

    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "A"}, HTTP_IF_MATCH=f"W/{etag}")

    assert response.status_code == 412


def test_a_byline_renamed_elsewhere_makes_the_article_etag_stale(editor_client):
    """The ETag covers what the representation shows: an author renamed since the read is a change too."""
    article = ArticleFactory(authors=[AuthorFactory(name="Kim Lee")])
    etag = editor_client.get(f"{ARTICLES_URL}{article.pk}/")["ETag"]
    editing.update_named(obj=article.authors.get(), data={"name": "Kim Lee-Park"})

    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "A"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 412


def test_an_old_if_unmodified_since_is_a_412(editor_client):
    """GIVEN an article edited after the date an editor read it at
    WHEN the editor PATCHes with If-Unmodified-Since: that date
    THEN 412; with the article's current Last-Modified, the PATCH is saved.
    """
    article = ArticleFactory()
    read_at = http_date((article.updated_at - dt.timedelta(minutes=5)).timestamp())

    stale = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "A"}, HTTP_IF_UNMODIFIED_SINCE=read_at)
    current = editor_client.get(f"{ARTICLES_URL}{article.pk}/")["Last-Modified"]
    fresh = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "B"}, HTTP_IF_UNMODIFIED_SINCE=current)

    assert stale.status_code == 412
    assert "has changed since" in stale.json()["detail"]
    assert fresh.status_code == 200
    assert Article.objects.get(pk=article.pk).title == "B"


def test_if_match_wins_over_if_unmodified_since(editor_client):
    article = ArticleFactory()
    etag = editor_client.get(f"{ARTICLES_URL}{article.pk}/")["ETag"]

    response = editor_client.patch(
        f"{ARTICLES_URL}{article.pk}/",
        {"title": "A"},
        HTTP_IF_MATCH=etag,
        HTTP_IF_UNMODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT",
    )

    assert response.status_code == 200


@pytest.mark.parametrize(("url", "factory"), [(AUTHORS_URL, AuthorFactory), (PUBLISHERS_URL, PublisherFactory)])
def test_if_unmodified_since_is_ignored_without_a_last_modified(editor_client, url, factory):
    """Authors and publishers send no Last-Modified (their article counts move without a date): ETag only."""
    obj = factory()

    response = editor_client.patch(
        f"{url}{obj.pk}/", {"name": "New"}, HTTP_IF_UNMODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT"
    )

    assert response.status_code == 200


def test_if_none_match_star_refuses_a_patch_of_an_existing_article(editor_client):
    article = ArticleFactory()

    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "A"}, HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 412


def test_without_conditional_headers_a_patch_is_saved_as_before(editor_client):
    article = ArticleFactory()
    change_elsewhere(article, "title", "Changed by someone else")

    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "Mine"})

    assert response.status_code == 200
    assert Article.objects.get(pk=article.pk).title == "Mine"


def test_a_malformed_if_match_is_a_412_not_a_500(editor_client):
    article = ArticleFactory()

    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "A"}, HTTP_IF_MATCH="not a tag")

    assert response.status_code == 412
    assert Article.objects.get(pk=article.pk).title != "A"


def test_the_check_runs_with_the_row_locked(editor_client, django_assert_max_num_queries, monkeypatch):
    """The precondition is checked inside the service's transaction, after its SELECT ... FOR UPDATE."""
    article = ArticleFactory()
    etag = editor_client.get(f"{ARTICLES_URL}{article.pk}/")["ETag"]
    seen = []
    real = editing.update_article

    def spy(**kwargs):
        precondition = kwargs["precondition"]

        def checked():
            from django.db import connection

            seen.append(connection.in_atomic_block)
            precondition()

        return real(**{**kwargs, "precondition": checked})

    monkeypatch.setattr(editing, "update_article", spy)
    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "A"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert seen == [True]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/articles/{id}/", {"If-Match", "If-Unmodified-Since"}),
        ("/api/v1/authors/{id}/", {"If-Match"}),
        ("/api/v1/publishers/{id}/", {"If-Match"}),
    ],
)
def test_the_schema_documents_the_headers_and_the_412(api_client, path, headers):
    schema = json.loads(api_client.get("/api/v1/schema/", {"format": "json"}).content)
    patch = schema["paths"][path]["patch"]

    documented = {p["name"] for p in patch["parameters"] if p["in"] == "header"}
    assert documented == headers
    assert "412" in patch["responses"]
    assert patch["responses"]["412"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "412" not in schema["paths"][path]["get"]["responses"]
