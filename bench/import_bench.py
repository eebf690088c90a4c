"""Import benchmark: articles per second next to floors measured in the same run.

    python bench/import_bench.py --files 10000                       # SQLite (temporary file)
    python bench/import_bench.py --files 10000 --database-url postgres://postgres@127.0.0.1:5432/archive_bench

The PostgreSQL database named in the URL is dropped and created again. Figures printed:
- parse only: the pure-Python parser over every file (no database);
- importer: ``import_seeds``' service, everything included (history, outcomes, provenance);
- floor: the same article, author, publisher and byline rows written straight through
  the database driver (COPY on PostgreSQL, executemany on SQLite) in one transaction.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.generate_seeds import generate

TABLES = ("articles_publisher", "articles_author", "articles_article", "articles_articleauthor")


def configure(database_url: str | None, workdir: Path) -> str:
    """Point Django at a fresh benchmark database and return its vendor."""
    url = database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive_project.settings")
    if url.startswith("postgres"):
        recreate_postgres(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    return connection.vendor


def recreate_postgres(url: str) -> None:
    """Drop and create the database named in ``url``."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


class QueryCounter:
    """Count the queries Django sends, without keeping them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def time_parse(paths: list[Path]) -> float:
    from articles import parsing

    start = time.perf_counter()
    for path in paths:
        with contextlib.suppress(parsing.ParseError):
            parsing.parse(path.read_bytes())
    return time.perf_counter() - start


def time_import(directory: Path) -> tuple[float, int, dict]:
    from django.db import connection

    from articles.importing import import_paths

    counter = QueryCounter()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        report = import_paths(paths=[directory])
    return time.perf_counter() - start, counter.count, report.counts


def snapshot_rows() -> dict[str, tuple[list[str], list[tuple]]]:
    """Read back the rows the importer wrote, to write them again as the floor."""
    from django.db import connection

    rows = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table}")
            columns = [c[0] for c in cursor.description]
            rows[table] = (columns, cursor.fetchall())
    return rows


def clear_tables() -> None:
    from articles.models import Article, ArticleAuthor, Author, ImportOutcome, Publisher

    ImportOutcome.objects.all().delete()
    ArticleAuthor.objects.all().delete()
    Article.objects.all().delete()
    Author.objects.all().delete()
    Publisher.objects.all().delete()


def time_floor(rows: dict[str, tuple[list[str], list[tuple]]], vendor: str) -> float:
    """Write the same rows through the raw driver connection in one transaction."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    start = time.perf_counter()
    if vendor == "postgresql":
        with raw.transaction(), raw.cursor() as cursor:
            for table, (columns, data) in rows.items():
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
    else:
        # Django opens SQLite in autocommit mode: without BEGIN every row would commit alone.
        raw.execute("BEGIN")
        for table, (columns, data) in rows.items():
            marks = ", ".join("?" * len(columns))
            raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", data)
        raw.execute("COMMIT")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10000, help="How many seed files to generate and import.")
    parser.add_argument("--database-url", help="PostgreSQL URL of a scratch database (default: a SQLite temp file).")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
        workdir = Path(tmp)
        vendor = configure(args.database_url, workdir)
        paths = generate(args.files, workdir / "seeds")
        parse_s = time_parse(paths)
        import_s, queries, counts = time_import(workdir / "seeds")
        articles = counts["created"]
        rows = snapshot_rows()
        clear_tables()
        floor_s = time_floor(rows, vendor)

    print(f"backend: {vendor}   files: {args.files}   outcome: {counts}")
    print(f"{'parse only (no database)':<34} {args.files / parse_s:>10.0f} files/s   {parse_s:>7.2f} s")
    print(f"{'importer (import_paths)':<34} {articles / import_s:>10.0f} articles/s {import_s:>7.2f} s")
    print(f"{'floor: raw driver write, same rows':<34} {articles / floor_s:>10.0f} articles/s {floor_s:>7.2f} s")
    print(f"{'importer time / floor time':<34} {import_s / floor_s:>10.1f} x")
    print(f"{'queries per file':<34} {queries / args.files:>10.2f}")


if __name__ == "__main__":
    main()
