"""The archive benchmark: build an archive of N generated articles, measure it next to floors, write results.md.

    python bench/archive_bench.py --articles 20000                      # SQLite, in a temporary workdir
    python bench/archive_bench.py --articles 20000 \\
        --database-url postgres://postgres@127.0.0.1:5432/archive_bench   # PostgreSQL (dropped and created)
    python bench/archive_bench.py --skip-import --workdir /tmp/b --only api,load   # reuse an archive

Sections (``--only``, comma-separated; default all):
  generate  N seed files in the seed layout with a Zipf vocabulary (bench/corpus.py), and the query terms
  import    ``manage.py import_seeds`` as a subprocess (wall, CPU, peak RSS) next to the floor: the same
            rows COPYed (PostgreSQL) or executemany'd (SQLite) into a freshly migrated scratch database,
            with the search index built and ANALYZE (bench/floors.py: ``search_index_floor``)
  api       p50/p95 per query class through Django's test client, anonymous, next to the raw SQL (or raw
            engine query: ``search_floor``) of the same query and a bare ``values()`` view
  export    NDJSON and CSV export rows/s and RSS growth, next to streaming the rows through the driver
  load      gunicorn on 127.0.0.1 and a bounded threaded client sending a mix of requests

The app is only reached through ``manage.py``, the HTTP API (in process and over loopback) and the
database, so the harness keeps working while the importer and the search engine change. Figures go to
stdout and to a section of ``--results`` (default bench/results.md) named after the backend and N; a
later run of the same backend and N replaces its section, other sections stay. A missed target never
fails the run; a crash, or an API answer of 500 or more, does (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.report import Report, Row  # noqa: E402

SECTIONS = ("generate", "import", "api", "export", "load")
TABLES = ("articles_publisher", "articles_author", "articles_article", "articles_articleauthor")
OUTCOMES = ("created", "updated", "unchanged", "duplicates", "failed")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000, help="Articles to generate and import.")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of a benchmark database, dropped and created unless --skip-import; a scratch "
        "database <name>_floor is made beside it. Default: a SQLite file in the workdir.",
    )
    parser.add_argument(
        "--workdir", type=Path, help="Where seeds, the SQLite files and dumps go (default: a temp dir)."
    )
    parser.add_argument("--requests", type=int, default=50, help="Timed requests per API query class.")
    parser.add_argument("--seed", type=int, default=2024, help="Random seed of the corpus (same seed, same files).")
    parser.add_argument("--workers", type=int, default=2, help="Processes generating the seed files.")
    parser.add_argument(
        "--skip-import",
        action="store_true",
        help="Reuse the archive built earlier in --workdir (and --database-url); N is that archive's.",
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"Sections to run, of: {', '.join(SECTIONS)}.")
    parser.add_argument("--export-rows", type=int, default=50_000, help="Rows read from each export.")
    parser.add_argument("--load-requests", type=int, default=2_000, help="Most requests the load test sends.")
    parser.add_argument("--load-seconds", type=float, default=20.0, help="Longest the load test runs.")
    parser.add_argument("--load-clients", type=int, default=4, help="Concurrent clients of the load test.")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.md", help="Markdown file to update.")
    parser.add_argument("--keep", action="store_true", help="Keep a temporary workdir (always kept when given).")
    args = parser.parse_args(argv)
    args.sections = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := args.sections - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.skip_import:
        args.sections -= {"generate", "import"}
    if args.articles < 1 or args.requests < 1:
        parser.error("--articles and --requests must be at least 1")
    return args


# --- Environment ------------------------------------------------------------------


def app_env(database_url: str, workdir: Path) -> dict[str, str]:
    """Return the environment the app runs with: production settings, loopback, no rate limits."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="archive_project.settings",
        DEBUG="0",
        SECRET_KEY="bench-secret-key-not-for-production-3c9b7e1d5a",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        API_THROTTLE_ANON="100000000/min",
        API_THROTTLE_USER="100000000/min",
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    # The embedded search index (once adopted) belongs to the benchmark's database: never the caller's.
    env["ARCHIVE_SEARCH_INDEX_DIR"] = str(workdir / "search-index")
    return env


