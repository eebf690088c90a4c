"""In-process measurements: API query classes and exports through Django's test client, next to their floors."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from bench import floors
from bench.report import Report, Row

API = "/api/v1/articles/"
WARMUP = 3
SEARCH_TARGET_MS = 50
API_TARGET_MS = 50
ADMIN_TARGET_MS = 150
EXPORT_TARGET_ROWS_S = 20_000
EXPORT_FLAT_MB = 50
CURSOR_PAGE = 50
# The superuser the admin pages are measured with (a throwaway benchmark database).
ADMIN_USER = "bench-admin"
ADMIN_PASSWORD = "bench-admin-password-8d1f"


def setup() -> None:
    """Start Django in this process, with the bare ``values()`` views mounted beside the API."""
    import logging
    import warnings

    import django

    # WhiteNoise's note that collectstatic has not run: the API needs no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    # A page past the end is a 404 the report counts; the log line per request would only be noise.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.test.utils import override_settings
    from django.urls import clear_url_caches, path

    from archive_project import urls

    # The admin's pages are rendered in process without collectstatic's manifest.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    urls.urlpatterns[:0] = [path("bench-floor/list/", bare_list_view)]
    clear_url_caches()


def bare_list_view(request):
    """A list page with no DRF at all: ``values()`` of the same rows, a capped count, ``JsonResponse``."""
    from django.http import JsonResponse

    from articles.models import Article

    articles = Article.objects.published()
    if publisher := request.GET.get("publisher"):
        articles = articles.filter(publisher__slug=publisher)
    if low := request.GET.get("copyright_year_min"):
        articles = articles.filter(
            copyright_year__gte=int(low), copyright_year__lte=int(request.GET["copyright_year_max"])
        )
    fields = ("id", "slug", "title", "subtitle", "word_count", "published_at", "publisher__name", "publisher__slug")
    rows = list(articles.order_by("-published_at", "-id").values(*fields)[: floors.PAGE])
    count = articles.order_by()[: floors.COUNT_CAP + 1].count()
    return JsonResponse({"count": count, "results": rows})


def raw():
    """Return the driver connection under Django's default connection, and its vendor."""
    from django.db import connection

    connection.ensure_connection()
    return connection.connection, connection.vendor


def server_version() -> str:
    conn, vendor = raw()
    if vendor == "postgresql":
        return floors.run(conn, vendor, "SHOW server_version")[0][0] + " (PostgreSQL)"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


# --- Timing -----------------------------------------------------------------------


@dataclass
class Timing:
    p50: float
    p95: float
    statuses: Counter
    queries: float | None = None

    def status_text(self) -> str:
        return ", ".join(f"{status}×{n}" for status, n in sorted(self.statuses.items()))


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def time_calls(call: Callable[[int], int | None], requests: int) -> Timing:
    """Time ``requests`` calls of ``call(i)`` after a warm-up; the call returns an HTTP status or None."""
    for i in range(WARMUP):
        call(i)
    timings, statuses = [], Counter()
    for i in range(requests):
        start = time.perf_counter()
        status = call(i)
        timings.append((time.perf_counter() - start) * 1000)
        statuses[status or "ok"] += 1
    return Timing(statistics.median(timings), percentile(timings, 0.95), statuses)


