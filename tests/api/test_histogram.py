"""``/api/v1/articles/histogram/``: matches per day, week, month or year, beside all the requester may see."""

from __future__ import annotations

import datetime as dt

import pytest

from articles.models import Article
from tests.api.helpers import ARTICLES_URL, make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

HISTOGRAM_URL = "/api/v1/articles/histogram/"


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


@pytest.fixture
def archive():
    """Two publishers over January to April 2024 (nothing in February), one article dated by its original
    publication date, a dated draft and an undated one."""
    ann = AuthorFactory(name="Ann", slug="ann")
    acme, zeta = PublisherFactory(name="Acme", slug="acme"), PublisherFactory(name="Zeta", slug="zeta")
    ArticleFactory(publisher=acme, authors=[ann], published_at=at("2024-01-01", 0), body="harbour news")
    ArticleFactory(publisher=acme, published_at=at("2024-01-31", 23), body="harbour works")
    ArticleFactory(publisher=zeta, published_at=at("2024-03-04"), body="airport news")
    # Archived in April, first published on 2024-01-07 (a Sunday): bucketed by the original date.
    ArticleFactory(
        publisher=zeta,
        authors=[ann],
        published_at=at("2024-04-10"),
        original_published_at=at("2024-01-07"),
        body="harbour history",
    )
    ArticleFactory(publisher=acme, published_at=at("2024-04-02"), body="airport works")
    make_article(Article.Status.DRAFT, publisher=zeta, original_published_at=at("2024-03-05"), body="harbour draft")
    make_article(Article.Status.DRAFT, publisher=acme, body="harbour undated")
    return {"acme": acme, "zeta": zeta, "ann": ann}


def buckets(data: dict) -> list[tuple[str, int, int]]:
    return [(b["start"], b["count"], b["total"]) for b in data["buckets"]]


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("month", [("2024-01-01", 3, 3), ("2024-02-01", 0, 0), ("2024-03-01", 1, 1), ("2024-04-01", 1, 1)]),
        ("year", [("2024-01-01", 5, 5)]),
        (
            "week",
            [
                ("2024-01-01", 2, 2),  # Monday 1st and Sunday 7th
                *((f"2024-01-{d:02d}", 0, 0) for d in (8, 15, 22)),
                ("2024-01-29", 1, 1),
                *((f"2024-02-{d:02d}", 0, 0) for d in (5, 12, 19, 26)),
                ("2024-03-04", 1, 1),
                *((f"2024-03-{d:02d}", 0, 0) for d in (11, 18, 25)),
                ("2024-04-01", 1, 1),
            ],
        ),
    ],
)
def test_anonymous_buckets_per_interval(api_client, archive, interval, expected):
    data = api_client.get(HISTOGRAM_URL, {"interval": interval}).json()

    assert data["interval"] == interval
    assert buckets(data) == expected
    assert data["undated"] == 0


def test_days_run_from_the_first_to_the_last_dated_article_empty_days_included(api_client, archive):
    data = api_client.get(HISTOGRAM_URL, {"interval": "day"}).json()

    days = [b["start"] for b in data["buckets"]]
    assert days[0] == "2024-01-01"
    assert days[-1] == "2024-04-02"
    assert len(days) == 31 + 29 + 31 + 2
    counted = {b["start"]: b["count"] for b in data["buckets"] if b["count"]}
    assert counted == {"2024-01-01": 1, "2024-01-07": 1, "2024-01-31": 1, "2024-03-04": 1, "2024-04-02": 1}


@pytest.mark.parametrize("params", [{}, {"interval": ""}, {"interval": " ", "by": ""}])
def test_month_is_the_default_interval(api_client, archive, params):
    data = api_client.get(HISTOGRAM_URL, params).json()

    assert data["interval"] == "month"
    assert "publishers" not in data


def test_staff_see_drafts_and_undated_ones(staff_client, archive):
    data = staff_client.get(HISTOGRAM_URL).json()

    assert buckets(data)[2] == ("2024-03-01", 2, 2)
    assert data["undated"] == 1


