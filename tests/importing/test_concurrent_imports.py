"""Concurrent imports: overlapping ``import_seeds`` processes import every file once; lock conflicts are retried."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, OperationalError

from articles import importing
from articles.importing import batches, concurrency, runs
from articles.models import Article, Author, ImportOutcome, Publisher
from tests.conftest import REPO_ROOT, database_url
from tests.importing.test_import_service import write
from tests.seedtext import seed_text

AUTHORS = [
    f"{first} {last}"
    for first in ("Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ida", "Jon")
    for last in ("Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Gum", "Hazel", "Ivy", "Juniper")
]
PUBLISHERS = [f"{name} Media LLC" for name in ("North", "South", "East", "West", "Central")]


def make_seeds(directory: Path, count: int) -> list[Path]:
    """Write ``count`` distinct seeds, each crediting two of a small pool of authors (in varying order)."""
    picks = random.Random(10)
    paths = []
    for i in range(count):
        first, second = picks.sample(AUTHORS, 2)
        text = seed_text(
            title=f"Story number {i}",
            paragraphs=(f"Paragraph about item {i}.", "More words."),
            author=f"{first} and {second}",
            publisher=PUBLISHERS[i % len(PUBLISHERS)],
        )
        paths.append(write(directory, f"{i:04d}.txt", text))
    return paths


def start_import(paths: list[Path], settings) -> subprocess.Popen:
    """Start ``manage.py import_seeds --json`` on ``paths`` against the test database.

    Small batches make the runs' transactions interleave many times (before the fix, the four runs
    deadlocked on the authors' and articles' unique indexes in most runs of this test on PostgreSQL).
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "ARCHIVE_SEARCH_INDEX_DIR": str(settings.ARCHIVE_SEARCH_INDEX_DIR),
    }
    command = [
        sys.executable,
        "manage.py",
        "import_seeds",
        "--json",
        "--batch-size",
        "25",
        *map(str, paths),
    ]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def overlapping_sets(paths: list[Path], runs: int) -> list[list[Path]]:
    """Return ``runs`` shuffled subsets of ``paths``, each overlapping the next by half; together they cover all."""
    size = 2 * len(paths) // (runs + 1)
    step = size // 2
    order = random.Random(runs)
    sets = []
    for n in range(runs):
        chosen = paths[n * step : n * step + size] if n < runs - 1 else paths[n * step :]
        chosen = list(chosen)
        order.shuffle(chosen)  # each run meets the shared names and files in its own order
        sets.append(chosen)
    return sets


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # other processes see commits only
@pytest.mark.parametrize("runs", [2, 4])
def test_overlapping_imports_at_once_import_every_file_exactly_once(tmp_path, settings, runs):
    """
    GIVEN 300 seeds crediting authors and publishers from a small shared pool
    WHEN several import_seeds processes import overlapping sets of them at the same time
    THEN every run exits 0 with no failure, and every file is one article, created by exactly one run
    """
    paths = make_seeds(tmp_path, 300)
    sets = overlapping_sets(paths, runs)
    assert {p for chosen in sets for p in chosen} == set(paths)

    processes = [start_import(chosen, settings) for chosen in sets]
    results = [process.communicate(timeout=300) for process in processes]

    for process, (out, err) in zip(processes, results, strict=True):
        summary = json.loads(out.splitlines()[-1]) if out else {"failed": None, "errors": err[-3000:]}
        assert summary["failed"] == 0, summary["errors"][:5]
        assert process.returncode == 0
    keys = sorted(Article.objects.values_list("source_key", flat=True))
    assert keys == sorted(p.name for p in paths)
    created = list(
        ImportOutcome.objects.filter(result=ImportOutcome.Result.CREATED).values_list("source_key", flat=True)
    )
    assert sorted(created) == keys  # each file created once; the other runs found it unchanged
    assert (
        ImportOutcome.objects.exclude(result__in=[ImportOutcome.Result.CREATED, ImportOutcome.Result.UNCHANGED]).count()
        == 0
    )
    assert Author.objects.count() == len(AUTHORS)
    assert Publisher.objects.count() == len(PUBLISHERS)


class FakeDeadlock(Exception):
    """What the driver raises when PostgreSQL picks this transaction as a deadlock's victim."""

    sqlstate = "40P01"


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = FakeDeadlock()
    return error


def fail_first(monkeypatch, target, name: str, error: Exception, times: int = 1) -> list[int]:
    """Make ``target.name`` raise ``error`` on its first ``times`` calls (after doing its work); return the calls."""
    original = getattr(target, name)
    calls = []

    def flaky(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(1)
        if len(calls) <= times:
            raise error
        return result

    monkeypatch.setattr(target, name, flaky)
    return calls


@pytest.mark.django_db
def test_a_batch_that_loses_a_deadlock_is_retried_whole(tmp_path, monkeypatch):
    """
    GIVEN two batches of seeds, the first of which the database picks as a deadlock's victim once it has written
    WHEN they are imported
    THEN that batch is rolled back and written again: every file once, counts and outcomes not doubled
    """
    make_seeds(tmp_path, 4)
    monkeypatch.setattr(concurrency.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(runs, "BATCH_SIZE", 2)
    calls = fail_first(monkeypatch, runs, "_record", deadlock())

    report = importing.import_paths(paths=[tmp_path])

    assert len(calls) == 3  # the first batch twice, the second once
    assert report.counts == {"created": 4, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 0}
    assert Article.objects.count() == 4
    assert ImportOutcome.objects.count() == 4
    assert sorted(Author.objects.values_list("slug", flat=True)) == sorted(
        set(Author.objects.values_list("slug", flat=True))
    )


@pytest.mark.django_db
def test_a_deadlock_while_importing_one_file_is_not_that_files_failure(tmp_path, monkeypatch):
    """
    GIVEN a batch that falls back to file by file, where one file's savepoint is a deadlock's victim
    WHEN the batch is imported
    THEN the batch is retried and no file is reported failed
    """
    make_seeds(tmp_path, 3)
    monkeypatch.setattr(concurrency.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(batches.BatchImporter, "_create_in_bulk", lambda self, items: None)  # file by file
    fail_first(monkeypatch, batches.BatchImporter, "_apply", deadlock())

    report = importing.import_paths(paths=[tmp_path])

    assert (report.counts["created"], report.counts["failed"]) == (3, 0)
    assert Article.objects.count() == 3


@pytest.mark.django_db
def test_a_lasting_lock_conflict_stops_the_run_after_bounded_attempts(tmp_path, monkeypatch):
    make_seeds(tmp_path, 2)
    monkeypatch.setattr(concurrency.time, "sleep", lambda seconds: None)
    calls = fail_first(monkeypatch, runs, "_record", deadlock(), times=100)

    with pytest.raises(DatabaseError, match="deadlock"):
        importing.import_paths(paths=[tmp_path])

    assert len(calls) == concurrency.ATTEMPTS
    assert not Article.objects.exists()


def test_only_lock_conflicts_count_as_transient():
    assert concurrency.is_transient(deadlock())
    assert concurrency.is_transient(OperationalError("database is locked"))
    assert not concurrency.is_transient(OperationalError("no such table: articles_article"))
    assert not concurrency.is_transient(DatabaseError("value too long for type character varying(1000)"))
