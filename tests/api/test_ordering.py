"""``?ordering=`` on the article list: allowed fields, directions, tiebreaks, NULLs, relevance, and 400s."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Article
from tests.api.helpers import ARTICLES_URL, ids, make_article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def ordered(client, ordering: str, **params) -> list[int]:
    response = client.get(ARTICLES_URL, {"ordering": ordering, "page_size": 100, **params})
    assert response.status_code == 200, response.content
    return ids(response)


@pytest.fixture
def articles():
    now = timezone.now()
    return {
        "b": ArticleFactory(title="Bravo", body="one two three", published_at=now - dt.timedelta(days=3)),
        "a": ArticleFactory(title="Alpha", body="one", published_at=now - dt.timedelta(days=1)),
        "c": ArticleFactory(title="Charlie", body="one two", published_at=now - dt.timedelta(days=2)),
    }


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", "abc"),
        ("-title", "cba"),
        ("published_at", "bca"),
        ("-published_at", "acb"),
        ("word_count", "acb"),
        ("-word_count", "bca"),
        ("created_at", "bac"),
        ("-created_at", "cab"),
        (" -word_count , title ", "bca"),
    ],
)
def test_ordering_by_each_field(api_client, articles, ordering, expected):
    assert ordered(api_client, ordering) == [articles[key].pk for key in expected]


def test_equal_values_are_broken_by_newest_id(api_client):
    same = [ArticleFactory(title="Same", body=f"Body {n}.") for n in range(4)]

    assert ordered(api_client, "title") == [a.pk for a in reversed(same)]
    assert ordered(api_client, "-title") == [a.pk for a in reversed(same)]


def test_several_fields(api_client):
    short_b, long_a, short_a = (
        ArticleFactory(title="B", body="x"),
        ArticleFactory(title="A", body="x y z"),
        ArticleFactory(title="A", body="x."),
    )

    assert ordered(api_client, "title,word_count") == [short_a.pk, long_a.pk, short_b.pk]
    assert ordered(api_client, "title,-word_count") == [long_a.pk, short_a.pk, short_b.pk]


@pytest.mark.parametrize("ordering", ["published_at", "-published_at"])
def test_staff_see_undated_drafts_last_either_way(staff_client, ordering):
    now = timezone.now()
    older, newer = ArticleFactory(published_at=now - dt.timedelta(days=1)), ArticleFactory(published_at=now)
    draft = make_article(Article.Status.DRAFT)

    result = ordered(staff_client, ordering)

    assert result[-1] == draft.pk
    assert result[:2] == ([older.pk, newer.pk] if ordering == "published_at" else [newer.pk, older.pk])


@pytest.mark.parametrize(
    "ordering", ["bogus", "body", "-id", "title,bogus", "--title", "title-", "raw_text", "relevance,bogus"]
)
def test_unknown_fields_are_a_400_listing_the_choices(api_client, articles, ordering):
    response = api_client.get(ARTICLES_URL, {"ordering": ordering})

    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]
    message = response.json()["ordering"][0]
    assert "title" in message


def test_blank_ordering_is_the_default(api_client, articles):
    assert ordered(api_client, "") == ordered(api_client, "-published_at")


def test_relevance_with_q(api_client):
    """GIVEN articles matching a query more and less well
    WHEN the list is searched with ordering=relevance, -rank, rank or a field
    THEN relevance puts the best first, rank the worst first, and a field overrides relevance.
    """
    best = ArticleFactory(title="Otter otter", body="otter")
    worst = ArticleFactory(title="Zebra news", body="an otter was seen")
    ArticleFactory(title="Unrelated", body="nothing here")

    assert ordered(api_client, "relevance", q="otter") == [best.pk, worst.pk]
    assert ordered(api_client, "-rank", q="otter") == [best.pk, worst.pk]
    assert ordered(api_client, "rank", q="otter") == [worst.pk, best.pk]
    assert ordered(api_client, "-title", q="otter") == [worst.pk, best.pk]
