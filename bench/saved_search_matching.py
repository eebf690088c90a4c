"""Saved-search matching (issue 14): N saved searches against a run of M new articles, next to the import's time.

    python bench/saved_search_matching.py                                   # 10,000 x 10,000 on SQLite
    python bench/saved_search_matching.py --database-url postgres://postgres@127.0.0.1:5432/match_bench
    python bench/saved_search_matching.py --searches 500 --articles 500 --results bench/out/results-small.md

M articles are generated with the archive benchmark's corpus model (bench/corpus.py: a Zipf vocabulary,
rare proper names, common phrases, Zipf-sized publishers and authors) and imported into a fresh database
with ``manage.py import_seeds`` (a subprocess, timed as in bench/archive_bench.py). Then N saved searches
(``saved_queries``: rare names and words, medium and common words, phrases, exclusions, ORs, with
publisher, author, language, date and length filters, a few staff owners) are written, and the matching
pass ``articles.alerts.matching.match_articles`` is timed over the articles the import created. The
target: the pass takes at most 10% of the import's time. The PostgreSQL database is DROPPED and created.
Figures go to stdout and to a "Saved-search matching" section of ``--results``; a missed target never
fails the run, a crash does.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.archive_bench import app_env, git_commit, machine, manage, recreate_database, timed_import, vendor_of  # noqa: E402
from bench.report import Report, Row  # noqa: E402

TARGET_RATIO = 0.10
# Owners per saved search (a user follows about five), and the share of staff owners (they see drafts).
SEARCHES_PER_OWNER = 5
STAFF_SHARE = 0.03
# Names users follow: ten times the names of the run, so most name searches find nothing new, as in life.
NAME_SPAN = 10
# Vocabulary ranks of each word class (rank r is in about 1 - exp(-500 / (r * 11.4)) of the articles).
RARE_RANKS = (15_000, 50_000)
MEDIUM_RANKS = (2_000, 10_000)
COMMON_RANKS = (len(corpus.FUNCTION_WORDS) + 50, 400)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--searches", type=int, default=10_000, help="Saved searches to match.")
    parser.add_argument("--articles", type=int, default=10_000, help="Articles to generate and import (the run).")
    parser.add_argument("--database-url", help="PostgreSQL URL (dropped and created). Default: SQLite in the workdir.")
    parser.add_argument("--workdir", type=Path, help="Where seeds, SQLite and the index go (default: a temp dir).")
    parser.add_argument("--seed", type=int, default=2024, help="Random seed of the corpus and the searches.")
    parser.add_argument("--workers", type=int, default=2, help="Processes generating the seed files.")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.md", help="Markdown file to update.")
    parser.add_argument("--keep", action="store_true", help="Keep a temporary workdir (always kept when given).")
    args = parser.parse_args(argv)
    if args.searches < 1 or args.articles < 1:
        parser.error("--searches and --articles must be at least 1")
    return args


@dataclass
class MatchingReport(Report):
    """The figures of one run, in a section of its own per backend and size."""

    searches: int = 0

    @property
    def title(self) -> str:
        return f"Saved-search matching, {self.backend}, {self.searches:,} searches x {self.articles:,} articles"


# --- The saved searches ---------------------------------------------------------------


@dataclass
class Pools:
    """What the searches' filters name: slugs by number of articles (most first), and the span of dates."""

    publishers: list[str]
    authors: list[str]
    first_day: str
    last_day: str