def time_urls(client, urls: list[str], requests: int) -> Timing:
    """Time GETs cycling through ``urls``; count the queries of one more request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def call(i: int) -> int:
        response = client.get(urls[i % len(urls)])
        if response.streaming:
            b"".join(response.streaming_content)
        return response.status_code

    timing = time_calls(call, requests)
    with CaptureQueriesContext(connection) as captured:
        call(0)
    timing.queries = len(captured.captured_queries)
    return timing


# --- The query classes ----------------------------------------------------------------


@dataclass
class QueryClass:
    name: str
    urls: list[str]
    floor: Callable[[int], object] | None
    floor_label: str
    target_ms: float
    # Pages the API may refuse (a documented maximum page): a 400 meets the target.
    may_refuse: bool = False
    admin: bool = False


def sample_ids(conn, vendor: str, count: int = 200, seed: int = 1) -> list[int]:
    """Return up to ``count`` published article ids spread over the table."""
    low, high = floors.run(conn, vendor, "SELECT min(id), max(id) FROM articles_article")[0]
    if low is None:
        return []
    rng = random.Random(seed)
    picks = sorted({rng.randint(low, high) for _ in range(count * 3)})
    marks = ", ".join(["%s"] * len(picks))
    rows = floors.run(
        conn, vendor, f"SELECT id FROM articles_article a WHERE {floors.PUBLISHED} AND id IN ({marks})", picks
    )
    return [row[0] for row in rows][:count]


def search_classes(terms, conn, vendor: str) -> list[QueryClass]:
    classes = []
    for name in ("rare", "medium", "common", "phrase", "exclusion"):
        queries = getattr(terms, name)
        for kind, suffix in (("ranked", ""), ("newest", "&ordering=-published_at")):
            classes.append(
                QueryClass(
                    f"search {name}" + (", ordering=-published_at" if suffix else " (ranked)"),
                    [f"{API}?q={quote(q)}{suffix}" for q in queries],
                    lambda i, qs=queries, k=kind: floors.search_floor(conn, vendor, qs[i % len(qs)], k),
                    f"search_floor {kind}",
                    SEARCH_TARGET_MS,
                )
            )
    classes.append(
        QueryClass(
            "facets, common q",
            [f"{API}facets/?q={quote(q)}" for q in terms.common],
            lambda i: floors.search_floor(conn, vendor, terms.common[i % len(terms.common)], "facets"),
            "search_floor facets",
            SEARCH_TARGET_MS,
        )
    )
    return classes


def list_classes(conn, vendor: str, ids: list[int], client) -> list[QueryClass]:
    publisher_id, slug = floors.run(
        conn,
        vendor,
        "SELECT p.id, p.slug FROM articles_publisher p JOIN articles_article a ON a.publisher_id = p.id "
        "GROUP BY p.id, p.slug ORDER BY count(*) DESC, p.id LIMIT 1",
    )[0]
    years = "copyright_year_min=2016&copyright_year_max=2020"
    filtered_where = "a.publisher_id = %s AND a.copyright_year BETWEEN 2016 AND 2020"
    total = floors.run(conn, vendor, f"SELECT count(*) FROM articles_article a WHERE {floors.PUBLISHED}")[0][0]
    last_offset = max(total - 1, 0) // floors.PAGE * floors.PAGE
    cursor_url, reached = cursor_page_url(client, CURSOR_PAGE)
    position = floors.page_position(conn, vendor, (reached - 1) * floors.PAGE - 1) if reached > 1 else None
    return [
        QueryClass(
            "facets, no q", [f"{API}facets/"], lambda i: floors.facets_floor(conn, vendor), "SQL", API_TARGET_MS
        ),
        QueryClass("list page, newest first", [API], lambda i: floors.list_floor(conn, vendor), "SQL", API_TARGET_MS),
        QueryClass("list page, bare values() view", ["/bench-floor/list/"], None, "", API_TARGET_MS),
        QueryClass(
            "filtered list (publisher + years)",
            [f"{API}?publisher={slug}&{years}"],
            lambda i: floors.list_floor(conn, vendor, where=filtered_where, params=(publisher_id,)),
            "SQL",
            API_TARGET_MS,
        ),
        QueryClass(
            "filtered list, bare values() view",
            [f"/bench-floor/list/?publisher={slug}&{years}"],
            None,
            "",
            API_TARGET_MS,
        ),
        QueryClass(
            "page=2000",
            [f"{API}?page=2000"],
            lambda i: floors.list_floor(conn, vendor, offset=1999 * floors.PAGE),
            "SQL OFFSET",
            API_TARGET_MS,
            may_refuse=True,
        ),
        QueryClass(
            f"page=last (offset {last_offset:,})",
            [f"{API}?page=last"],
            lambda i: floors.list_floor(conn, vendor, offset=last_offset),
            "SQL OFFSET",
            API_TARGET_MS,
            may_refuse=True,
        ),
        QueryClass(
            "cursor page 1", [f"{API}?cursor="], lambda i: floors.list_floor(conn, vendor), "SQL", API_TARGET_MS
        ),
        QueryClass(
            f"cursor page {reached}",
            [cursor_url],
            lambda i: floors.list_floor(conn, vendor, after=position),
            "SQL keyset",
            API_TARGET_MS,
        ),
        QueryClass(
            "detail",
            [f"{API}{article_id}/" for article_id in ids[:50]],
            lambda i: floors.detail_floor(conn, vendor, ids[i % min(len(ids), 50)]),
            "SQL",
            API_TARGET_MS,
        ),
    ]


def admin_classes(conn, vendor: str, terms) -> list[QueryClass]:
    phrase = terms.phrase[0]
    return [
        QueryClass(
            "admin changelist, no search",
            ["/admin/articles/article/"],
            lambda i: floors.list_floor(conn, vendor),
            "SQL",
            ADMIN_TARGET_MS,
            admin=True,
        ),
        QueryClass(
            "admin changelist, phrase search",
            [f"/admin/articles/article/?q={quote(phrase)}"],
            lambda i: floors.search_floor(conn, vendor, phrase, "newest"),
            "search_floor newest",
            ADMIN_TARGET_MS,
            admin=True,
        ),
    ]


def cursor_page_url(client, page: int) -> tuple[str, int]:
    """Follow ``next`` from the first cursor page to page ``page`` (or the last one); return its URL and number."""
    url, reached = f"{API}?cursor=", 1
    while reached < page:
        following = client.get(url).json().get("next")
        if not following:
            break
        url, reached = following, reached + 1
    return url, reached


def admin_client():
    """Return a test client logged in as a superuser made with ``createsuperuser``."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    if not get_user_model().objects.filter(username=ADMIN_USER).exists():
        os.environ["DJANGO_SUPERUSER_PASSWORD"] = ADMIN_PASSWORD
        call_command(
            "createsuperuser",
            interactive=False,
            username=ADMIN_USER,
            email="bench@example.invalid",
            stdout=io.StringIO(),
        )
    client = Client()
    # force_login: Client.login() authenticates without a request, which django-axes refuses.
    client.force_login(get_user_model().objects.get(username=ADMIN_USER))
    return client


