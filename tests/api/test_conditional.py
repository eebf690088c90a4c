"""Conditional GET on detail views: ETag and Last-Modified, 304 when nothing the client sees changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.http import http_date

from articles.models import Article, Author
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL, make_article
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(authors=[AuthorFactory(name="Kim Lee")])


def detail(kind: str, article: Article) -> str:
    obj = {"articles": article, "authors": article.authors.get(), "publishers": article.publisher}[kind]
    return f"/api/v1/{kind}/{obj.pk}/"


KINDS = ["articles", "authors", "publishers"]


@pytest.mark.parametrize("kind", KINDS)
def test_detail_sends_validators(api_client, article, kind):
    response = api_client.get(detail(kind, article))

    assert response.status_code == 200
    # Strong: JSON is rendered from the data alone, and If-Match compares strong tags only.
    assert response["ETag"].startswith('"')
    if kind == "articles":
        assert response["Last-Modified"].endswith("GMT")
    else:  # an article count can fall with no later timestamp anywhere: ETag only
        assert "Last-Modified" not in response


def test_the_browsable_pages_tag_is_weak(api_client, article):
    response = api_client.get(detail("articles", article), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["ETag"].startswith('W/"')


@pytest.mark.parametrize("kind", KINDS)
def test_matching_etag_is_a_304_without_body(api_client, article, kind):
    etag = api_client.get(detail(kind, article))["ETag"]

    response = api_client.get(detail(kind, article), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("kind", ["articles"])
def test_if_modified_since(api_client, article, kind):
    last_modified = api_client.get(detail(kind, article))["Last-Modified"]

    assert api_client.get(detail(kind, article), HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert (
        api_client.get(detail(kind, article), HTTP_IF_MODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200
    )


def test_etag_wins_over_if_modified_since(api_client, article):
    response = api_client.get(
        detail("articles", article), HTTP_IF_NONE_MATCH='W/"stale"', HTTP_IF_MODIFIED_SINCE=http_date(4102444800)
    )

    assert response.status_code == 200


def test_editing_the_article_changes_both_validators(api_client, article):
    """GIVEN a client holding an article's validators
    WHEN the article is edited a while later
    THEN the old ETag and the old date both get the new representation.
    """
    first = api_client.get(detail("articles", article))
    Article.objects.filter(pk=article.pk).update(
        title="A new title", updated_at=article.updated_at + dt.timedelta(seconds=5)
    )

    by_etag = api_client.get(detail("articles", article), HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = api_client.get(detail("articles", article), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert by_etag.status_code == by_date.status_code == 200
    assert by_etag.json()["title"] == "A new title"
    assert by_etag["ETag"] != first["ETag"]


def test_renaming_an_author_changes_the_articles_etag(api_client, article):
    first = api_client.get(detail("articles", article))
    Author.objects.filter(pk=article.authors.get().pk).update(
        name="Kim Lee-Park", updated_at=article.updated_at + dt.timedelta(seconds=5)
    )

    response = api_client.get(detail("articles", article), HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert response["Last-Modified"] != first["Last-Modified"]


def test_new_article_changes_its_authors_etag_and_date(api_client, article):
    """GIVEN a client holding an author's validators
    WHEN an article by the author is published later (the author's own row unchanged)
    THEN the author's count changed, and so do both validators.
    """
    url = detail("authors", article)
    first = api_client.get(url)
    later = make_article(authors=[article.authors.get()])
    Article.objects.filter(pk=later.pk).update(updated_at=article.updated_at + dt.timedelta(seconds=5))

    by_etag = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = api_client.get(url, HTTP_IF_MODIFIED_SINCE=http_date(4102444800))

    assert by_etag.status_code == by_date.status_code == 200
    assert by_etag.json()["article_count"] == 2


def test_withdrawing_an_article_changes_its_authors_etag(api_client, article):
    """GIVEN a client holding the ETag of an author of two articles
    WHEN one of the articles is withdrawn
    THEN the ETag no longer matches: the count fell, and no date could have told
    """
    ArticleFactory(authors=[article.authors.get()])
    url = detail("authors", article)
    first = api_client.get(url)
    Article.objects.filter(pk=article.pk).update(status="withdrawn")

    response = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert response.json()["article_count"] == 1


def test_etag_differs_by_requester_and_by_fields(api_client, staff_client, article):
    anonymous = api_client.get(detail("articles", article))["ETag"]

    assert staff_client.get(detail("articles", article))["ETag"] != anonymous
    assert api_client.get(detail("articles", article), {"fields": "id"})["ETag"] != anonymous
    assert (
        api_client.get(detail("articles", article), HTTP_IF_NONE_MATCH=anonymous, HTTP_ACCEPT="text/html").status_code
        == 200
    )


def test_browsable_api_detail_still_renders(api_client, article):
    response = api_client.get(detail("articles", article), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["ETag"]
    assert b"<html" in response.content


def test_head_is_conditional_too(api_client, article):
    etag = api_client.get(detail("articles", article))["ETag"]

    assert api_client.head(detail("articles", article), HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("kind", ["authors", "publishers"])
def test_list_endpoints_stay_unconditional(api_client, article, kind):
    assert "ETag" not in api_client.get(f"/api/v1/{kind}/")
    assert "ETag" not in api_client.get(ARTICLES_URL)


def test_missing_objects_stay_404(api_client):
    for url in [f"{ARTICLES_URL}999999/", f"{AUTHORS_URL}999999/", f"{PUBLISHERS_URL}999999/"]:
        assert api_client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 404
