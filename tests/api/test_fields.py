"""``?fields=``: responses with only the named fields, and queries that load no more than those need."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(authors=[AuthorFactory()], body="The body of the story about otters.")


def test_list_returns_only_the_named_fields_in_that_order(api_client, article):
    response = api_client.get(ARTICLES_URL, {"fields": "title,id,url"})

    [item] = response.json()["results"]
    assert list(item) == ["title", "id", "url"]
    assert item == {"title": article.title, "id": article.pk, "url": f"http://testserver{ARTICLES_URL}{article.pk}/"}


@pytest.mark.parametrize("value", ["id,body", ["id", "body"], " id , body ,"])
def test_detail_fields_comma_separated_or_repeated(api_client, article, value):
    data = api_client.get(f"{ARTICLES_URL}{article.pk}/", {"fields": value}).json()

    assert data == {"id": article.pk, "body": article.body}


@pytest.mark.parametrize(
    ("url", "fields"),
    [(ARTICLES_URL, "id,nope"), ("{detail}", "id,nope"), (ARTICLES_URL, "raw_text"), ("{detail}", "raw_text")],
)
def test_unknown_field_is_a_400_listing_the_valid_ones(api_client, article, url, fields):
    response = api_client.get(url.format(detail=f"{ARTICLES_URL}{article.pk}/"), {"fields": fields})

    assert response.status_code == 400
    [message] = response.json()["fields"]
    assert fields.split(",")[-1] in message
    assert "Valid fields: id, url, slug, title" in message


def test_list_and_detail_take_the_same_fields(api_client, article):
    """GIVEN a list and a detail, which show different fields by default (excerpt; body)
    WHEN a client names fields
    THEN the same names are valid on both, each shows the other's on request, and the 400s list the same names.
    """
    detail = f"{ARTICLES_URL}{article.pk}/"
    [item] = api_client.get(ARTICLES_URL, {"fields": "id,body,excerpt"}).json()["results"]
    shown = api_client.get(detail, {"fields": "id,excerpt,body"}).json()

    assert item == {"id": article.pk, "body": article.body, "excerpt": shown["excerpt"]}
    assert shown["excerpt"] == "The body of the story about otters."
    assert "body" not in api_client.get(ARTICLES_URL).json()["results"][0]
    assert "excerpt" not in api_client.get(detail).json()
    listed = api_client.get(ARTICLES_URL, {"fields": "nope"}).json()["fields"]
    assert listed == api_client.get(detail, {"fields": "nope"}).json()["fields"]


def test_staff_only_fields_are_unknown_to_others(api_client, staff_client, article):
    assert api_client.get(ARTICLES_URL, {"fields": "id,needs_review"}).status_code == 400

    [item] = staff_client.get(ARTICLES_URL, {"fields": "id,needs_review"}).json()["results"]
    assert item == {"id": article.pk, "needs_review": False}


def test_rank_and_snippet_come_with_q_only(api_client, article):
    [item] = api_client.get(ARTICLES_URL, {"q": "otters", "fields": "id,rank,snippet"}).json()["results"]

    assert set(item) == {"id", "rank", "snippet"}
    assert "<mark>" in item["snippet"]
    # Valid names all the same (the set is the same everywhere); outside a search there is nothing to show.
    [item] = api_client.get(ARTICLES_URL, {"fields": "id,rank"}).json()["results"]
    assert item == {"id": article.pk}
    assert api_client.get(f"{ARTICLES_URL}{article.pk}/", {"fields": "id,rank"}).json() == {"id": article.pk}


@pytest.mark.parametrize(
    ("url", "payload", "fields"),
    [
        ("{article}", {"title": "Renamed"}, "id,title,excerpt"),
        ("{author}", {"name": "Renamed"}, "name,article_count"),
        ("{publisher}", {"name": "Renamed"}, "slug,name"),
    ],
)
def test_fields_shape_the_answer_to_a_patch(editor_client, article, url, payload, fields):
    urls = {
        "article": f"{ARTICLES_URL}{article.pk}/",
        "author": f"{AUTHORS_URL}{article.authors.get().pk}/",
        "publisher": f"{PUBLISHERS_URL}{article.publisher.pk}/",
    }

    response = editor_client.patch(f"{url.format(**urls)}?fields={fields}", payload)

    assert response.status_code == 200, response.content
    assert list(response.json()) == fields.split(",")


def test_fields_shape_the_answer_to_a_post(editor_client):
    response = editor_client.post(f"{AUTHORS_URL}?fields=id,name", {"name": "New Person"})

    assert response.status_code == 201
    assert list(response.json()) == ["id", "name"]


def test_a_bad_fields_on_a_write_is_a_400_that_changes_nothing(editor_client, article):
    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/?fields=nope", {"title": "Renamed"})

    assert response.status_code == 400
    assert list(response.json()) == ["fields"]
    article.refresh_from_db()
    assert article.title != "Renamed"


@pytest.mark.parametrize(
    ("url", "fields"), [(AUTHORS_URL, "name,articles_url"), (PUBLISHERS_URL, "slug,article_count")]
)
def test_authors_and_publishers_take_fields_too(api_client, article, url, fields):
    [item] = api_client.get(url, {"fields": fields}).json()["results"]

    assert list(item) == fields.split(",")


def test_blank_fields_means_every_field(api_client, article):
    [item] = api_client.get(ARTICLES_URL, {"fields": ""}).json()["results"]

    assert {"id", "title", "excerpt", "authors"} <= set(item)


def article_sql(ctx) -> str:
    return "\n".join(q["sql"] for q in ctx.captured_queries if 'FROM "articles_article"' in q["sql"])


def test_list_without_excerpt_or_byline_loads_neither(api_client, django_assert_num_queries, article):
    """GIVEN a list request for fields that need neither the body nor the byline nor the publisher
    WHEN it runs
    THEN it costs the count and the page (no byline query), and reads no part of the body.
    """
    with CaptureQueriesContext(connection) as ctx, django_assert_num_queries(2):
        response = api_client.get(ARTICLES_URL, {"fields": "id,title"})

    assert response.status_code == 200
    sql = article_sql(ctx)
    assert '"body"' not in sql
    assert "articles_publisher" not in sql


def test_detail_without_body_does_not_load_it(api_client, article):
    with CaptureQueriesContext(connection) as ctx:
        data = api_client.get(f"{ARTICLES_URL}{article.pk}/", {"fields": "id,title,publisher"}).json()

    assert set(data) == {"id", "title", "publisher"}
    assert '"body"' not in article_sql(ctx)


def test_detail_with_body_loads_it(api_client, article):
    with CaptureQueriesContext(connection) as ctx:
        api_client.get(f"{ARTICLES_URL}{article.pk}/", {"fields": "body"})

    assert '"articles_article"."body"' in article_sql(ctx)
