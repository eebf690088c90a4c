"""Page-number pagination of the list endpoints."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL, ids
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.fixture
def articles():
    """25 articles, newest first."""
    publisher = PublisherFactory()
    return list(reversed(ArticleFactory.create_batch(25, publisher=publisher)))


def test_default_page(api_client, articles):
    data = api_client.get(ARTICLES_URL).json()

    assert data["count"] == 25
    assert len(data["results"]) == 20
    assert data["previous"] is None
    assert data["next"].startswith("http://testserver/api/v1/articles/")
    assert query(data["next"]) == {"page": ["2"]}


def test_last_page_links_back(api_client, articles):
    response = api_client.get(ARTICLES_URL, {"page": 2})
    data = response.json()

    assert data["count"] == 25
    assert ids(response) == [a.pk for a in articles[20:]]
    assert data["next"] is None
    # DRF drops page=1 from the link to the first page.
    assert query(data["previous"]) == {}


def test_page_size_parameter_walks_every_article_once(api_client, articles):
    """GIVEN 25 articles
    WHEN they are read with page_size=10 by following next links
    THEN three pages hold every article once, in order, and links keep page_size.
    """
    seen, url, pages = [], f"{ARTICLES_URL}?page_size=10", 0
    while url:
        data = api_client.get(url).json()
        seen += [item["id"] for item in data["results"]]
        url, pages = data["next"], pages + 1
        if url:
            assert query(url)["page_size"] == ["10"]

    assert pages == 3
    assert seen == [a.pk for a in articles]


def test_page_size_goes_up_to_100(api_client):
    ArticleFactory.create_batch(105, publisher=PublisherFactory())

    data = api_client.get(ARTICLES_URL, {"page_size": "100"}).json()

    assert data["count"] == 105
    assert len(data["results"]) == 100


@pytest.mark.parametrize("requested", ["0", "101", "5000"])
@pytest.mark.parametrize("params", [{}, {"page_mode": "cursor"}])
def test_a_page_size_out_of_bounds_is_a_400_naming_them(api_client, articles, requested, params):
    # Refused, as 0 is, rather than served as 100 with next links that ask for the refused size again.
    response = api_client.get(ARTICLES_URL, {"page_size": requested, **params})

    assert response.status_code == 400
    assert response.json() == {"page_size": ["Enter a whole number from 1 to 100: pages hold at most 100 results."]}


def test_blank_page_size_is_the_default(api_client, articles):
    response = api_client.get(ARTICLES_URL, {"page_size": ""})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


# Issue 3: a bad parameter value is a 400 naming it (it used to fall back to the default).
@pytest.mark.parametrize("url", [ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL])
@pytest.mark.parametrize("page_size", ["abc", "-1", "0", "1.5", "2e1", "5\x00"])
def test_bad_page_size_is_a_400_naming_it(api_client, articles, url, page_size):
    response = api_client.get(url, {"page_size": page_size})

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


# Issue 3: a page that is no page number is a 400; a page past the end stays a 404.
@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "²"])
def test_bad_page_is_a_400(api_client, articles, page):
    response = api_client.get(ARTICLES_URL, {"page": page})

    assert response.status_code == 400
    assert list(response.json()) == ["page"]


# Issue 8: a page past the deepest page served (ARCHIVE_API_MAX_PAGE) is now a 400, see test_paging_limits.
@pytest.mark.parametrize("page", ["3", "100"])
def test_page_past_the_end_is_a_json_404(api_client, articles, page):
    response = api_client.get(ARTICLES_URL, {"page": page})

    assert response.status_code == 404
    assert "detail" in response.json()


def test_last_page_keyword(api_client, articles):
    response = api_client.get(ARTICLES_URL, {"page": "last"})

    assert ids(response) == [a.pk for a in articles[20:]]


@pytest.mark.parametrize(
    ("url", "make"),
    [(AUTHORS_URL, AuthorFactory.create_batch), (PUBLISHERS_URL, PublisherFactory.create_batch)],
)
def test_authors_and_publishers_are_paginated(staff_client, url, make):
    make(7)

    data = staff_client.get(url, {"page_size": 5}).json()

    assert data["count"] == 7
    assert len(data["results"]) == 5
    assert query(data["next"]) == {"page": ["2"], "page_size": ["5"]}
