"""Time the NDJSON and CSV exports on an archive the benchmark built: rows/s, fetches, and a digest of each body.

    python bench/archive_bench.py --articles 20000 --only generate,import --workdir /tmp/b
    python bench/export_timing.py /tmp/b [--database-url postgres://...] [--repeats 3] [--profile csv]

Each line is one export read whole, in process (as bench/measure.py's export section, without its CSV
parsing): the best and median rows/s of ``--repeats`` runs, this process's least CPU time a row (steadier
than rows/s on a busy machine; the database's time is not in it), the server-side cursor's fetches, and the
body's SHA-256, which a change meant to be faster must leave as it was. ``--profile`` prints a cProfile
of one run of the named export.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.archive_bench import app_env  # noqa: E402

API = "/api/v1/articles/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--database-url")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", help="Export to profile once: a case name as printed (ndjson, csv, ...).")
    args = parser.parse_args()
    env = app_env(args.database_url or f"sqlite:///{args.workdir / 'archive.sqlite3'}", args.workdir)
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from articles.models import Article

    fetches = count_fetches()
    print(f"{Article.objects.count()} articles, {connection.vendor}")
    anonymous, staff = Client(), Client()
    staff.force_login(User.objects.get_or_create(username="export-timing", defaults={"is_staff": True})[0])
    cases = {
        "ndjson": (anonymous, "ndjson", {}),
        "csv": (anonymous, "csv", {}),
        "csv, staff": (staff, "csv", {}),
        "csv, fields=id,title,authors": (anonymous, "csv", {"fields": "id,title,authors"}),
    }
    for name, (client, export_format, params) in cases.items():
        # A CSV cell may hold newlines: the rows are counted as the NDJSON export's lines.
        rows = read_whole(client, "ndjson", params)[0].count(b"\n")
        rates, cpu = [], []
        for _ in range(args.repeats):
            fetches[0] = 0
            started = time.process_time()
            body, seconds = read_whole(client, export_format, params)
            cpu.append((time.process_time() - started) / rows)
            rates.append(rows / seconds)
        digest = hashlib.sha256(body).hexdigest()
        print(
            f"{name:30s} best {max(rates):8,.0f} rows/s  median {statistics.median(rates):8,.0f} rows/s  "
            f"cpu {min(cpu) * 1e6:5.1f} us/row  {rows:6,} rows  {fetches[0]:5,} fetches  sha256 {digest[:16]}"
        )
        if args.profile == name:
            profile = cProfile.Profile()
            profile.runcall(read_whole, client, export_format, params)
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)


def read_whole(client, export_format: str, params: dict[str, str]) -> tuple[bytes, float]:
    """Return the body of one export and the seconds it took to make."""
    start = time.perf_counter()
    response = client.get(f"{API}export.{export_format}", params)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    body = b"".join(response.streaming_content)
    seconds = time.perf_counter() - start
    response.close()
    return body, seconds


def count_fetches() -> list[int]:
    """Count the fetches of server-side cursors (PostgreSQL: a round trip each), in a list's one item."""
    count = [0]
    try:
        from psycopg import ServerCursor
    except ImportError:
        return count
    for name in ("fetchone", "fetchmany", "fetchall"):
        original = getattr(ServerCursor, name)

        def counted(self, *args, _original=original, **kwargs):
            count[0] += 1
            return _original(self, *args, **kwargs)

        setattr(ServerCursor, name, counted)
    return count


if __name__ == "__main__":
    main()