def vendor_of(url: str) -> str:
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def floor_url(url: str, workdir: Path) -> str:
    if vendor_of(url) == "sqlite":
        return f"sqlite:///{workdir / 'floor.sqlite3'}"
    base, _, name = url.rpartition("/")
    return f"{base}/{name.split('?')[0]}_floor"


def recreate_database(url: str) -> None:
    """Drop and create the database at ``url`` (a SQLite file is deleted; SQLite makes it on first use)."""
    drop_database(url)
    if vendor_of(url) == "postgresql":
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    """Drop the database at ``url`` (a SQLite file is deleted)."""
    if vendor_of(url) == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a ``manage.py`` command; raise on failure."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, capture_output=True, text=True, **kwargs
    )


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.node()}: {os.cpu_count()} CPUs, {mem:.0f} GB RAM, {platform.system()} {platform.release()}"


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()
    except OSError:
        return "?"


# --- Generate ---------------------------------------------------------------------


def generate_section(args, workdir: Path, report: Report) -> corpus.QueryTerms:
    seeds = workdir / "seeds"
    shutil.rmtree(seeds, ignore_errors=True)
    start = time.perf_counter()
    counts = corpus.generate(args.articles, seeds, seed=args.seed, workers=args.workers)
    seconds = time.perf_counter() - start
    terms = corpus.query_terms(counts, args.seed)
    (workdir / "terms.json").write_text(json.dumps({"articles": args.articles, **terms.as_dict()}, indent=1))
    report.add(
        Row(
            "generate",
            "seed files written",
            counts.articles / seconds,
            "files/s",
            note=f"{seconds:.1f} s, {counts.bytes / counts.articles / 1024:.1f} KB a file",
        )
    )
    return terms


def describe_terms(terms: corpus.QueryTerms) -> str:
    def share(term: str) -> str:
        words = [w for w in term.split() if not w.startswith("-")]
        known = terms.shares.get(term, terms.shares.get(words[0]) if len(words) == 1 else None)
        return f"{term} ({known:.2%})" if known is not None else term

    classes = ("rare", "medium", "common", "phrase", "exclusion")
    return "; ".join(f"{name}: " + ", ".join(share(t) for t in getattr(terms, name)[:3]) for name in classes)


def load_terms(workdir: Path) -> tuple[int, corpus.QueryTerms]:
    """Return the size and the query terms of the archive generated earlier in ``workdir``."""
    path = workdir / "terms.json"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run without --skip-import first (same --workdir).")
    data = json.loads(path.read_text())
    return data.pop("articles"), corpus.QueryTerms(**data)


# --- Import -------------------------------------------------------------------------


def import_section(args, env: dict, workdir: Path, report: Report) -> None:
    url = env["DATABASE_URL"]
    vendor = vendor_of(url)
    recreate_database(url)
    manage(env, "migrate", "--noinput", "-v", "0")
    shutil.rmtree(env["ARCHIVE_SEARCH_INDEX_DIR"], ignore_errors=True)
    wall, cpu, rss_mb, outcome = timed_import(env, workdir / "seeds")
    created = outcome.get("created", 0)
    report.facts["import outcome"] = ", ".join(f"{k} {outcome.get(k, 0)}" for k in OUTCOMES)
    analyze(url)
    floor_s, floor_cpu = import_floor(env, workdir, vendor)
    ratio = wall / floor_s if floor_s else None
    target = 1.25 if vendor == "postgresql" else 1.5
    report.add(
        Row(
            "import",
            "import_seeds, articles/s",
            created / wall,
            "articles/s",
            floor=created / floor_s,
            floor_label=("COPY" if vendor == "postgresql" else "executemany") + " + Tantivy index build",
            target=f"≤ {target}x floor time",
            met=ratio is not None and ratio <= target,
            note=f"{wall:.1f} s vs floor {floor_s:.1f} s: {ratio:.2f}x",
        )
    )
    cpu_note = "the floor's CPU is the server's" if floor_cpu is None else f"{cpu / floor_cpu:.1f}x the floor's CPU"
    report.add(
        Row("import", "import_seeds, CPU time", cpu, "s", floor=floor_cpu, floor_label="same process", note=cpu_note)
    )
    report.add(Row("import", "import_seeds, peak RSS", rss_mb, "MB", target="< 300 MB (at 1M files)", met=rss_mb < 300))
    if created != args.articles or outcome.get("failed"):
        report.problems.append(
            f"import created {created} of {args.articles} articles: {report.facts['import outcome']}"
        )


