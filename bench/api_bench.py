"""API benchmark: ms per request for the main endpoints, next to a floor measured in the same run.

    python bench/api_bench.py --articles 10000                 # SQLite (temporary file)
    python bench/api_bench.py --articles 10000 --database-url postgres://postgres@127.0.0.1:5432/archive_bench

The archive is built by importing generated seeds. Each endpoint is requested in
process (Django's test client, no network) ``--requests`` times after a warm-up;
the floor for each is a bare Django view that runs the same rows through
``QuerySet.values()`` and ``JsonResponse``, with no DRF, no serializers, no
filter backends. The PostgreSQL database named in the URL is dropped and created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_seeds import generate
from bench.import_bench import QueryCounter, configure

LIST_FIELDS = ("id", "slug", "title", "subtitle", "word_count", "status", "published_at", "publisher__name")


def floor_urls():
    """URL patterns of the bare views the API is compared with."""
    from django.db.models import Count
    from django.http import JsonResponse
    from django.urls import path

    from articles.models import Article
    from articles.search import search

    def page(queryset):
        rows = list(queryset.values(*LIST_FIELDS)[:20])
        return JsonResponse({"count": queryset.count(), "results": rows})

    def listing(request):
        return page(Article.objects.published().order_by("-published_at", "-id"))

    def filtered(request):
        qs = Article.objects.published().filter(publisher__slug="riverside-press", word_count__gte=300)
        return page(qs.order_by("-published_at", "-id"))

    def searched(request):
        qs = search(Article.objects.published(), "county council")
        return page(qs.order_by("-rank", "-id"))

    def facets(request):
        qs = search(Article.objects.published(), "county council")
        body = {
            "publishers": list(qs.values("publisher__slug").annotate(n=Count("id")).order_by("-n")[:10]),
            "authors": list(qs.values("authors__slug").annotate(n=Count("id")).order_by("-n")[:10]),
            "years": list(qs.values("copyright_year").annotate(n=Count("id")).order_by("-n")[:10]),
        }
        return JsonResponse(body)

    return [
        path("floor/list/", listing),
        path("floor/filtered/", filtered),
        path("floor/search/", searched),
        path("floor/facets/", facets),
    ]


CASES = (
    ("list page", "/api/v1/articles/", "/floor/list/"),
    ("filtered page", "/api/v1/articles/?publisher=riverside-press&min_words=300", "/floor/filtered/"),
    ("search", "/api/v1/articles/?q=county%20council", "/floor/search/"),
    ("facets", "/api/v1/articles/facets/?q=county%20council", "/floor/facets/"),
)


def measure(client, url: str, requests: int) -> tuple[float, float, float]:
    """Return median ms, p95 ms and queries per request for ``url``."""
    from django.db import connection

    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    timings, counter = [], QueryCounter()
    with connection.execute_wrapper(counter):
        for _ in range(requests):
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], counter.count / requests


def install_floor_urls() -> None:
    """Add the floor views to the project's URLs."""
    from django.urls import clear_url_caches

    from archive_project import urls

    urls.urlpatterns += floor_urls()
    clear_url_caches()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10000, help="How many generated articles to import.")
    parser.add_argument("--requests", type=int, default=200, help="Timed requests per endpoint.")
    parser.add_argument("--database-url", help="PostgreSQL URL of a scratch database (default: a SQLite temp file).")
    args = parser.parse_args()

    # The benchmark measures the endpoints, not the rate limits.
    os.environ["API_THROTTLE_ANON"] = os.environ["API_THROTTLE_USER"] = "100000000/min"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    with tempfile.TemporaryDirectory(prefix="archive-api-bench-") as tmp:
        vendor = configure(args.database_url, Path(tmp))
        from django.test import Client

        from articles.importing import import_paths

        generate(args.articles, Path(tmp) / "seeds")
        import_paths(paths=[Path(tmp) / "seeds"])
        install_floor_urls()
        client = Client()
        print(f"backend: {vendor}   articles: {args.articles}   requests per endpoint: {args.requests}")
        header = ("endpoint", "API median", "API p95", "q/req", "floor median", "floor p95")
        print("{:<15} {:>11} {:>9} {:>6}   {:>13} {:>10}".format(*header))
        for name, api_url, floor_url in CASES:
            api = measure(client, api_url, args.requests)
            floor = measure(client, floor_url, args.requests)
            print(
                f"{name:<15} {api[0]:>9.2f}ms {api[1]:>7.2f}ms {api[2]:>6.1f}   {floor[0]:>11.2f}ms {floor[1]:>8.2f}ms"
            )


if __name__ == "__main__":
    main()
