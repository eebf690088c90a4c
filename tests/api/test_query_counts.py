"""List and detail endpoints run a fixed number of queries, whatever the page size."""

from __future__ import annotations

import pytest

from articles.models import Article, ImportRun
from articles.search_index import sync_pending
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL, make_article
from tests.factories import AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

PAGE_SIZES = [5, 50]


@pytest.fixture
def archive():
    """60 articles over 3 publishers and 6 authors, two authors each, some unpublished, each from its own import run.

    Their own runs: a list that loaded each article's run (its ``source.import_run``) would cost a query a row.
    """
    publishers = PublisherFactory.create_batch(3)
    authors = AuthorFactory.create_batch(6)
    articles = []
    for n in range(60):
        status = Article.Status.DRAFT if n % 10 == 0 else Article.Status.PUBLISHED
        byline = [authors[n % 6], authors[(n + 1) % 6]]
        articles.append(make_article(status, publisher=publishers[n % 3], authors=byline))
    for article in articles:
        Article.objects.filter(pk=article.pk).update(import_run=ImportRun.objects.create())
    return articles


# Articles: COUNT for the paginator, the page with its publishers joined, the bylines with their authors.
@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_article_list_queries(request, django_assert_num_queries, archive, client_fixture, page_size):
    client = request.getfixturevalue(client_fixture)

    with django_assert_num_queries(3):
        response = client.get(ARTICLES_URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size
    assert all(len(item["authors"]) == 2 for item in response.json()["results"])


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_filtered_article_list_queries(staff_client, django_assert_num_queries, archive, page_size):
    with django_assert_num_queries(3):
        response = staff_client.get(ARTICLES_URL, {"page_size": page_size, "status": "published"})

    assert response.json()["count"] == 54


# Article detail: the article with its publisher, then its bylines with their authors.
def test_article_detail_queries(api_client, django_assert_num_queries, archive):
    article = archive[1]

    with django_assert_num_queries(2):
        response = api_client.get(f"{ARTICLES_URL}{article.pk}/")

    assert len(response.json()["authors"]) == 2


def test_article_source_queries(api_client, django_assert_num_queries, archive):
    with django_assert_num_queries(1):
        assert api_client.get(f"{ARTICLES_URL}{archive[1].pk}/source/").status_code == 200


# Authors and publishers: COUNT for the paginator, then the page with its annotated counts.
@pytest.mark.parametrize("url", [AUTHORS_URL, PUBLISHERS_URL])
@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_author_and_publisher_list_queries(api_client, django_assert_num_queries, archive, url, page_size):
    with django_assert_num_queries(2):
        response = api_client.get(url, {"page_size": page_size})

    assert sum(item["article_count"] for item in response.json()["results"]) > 0


# Issue 8: has_articles is an EXISTS, and each page row's count a subquery on its own
# foreign key, so filtering and counting add no query and no GROUP BY over every article.
@pytest.mark.parametrize("url", [AUTHORS_URL, PUBLISHERS_URL])
@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("has_articles", ["true", "false"])
def test_author_and_publisher_has_articles_queries(
    request, django_assert_num_queries, archive, url, client_fixture, has_articles
):
    # Authors and publishers with no article at all.
    AuthorFactory.create_batch(3)
    PublisherFactory.create_batch(3)
    client = request.getfixturevalue(client_fixture)
    # Anonymous clients see only those with published articles: none is without (and an empty count needs no page).
    hidden = client_fixture == "api_client" and has_articles == "false"
    with django_assert_num_queries(1 if hidden else 2) as queries:
        response = client.get(url, {"has_articles": has_articles, "page_size": 2})

    assert response.status_code == 200
    assert len(response.json()["results"]) == (0 if hidden else 2)
    assert all((item["article_count"] > 0) == (has_articles == "true") for item in response.json()["results"])
    count_sql, page_sql = (query["sql"].upper() for query in [*queries.captured_queries, {"sql": ""}][:2])
    assert "EXISTS" in count_sql and "COUNT(" not in count_sql.split("FROM", 1)[1]
    assert "GROUP BY" not in page_sql.rsplit(")", 1)[-1]


@pytest.mark.parametrize("url", [AUTHORS_URL, PUBLISHERS_URL])
def test_author_and_publisher_detail_queries(api_client, django_assert_num_queries, archive, url):
    first = api_client.get(url).json()["results"][0]

    with django_assert_num_queries(1):
        api_client.get(f"{url}{first['id']}/")


# --- Issue 3: filters, search, ordering, fields and cursors keep the counts fixed ---------

EVERY_FILTER = {
    "published_after": "2000-01-01",
    "published_before": "2100-01-01T00:00:00Z",
    "created_after": "2000-01-01",
    "copyright_year_min": "2000",
    "copyright_year_max": "2100",
    "min_words": "1",
    "max_words": "1000",
    "has_image_credit": "false",
    "status": "published",
    "ordering": "-word_count,title",
}


# The slug filters each check their slugs in one query; the list then costs its usual three.
@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_list_with_every_filter_queries(request, django_assert_num_queries, archive, client_fixture, page_size):
    client = request.getfixturevalue(client_fixture)
    authors = sorted({a.slug for article in archive for a in article.authors.all()})
    params = {**EVERY_FILTER, "author": authors, "publisher": sorted({a.publisher.slug for a in archive})}

    with django_assert_num_queries(5):
        response = client.get(ARTICLES_URL, {**params, "page_size": page_size})

    assert len(response.json()["results"]) == page_size


# Search: the (empty) search outbox, the page the index ranked and counted (with the bodies for
# snippets), the bylines.
@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_search_list_queries(request, django_assert_num_queries, archive, client_fixture, page_size):
    client = request.getfixturevalue(client_fixture)
    sync_pending()

    with django_assert_num_queries(3):
        response = client.get(ARTICLES_URL, {"q": "paragraph OR story", "page_size": page_size, "min_words": 1})

    assert len(response.json()["results"]) == page_size
    assert all("<mark>" in item["snippet"] for item in response.json()["results"])


# Cursor pages: the page and the bylines; no COUNT. A search checks the search outbox first.
@pytest.mark.parametrize("page_size", PAGE_SIZES)
@pytest.mark.parametrize(("params", "queries"), [({}, 2), ({"q": "story"}, 3), ({"ordering": "title"}, 2)])
def test_cursor_list_queries(staff_client, django_assert_num_queries, archive, page_size, params, queries):
    sync_pending()
    with django_assert_num_queries(queries):
        response = staff_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": page_size, **params})

    assert len(response.json()["results"]) == page_size


# Fields that need no byline drop its query.
@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_list_without_byline_queries(api_client, django_assert_num_queries, archive, page_size):
    with django_assert_num_queries(2):
        response = api_client.get(ARTICLES_URL, {"fields": "id,title,publisher", "page_size": page_size})

    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("url", [AUTHORS_URL, PUBLISHERS_URL])
@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_filtered_author_and_publisher_list_queries(api_client, django_assert_num_queries, archive, url, page_size):
    with django_assert_num_queries(2):
        response = api_client.get(url, {"page_size": page_size, "has_articles": "true", "name": "a"})

    assert response.status_code == 200


# A validation error stops before the list's queries.
def test_bad_parameters_cost_no_queries(api_client, django_assert_num_queries, archive):
    with django_assert_num_queries(0):
        assert api_client.get(ARTICLES_URL, {"min_words": "x", "ordering": "bogus"}).status_code == 400


# --- Issue 8: capped counts, the deepest page and every ordering keep the counts fixed ---


@pytest.mark.parametrize(
    "params",
    [{}, {"page": "2"}, {"page": "last"}, {"ordering": "title"}, {"ordering": "-word_count"}, {"min_words": "1"}],
)
def test_list_with_a_capped_count_queries(api_client, django_assert_num_queries, archive, settings, params):
    # 54 published articles, counted at most 10: the count query stops early, the page costs the same.
    settings.ARCHIVE_API_COUNT_CAP = 10
    settings.ARCHIVE_API_MAX_PAGE = 2

    with django_assert_num_queries(3):
        response = api_client.get(ARTICLES_URL, {"page_size": 5, **params})

    assert (response.json()["count"], response.json()["count_is_exact"]) == (10, False)
    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_export_queries_per_chunk(api_client, django_assert_max_num_queries, archive, monkeypatch, page_size):
    # The cursor, then one byline query per chunk (a savepoint pair inside the test's transaction).
    monkeypatch.setattr("articles.api.export.EXPORT_CHUNK_SIZE", page_size)
    chunks = -(-54 // page_size)

    with django_assert_max_num_queries(1 + chunks + 2):
        response = api_client.get(f"{ARTICLES_URL}export.ndjson")
        lines = b"".join(response.streaming_content).splitlines()

    assert len(lines) == 54
