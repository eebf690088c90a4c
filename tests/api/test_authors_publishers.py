"""The author and publisher endpoints: shapes and visible article counts."""

from __future__ import annotations

import pytest

from articles.models import Article
from tests.api.helpers import AUTHORS_URL, PUBLISHERS_URL, make_article
from tests.factories import AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

AUTHOR_LIST_FIELDS = {"id", "url", "name", "slug", "social_handle", "article_count", "articles_url"}
AUTHOR_DETAIL_FIELDS = AUTHOR_LIST_FIELDS | {"bio"}
PUBLISHER_FIELDS = {"id", "url", "name", "slug", "article_count", "articles_url"}
# One article of each status, plus a second published one: what each requester may count.
VISIBLE_COUNTS = [("api_client", 2), ("user_client", 2), ("staff_client", 4)]


@pytest.fixture
def author():
    """An author credited on 2 published, 1 draft and 1 withdrawn article (and another author's article)."""
    author = AuthorFactory(name="Kyle Shiver", bio="Kyle writes. Follow @kpshiver3.", social_handle="@kpshiver3")
    for status in [*Article.Status.values, Article.Status.PUBLISHED]:
        make_article(status, authors=[AuthorFactory(), author])
    make_article(authors=[AuthorFactory()])
    return author


@pytest.fixture
def publisher():
    """A publisher of 2 published, 1 draft and 1 withdrawn article (and another publisher's article)."""
    publisher = PublisherFactory(name="Blaze Media LLC")
    for status in [*Article.Status.values, Article.Status.PUBLISHED]:
        make_article(status, publisher=publisher)
    make_article()
    return publisher


def test_author_list_fields(api_client, author):
    results = api_client.get(AUTHORS_URL).json()["results"]

    assert all(set(item) == AUTHOR_LIST_FIELDS for item in results)


def test_author_detail(api_client, author):
    data = api_client.get(f"{AUTHORS_URL}{author.pk}/").json()

    assert set(data) == AUTHOR_DETAIL_FIELDS
    assert data == {
        "id": author.pk,
        "url": f"http://testserver/api/v1/authors/{author.pk}/",
        "name": "Kyle Shiver",
        "slug": author.slug,
        "social_handle": "@kpshiver3",
        "bio": "Kyle writes. Follow @kpshiver3.",
        "article_count": 2,
        "articles_url": f"http://testserver/api/v1/articles/?author={author.slug}",
    }


@pytest.mark.parametrize(("url", "entity_fixture"), [(AUTHORS_URL, "author"), (PUBLISHERS_URL, "publisher")])
@pytest.mark.parametrize(("client_fixture", "expected"), VISIBLE_COUNTS)
def test_article_count_counts_only_visible_articles(request, url, entity_fixture, client_fixture, expected):
    client = request.getfixturevalue(client_fixture)
    entity = request.getfixturevalue(entity_fixture)

    listed = {item["id"]: item for item in client.get(url, {"page_size": 100}).json()["results"]}
    detailed = client.get(f"{url}{entity.pk}/").json()

    assert listed[entity.pk]["article_count"] == expected
    assert detailed["article_count"] == expected


def test_author_without_articles_counts_zero_for_staff(staff_client):
    author = AuthorFactory()

    assert staff_client.get(f"{AUTHORS_URL}{author.pk}/").json()["article_count"] == 0


def test_authors_are_listed_by_name(api_client):
    for name in ["Zoe Cole", "Amy Bell", "Mia Dunn"]:
        make_article(authors=[AuthorFactory(name=name)])

    names = [item["name"] for item in api_client.get(AUTHORS_URL).json()["results"]]

    assert names == ["Amy Bell", "Mia Dunn", "Zoe Cole"]


def test_publisher_shape(api_client, publisher):
    listed = api_client.get(PUBLISHERS_URL).json()["results"]
    data = api_client.get(f"{PUBLISHERS_URL}{publisher.pk}/").json()

    assert all(set(item) == PUBLISHER_FIELDS for item in listed)
    assert data == {
        "id": publisher.pk,
        "url": f"http://testserver/api/v1/publishers/{publisher.pk}/",
        "name": "Blaze Media LLC",
        "slug": publisher.slug,
        "article_count": 2,
        "articles_url": f"http://testserver/api/v1/articles/?publisher={publisher.slug}",
    }


@pytest.mark.parametrize("url", [AUTHORS_URL, PUBLISHERS_URL])
def test_unknown_id_is_a_404(api_client, url):
    assert api_client.get(f"{url}999999/").status_code == 404