def analyze(url: str) -> None:
    """Refresh the planner's statistics (untimed), as autovacuum would soon after a large import."""
    if vendor_of(url) == "postgresql":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
        return
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.execute("ANALYZE")
    conn.close()


def timed_import(env: dict, seeds: Path) -> tuple[float, float, float, dict]:
    """Run ``manage.py import_seeds``; return wall s, CPU s, peak RSS MB and its JSON summary."""
    out_path = seeds.parent / "import.out"
    with out_path.open("w") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "import_seeds", str(seeds), "--json", "-v", "0"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        # wait4 gives this child's own resource use (RUSAGE_CHILDREN would add every earlier child).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in out_path.read_text().splitlines() if line.startswith("{")]
    if process.returncode not in (0, 1) or not lines:
        raise RuntimeError(f"import_seeds exited {process.returncode}: {out_path.read_text()[-2000:]}")
    summary = json.loads(lines[-1])
    counts = summary.get("counts", summary)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, counts


def import_floor(env: dict, workdir: Path, vendor: str) -> tuple[float, float | None]:
    """Write the importer's rows again into a migrated scratch database; return seconds and (SQLite) CPU s."""
    scratch = floor_url(env["DATABASE_URL"], workdir)
    dumps = workdir / "floor-dump"
    shutil.rmtree(dumps, ignore_errors=True)
    dumps.mkdir()
    columns = dump_rows(env["DATABASE_URL"], vendor, dumps)
    recreate_database(scratch)
    scratch_env = {**env, "DATABASE_URL": scratch, "ARCHIVE_SEARCH_INDEX_DIR": str(workdir / "floor-search-index")}
    manage(scratch_env, "migrate", "--noinput", "-v", "0")
    start, cpu_start = time.perf_counter(), _cpu()
    try:
        build_index = partial(manage, scratch_env, "rebuild_search_index", "-v", "0")
        if vendor == "postgresql":
            _pg_load(scratch, columns, dumps, build_index)
            return time.perf_counter() - start, None
        _sqlite_load(scratch, columns, dumps, build_index)
        return time.perf_counter() - start, _cpu() - cpu_start
    finally:
        # Both are as large as the archive itself: gone once measured.
        shutil.rmtree(dumps, ignore_errors=True)
        drop_database(scratch)


