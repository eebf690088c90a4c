"""Cursor paging: walking the whole archive, stable under inserts, at a fixed cost per page."""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, ids, make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db


def walk(client, url: str) -> tuple[list[int], int]:
    """Follow ``next`` links from ``url``; return the ids seen in order and the number of pages."""
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        data = response.json()
        assert "count" not in data
        seen += [item["id"] for item in data["results"]]
        url, pages = data["next"], pages + 1
    return seen, pages


def cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.fixture
def archive():
    """23 published articles, several sharing a publication time (as date-only imports do), newest first."""
    publisher = PublisherFactory()
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for n in range(23):
        ArticleFactory(publisher=publisher, published_at=midnight - dt.timedelta(days=n // 4))
    return list(Article.objects.order_by("-published_at", "-created_at", "-id").values_list("pk", flat=True))


def test_walk_sees_every_article_once_in_list_order(api_client, archive):
    seen, pages = walk(api_client, f"{ARTICLES_URL}?page_mode=cursor&page_size=5")

    assert seen == archive
    assert pages == 5


@pytest.mark.parametrize("params", [{"cursor": ""}, {"cursor": " ", "page": "2"}, {"cursor": "", "page_mode": "page"}])
def test_an_empty_cursor_is_no_cursor(api_client, archive, params):
    """An empty cursor= is no cursor, as an empty value of any parameter is none: numbered pages, never a 400."""
    response = api_client.get(ARTICLES_URL, {**params, "page_size": 5})

    assert response.status_code == 200
    assert response.json()["count"] == 23
    assert ids(response) == archive[(int(params.get("page", 1)) - 1) * 5 :][:5]


def test_first_cursor_page_has_no_previous_and_links_keep_parameters(api_client, archive):
    data = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": 5, "min_words": 1}).json()

    assert data["previous"] is None
    query = parse_qs(urlsplit(data["next"]).query)
    assert query["page_size"] == ["5"]
    assert query["min_words"] == ["1"]
    assert "page_mode" not in query


def test_previous_goes_back_exactly(api_client, archive):
    """GIVEN a walk three pages in
    WHEN the client follows previous links back
    THEN each page is exactly the one it saw before, and the first page has no previous.
    """
    pages, url = [], f"{ARTICLES_URL}?page_mode=cursor&page_size=5"
    for _ in range(3):
        data = api_client.get(url).json()
        pages.append([item["id"] for item in data["results"]])
        url = data["next"]

    back = api_client.get(data["previous"]).json()
    assert [item["id"] for item in back["results"]] == pages[1]
    first = api_client.get(back["previous"]).json()
    assert [item["id"] for item in first["results"]] == pages[0]
    assert first["previous"] is None
    assert first["next"] is not None


def test_walk_is_stable_while_articles_are_added_and_removed(api_client, archive):
    """GIVEN a walk one page in
    WHEN new articles are published and an unseen one is withdrawn
    THEN the rest of the walk shows every remaining original article once, and no new one.
    """
    data = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": 5}).json()
    seen = [item["id"] for item in data["results"]]
    added = {ArticleFactory(published_at=timezone.now() + dt.timedelta(days=1)).pk for _ in range(3)}
    withdrawn = archive[12]
    Article.objects.filter(pk=withdrawn).update(status=Article.Status.WITHDRAWN, published_at=None)

    rest, _ = walk(api_client, data["next"])

    assert seen + rest == [pk for pk in archive if pk != withdrawn]
    assert not added & set(rest)


@pytest.mark.parametrize("ordering", ["title", "-word_count", "published_at", "-created_at"])
def test_walk_follows_the_ordering(api_client, ordering):
    for n in range(11):
        ArticleFactory(title=f"Title {n % 3}", body="word " * (n % 4 + 1) + str(n))
    expected = ids(api_client.get(ARTICLES_URL, {"ordering": ordering, "page_size": 100}))

    seen, _ = walk(api_client, f"{ARTICLES_URL}?page_mode=cursor&ordering={ordering}&page_size=3")

    assert seen == expected


def test_staff_walk_places_undated_drafts_last(staff_client):
    dated = [ArticleFactory(published_at=timezone.now() - dt.timedelta(days=n)) for n in range(4)]
    drafts = [make_article(Article.Status.DRAFT) for _ in range(5)]
    expected = ids(staff_client.get(ARTICLES_URL, {"page_size": 100}))

    seen, _ = walk(staff_client, f"{ARTICLES_URL}?page_mode=cursor&page_size=2")

    assert seen == expected
    assert set(seen[-5:]) == {d.pk for d in drafts}
    assert seen[:4] == [a.pk for a in dated]


@pytest.mark.parametrize("ordering", ["published_at", "-published_at"])
def test_staff_walk_by_publication_date_with_drafts(staff_client, ordering):
    for n in range(3):
        ArticleFactory(published_at=timezone.now() - dt.timedelta(days=n))
        make_article(Article.Status.DRAFT)
    expected = ids(staff_client.get(ARTICLES_URL, {"ordering": ordering, "page_size": 100}))

    seen, _ = walk(staff_client, f"{ARTICLES_URL}?page_mode=cursor&ordering={ordering}&page_size=2")

    assert seen == expected


def test_search_walk_is_newest_first_over_the_matches(api_client):
    now = timezone.now()
    matches = [ArticleFactory(body=f"heron {'heron ' * n}", published_at=now - dt.timedelta(hours=n)) for n in range(5)]
    ArticleFactory(body="no match here")

    seen, _ = walk(api_client, f"{ARTICLES_URL}?page_mode=cursor&q=heron&page_size=2")

    assert seen == [a.pk for a in matches]


def test_authors_can_be_walked_too(staff_client):
    authors = [AuthorFactory(name=f"Writer {n % 3}", slug=f"writer-{n}") for n in range(7)]

    seen, _ = walk(staff_client, f"{AUTHORS_URL}?page_mode=cursor&page_size=3")

    assert sorted(seen) == sorted(a.pk for a in authors)
    assert len(seen) == 7


def forged(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        "e30",  # {}
        forged({"d": "a", "o": "x", "v": []}),
        forged({"d": "z", "o": "x", "v": [1, 2, 3]}),
        "A" * 9000,
    ],
)
def test_invalid_cursor_is_a_404(api_client, archive, cursor):
    # As DRF's own cursor paging: a cursor is the address of a page, and this one leads nowhere.
    response = api_client.get(ARTICLES_URL, {"cursor": cursor})

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


def test_cursor_of_another_ordering_is_a_404(api_client, archive):
    next_url = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": 5}).json()["next"]

    response = api_client.get(ARTICLES_URL, {"cursor": cursor_of(next_url), "ordering": "title"})

    assert response.status_code == 404
    assert "another ordering" in response.json()["detail"]


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00", 2**70],
        ["not a date", "2024-01-01T00:00:00+00:00", 1],
        ["2024-01-01T00:00:00", "2024-01-01T00:00:00+00:00", 1],
        [None, "2024-01-01T00:00:00+00:00", 1],
        ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00", "abc"],
        ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00", True],
        ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00", [1]],
        ["2024-01-01T00:00:00+00:00\u0000", "2024-01-01T00:00:00+00:00", 1],
    ],
)
def test_tampered_cursor_values_are_a_404(api_client, archive, values):
    """GIVEN a real cursor's document with its position values replaced
    WHEN it is sent back
    THEN the API answers 404 (no such page), never a database error.
    """
    document = json.loads(
        base64.urlsafe_b64decode(cursor_of(api_client.get(ARTICLES_URL, {"page_mode": "cursor"}).json()["next"]) + "==")
    )
    document["v"] = values

    response = api_client.get(ARTICLES_URL, {"cursor": forged(document)})

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


