"""Runs: streaming in bounded memory, counters and heartbeat per committed batch, interrupted runs, reports."""

from __future__ import annotations

import gc
import json
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from articles import importing
from articles.importing import runs
from articles.models import Article, ArticleAuthor, ImportOutcome, ImportRun
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def story(i: int) -> str:
    body = (f"Paragraph {i} of a generated story with enough words to weigh something.",) * 8
    return seed_text(title=f"Story {i}", author=f"Writer {i % 50}", paragraphs=body)


def generate(directory: Path, count: int) -> Path:
    for i in range(count):
        sub = directory / f"{i // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i}.txt").write_text(story(i))
    return directory


def peak_memory_of_import(directory: Path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        report = importing.import_paths(paths=[directory])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.counts["failed"] == 0
    return peak


def test_memory_does_not_grow_with_the_number_of_files(tmp_path, monkeypatch):
    """
    GIVEN 1,000 files, then 3,000 files (batches of 250)
    WHEN each set is imported into an empty archive
    THEN the peak of traced memory is about the same: it is bounded by a batch, not by the run
    """
    monkeypatch.setattr(runs, "BATCH_SIZE", 250)
    small_set, large_set = generate(tmp_path / "small", 1000), generate(tmp_path / "large", 3000)
    # Process-wide tables grow once, outside the measure: pathlib interns every path part,
    # and the interned-strings table a long test session has filled may resize mid-import:
    # the paths are kept, parsed from text as the walk makes them (which interns their parts),
    # so their parts stay in the table rather than being added again.
    paths = [Path(str(path)) for path in (*small_set.rglob("*"), *large_set.rglob("*"))]
    peak_memory_of_import(large_set)
    Article.objects.all().delete()
    small = peak_memory_of_import(small_set)
    Article.objects.all().delete()
    large = peak_memory_of_import(large_set)

    # Everything kept per file would add 2,000 x several KB; a batch's worth is the bound.
    assert large < small * 1.3 + 512 * 1024, (small, large, len(paths))


def test_counters_and_heartbeat_follow_each_committed_batch(tmp_path, monkeypatch):
    """
    GIVEN five files, two per batch, one of them bad
    WHEN they are imported
    THEN after each batch commits, the run in the database shows that batch's counts with a newer heartbeat
    """
    monkeypatch.setattr(runs, "BATCH_SIZE", 2)
    generate(tmp_path, 4)
    (tmp_path / "zz-bad.txt").write_bytes(b"")
    seen = []

    def look(outcome):
        run = ImportRun.objects.get()
        seen.append((run.total, run.status, run.updated_at))

    report = importing.import_paths(paths=[tmp_path], on_outcome=look)

    assert [total for total, _, _ in seen] == [2, 2, 4, 4, 5]
    assert {status for _, status, _ in seen} == {ImportRun.Status.RUNNING}
    assert seen[0][2] < seen[2][2] < seen[4][2]
    run = ImportRun.objects.get(pk=report.run_id)
    assert (run.status, run.created, run.failed) == (ImportRun.Status.FINISHED, 4, 1)


def test_a_run_given_by_the_caller_records_the_import(tmp_path):
    generate(tmp_path, 3)
    run = importing.start_run(paths=[str(tmp_path)], trigger=ImportRun.Trigger.ADMIN)

    report = importing.import_sources(importing.collect_sources([tmp_path]), run=run)

    run.refresh_from_db()
    assert report.run_id == run.pk and ImportRun.objects.count() == 1
    assert (run.status, run.created, run.trigger) == (ImportRun.Status.FINISHED, 3, ImportRun.Trigger.ADMIN)


def test_a_run_that_stops_midway_is_interrupted_with_the_counts_it_committed(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_SIZE", 2)
    generate(tmp_path, 6)

    def stop_in_the_second_batch(outcome):
        if ImportOutcome.objects.count() > 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        importing.import_paths(paths=[tmp_path], on_outcome=stop_in_the_second_batch)

    run = ImportRun.objects.get()
    assert (run.status, run.created, run.finished_at) == (ImportRun.Status.INTERRUPTED, 4, None)
    assert Article.objects.count() == 4


def test_a_running_run_without_a_heartbeat_is_shown_and_settled_as_interrupted(tmp_path):
    """
    GIVEN a run whose process died after committing its outcomes, before its counters
    WHEN its heartbeat is older than the timeout
    THEN it reads as interrupted, and settling it recounts it from its stored outcomes
    """
    generate(tmp_path, 3)
    run = ImportRun.objects.get(pk=importing.import_paths(paths=[tmp_path]).run_id)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING, created=0, finished_at=None)
    fresh = importing.start_run(paths=["elsewhere"])
    run.refresh_from_db()

    assert importing.run_status(run) == ImportRun.Status.RUNNING
    later = timezone.now() + runs.heartbeat_timeout() + timedelta(seconds=1)
    assert importing.run_status(run, now=later) == ImportRun.Status.INTERRUPTED

    assert set(importing.settle_interrupted_runs(now=later)) == {run.pk, fresh.pk}
    run.refresh_from_db()
    assert (run.status, run.created, run.total) == (ImportRun.Status.INTERRUPTED, 3, 3)
    assert importing.recount_run(run)["created"] == 3


def test_a_recent_running_run_is_not_settled():
    run = importing.start_run(paths=["x"])

    assert importing.settle_interrupted_runs() == []
    run.refresh_from_db()
    assert run.status == ImportRun.Status.RUNNING


def test_the_report_streams_outcomes_and_json_from_the_stored_rows(tmp_path):
    generate(tmp_path, 3)
    (tmp_path / "bad.txt").write_bytes(b"")

    report = importing.import_paths(paths=[tmp_path])

    assert len(report.outcomes) == 4 and len(list(report.outcomes)) == 4
    assert next(iter(report.outcomes)) == report.outcomes[0]
    assert [o.path for o in report.outcomes[1:3]] == [o.path for o in list(report.outcomes)[1:3]]
    assert json.loads("".join(report.iter_json())) == report.as_dict()
    assert report.errors == [{"path": str(tmp_path / "bad.txt"), "error": report.errors[0]["error"]}]


def test_a_dry_run_spools_its_outcomes_and_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_SIZE", 2)
    generate(tmp_path, 3)
    (tmp_path / "000" / "copy.txt").write_text(story(0))

    report = importing.import_paths(paths=[tmp_path], dry_run=True)

    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "duplicates": 1, "failed": 0}
    assert [o.result for o in report.outcomes] == [o.result for o in report.outcomes]  # read again, same
    assert all(o.article_id is None for o in report.outcomes)
    assert not ImportRun.objects.exists() and not Article.objects.exists()