def test_count_and_ratio_follow_the_filters_total_does_not(api_client, archive):
    data = api_client.get(HISTOGRAM_URL, {"publisher": "acme"}).json()

    assert data["buckets"] == [
        {"start": "2024-01-01", "count": 2, "total": 3, "ratio": 0.6667},
        {"start": "2024-02-01", "count": 0, "total": 0, "ratio": 0.0},
        {"start": "2024-03-01", "count": 0, "total": 1, "ratio": 0.0},
        {"start": "2024-04-01", "count": 1, "total": 1, "ratio": 1.0},
    ]


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
def test_search_counts_come_from_the_index(request, archive, client_fixture):
    client = request.getfixturevalue(client_fixture)
    data = client.get(HISTOGRAM_URL, {"q": "harbour"}).json()

    staff = client_fixture == "staff_client"
    assert buckets(data) == [
        ("2024-01-01", 3, 3),
        ("2024-02-01", 0, 0),
        ("2024-03-01", 1 if staff else 0, 2 if staff else 1),
        ("2024-04-01", 0, 1),
    ]
    assert data["undated"] == (1 if staff else 0)


@pytest.mark.parametrize("interval", ["day", "week", "month", "year"])
def test_search_and_database_bucket_alike(staff_client, archive, interval):
    """The index (with q) cuts the buckets where the database (without) does, undated ones apart."""
    searched = staff_client.get(HISTOGRAM_URL, {"q": "harbour OR airport", "interval": interval}).json()
    listed = staff_client.get(HISTOGRAM_URL, {"interval": interval}).json()

    assert searched == listed


def test_date_filters_bound_the_buckets(api_client, archive):
    data = api_client.get(
        HISTOGRAM_URL, {"published_after": "2024-01-15", "published_before": "2024-03-31", "interval": "month"}
    ).json()

    # January's count is from the 15th on, its total the whole month.
    assert buckets(data) == [("2024-01-01", 1, 3), ("2024-02-01", 0, 0), ("2024-03-01", 1, 1)]


def test_nothing_visible_is_no_bucket(api_client):
    make_article(Article.Status.DRAFT, body="harbour draft")

    assert api_client.get(HISTOGRAM_URL).json() == {"interval": "month", "buckets": [], "undated": 0}
    assert api_client.get(HISTOGRAM_URL, {"q": "harbour"}).json() == {"interval": "month", "buckets": [], "undated": 0}


SUM_CASES = [
    {},
    {"publisher": "zeta"},
    {"author": "ann"},
    {"published_after": "2024-01-05"},
    {"q": "harbour"},
    {"q": "airport", "publisher": "acme"},
    {"q": "harbour", "status": "draft"},
    {"q": "nothing-matches-this"},
    {"status": "draft"},
]


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("params", SUM_CASES)
@pytest.mark.parametrize("interval", ["week", "year"])
def test_buckets_and_undated_add_up_to_the_list_count(request, archive, client_fixture, params, interval):
    client = request.getfixturevalue(client_fixture)
    listed = client.get(ARTICLES_URL, params).json()["count"]
    for by in ({}, {"by": "publisher"}):
        data = client.get(HISTOGRAM_URL, {**params, **by, "interval": interval}).json()

        assert sum(b["count"] for b in data["buckets"]) + data["undated"] == listed


@pytest.fixture
def many_publishers():
    """Twelve publishers with 12, 11, ... 1 articles in 2023 and 2024; two articles with no publisher."""
    publishers = [PublisherFactory(name=f"Pub {i:02d}", slug=f"pub-{i:02d}") for i in range(12)]
    for i, publisher in enumerate(publishers):
        for n in range(12 - i):
            ArticleFactory(publisher=publisher, published_at=at(f"{2023 + n % 2}-06-01"), body="harbour")
    ArticleFactory(publisher=None, published_at=at("2024-06-01"), body="harbour")
    ArticleFactory(publisher=None, published_at=at("2023-06-01"), body="harbour")
    return publishers


