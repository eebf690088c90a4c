"""No query string of any shape gets a 500 from the read endpoints (run on SQLite and PostgreSQL)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article
from tests.api.helpers import make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

KNOWN_PARAMS = [
    "q",
    "author",
    "publisher",
    "status",
    "needs_review",
    "published_after",
    "published_before",
    "created_after",
    "created_before",
    "copyright_year",
    "copyright_year_min",
    "copyright_year_max",
    "min_words",
    "max_words",
    "has_image_credit",
    "language",
    "source",
    "ordering",
    "fields",
    "page",
    "page_size",
    "cursor",
    "page_mode",
    "facet_size",
    "name",
    "has_articles",
    "format",
]
ENDPOINTS = [
    "/api/v1/articles/",
    "/api/v1/articles/facets/",
    "/api/v1/articles/export.ndjson",
    "/api/v1/articles/export.csv",
    "/api/v1/authors/",
    "/api/v1/publishers/",
    "/api/v1/articles/{pk}/",
]

# Values that have broken APIs before: huge and negative numbers, odd dates, NUL and
# other control characters, SQL and FTS syntax, very long strings, raw invalid UTF-8.
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e309",
        "9" * 30,
        "-" + "9" * 30,
        "NaN",
        "inf",
        "true",
        "None",
        "null",
        "2024-05-01",
        "2024-02-30",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31",
        "%00",
        "a%00b",
        "%ff%fe",
        "%C0%AF",
        "'; DROP TABLE articles_article; --",
        '" OR 1=1 --',
        'NEAR("a" "b")',
        "title:x* ^y AND (z OR",
        '"unclosed phrase',
        "-",
        "--x",
        "-rank",
        "relevance",
        "id,title,url",
        "x" * 5000,
        "%E2%80%AE",
        "\u0000",
        "\ud7ff\ue000\U0010ffff",
        "last",
        "cursor",
        "e30",
    ]
)
VALUES = st.one_of(
    TRICKY,
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
)
NAMES = st.one_of(
    st.sampled_from(KNOWN_PARAMS), st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
)


def encode(value: str) -> str:
    """Percent-encode ``value``, except ready-made escapes such as ``%00`` which go through as they are."""
    if "%" in value and "\x00" not in value:
        return value.replace(" ", "%20").replace("&", "%26").replace("#", "%23")
    return quote(value, safe="")


@pytest.fixture
def archive():
    author, publisher = AuthorFactory(slug="ann"), PublisherFactory(slug="acme")
    article = ArticleFactory(authors=[author], publisher=publisher, body="harbour news story")
    make_article(Article.Status.DRAFT, authors=[author], body="draft harbour")
    return article


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    params=st.lists(st.tuples(NAMES, VALUES), max_size=6),
)
def test_no_query_string_gets_a_500(request, archive, client_fixture, endpoint, params):
    """GIVEN any endpoint and any query string (known and unknown names, any values)
    WHEN it is requested and its whole body read
    THEN the answer is not a server error, and errors are JSON.
    """
    cache.clear()  # Many requests per test: keep the throttles out of it.
    client = request.getfixturevalue(client_fixture)
    query = "&".join(f"{encode(name)}={encode(value)}" for name, value in params)

    response = client.get(f"{endpoint.format(pk=archive.pk)}?{query}")
    if response.streaming:
        b"".join(response.streaming_content)

    assert response.status_code < 500, (endpoint, query, response.content[:500])
    if response.status_code == 400:
        assert response["Content-Type"].startswith("application/json")
        assert isinstance(response.json(), dict)