def test_a_rerun_over_several_batches_is_idempotent(tmp_path, monkeypatch):
    """
    GIVEN eight files in batches of three, one a copy of a file in an earlier batch and one bad
    WHEN they are imported twice
    THEN the copy is a duplicate across batches, and the second run creates, changes and records nothing new
    """
    monkeypatch.setattr(runs, "BATCH_SIZE", 3)
    generate(tmp_path, 6)
    (tmp_path / "001").mkdir()
    (tmp_path / "001" / "copy.txt").write_text(story(1))
    (tmp_path / "001" / "empty.txt").write_bytes(b"")

    first = importing.import_paths(paths=[tmp_path])
    rows = list(Article.objects.order_by("pk").values())
    history = (Article.history.count(), ArticleAuthor.history.count())
    second = importing.import_paths(paths=[tmp_path])

    assert first.counts == {"created": 6, "updated": 0, "unchanged": 0, "duplicates": 1, "failed": 1}
    assert second.counts == {"created": 0, "updated": 0, "unchanged": 6, "duplicates": 1, "failed": 1}
    assert list(Article.objects.order_by("pk").values()) == rows
    assert (Article.history.count(), ArticleAuthor.history.count()) == history == (0, 0)
    copy = next(o for o in second.outcomes if o.source_key == "001/copy.txt")
    assert copy.article_id == Article.objects.get(source_key="000/1.txt").pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the index is fed when batches commit
def test_the_index_takes_a_runs_articles_every_few_batches_and_at_the_end(tmp_path, monkeypatch):
    """
    GIVEN seven files, one per batch, the index fed every third batch
    WHEN they are imported (each batch committed)
    THEN the index was fed twice during the run and once at its end, and holds every article
    """
    from articles import search_index
    from articles.models import SearchOutbox

    monkeypatch.setattr(runs, "BATCH_SIZE", 1)
    monkeypatch.setattr(runs, "INDEX_EVERY_BATCHES", 3)
    generate(tmp_path, 7)
    drains = []
    real = search_index.sync_pending
    monkeypatch.setattr(search_index, "sync_pending", lambda **kw: drains.append(real(**kw)) or drains[-1])

    importing.import_paths(paths=[tmp_path])

    assert len(drains) == 3
    assert not SearchOutbox.objects.exists()
    hits = search_index.searcher().search(search_index.tantivy.Query.all_query(), 20).hits
    assert len(hits) == Article.objects.count() == 7


def test_an_import_runs_the_garbage_collector_seldom_and_restores_it_after():
    """
    GIVEN the collector's settings before an import
    WHEN files are imported (each outcome noting the settings as it is announced)
    THEN during the run the threshold is raised and what existed before is frozen; after it, both are as before
    """
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    during = []
    sources = [importing.bytes_source(story(i).encode(), key=f"{i}.txt") for i in range(3)]
    importing.import_sources(
        sources, on_outcome=lambda outcome: during.append((gc.get_threshold()[0], gc.get_freeze_count() > frozen))
    )
    assert during == [(runs.GC_THRESHOLD, True)] * 3
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen
