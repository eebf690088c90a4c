"""Issue 8: counts exact up to a cap, numbered pages up to a maximum page, cursor paging beyond."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.counting import CappedCountPaginator, capped_count
from articles.models import Article
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, ids
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    """25 published articles, newest first."""
    return list(reversed(ArticleFactory.create_batch(25, publisher=PublisherFactory())))


@pytest.fixture
def small_limits(settings):
    """A count cap of 5 rows and numbered pages up to page 2."""
    settings.ARCHIVE_API_COUNT_CAP = 5
    settings.ARCHIVE_API_MAX_PAGE = 2


@pytest.mark.parametrize(
    ("made", "cap", "expected"),
    [(0, 5, (0, True)), (4, 5, (4, True)), (5, 5, (5, True)), (6, 5, (5, False)), (25, 5, (5, False))],
)
def test_capped_count_of_a_queryset(made, cap, expected):
    ArticleFactory.create_batch(made)

    assert capped_count(Article.objects.all(), cap=cap) == expected


@pytest.mark.parametrize(("rows", "expected"), [([], (0, True)), ([1, 2], (2, True)), ([1, 2, 3], (2, False))])
def test_capped_count_of_a_list(rows, expected):
    assert capped_count(rows, cap=2) == expected


def test_a_result_set_that_counts_itself_is_asked():
    """GIVEN a result object (a search engine's hits) with its own capped_count
    WHEN it is counted or paginated
    THEN its own answer is used, and no SQL runs."""

    class Hits(list):
        def capped_count(self, *, cap):
            return (min(cap, 12345), cap >= 12345)

    hits = Hits(range(30))
    with CaptureQueriesContext(connection) as queries:
        assert capped_count(hits, cap=20_000) == (12345, True)
        paginator = CappedCountPaginator(hits, 10, cap=100)
        assert (paginator.count, paginator.count_is_exact) == (100, False)
    assert len(queries) == 0


def test_the_count_query_is_narrow_and_limited(articles):
    """The count selects only the key, with no ordering, join or annotation, and stops at cap + 1 rows."""
    with CaptureQueriesContext(connection) as queries:
        capped_count(Article.objects.select_related("publisher").order_by("-published_at"), cap=7)

    (sql,) = [query["sql"] for query in queries]
    assert "LIMIT 8" in sql
    assert "ORDER BY" not in sql and "JOIN" not in sql and '"body"' not in sql


def test_an_exact_count_says_so(api_client, articles):
    data = api_client.get(ARTICLES_URL).json()

    assert (data["count"], data["count_is_exact"]) == (25, True)


def test_a_count_past_the_cap_is_the_cap_marked_inexact(api_client, articles, small_limits):
    data = api_client.get(ARTICLES_URL, {"page_size": 2}).json()

    assert (data["count"], data["count_is_exact"]) == (5, False)


def test_the_cap_covers_every_servable_page(api_client, articles, small_limits):
    # Two pages of 10 need 20 rows counted: the cap of 5 is raised to them.
    data = api_client.get(ARTICLES_URL, {"page_size": 10}).json()

    assert (data["count"], data["count_is_exact"]) == (20, False)


def test_filtered_counts_are_capped_too(api_client, articles, small_limits):
    data = api_client.get(ARTICLES_URL, {"page_size": 2, "min_words": 1}).json()

    assert (data["count"], data["count_is_exact"]) == (5, False)


def test_authors_carry_the_same_envelope(staff_client):
    AuthorFactory.create_batch(3)

    data = staff_client.get(AUTHORS_URL).json()

    assert (data["count"], data["count_is_exact"]) == (3, True)


def test_the_last_servable_page_has_no_next_link(api_client, articles, small_limits):
    """GIVEN more matches than the deepest page reaches
    WHEN the deepest page is asked for
    THEN it is served, full, with no next link (and a previous one)."""
    data = api_client.get(ARTICLES_URL, {"page_size": 2, "page": 2}).json()

    assert [item["id"] for item in data["results"]] == [a.pk for a in articles[2:4]]
    assert data["next"] is None
    assert parse_qs(urlsplit(data["previous"]).query) == {"page_size": ["2"]}


def test_last_means_the_last_servable_page(api_client, articles, small_limits):
    response = api_client.get(ARTICLES_URL, {"page_size": 2, "page": "last"})

    assert ids(response) == [a.pk for a in articles[2:4]]


@pytest.mark.parametrize("page", ["3", "4", "99999999999999999999"])
def test_a_page_past_the_deepest_is_a_400_pointing_to_cursors(
    api_client, articles, small_limits, django_assert_num_queries, page
):
    with django_assert_num_queries(0):
        response = api_client.get(ARTICLES_URL, {"page_size": 2, "page": page})

    assert response.status_code == 400
    (message,) = response.json()["page"]
    assert "page 2" in message and "page_mode=cursor" in message


def test_the_default_deepest_page_is_100(api_client, articles):
    assert api_client.get(ARTICLES_URL, {"page": 101}).status_code == 400
    assert api_client.get(ARTICLES_URL, {"page": 100}).status_code == 404


def test_a_small_result_still_ends_where_it_ends(api_client, articles, small_limits):
    # 25 rows, pages of 20: one page that is not the deepest allowed; page 2 holds the last 5.
    settings_free = api_client.get(ARTICLES_URL, {"page_size": 20, "min_words": 1, "page": 2}).json()

    assert settings_free["next"] is None
    assert settings_free["count"] == 25 and settings_free["count_is_exact"] is True
    assert len(settings_free["results"]) == 5


def test_cursor_pages_go_past_the_deepest_page(api_client, articles, small_limits):
    seen, url = [], ARTICLES_URL + "?page_mode=cursor&page_size=2"
    while url:
        data = api_client.get(url).json()
        assert "count" not in data and "count_is_exact" not in data
        seen += [item["id"] for item in data["results"]]
        url = data["next"]

    assert seen == [a.pk for a in articles]


def test_the_schema_documents_the_cap_and_the_deepest_page(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    page = schema["components"]["schemas"]["PaginatedArticleListList"]
    assert page["properties"]["count_is_exact"]["type"] == "boolean"
    assert "10,000" in page["properties"]["count"]["description"]
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}
    assert "1 to 100" in parameters["page"]["description"]
    assert "page_mode=cursor" in parameters["page"]["description"]
