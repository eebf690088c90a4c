"""Time ``/api/v1/articles/histogram/`` on an archive the benchmark built: p50/p95 per query class, in process.

    python bench/archive_bench.py --articles 20000 --only generate,import --workdir /tmp/b
    python bench/histogram_timing.py /tmp/b [--database-url postgres://...] [--requests 30]

The generated seeds carry no dates, so every article is dated on the import day: spread the dates first
(``--spread-dates`` sets ``original_published_at`` over 9,000 days from 2000-01-01 and rebuilds the index).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.archive_bench import app_env  # noqa: E402
from bench.measure import time_calls  # noqa: E402

URL = "/api/v1/articles/histogram/"

SPREAD_DAYS = 9000


def spread_dates() -> None:
    """Give every article an original publication date spread over SPREAD_DAYS days (one UPDATE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE articles_article SET original_published_at = TIMESTAMPTZ '2000-01-01 00:00:00+00'"
                f" + ((id * 7919) % {SPREAD_DAYS}) * interval '1 day' + (id % 86400) * interval '1 second'"
            )
        else:
            cursor.execute(
                "UPDATE articles_article SET original_published_at = strftime('%Y-%m-%d %H:%M:%S', '2000-01-01',"
                f" '+' || ((id * 7919) % {SPREAD_DAYS}) || ' days', '+' || (id % 86400) || ' seconds')"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--spread-dates", action="store_true")
    args = parser.parse_args()
    env = app_env(args.database_url or f"sqlite:///{args.workdir / 'archive.sqlite3'}", args.workdir)
    os.environ.update(env)
    import django

    django.setup()
    if args.spread_dates:
        spread_dates()
        subprocess.run([sys.executable, "manage.py", "rebuild_search_index"], env=env, check=True, cwd=ROOT)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from articles.models import Article, Publisher

    terms = json.loads((args.workdir / "terms.json").read_text())
    common, rare = terms["common"][0], terms["rare"][0]
    publisher = Publisher.objects.order_by("pk").values_list("slug", flat=True).first()
    print(f"{Article.objects.count()} articles, {Publisher.objects.count()} publishers, {connection.vendor}")
    anonymous, staff = Client(), Client()
    staff.force_login(User.objects.get_or_create(username="histogram-timing", defaults={"is_staff": True})[0])
    cases = {
        "month": (anonymous, {}),
        "day": (anonymous, {"interval": "day"}),
        "week by=publisher": (anonymous, {"interval": "week", "by": "publisher"}),
        "month publisher=<one>": (anonymous, {"publisher": publisher}),
        "month, staff": (staff, {}),
        f"month q={common} (common)": (anonymous, {"q": common}),
        f"day q={rare} (rare)": (anonymous, {"q": rare, "interval": "day"}),
        f"month q={common} by=publisher": (anonymous, {"q": common, "by": "publisher"}),
    }
    for name, (client, params) in cases.items():
        response = client.get(URL, params)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        timing = time_calls(lambda _, c=client, p=params: c.get(URL, p).status_code, args.requests)
        buckets = len(response.json()["buckets"])
        print(f"{name:40s} p50 {timing.p50:7.1f} ms  p95 {timing.p95:7.1f} ms  {buckets:5d} buckets")


if __name__ == "__main__":
    main()
