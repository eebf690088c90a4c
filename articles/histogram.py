"""Attention over time: how many of the articles matching a query fall in each day, week, month or year.

Every count is an aggregate, never a walk over rows: one GROUP BY on the database (``BucketStart``
of ``Article.date``: ``date_trunc`` in UTC on PostgreSQL, string functions on SQLite's UTC text),
or, when the matches come from a search (``q``), one aggregation of the index's ``date`` fast field
(µs since the epoch, UTC). The totals are always the database's. Buckets are cut in UTC everywhere
(the dates are stored in UTC and ``TIME_ZONE`` is UTC; the truncation names UTC itself, so a change
of ``TIME_ZONE`` cannot shift them). Weeks start on Monday (ISO 8601).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeAlias, TypedDict, get_args

from django.db.models import Case, Count, DateField, DateTimeField, F, Func, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast, Trunc

from articles.api.facets import SEGMENT_SIZE, TIE_MARGIN
from articles.models import Article, Publisher
from articles.search import ArticleSearch
from articles.search_index import micros

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

# A compiled expression: SQL and its parameters.
_SQL: TypeAlias = "tuple[str, tuple[str | int, ...]]"

Interval = Literal["day", "week", "month", "year"]
INTERVALS: tuple[Interval, ...] = get_args(Interval)
DEFAULT_INTERVAL: Interval = "month"
# More buckets than this is a request for a coarser interval (a day per bucket over 27 years).
MAX_BUCKETS = 10_000
# Publishers named in a split by publisher; the rest are counted together as ``other``.
TOP_PUBLISHERS = 10
RATIO_DIGITS = 4
MICROS_PER_DAY = 86_400_000_000
# 1970-01-01, the index's epoch, was a Thursday: weeks (from Monday) are offset by four days.
WEEK_OFFSET_DAYS = 4
# Below every date the index can hold (the year 1 is about -2**55.8 µs): only undated articles,
# which the index files at the smallest i64, lie below it.
UNDATED_BELOW = -(2.0**62)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class TooManyBuckets(ValueError):
    """The histogram would have more than ``MAX_BUCKETS`` buckets; the message says so."""


class PublisherCount(TypedDict):
    slug: str
    count: int


class NamedPublisherCount(PublisherCount):
    name: str


# A publisher's id and its count (with its slug and name).
RankedPublisher = tuple[int, NamedPublisherCount]


class Bucket(TypedDict):
    start: str
    count: int
    total: int
    ratio: float
    publishers: NotRequired[list[PublisherCount]]
    other: NotRequired[int]


class Histogram(TypedDict):
    interval: Interval
    buckets: list[Bucket]
    undated: int
    publishers: NotRequired[list[NamedPublisherCount]]


@dataclass(frozen=True)
class Counts:
    """Articles per bucket start, those without a date, and (split by publisher) per bucket and publisher id."""

    dated: dict[dt.date, int]
    undated: int = 0
    # Bucket start -> publisher id -> count; ``None`` collects every other publisher (and no publisher).
    by_publisher: dict[dt.date, dict[int | None, int]] | None = None


# --- Bucket arithmetic (UTC) ----------------------------------------------------------------


def bucket_start(moment: dt.datetime | dt.date, interval: Interval) -> dt.date:
    """Return the first day of the bucket holding ``moment`` (read in UTC)."""
    day = moment.astimezone(dt.UTC).date() if isinstance(moment, dt.datetime) else moment
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "year":
        return day.replace(month=1, day=1)
    return day


def next_start(start: dt.date, interval: Interval) -> dt.date | None:
    """Return the first day of the bucket after the one starting on ``start`` (None past the year 9999)."""
    try:
        if interval == "day":
            return start + dt.timedelta(days=1)
        if interval == "week":
            return start + dt.timedelta(days=7)
        if interval == "month":
            return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return dt.date(start.year + 1, 1, 1)
    except (OverflowError, ValueError):
        return None


def bucket_count(first: dt.date, last: dt.date, interval: Interval) -> int:
    """Return how many buckets run from the one starting on ``first`` to the one starting on ``last``."""
    if interval == "day":
        return (last - first).days + 1
    if interval == "week":
        return (last - first).days // 7 + 1
    if interval == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return last.year - first.year + 1


def bucket_starts(first: dt.date, last: dt.date, interval: Interval) -> list[dt.date]:
    """Return the starts of every bucket from ``first`` to ``last``; raise ``TooManyBuckets`` past ``MAX_BUCKETS``."""
    if (n := bucket_count(first, last, interval)) > MAX_BUCKETS:
        coarser = INTERVALS[min(INTERVALS.index(interval) + 1, len(INTERVALS) - 1)]
        raise TooManyBuckets(
            f"{n} {interval} buckets from {first} to {last}; the limit is {MAX_BUCKETS}: "
            f"ask for a coarser interval (e.g. {coarser}) or a shorter date range."
        )
    starts: list[dt.date] = []
    start: dt.date | None = first
    while start is not None and start <= last:
        starts.append(start)
        start = next_start(start, interval)
    return starts


def span(
    keys: Iterable[dt.date], interval: Interval, *, after: dt.datetime | None, before: dt.datetime | None
) -> tuple[dt.date, dt.date] | None:
    """Return the first and last bucket with any article, within the ``after``/``before`` range (None: none)."""
    keys = list(keys)
    if not keys:
        return None
    first, last = min(keys), max(keys)
    if after is not None:
        first = max(first, bucket_start(after, interval))
    if before is not None:
        last = min(last, bucket_start(before, interval))
    return (first, last) if first <= last else None


def ratio(count: int, total: int) -> float:
    """Return ``count / total`` to ``RATIO_DIGITS`` decimals, 0 for an empty bucket."""
    return round(count / total, RATIO_DIGITS) if total else 0.0


# --- Counting in the database ---------------------------------------------------------------


class BucketStart(Func):
    """The first day of the bucket of ``interval`` holding the date-time ``expression``, in UTC (NULL for NULL).

    PostgreSQL truncates the UTC date-time (Django's ``Trunc`` with ``tzinfo=UTC``); on SQLite,
    whose date-times are UTC text, SQLite's own date functions do: Django's ``Trunc`` there is a
    Python function called once per row, which counts a million rows for seconds.
    """

    output_field = DateField()
    # SQLite holds a date-time as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]": its first ten characters are the
    # day. (SQLite's own date() rounds to milliseconds: 23:59:59.9995 would be the next day.) Weeks: six
    # days back, then forward to the next Monday (``weekday 1``), which is that day if it is a Monday.
    SQLITE = {
        "day": "substr(%(expressions)s, 1, 10)",
        "week": "date(substr(%(expressions)s, 1, 10), '-6 days', 'weekday 1')",
        "month": "substr(%(expressions)s, 1, 7) || '-01'",
        "year": "substr(%(expressions)s, 1, 4) || '-01-01'",
    }

    def __init__(self, expression: str, interval: Interval) -> None:
        super().__init__(F(expression))
        self.interval = interval

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any) -> _SQL:
        trunc = Trunc(self.source_expressions[0], self.interval, output_field=DateTimeField(), tzinfo=dt.UTC)
        return compiler.compile(Cast(trunc, DateField()))

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any) -> _SQL:
        return self.as_sql(compiler, connection, template=self.SQLITE[self.interval], **extra_context)


def _truncated(interval: Interval) -> BucketStart:
    return BucketStart("date", interval)


def _day(value: dt.datetime | dt.date) -> dt.date:
    return value.astimezone(dt.UTC).date() if isinstance(value, dt.datetime) else value


def _dated(articles: QuerySet[Article]) -> QuerySet[Article]:
    # Unordered: the list's ordering would otherwise join the GROUP BY. Dated only: the condition lets
    # SQLite read the date index instead of every row of the table when nothing else narrows it.
    return articles.order_by().filter(date__isnull=False)


def _undated(articles: QuerySet[Article], *, undated: bool) -> int:
    return articles.order_by().filter(date__isnull=True).count() if undated else 0


def database_counts(articles: QuerySet[Article], interval: Interval, *, undated: bool = True) -> Counts:
    """Count ``articles`` per bucket of ``interval`` (one GROUP BY query) and, with ``undated``, without a date."""
    rows = _dated(articles).values(bucket=_truncated(interval)).annotate(n=Count("pk"))
    dated = {_day(row["bucket"]): row["n"] for row in rows}
    return Counts(dated, _undated(articles, undated=undated))


def database_top_publishers(articles: QuerySet[Article], size: int = TOP_PUBLISHERS) -> list[RankedPublisher]:
    """Return the ``size`` publishers with the most of ``articles`` (ties by name, then slug): one query."""
    rows = (
        articles.order_by()
        .filter(publisher__isnull=False)
        .values("publisher_id", "publisher__slug", "publisher__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "publisher__name", "publisher__slug")[:size]
    )
    return [
        (r["publisher_id"], {"slug": r["publisher__slug"], "name": r["publisher__name"], "count": r["n"]}) for r in rows
    ]


def database_counts_by_publisher(
    articles: QuerySet[Article], interval: Interval, publisher_ids: Sequence[int]
) -> Counts:
    """Count ``articles`` per bucket and per publisher of ``publisher_ids`` (the rest together), and the undated."""
    # The id of a named publisher, else NULL: a bucket has at most len(publisher_ids) + 1 rows.
    named = Case(
        When(publisher_id__in=list(publisher_ids), then=F("publisher_id")),
        default=Value(None),
        output_field=IntegerField(),
    )
    rows = _dated(articles).values(bucket=_truncated(interval), who=named).annotate(n=Count("pk"))
    dated: dict[dt.date, int] = {}
    split: dict[dt.date, dict[int | None, int]] = {}
    for row in rows:
        day = _day(row["bucket"])
        dated[day] = dated.get(day, 0) + row["n"]
        split.setdefault(day, {})[row["who"]] = row["n"]
    return Counts(dated, _undated(articles, undated=True), split)


# --- Counting in the search index -----------------------------------------------------------


def _index_micros(day: dt.date) -> int:
    return micros(dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC))


def _index_day(value: float) -> dt.date:
    return (_EPOCH + dt.timedelta(microseconds=int(value))).date()


def _dated_aggregation(interval: Interval, starts: Sequence[dt.date]) -> dict[str, Any]:
    """Return the index aggregation counting the matches per bucket starting at ``starts``."""
    if interval in ("day", "week"):
        # Fixed lengths: a histogram of the date in µs, only the non-empty buckets.
        days = 1 if interval == "day" else 7
        offset = 0 if interval == "day" else WEEK_OFFSET_DAYS * MICROS_PER_DAY
        return {"histogram": {"field": "date", "interval": days * MICROS_PER_DAY, "offset": offset, "min_doc_count": 1}}
    # Months and years differ in length: one range per bucket, open at both ends so every date lands in one.
    ranges: list[dict[str, Any]] = []
    for i, start in enumerate(starts):
        bounds: dict[str, Any] = {"key": start.isoformat()}
        if i:
            bounds["from"] = _index_micros(start)
        if i + 1 < len(starts):
            bounds["to"] = _index_micros(starts[i + 1])
        ranges.append(bounds)
    return {"range": {"field": "date", "ranges": ranges}}


def index_span(articles: ArticleSearch) -> list[dt.date]:
    """Return the first and last day any match is dated (none when none is): one index pass."""
    result = articles.aggregate({"first": {"min": {"field": "date"}}, "last": {"max": {"field": "date"}}})
    values = [result.get(name, {}).get("value") for name in ("first", "last")]
    return [_index_day(value) for value in values if value is not None]


def index_counts(articles: ArticleSearch, interval: Interval, starts: Sequence[dt.date]) -> Counts:
    """Count the matches of a search per bucket starting at ``starts`` and without a date: one index pass."""
    if not starts:
        return Counts({}, _index_undated(articles.aggregate({"undated": _UNDATED})))
    result = articles.aggregate({"dated": _dated_aggregation(interval, starts), "undated": _UNDATED})
    dated: dict[dt.date, int] = {}
    for bucket in result.get("dated", {}).get("buckets", []):
        if bucket["doc_count"]:
            key = bucket["key"]
            day = dt.date.fromisoformat(key) if isinstance(key, str) else _index_day(key)
            dated[day] = dated.get(day, 0) + bucket["doc_count"]
    return Counts(dated, _index_undated(result))


# ``date_desc`` holds every article's date, an undated one's as the smallest i64.
_UNDATED = {"range": {"field": "date_desc", "ranges": [{"key": "undated", "to": UNDATED_BELOW}]}}


def _index_undated(result: Mapping[str, Any]) -> int:
    buckets = result.get("undated", {}).get("buckets", [])
    return sum(b["doc_count"] for b in buckets if b.get("key") == "undated")


def index_top_publishers(articles: ArticleSearch, size: int = TOP_PUBLISHERS) -> list[RankedPublisher]:
    """Return the ids and counts of the ``size`` publishers with the most matches (ties by name, then slug).

    One index pass (a terms aggregation, exact below ``SEGMENT_SIZE`` publishers), then one query names them.
    """
    terms = {"terms": {"field": "publisher", "size": size + TIE_MARGIN, "segment_size": SEGMENT_SIZE}}
    buckets = articles.aggregate({"publishers": terms}).get("publishers", {}).get("buckets", [])
    counts = {int(b["key"]): b["doc_count"] for b in buckets}
    if not counts:
        return []
    rows = Publisher.objects.filter(pk__in=list(counts)).values_list("pk", "slug", "name")
    ranked = sorted(rows, key=lambda r: (-counts[r[0]], r[2], r[1]))[:size]
    return [(pk, {"slug": slug, "name": name, "count": counts[pk]}) for pk, slug, name in ranked]


def index_counts_by_publisher(
    articles: ArticleSearch, interval: Interval, starts: Sequence[dt.date], publisher_ids: Sequence[int]
) -> Counts:
    """Count the matches per bucket, and per publisher of ``publisher_ids`` (the rest together).

    One index pass for all, and one per named publisher (the index's own
    buckets are limited, so no nesting of ten publishers in every bucket).
    """
    counts = index_counts(articles, interval, starts)
    split: dict[dt.date, dict[int | None, int]] = {}
    for pk in publisher_ids:
        for day, n in index_counts(articles.narrowed(publisher_ids=(pk,)), interval, starts).dated.items():
            split.setdefault(day, {})[pk] = n
    return Counts(counts.dated, counts.undated, split)


# --- The histogram ---------------------------------------------------------------------------


def histogram(
    *,
    matches: QuerySet[Article] | ArticleSearch,
    visible: QuerySet[Article],
    interval: Interval = DEFAULT_INTERVAL,
    by_publisher: bool = False,
    after: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> Histogram:
    """Count ``matches`` per bucket of ``interval`` beside every article of ``visible`` in the same bucket.

    ``visible`` is what the requester may see, unfiltered (the buckets' ``total``);
    ``matches`` is it filtered, a queryset or a search; a search counts both in the index
    (its ``visible()``: the API's way, bounded whatever the archive's size), a queryset both in
    the database. The buckets run from the first to the last with any visible article, within
    ``after``/``before`` (the date filters), empty ones included. Raise ``TooManyBuckets`` past ``MAX_BUCKETS``.
    """
    top: list[RankedPublisher] = []
    if isinstance(matches, ArticleSearch):
        # All from the index, whatever the archive's size: the totals are the requester's visible
        # articles in the same snapshot, and the matches (some of them) lie within their span.
        everything = matches.visible()
        edges = [bucket_start(day, interval) for day in index_span(everything)]
        starts = _starts(edges, interval, after=after, before=before)
        totals = index_counts(_within(everything, starts, interval), interval, starts)
        if by_publisher:
            top = index_top_publishers(matches)
            counts = index_counts_by_publisher(matches, interval, starts, [pk for pk, _ in top])
        else:
            counts = index_counts(matches, interval, starts)
    else:
        totals = database_counts(visible, interval, undated=False)
        if by_publisher:
            top = database_top_publishers(matches)
            counts = database_counts_by_publisher(matches, interval, [pk for pk, _ in top])
        else:
            counts = database_counts(matches, interval)
        starts = _starts([*totals.dated, *counts.dated], interval, after=after, before=before)
    result: Histogram = {
        "interval": interval,
        "buckets": [_bucket(day, counts, totals) for day in starts],
        "undated": counts.undated,
    }
    if by_publisher:
        _split(result, starts, counts, top)
    return result


def _within(articles: ArticleSearch, starts: Sequence[dt.date], interval: Interval) -> ArticleSearch:
    """Return ``articles`` dated within the buckets of ``starts`` (the first and last range are open-ended)."""
    if not starts:
        return articles
    end = next_start(starts[-1], interval)
    last = dt.datetime.combine(end, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(microseconds=1) if end else None
    return articles.narrowed(published=(dt.datetime.combine(starts[0], dt.time.min, tzinfo=dt.UTC), last))


def _starts(
    keys: Iterable[dt.date], interval: Interval, *, after: dt.datetime | None, before: dt.datetime | None
) -> list[dt.date]:
    bounds = span(keys, interval, after=after, before=before)
    return bucket_starts(*bounds, interval) if bounds else []


def _bucket(day: dt.date, counts: Counts, totals: Counts) -> Bucket:
    count, total = counts.dated.get(day, 0), totals.dated.get(day, 0)
    return {"start": day.isoformat(), "count": count, "total": total, "ratio": ratio(count, total)}


def _split(result: Histogram, starts: Sequence[dt.date], counts: Counts, top: Sequence[RankedPublisher]) -> None:
    """Give each bucket its count per top publisher (in ``top``'s order) and ``other``; name them once."""
    split = counts.by_publisher or {}
    for day, bucket in zip(starts, result["buckets"], strict=True):
        per = split.get(day, {})
        bucket["publishers"] = [{"slug": named["slug"], "count": per.get(pk, 0)} for pk, named in top]
        bucket["other"] = bucket["count"] - sum(p["count"] for p in bucket["publishers"])
    result["publishers"] = [named for _, named in top]