@pytest.mark.parametrize("params", [{"page": "2"}, {"page_mode": "page"}, {"page": "last", "page_mode": "page"}])
def test_a_cursor_walks_whatever_page_and_page_mode_say(api_client, archive, params):
    """A cursor is a cursor walk: page and page_mode beside it are ignored (never a 400 the schema cannot tell)."""
    first = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": 5}).json()

    response = api_client.get(ARTICLES_URL, {"cursor": cursor_of(first["next"]), "page_size": 5, **params})

    assert response.status_code == 200
    assert "count" not in response.json()
    assert ids(response) == archive[5:10]


def test_relevance_orders_numbered_search_pages_only(api_client, archive):
    # Elsewhere (a cursor walk, no q) it leaves the default order, newest first.
    search_walk = {"page_mode": "cursor", "q": "story"}
    cursor_walk = api_client.get(ARTICLES_URL, {**search_walk, "ordering": "relevance"})
    unsearched = api_client.get(ARTICLES_URL, {"ordering": "relevance", "page_size": 100})

    assert cursor_walk.status_code == unsearched.status_code == 200
    assert ids(cursor_walk) == ids(api_client.get(ARTICLES_URL, search_walk))
    assert ids(unsearched) == ids(api_client.get(ARTICLES_URL, {"page_size": 100}))


@pytest.mark.parametrize("params", [{"page_mode": "scroll"}])
def test_a_bad_page_mode_is_a_400(api_client, archive, params):
    response = api_client.get(ARTICLES_URL, params)

    assert response.status_code == 400
    assert list(response.json()) == ["page_mode"]


def test_walking_off_the_end_offers_the_way_back(api_client, archive):
    data = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": 23}).json()
    assert data["next"] is None

    last_page = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": 22}).json()
    beyond = api_client.get(last_page["next"]).json()
    assert len(beyond["results"]) == 1
    assert beyond["next"] is None
    assert beyond["previous"] is not None


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
def test_deep_cursor_page_costs_two_queries_and_no_offset(request, client_fixture, django_assert_num_queries, archive):
    """GIVEN a cursor deep into the archive
    WHEN its page is fetched
    THEN it costs the page query and the byline query, without OFFSET or COUNT.
    """
    client = request.getfixturevalue(client_fixture)
    _, url = None, f"{ARTICLES_URL}?page_mode=cursor&page_size=4"
    for _ in range(4):
        url = client.get(url).json()["next"]

    with CaptureQueriesContext(connection) as ctx, django_assert_num_queries(2):
        response = client.get(url)

    assert len(response.json()["results"]) == 4
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "OFFSET" not in sql
    assert "COUNT(" not in sql


@pytest.mark.parametrize("page", ["null", "0", "101"])
def test_a_page_the_schema_refuses_is_a_400_beside_a_cursor_too(api_client, page):
    response = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page": page})

    assert response.status_code == 400
    assert "page" in response.json()