def api_section(args, terms, report: Report) -> None:
    from django.test import Client

    conn, vendor = raw()
    anonymous = Client()
    ids = sample_ids(conn, vendor)
    classes = [*search_classes(terms, conn, vendor), *list_classes(conn, vendor, ids, anonymous)]
    classes += admin_classes(conn, vendor, terms)
    admin = admin_client()
    for query_class in classes:
        measure_class(query_class, admin if query_class.admin else anonymous, args.requests, report)


def measure_class(query_class: QueryClass, client, requests: int, report: Report) -> None:
    timing = time_urls(client, query_class.urls, requests)
    floor = time_calls(query_class.floor, requests) if query_class.floor else None
    statuses = set(timing.statuses)
    ok = statuses <= {200} or (query_class.may_refuse and statuses <= {400})
    # A page past the end of a small archive says nothing about paging at depth.
    met = (
        None
        if query_class.may_refuse and statuses == {404}
        else ok and (timing.p95 <= query_class.target_ms or statuses == {400})
    )
    if any(isinstance(s, int) and s >= 500 for s in statuses):
        report.problems.append(f"{query_class.name}: server errors {timing.status_text()}")
    report.add(
        Row(
            "api",
            query_class.name,
            timing.p95,
            "ms",
            p50=timing.p50,
            floor=floor.p95 if floor else None,
            floor_p50=floor.p50 if floor else None,
            floor_label=query_class.floor_label,
            target=f"p95 ≤ {query_class.target_ms:.0f} ms" + (" or 400" if query_class.may_refuse else ""),
            met=met,
            note=f"status {timing.status_text()}; {timing.queries} queries",
        )
    )


