"""The author and publisher admins: counted lists, search, slugs and autocomplete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import Author, Publisher
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

AUTHORS_URL = reverse("admin:articles_author_changelist")
PUBLISHERS_URL = reverse("admin:articles_publisher_changelist")

# Session, user, page count, full count, the page with its article counts.
CHANGELIST_QUERIES = 5


def listed(response) -> dict[str, int]:
    """Name -> article count of each listed row, in order."""
    return {row.name: row.article_count for row in response.context["cl"].result_list}


@pytest.fixture
def byline_counts(db) -> None:
    """Ann wrote three articles (one with Bob), Bob one, Cy none; Acme published three, Globe one."""
    ann, bob = AuthorFactory(name="Ann Lee", social_handle="@annlee"), AuthorFactory(name="Bob Ray")
    AuthorFactory(name="Cy Young")
    acme, globe = PublisherFactory(name="Acme"), PublisherFactory(name="Globe")
    PublisherFactory(name="Unread Press")
    ArticleFactory(publisher=acme, authors=[ann, bob])
    ArticleFactory(publisher=acme, authors=[ann])
    ArticleFactory(publisher=acme, authors=[ann])
    ArticleFactory(publisher=globe)


def test_authors_list_article_counts(admin_client, byline_counts):
    response = admin_client.get(AUTHORS_URL)

    assert response.status_code == 200
    assert listed(response) == {"Ann Lee": 3, "Bob Ray": 1, "Cy Young": 0}
    assert "@annlee" in response.content.decode()


def test_publishers_list_article_counts(admin_client, byline_counts):
    response = admin_client.get(PUBLISHERS_URL)

    assert response.status_code == 200
    assert listed(response) == {"Acme": 3, "Globe": 1, "Unread Press": 0}


@pytest.mark.parametrize(
    ("url", "column", "expected"),
    [
        (AUTHORS_URL, 4, ["Cy Young", "Bob Ray", "Ann Lee"]),
        (AUTHORS_URL, -4, ["Ann Lee", "Bob Ray", "Cy Young"]),
        (PUBLISHERS_URL, 3, ["Unread Press", "Globe", "Acme"]),
    ],
)
def test_sort_by_article_count(admin_client, byline_counts, url, column, expected):
    response = admin_client.get(url, {"o": column})

    assert list(listed(response)) == expected


@pytest.mark.parametrize(
    ("url", "factory", "count"),
    [(AUTHORS_URL, AuthorFactory, 3), (AUTHORS_URL, AuthorFactory, 30), (PUBLISHERS_URL, PublisherFactory, 30)],
)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, django_assert_num_queries, url, factory, count):
    """
    GIVEN `count` authors or publishers, each with two articles
    WHEN their changelist is loaded
    THEN it runs the same fixed number of queries
    """
    for obj in factory.create_batch(count):
        for _ in range(2):
            ArticleFactory(**({"authors": [obj]} if factory is AuthorFactory else {"publisher": obj}))

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(url)

    assert set(listed(response).values()) == {2}


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        (AUTHORS_URL, "ann", ["Ann Lee"]),
        (AUTHORS_URL, "bob-ray", ["Bob Ray"]),  # the slug
        (AUTHORS_URL, "staff writer", []),  # the bio is not searched
        (PUBLISHERS_URL, "glo", ["Globe"]),
        (PUBLISHERS_URL, "unread-press", ["Unread Press"]),
    ],
)
def test_search(admin_client, byline_counts, url, query, expected):
    response = admin_client.get(url, {"q": query})

    assert response.status_code == 200
    assert list(listed(response)) == expected


@pytest.mark.parametrize(
    ("model_name", "data", "model"),
    [
        ("author", {"name": "Dee Fox", "slug": "dee-fox", "bio": "", "social_handle": "@dee"}, Author),
        ("publisher", {"name": "Dee Press", "slug": "dee-press"}, Publisher),
    ],
)
def test_add(admin_client, model_name, data, model):
    response = admin_client.get(reverse(f"admin:articles_{model_name}_add"))
    assert "prepopulated_fields" in response.context

    response = admin_client.post(reverse(f"admin:articles_{model_name}_add"), data)

    assert response.status_code == 302
    assert model.objects.get(slug=data["slug"]).name == data["name"]


@pytest.mark.parametrize("model_name", ["author", "publisher"])
def test_add_with_a_taken_slug_shows_an_error(admin_client, byline_counts, model_name):
    taken = {"author": "ann-lee", "publisher": "acme"}[model_name]

    response = admin_client.post(reverse(f"admin:articles_{model_name}_add"), {"name": "Someone", "slug": taken})

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors


@pytest.mark.parametrize(
    ("model_name", "field_name", "term", "expected"),
    [
        ("articleauthor", "author", "bob", ["Bob Ray"]),
        ("article", "publisher", "ac", ["Acme"]),
    ],
)
def test_autocomplete(admin_client, byline_counts, model_name, field_name, term, expected):
    params = {"app_label": "articles", "model_name": model_name, "field_name": field_name, "term": term}

    response = admin_client.get(reverse("admin:autocomplete"), params)

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == expected


def test_deleting_an_author_with_articles_is_refused(admin_client, byline_counts):
    ann = Author.objects.get(name="Ann Lee")

    response = admin_client.post(reverse("admin:articles_author_delete", args=[ann.pk]), {"post": "yes"})

    assert response.status_code == 200
    assert Author.objects.filter(pk=ann.pk).exists()
