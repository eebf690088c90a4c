"""``/api/v1/articles/facets/``: counts per publisher, author and year for what a request matches."""

from __future__ import annotations

import pytest

from articles.models import Article
from articles.search_index import sync_pending
from tests.api.helpers import make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

FACETS_URL = "/api/v1/articles/facets/"


@pytest.fixture
def archive():
    """Two publishers, three authors, three years, two languages; one draft; one article with no publisher, year
    or known language."""
    ann, bob, cy = (AuthorFactory(name=n, slug=n.lower()) for n in ["Ann", "Bob", "Cy"])
    acme, zeta = PublisherFactory(name="Acme", slug="acme"), PublisherFactory(name="Zeta", slug="zeta")
    ArticleFactory(publisher=acme, authors=[ann, bob], copyright_year=2022, language="en", body="harbour news")
    ArticleFactory(publisher=acme, authors=[ann], copyright_year=2023, language="en", body="harbour works")
    ArticleFactory(publisher=zeta, authors=[cy], copyright_year=2023, language="es", body="airport news")
    ArticleFactory(publisher=None, authors=[bob], copyright_year=None, body="harbour opinion")
    make_article(Article.Status.DRAFT, publisher=zeta, authors=[cy], copyright_year=2021, body="harbour draft")
    return {"ann": ann, "bob": bob, "cy": cy, "acme": acme, "zeta": zeta}


def test_counts_everything_the_requester_may_see(api_client, archive):
    data = api_client.get(FACETS_URL).json()

    assert data == {
        "count": 4,
        "publishers": [{"slug": "acme", "name": "Acme", "count": 2}, {"slug": "zeta", "name": "Zeta", "count": 1}],
        "authors": [
            {"slug": "ann", "name": "Ann", "count": 2},
            {"slug": "bob", "name": "Bob", "count": 2},
            {"slug": "cy", "name": "Cy", "count": 1},
        ],
        "copyright_years": [{"year": 2023, "count": 2}, {"year": 2022, "count": 1}],
        "languages": [{"language": "en", "count": 2}, {"language": "es", "count": 1}, {"language": "und", "count": 1}],
    }


def test_staff_counts_include_drafts(staff_client, archive):
    data = staff_client.get(FACETS_URL).json()

    assert data["count"] == 5
    assert {"year": 2021, "count": 1} in data["copyright_years"]
    assert {"slug": "zeta", "name": "Zeta", "count": 2} in data["publishers"]


def test_facets_follow_q_and_filters(api_client, archive):
    """GIVEN the archive
    WHEN facets are asked for a search narrowed by a filter
    THEN only the matching articles are counted.
    """
    data = api_client.get(FACETS_URL, {"q": "harbour", "copyright_year_min": 2022}).json()

    assert data["count"] == 2
    assert data["publishers"] == [{"slug": "acme", "name": "Acme", "count": 2}]
    assert data["authors"] == [{"slug": "ann", "name": "Ann", "count": 2}, {"slug": "bob", "name": "Bob", "count": 1}]
    assert data["copyright_years"] == [{"year": 2023, "count": 1}, {"year": 2022, "count": 1}]


def test_facets_with_author_filter_count_each_article_once(api_client, archive):
    data = api_client.get(FACETS_URL, {"author": ["ann", "bob"]}).json()

    assert data["count"] == 3
    assert data["publishers"] == [{"slug": "acme", "name": "Acme", "count": 2}]


@pytest.mark.parametrize(("size", "lengths"), [("1", (1, 1, 1)), ("2", (2, 2, 2)), ("100", (2, 3, 2))])
def test_facet_size(api_client, archive, size, lengths):
    data = api_client.get(FACETS_URL, {"facet_size": size}).json()

    assert (len(data["publishers"]), len(data["authors"]), len(data["copyright_years"])) == lengths


def test_default_facet_size_is_ten(api_client):
    for n in range(12):
        ArticleFactory(copyright_year=2000 + n)

    data = api_client.get(FACETS_URL).json()

    assert len(data["copyright_years"]) == 10
    assert len(data["publishers"]) == 10


@pytest.mark.parametrize("size", ["0", "101", "-1", "ten", "1.5"])
def test_bad_facet_size_is_a_400(api_client, archive, size):
    response = api_client.get(FACETS_URL, {"facet_size": size})

    assert response.status_code == 400
    assert list(response.json()) == ["facet_size"]


@pytest.mark.parametrize(
    ("params", "name"), [({"q": "-x"}, "q"), ({"author": "no body"}, "author"), ({"min_words": "x"}, "min_words")]
)
def test_bad_filters_are_a_400(api_client, archive, params, name):
    response = api_client.get(FACETS_URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_empty_match(api_client, archive):
    data = api_client.get(FACETS_URL, {"q": "nonexistentword"}).json()

    assert data == {"count": 0, "publishers": [], "authors": [], "copyright_years": [], "languages": []}


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("size", [1, 100])
@pytest.mark.parametrize("params", [{}, {"q": "harbour"}, {"q": "harbour", "min_words": 1}])
def test_facets_cost_three_queries(request, django_assert_num_queries, archive, client_fixture, size, params):
    """The search outbox, then the names of the counted publishers and authors: whatever the facet size,
    query or archive size (the index counts, with or without q)."""
    client = request.getfixturevalue(client_fixture)
    for n in range(10):
        ArticleFactory(authors=[AuthorFactory()], copyright_year=1990 + n, body=f"harbour {n}")
    sync_pending()

    with django_assert_num_queries(3):
        assert client.get(FACETS_URL, {"facet_size": size, **params}).status_code == 200


def test_slug_filters_add_one_query_each(api_client, django_assert_num_queries, archive):
    sync_pending()
    with django_assert_num_queries(5):
        assert api_client.get(FACETS_URL, {"author": ["ann", "cy"], "publisher": "acme"}).status_code == 200


def test_language_facet_follows_the_language_filter(api_client, archive):
    """GIVEN articles in English, Spanish and of unknown language
    WHEN facets are asked for the unknown ones only (``language=und``)
    THEN only those are counted, under ``und``.
    """
    data = api_client.get(FACETS_URL, {"language": "und"}).json()

    assert (data["count"], data["languages"]) == (1, [{"language": "und", "count": 1}])
