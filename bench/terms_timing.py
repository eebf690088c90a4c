"""Time ``/api/v1/articles/top-terms/`` on an archive the benchmark built: p50/p95 per query class, in process.

    python bench/archive_bench.py --articles 20000 --only generate,import --workdir /tmp/b
    python bench/terms_timing.py /tmp/b [--database-url postgres://...] [--requests 30]

Each line also shows the matches, the sample's size and where the time goes (the sample's ids from
the index; reading and counting the bodies; the document frequencies and scores), from one extra run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.archive_bench import app_env  # noqa: E402
from bench.measure import time_calls  # noqa: E402

URL = "/api/v1/articles/top-terms/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    env = app_env(args.database_url or f"sqlite:///{args.workdir / 'archive.sqlite3'}", args.workdir)
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from articles import terms as service
    from articles.models import Article, Publisher

    words = json.loads((args.workdir / "terms.json").read_text())
    common, medium, rare = words["common"][0], words["medium"][0], words["rare"][0]
    publisher = Publisher.objects.order_by("pk").values_list("slug", flat=True).first()
    print(f"{Article.objects.count()} articles, {Publisher.objects.count()} publishers, {connection.vendor}")
    anonymous, staff = Client(), Client()
    staff.force_login(User.objects.get_or_create(username="terms-timing", defaults={"is_staff": True})[0])
    cases = {
        f"q={rare} (rare)": (anonymous, {"q": rare}),
        f"q={medium} (medium)": (anonymous, {"q": medium}),
        f"q={common} (common)": (anonymous, {"q": common}),
        f"q={words['phrase'][0]} (phrase)": (anonymous, {"q": words["phrase"][0]}),
        "no q (every published)": (anonymous, {}),
        "no q, publisher=<one>": (anonymous, {"publisher": publisher}),
        f"q={common}, staff, limit=100": (staff, {"q": common, "limit": "100"}),
    }
    for name, (client, params) in cases.items():
        response = client.get(URL, params)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        timing = time_calls(lambda _, c=client, p=params: c.get(URL, p).status_code, args.requests)
        data = response.json()
        top = ", ".join(t["term"] for t in data["terms"][:3])
        print(
            f"{name:34s} p50 {timing.p50:7.1f} ms  p95 {timing.p95:7.1f} ms  "
            f"{data['matches']:6d} matches  sample {data['sample_size']:5d}  top: {top}"
        )
    limits = f"sample cap {service.SAMPLE_SIZE}, ids read whole up to {service.READ_ALL_IDS}"
    print(f"({limits}, {service.CANDIDATES} lookups)")


if __name__ == "__main__":
    main()