def saved_queries(count: int, *, seed: int, articles: int, pools: Pools) -> list[str]:
    """Return ``count`` query strings of the article list, the mix of what readers follow."""
    rng = random.Random(f"saved-searches:{seed}")
    words = corpus.vocabulary(seed)
    names = max(articles // corpus.ARTICLES_PER_NAME, 1) * NAME_SPAN

    def word(ranks: tuple[int, int]) -> str:
        return words[rng.randrange(*ranks)]

    def text() -> str | None:
        kind = rng.random()
        if kind < 0.30:
            return corpus.proper_name(rng.randrange(names))
        if kind < 0.45:
            return word(RARE_RANKS)
        if kind < 0.60:
            return word(MEDIUM_RANKS)
        if kind < 0.71:
            return f"{word(MEDIUM_RANKS)} {word(MEDIUM_RANKS)}"
        if kind < 0.75:
            return word(COMMON_RANKS)  # Broad: a word in a tenth to a third of the articles.
        if kind < 0.84:
            return (
                f'"{rng.choice(list(corpus.PHRASES))}"'
                if rng.random() < 0.7
                else f'"{word(COMMON_RANKS)} {word(MEDIUM_RANKS)}"'
            )
        if kind < 0.91:
            return f"{word(COMMON_RANKS) if rng.random() < 0.3 else word(MEDIUM_RANKS)} -{word(MEDIUM_RANKS)}"
        if kind < 0.97:
            return f"{word(MEDIUM_RANKS)} OR {word(RARE_RANKS)}"
        return None  # Filters only: a publisher's or an author's new articles.

    queries = []
    for _ in range(count):
        params: dict[str, str] = {}
        q = text()
        if q is not None:
            params["q"] = q
        if q is None or rng.random() < 0.25:
            params["publisher"] = _zipf_pick(rng, pools.publishers)
        if (q is None and "publisher" not in params) or rng.random() < 0.05:
            params["author"] = _zipf_pick(rng, pools.authors)
        if rng.random() < 0.15:
            params["language"] = rng.choices(["en", "es", "de"], weights=[90, 6, 4])[0]
        if rng.random() < 0.15:
            params["published_after"] = rng.choice([pools.first_day, pools.last_day, "2020-01-01"])
        if rng.random() < 0.05:
            params["published_before"] = rng.choice([pools.last_day, "2030-01-01"])
        if rng.random() < 0.05:
            params["min_words"] = str(rng.choice([200, 400, 600]))
        queries.append(urlencode(sorted(params.items())))
    return queries


def _zipf_pick(rng: random.Random, ranked: Sequence[str]) -> str:
    """Return one of ``ranked`` (most followed first), or an unknown slug when there is none."""
    if not ranked:
        return "nobody"
    return ranked[min(int(rng.paretovariate(1.0)) - 1, len(ranked) - 1)]


# --- The run ---------------------------------------------------------------------------


def write_searches(count: int, *, seed: int, articles: int) -> int:
    """Write ``count`` saved searches of ``count / SEARCHES_PER_OWNER`` owners; return the staff owners."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Max, Min

    from articles.models import Article, Author, Publisher, SavedSearch

    def ranked(model: type[Publisher] | type[Author]) -> list[str]:
        counted = model.objects.annotate(n=Count("articles")).order_by("-n", "slug")
        return list(counted.values_list("slug", flat=True))

    span = Article.objects.aggregate(first=Min("date"), last=Max("date"))
    pools = Pools(ranked(Publisher), ranked(Author), f"{span['first']:%Y-%m-%d}", f"{span['last']:%Y-%m-%d}")
    queries = saved_queries(count, seed=seed, articles=articles, pools=pools)
    rng = random.Random(f"owners:{seed}")
    owners = max(count // SEARCHES_PER_OWNER, 1)
    staff = [rng.random() < STAFF_SHARE for _ in range(owners)]
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(username=f"reader{i}", password="!", is_staff=is_staff) for i, is_staff in enumerate(staff)
    )
    if not all(user.pk for user in users):
        users = list(user_model.objects.filter(username__startswith="reader").order_by("id"))
    SavedSearch.objects.bulk_create(
        (SavedSearch(owner=users[i % owners], name=f"search {i}", query=query) for i, query in enumerate(queries)),
        batch_size=1000,
    )
    return sum(staff)


def time_matching() -> tuple[float, float, float, float, dict[int, list[int]], int]:
    """Match every article against every saved search: wall and CPU s, RSS before and peak (MB), matches, articles."""
    from articles.alerts.matching import match_articles
    from articles.models import Article

    ids = list(Article.objects.order_by("id").values_list("id", flat=True))
    gc.collect()
    before = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    matches = match_articles(article_ids=ids)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return seconds, cpu, before, _rss_mb(), matches, len(ids)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(args: argparse.Namespace, workdir: Path, report: MatchingReport) -> None:
    """Generate, import, write the searches and time the pass, adding the rows to ``report``."""
    url = args.database_url or f"sqlite:///{workdir / 'archive.sqlite3'}"
    env = app_env(url, workdir)
    corpus.generate(args.articles, workdir / "seeds", seed=args.seed, workers=args.workers)
    recreate_database(url)
    manage(env, "migrate", "--noinput", "-v", "0")
    shutil.rmtree(env["ARCHIVE_SEARCH_INDEX_DIR"], ignore_errors=True)
    import_s, import_cpu, _, outcome = timed_import(env, workdir / "seeds")
    os.environ.update(env)
    import django

    django.setup()
    staff = write_searches(args.searches, seed=args.seed, articles=args.articles)
    report.facts["searches"] = (
        f"{args.searches:,} of {max(args.searches // SEARCHES_PER_OWNER, 1):,} owners ({staff} staff)"
    )
    seconds, cpu, rss_before, rss_peak, matches, articles = time_matching()
    ratio, cpu_ratio = seconds / import_s, cpu / import_cpu
    found = sum(map(len, matches.values()))
    created = outcome.get("created", 0)
    report.add(Row("import", "import_seeds, wall time", import_s, "s", note=f"{created:,} articles created"))
    report.add(Row("import", "import_seeds, CPU time", import_cpu, "s"))
    report.add(
        Row(
            "matching",
            "match_articles, wall time",
            seconds,
            "s",
            target=f"≤ {TARGET_RATIO:.0%} of the import",
            met=ratio <= TARGET_RATIO,
            note=f"{ratio:.1%} of the import's time",
        )
    )
    report.add(
        Row(
            "matching",
            "match_articles, CPU time",
            cpu,
            "s",
            target=f"≤ {TARGET_RATIO:.0%} of the import",
            met=cpu_ratio <= TARGET_RATIO,
            note=f"{cpu_ratio:.1%} of the import's CPU (less sensitive to other work on the machine)",
        )
    )
    report.add(Row("matching", "per saved search", seconds / args.searches * 1e6, "µs", note=f"{articles:,} articles"))
    report.add(
        Row(
            "matching",
            "peak RSS",
            rss_peak,
            "MB",
            note=f"{rss_peak - rss_before:.0f} MB above the {rss_before:.0f} MB before the pass",
        )
    )
    largest = sorted(map(len, matches.values()), reverse=True)[: max(args.searches // 20, 1)]
    report.add(
        Row(
            "matching",
            "matches",
            found,
            "",
            note=f"{len(matches):,} of {args.searches:,} searches matched something; the broadest 5% "
            f"of searches hold {sum(largest) / max(found, 1):.0%} of the matches",
        )
    )
    if created != args.articles:
        report.problems.append(f"import created {created} of {args.articles} articles: {outcome}")
    if vendor_of(url) == "postgresql":
        from django.db import connections

        connections.close_all()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    temporary = args.workdir is None
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="match-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    report = MatchingReport(
        backend=vendor_of(args.database_url or "sqlite"),
        articles=args.articles,
        searches=args.searches,
        facts={
            "machine": machine(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": git_commit(),
            "command": "python bench/saved_search_matching.py " + " ".join(sys.argv[1:] if argv is None else argv),
        },
    )
    load_before = os.getloadavg()[0]
    try:
        run(args, workdir, report)
    finally:
        # Other work on the machine (CI) inflates every figure: say how busy it was.
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