# --- Export --------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _ChunkReader(io.RawIOBase):
    """A readable stream over a response's chunks, so that lines are split and decoded in C, not here."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.pending = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            self.pending = next(self.chunks, None)
            if self.pending is None:
                self.pending = b""
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    # The reader's own cost counts in the export's rows/s: keep it to C loops.
    return io.TextIOWrapper(io.BufferedReader(_ChunkReader(chunks), 1 << 20), encoding="utf-8", newline="")


class _Timed:
    """The chunks of a streamed body, with the time spent making them (what a WSGI server waits for)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.seconds = iter(chunks), 0.0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        start = time.perf_counter()
        try:
            return next(self.chunks)
        finally:
            self.seconds += time.perf_counter() - start


def read_export(response, export_format: str, limit: int) -> tuple[int, float, float]:
    """Read up to ``limit`` rows of a streamed export; return the rows, the peak RSS growth (MB) and the seconds
    spent producing the body (reading and parsing it here is not the export's time)."""
    start_rss = peak = rss_mb()
    rows = 0
    body = _Timed(response.streaming_content)
    lines = _lines(body)
    records = lines if export_format == "ndjson" else _skip_header(csv.reader(lines))
    try:
        for _ in records:
            rows += 1
            if rows % 1000 == 0:
                peak = max(peak, rss_mb())
            if rows >= limit:
                break
    finally:
        response.close()
    return rows, max(peak, rss_mb()) - start_rss, body.seconds


def _skip_header(reader) -> Iterator[list[str]]:
    next(reader, None)
    yield from reader


def export_section(args, report: Report, terms=None) -> None:
    from django.test import Client

    conn, vendor = raw()
    total = floors.run(conn, vendor, f"SELECT count(*) FROM articles_article a WHERE {floors.PUBLISHED}")[0][0]
    limit = min(args.export_rows, total)
    floor_rate = export_floor_rate(conn, vendor, limit)
    client = Client()
    exports = [(export_format, {}, "") for export_format in ("ndjson", "csv")]
    if terms is not None and terms.common:
        # A common word's matches, best first with snippets: the index hands them over a chunk at a time.
        exports.append(("ndjson", {"q": terms.common[0]}, f" with q={terms.common[0]}"))
    for export_format, params, label in exports:
        start = time.perf_counter()
        response = client.get(f"{API}export.{export_format}", params)
        answered = time.perf_counter() - start
        rows, growth, producing = read_export(response, export_format, limit)
        # The response's time and its body's making; the harness's own parsing (~30 us a CSV row) is not counted.
        rate = rows / (answered + producing)
        report.add(
            Row(
                "export",
                f"{export_format.upper()} export{label}, {rows:,} rows",
                rate,
                "rows/s",
                floor=floor_rate,
                floor_label="driver stream + json.dumps",
                target=f"≥ {EXPORT_TARGET_ROWS_S:,} rows/s, flat memory",
                met=rate >= EXPORT_TARGET_ROWS_S and growth < EXPORT_FLAT_MB,
                note=f"RSS grew {growth:.1f} MB while streaming (flat: < {EXPORT_FLAT_MB} MB), {rss_mb():.0f} MB after",
            )
        )


def export_floor_rate(conn, vendor: str, limit: int) -> float:
    out = io.StringIO()

    def write(row: tuple) -> None:
        out.write(json.dumps(row, default=str))
        if out.tell() > 1 << 20:
            out.seek(0)
            out.truncate()

    start = time.perf_counter()
    rows = floors.export_floor(conn, vendor, limit, write)
    return rows / (time.perf_counter() - start)