@pytest.mark.parametrize("q", [None, "harbour"])
def test_by_publisher_names_the_top_ten_and_counts_the_rest_as_other(api_client, many_publishers, q):
    data = api_client.get(HISTOGRAM_URL, {"interval": "year", "by": "publisher", **({"q": q} if q else {})}).json()

    top = [(p["slug"], p["count"]) for p in data["publishers"]]
    assert top == [(f"pub-{i:02d}", 12 - i) for i in range(10)]
    assert set(data["publishers"][0]) == {"slug", "name", "count"}
    y2023, y2024 = data["buckets"]
    # Publisher i has ceil((12 - i) / 2) articles in 2023, the rest in 2024.
    assert [p["count"] for p in y2023["publishers"]] == [(13 - i) // 2 for i in range(10)]
    assert [p["count"] for p in y2024["publishers"]] == [(12 - i) // 2 for i in range(10)]
    # Other: pub-10 (2 articles, one a year), pub-11 (1, in 2023), and one without a publisher a year.
    assert (y2023["other"], y2024["other"]) == (3, 2)
    for bucket in data["buckets"]:
        assert [p["slug"] for p in bucket["publishers"]] == [p["slug"] for p in data["publishers"]]
        assert sum(p["count"] for p in bucket["publishers"]) + bucket["other"] == bucket["count"]


def test_by_publisher_ties_go_by_name(api_client):
    for name in ["Zed", "Abe", "Mid"]:
        ArticleFactory(publisher=PublisherFactory(name=name, slug=name.lower()), published_at=at("2024-01-01"))

    data = api_client.get(HISTOGRAM_URL, {"by": "publisher"}).json()

    assert [p["slug"] for p in data["publishers"]] == ["abe", "mid", "zed"]
    assert data["buckets"][0]["other"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"interval": "decade"}, "interval"),
        ({"interval": "Month"}, "interval"),
        ({"by": "author"}, "by"),
        ({"by": "publisher", "interval": "hour"}, "interval"),
        ({"q": '"'}, None),
        ({"published_after": "yesterday"}, "published_after"),
        ({"publisher": "not a slug"}, "publisher"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api_client, archive, params, field):
    response = api_client.get(HISTOGRAM_URL, params)

    if field is None:  # A query with nothing to search for matches nothing: not an error.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("q", [None, "harbour"])
def test_too_many_buckets_is_a_400_asking_for_a_coarser_interval(api_client, q):
    ArticleFactory(published_at=at("1990-01-01"), body="harbour")
    ArticleFactory(published_at=at("2024-01-01"), body="harbour")

    response = api_client.get(HISTOGRAM_URL, {"interval": "day", **({"q": q} if q else {})})

    assert response.status_code == 400
    assert "coarser interval" in response.json()["interval"][0]
    assert api_client.get(HISTOGRAM_URL, {"interval": "week", **({"q": q} if q else {})}).status_code == 200
    # A date range short enough is days again.
    narrowed = api_client.get(
        HISTOGRAM_URL, {"interval": "day", "published_after": "2023-12-01", **({"q": q} if q else {})}
    )
    assert [(b["start"], b["count"]) for b in narrowed.json()["buckets"] if b["count"]] == [("2024-01-01", 1)]


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        # Everything is counted in the index (bounded at any archive size), with or without q.
        ({}, 1),  # the search index's outbox check
        ({"by": "publisher"}, 2),  # + the top publishers' names
        ({"publisher": "acme"}, 2),  # + the slug's lookup
        ({"q": "harbour"}, 1),
        ({"q": "harbour", "by": "publisher"}, 2),
    ],
)
def test_query_count_is_fixed(api_client, archive, django_assert_num_queries, params, queries):
    api_client.get(HISTOGRAM_URL, {"q": "warm up the index"})
    with django_assert_num_queries(queries):
        assert api_client.get(HISTOGRAM_URL, {**params, "interval": "day"}).status_code == 200
