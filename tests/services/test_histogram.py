"""``articles.histogram``: bucket arithmetic in UTC, and the counts from the database and from the index alike."""

from __future__ import annotations

import datetime as dt

import pytest

from articles import histogram
from articles.models import Article
from articles.search import search
from tests.factories import ArticleFactory

D = dt.date


@pytest.mark.parametrize(
    ("moment", "interval", "start", "after"),
    [
        (dt.datetime(2024, 3, 10, 23, 59, tzinfo=dt.UTC), "day", D(2024, 3, 10), D(2024, 3, 11)),
        # 2024-03-10T23:30-05:00 is the 11th in UTC.
        (dt.datetime(2024, 3, 10, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))), "day", D(2024, 3, 11), None),
        (D(2024, 3, 10), "week", D(2024, 3, 4), D(2024, 3, 11)),  # a Sunday: its week began on Monday the 4th
        (D(2024, 3, 11), "week", D(2024, 3, 11), None),
        (D(2024, 12, 31), "month", D(2024, 12, 1), D(2025, 1, 1)),
        (D(2024, 2, 29), "year", D(2024, 1, 1), D(2025, 1, 1)),
        (D(9999, 12, 31), "year", D(9999, 1, 1), "none"),
        (D(9999, 12, 31), "month", D(9999, 12, 1), "none"),
        (D(1, 1, 1), "week", D(1, 1, 1), D(1, 1, 8)),  # the first day of all was a Monday
    ],
)
def test_bucket_start_and_next(moment, interval, start, after):
    assert histogram.bucket_start(moment, interval) == start
    if after is not None:
        assert histogram.next_start(start, interval) == (None if after == "none" else after)


@pytest.mark.parametrize(
    ("first", "last", "interval", "n"),
    [
        (D(2024, 1, 1), D(2024, 12, 31), "day", 366),
        (D(2024, 1, 1), D(2024, 12, 30), "week", 53),
        (D(2023, 11, 1), D(2024, 2, 1), "month", 4),
        (D(1, 1, 1), D(9999, 1, 1), "year", 9999),
    ],
)
def test_bucket_starts_count_every_bucket(first, last, interval, n):
    starts = histogram.bucket_starts(first, last, interval)

    assert len(starts) == histogram.bucket_count(first, last, interval) == n
    assert (starts[0], starts[-1]) == (first, last)


def test_more_than_the_limit_of_buckets_is_refused():
    with pytest.raises(histogram.TooManyBuckets, match="coarser interval"):
        histogram.bucket_starts(D(1, 1, 1), D(9999, 1, 1), "month")


@pytest.mark.parametrize(("count", "total", "ratio"), [(1, 3, 0.3333), (2, 3, 0.6667), (0, 0, 0.0), (5, 5, 1.0)])
def test_ratio(count, total, ratio):
    assert histogram.ratio(count, total) == ratio


@pytest.mark.django_db
@pytest.mark.parametrize("interval", histogram.INTERVALS)
def test_database_and_index_count_the_same_buckets(interval):
    """GIVEN articles on bucket edges (a second before and at midnight UTC, a Sunday and a Monday, New Year)
    WHEN both the database and the index count them
    THEN they agree, edge by edge, and the undated one is apart.
    """
    moments = [
        dt.datetime(2023, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 7, 12, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 8, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 23, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
    ]
    for moment in moments:
        ArticleFactory(published_at=moment)
    ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    articles = Article.objects.all()

    from_database = histogram.histogram(matches=articles, visible=articles, interval=interval)
    from_index = histogram.histogram(matches=search(articles, None), visible=articles, interval=interval)

    assert from_index == from_database
    assert from_database["undated"] == 1
    dated = {D.fromisoformat(b["start"]): b["count"] for b in from_database["buckets"] if b["count"]}
    expected: dict[dt.date, int] = {}
    for moment in moments:
        start = histogram.bucket_start(moment, interval)
        expected[start] = expected.get(start, 0) + 1
    assert dated == expected