def _cpu() -> float:
    # This process and its finished children (the floor's index build runs as a command).
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _columns(conn, vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        rows = conn.execute(
            # Not generated columns (articles' ``date``): the database computes them, and COPY refuses them.
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_generated = 'NEVER' "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
    else:
        # table_info leaves generated columns out (table_xinfo would list them).
        rows = [(row[1],) for row in conn.execute(f"PRAGMA table_info({table})").fetchall()]
    # Computed by the search index's own machinery, not written by the importer.
    return [name for (name,) in rows if name != "search_vector"]


def _select_list(columns: list[str]) -> str:
    # The import run is not among the floor's rows: its foreign key is left empty.
    return ", ".join("NULL" if name == "import_run_id" else name for name in columns)


def dump_rows(url: str, vendor: str, dumps: Path) -> dict[str, list[str]]:
    """Copy the four tables' rows to files (streaming), untimed; return their columns."""
    columns = {}
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(url) as conn:
            for table in TABLES:
                columns[table] = _columns(conn, vendor, table)
                with (
                    (dumps / table).open("wb") as out,
                    conn.cursor().copy(
                        f"COPY (SELECT {_select_list(columns[table])} FROM {table} ORDER BY id) TO STDOUT"
                    ) as copy,
                ):
                    for block in copy:
                        out.write(block)
        return columns
    import pickle
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    for table in TABLES:
        columns[table] = _columns(conn, vendor, table)
        cursor = conn.execute(f"SELECT {_select_list(columns[table])} FROM {table} ORDER BY id")
        with (dumps / table).open("wb") as out:
            while batch := cursor.fetchmany(2000):
                pickle.dump(batch, out)
    conn.close()
    return columns


def _pg_load(url: str, columns: dict[str, list[str]], dumps: Path, build_index: Callable[[], object]) -> None:
    import psycopg

    from bench.floors import search_index_floor

    with psycopg.connect(url) as conn:

        def load() -> None:
            with conn.cursor() as cursor:
                for table in TABLES:
                    with (
                        (dumps / table).open("rb") as data,
                        cursor.copy(f"COPY {table} ({', '.join(columns[table])}) FROM STDIN") as copy,
                    ):
                        while block := data.read(1 << 20):
                            copy.write(block)
            conn.commit()

        search_index_floor(conn, "postgresql", load, build_index)
        conn.autocommit = True
        conn.execute("ANALYZE")


def _sqlite_load(url: str, columns: dict[str, list[str]], dumps: Path, build_index: Callable[[], object]) -> None:
    import pickle
    import sqlite3

    from bench.floors import search_index_floor

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")

    def load() -> None:
        conn.execute("BEGIN")
        for table in TABLES:
            insert = (
                f"INSERT INTO {table} ({', '.join(columns[table])}) VALUES ({', '.join('?' * len(columns[table]))})"
            )
            with (dumps / table).open("rb") as data:
                while True:
                    try:
                        conn.executemany(insert, pickle.load(data))
                    except EOFError:
                        break
        conn.execute("COMMIT")

    search_index_floor(conn, "sqlite", load, build_index)
    conn.execute("ANALYZE")
    conn.close()


# --- Main -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    temporary = args.workdir is None
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="archive-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{workdir / 'archive.sqlite3'}"
    env = app_env(url, workdir)
    vendor = vendor_of(url)
    if "generate" not in args.sections:
        # The archive already built in the workdir says how large it is.
        args.articles, terms = load_terms(workdir)
    report = Report(
        backend=vendor,
        articles=args.articles,
        facts={
            "machine": machine(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": git_commit(),
            # The seed layout carries a copyright year only: published_at is the import's time.
            "dates": "copyright years 2011-2025; published_at as the importer sets it",
            "command": "python bench/archive_bench.py " + " ".join(sys.argv[1:] if argv is None else argv),
        },
    )
    load_before = os.getloadavg()[0]
    try:
        if "generate" in args.sections:
            terms = generate_section(args, workdir, report)
        report.facts["query terms (share of articles)"] = describe_terms(terms)
        if "import" in args.sections:
            import_section(args, env, workdir, report)
        if args.sections & {"api", "export", "load"}:
            from bench import measure

            os.environ.update(env)
            measure.setup()
            report.facts["server"] = measure.server_version()
            if "api" in args.sections:
                measure.api_section(args, terms, report)
            if "export" in args.sections:
                measure.export_section(args, report, terms)
            if "load" in args.sections:
                from bench import loadtest

                loadtest.load_section(args, env, terms, report)
    finally:
        # Other work on the machine inflates every figure: say how busy it was.
        report.facts["load average"] = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
        print(report.text())
        report.write(args.results)
        print(f"\nresults: {args.results}   workdir: {workdir}")
        if temporary and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if report.problems:
        print("\nPROBLEMS:\n  " + "\n  ".join(report.problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
