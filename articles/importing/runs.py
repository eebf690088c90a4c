"""Running an import: sources in, batch by batch, with the run's counters and heartbeat after each commit.

Memory stays flat whatever the number of files: sources are consumed lazily,
one batch of parsed records is held at a time, and outcomes go to the database
(or, in a dry run, a spool file) as each batch is written.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from articles import conf, search_index
from articles.alerts import hooks as alerts
from articles.importing.batches import BatchImporter, FileOutcome
from articles.importing.concurrency import lock_imports, retrying
from articles.importing.defaults import ImportDefaults
from articles.importing.records import Parsed, parse_data, parse_many, parse_source, parsed_from, read_source
from articles.importing.reports import COUNT_NAMES, ImportReport, SpooledOutcomes, StoredOutcomes, empty_counts
from articles.importing.sources import Source, collect_sources, file_source
from articles.importing.writing import Row, bulk_writer
from articles.models import Article, ImportOutcome, ImportRun

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)
# Files per transaction: large enough that per-batch queries cost nothing per file, small enough to hold.
BATCH_SIZE = 1000
# ... and a batch also ends at this much text, so a few very large files are not held together.
BATCH_BYTES = 8 * 1024 * 1024
# Linux's prctl option: a signal the kernel sends a child when its parent dies.
PR_SET_PDEATHSIG = 1
# glibc's mallopt() parameter for the most memory arenas a process keeps, and the importer's choice ...
M_ARENA_MAX = -8
MALLOC_ARENAS = 2
# ... and for the size from which a block is mapped on its own (fixed: glibc's own moves up to 32 MB).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1024 * 1024
# Allocations (less frees) between two runs of the cyclic garbage collector during an import (Python's: 700).
GC_THRESHOLD = 50_000
# A run that creates this many articles refreshes PostgreSQL's table statistics.
ANALYZE_AFTER = 1000
# The search index takes a run's new articles every this many batches and at the end: one
# index commit costs ~150 ms whatever it holds, and one per batch was a fifth of an import.
INDEX_EVERY_BATCHES = 5
OnOutcome = Callable[[FileOutcome], None]
# Sources as read for parsing: each with its bytes (a str: why they cannot be read), or None to read where parsed.
Batch = list[tuple[Source, bytes | str | None]]


def start_run(
    *,
    paths: Sequence[str | Path] = (),
    trigger: str = ImportRun.Trigger.COMMAND,
    user: User | None = None,
    dry_run: bool = False,
    defaults: ImportDefaults | None = None,
) -> ImportRun:
    """Create the record of a run about to start (a background task creates it first, to show progress).

    ``defaults``: the publisher and author its files get when they have none (see ``importing.defaults``).
    """
    return ImportRun.objects.create(
        paths=[str(p) for p in paths],
        trigger=trigger,
        user=user,
        dry_run=dry_run,
        status=ImportRun.Status.RUNNING,
        defaults=defaults.as_dict() if defaults else {},
    )


def import_sources(
    sources: Iterable[Source],
    *,
    run: ImportRun | None = None,
    paths: Sequence[str | Path] = (),
    trigger: str = ImportRun.Trigger.COMMAND,
    user: User | None = None,
    dry_run: bool = False,
    max_bytes: int | None = None,
    on_outcome: OnOutcome | None = None,
    replace_existing: bool = True,
    batch_size: int | None = None,
    defaults: ImportDefaults | None = None,
) -> ImportReport:
    """Import ``sources`` in batches; a dry run does all the work in one transaction and rolls it back.

    With ``run`` given (see ``start_run``), that run records the import, and its
    ``dry_run`` flag and its ``defaults`` decide. ``defaults``: the publisher and
    author given to files that have none (``importing.defaults``), recorded on
    the run. With ``replace_existing`` off, a source whose key an article already
    has but whose text differs fails instead of updating that article: for
    uploads, where two unrelated files may well share a name.
    ``batch_size`` is the number of files per transaction (default ``BATCH_SIZE``).
    """
    tune_malloc()
    if run is not None:
        dry_run, defaults = run.dry_run, ImportDefaults.from_dict(run.defaults)
    job = _Job(
        max_bytes=max_bytes or conf.max_seed_bytes(),
        on_outcome=on_outcome,
        replace_existing=replace_existing,
        batch_size=batch_size or BATCH_SIZE,
        defaults=defaults or ImportDefaults(),
    )
    with fewer_collections():
        if not dry_run:
            run = run or start_run(paths=paths, trigger=trigger, user=user, defaults=defaults)
            return job.run(sources, run)
        return _dry_run(job, sources, run, paths=paths, trigger=trigger, user=user, defaults=defaults)


def _dry_run(
    job: _Job,
    sources: Iterable[Source],
    given: ImportRun | None,
    *,
    paths: Sequence[str | Path],
    trigger: str,
    user: User | None,
    defaults: ImportDefaults | None,
) -> ImportReport:
    log = SpooledOutcomes()
    with transaction.atomic():
        log.rolled_back_above = Article.objects.aggregate(top=Max("id"))["top"] or 0
        run = given or start_run(paths=paths, trigger=trigger, user=user, dry_run=True, defaults=defaults)
        report = job.run(sources, run, log=log)
        transaction.set_rollback(True)
    if given is not None:  # it was committed before: it keeps what the dry run found, which the rollback undid
        with transaction.atomic():
            _record(given, log, report.counts, None)
            _finish(given, report.counts)
    report.run_id = given.pk if given else None
    return report


def import_paths(
    *,
    paths: Sequence[Path | str],
    run: ImportRun | None = None,
    dry_run: bool = False,
    trigger: str = ImportRun.Trigger.COMMAND,
    user: User | None = None,
    max_bytes: int | None = None,
    on_outcome: OnOutcome | None = None,
    follow_symlinks: bool = False,
    defaults: ImportDefaults | None = None,
) -> ImportReport:
    """Import every seed file found under ``paths`` (raises ``SourceNotFound`` first if one is missing)."""
    return import_sources(
        collect_sources(paths, follow_symlinks=follow_symlinks),
        run=run,
        paths=[str(p) for p in paths],
        dry_run=dry_run,
        trigger=trigger,
        user=user,
        max_bytes=max_bytes,
        on_outcome=on_outcome,
        defaults=defaults,
    )


def import_file(*, path: Path | str, source_key: str | None = None, dry_run: bool = False) -> FileOutcome:
    """Import one seed file and return what happened to it."""
    path = Path(path)
    report = import_sources([file_source(path, source_key or path.name)], paths=[str(path)], dry_run=dry_run)
    return report.outcomes[0]


class _Job:
    """The settings of one import; ``run`` drives it batch by batch."""

    def __init__(
        self,
        *,
        max_bytes: int,
        on_outcome: OnOutcome | None,
        replace_existing: bool,
        batch_size: int,
        defaults: ImportDefaults,
    ) -> None:
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self.on_outcome = on_outcome
        self.replace_existing = replace_existing
        self.defaults = defaults

    def run(self, sources: Iterable[Source], run: ImportRun, *, log: SpooledOutcomes | None = None) -> ImportReport:
        importer = BatchImporter(run=run, now=timezone.now(), replace_existing=self.replace_existing)
        counts = empty_counts()
        try:
            batches = parsed_batches(
                sources, max_bytes=self.max_bytes, size=self.batch_size, site_boilerplate=importer.worker_lines.snapshot
            )
            for number, parsed in enumerate(batches, start=1):
                index = number % INDEX_EVERY_BATCHES == 0
                if self.defaults:
                    parsed = [self.defaults.apply(item) for item in parsed]
                outcomes = retrying(partial(_write_batch, importer, parsed, run, log, index=index), what="import batch")
                _count(counts, outcomes)
                self._announce(outcomes)
            retrying(partial(_write_summaries, importer), what="boilerplate summaries")
            search_index.schedule_sync()  # the last batches' articles (at once: outside any transaction)
        except BaseException:
            if log is None:  # a dry run's record is rolled back anyway
                _mark_interrupted(run)
            raise
        if log is None:
            _finish(run, counts)
            _notify_on_commit(run)
        report = ImportReport(run_id=run.pk, dry_run=run.dry_run, counts=counts)
        report.outcomes = log if log is not None else StoredOutcomes(run.pk, report.total)
        return report

    def _announce(self, outcomes: list[FileOutcome]) -> None:
        if self.on_outcome is not None:
            for outcome in outcomes:
                self.on_outcome(outcome)


def parsed_batches(
    sources: Iterable[Source],
    *,
    max_bytes: int,
    size: int | None = None,
    site_boilerplate: Callable[[], Mapping[str, frozenset[str]]] | None = None,
) -> Iterator[list[Parsed]]:
    """Yield ``sources`` read and parsed, a batch at a time; the next batch is parsed while this one is written.

    Parsing is pure CPU work: a run of more than one batch parses in worker processes
    (``ARCHIVE_IMPORT_PARSE_WORKERS``), on the other cores, while this one writes; the
    batches come back in order. Each source is read as soon as it is taken from
    ``sources`` (a zip member, say, while its archive is still open); at most one
    batch per worker plus the one being written are held.
    ``site_boilerplate`` gives, as each batch is handed to the worker, the publishers'
    boilerplate lines known so far (the writing side checks them again: ``articles.boilerplate``).
    """
    batches = read_batches(sources, max_bytes=max_bytes, size=size or BATCH_SIZE)
    batch, following = next(batches, []), next(batches, [])
    if not following:  # one batch: not worth a process
        if batch:
            yield [
                parse_source(source, max_bytes=max_bytes)
                if data is None
                else parsed_from(source, parse_data(data, max_bytes=max_bytes))
                for source, data in batch
            ]
        return
    context = multiprocessing.get_context("fork")
    workers = parse_workers()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with, initargs=(os.getpid(),)) as pool:
        pending: deque[tuple[Batch, Future[list[Any]]]] = deque()
        for upcoming in itertools.chain([batch, following], batches):
            pending.append((upcoming, _submit(pool, upcoming, max_bytes, site_boilerplate)))
            if len(pending) > workers:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())


def parse_workers() -> int:
    """Return how many processes parse an import's files: ``ARCHIVE_IMPORT_PARSE_WORKERS``, else one."""
    return max(1, conf.import_parse_workers())


def _collect(batch: Batch, future: Future[list[Any]]) -> list[Parsed]:
    return [parsed_from(source, result) for (source, _), result in zip(batch, future.result(), strict=True)]


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the cyclic garbage collector seldom run, and never over what existed before it.

    A batch allocates millions of objects (rows, records, documents) and frees nearly
    all of them by reference counting; with the default thresholds the collector runs
    every 700 allocations and, in its full passes, walks every object of the process
    (Django's, the apps'): an eighth of the importing process's CPU on 20,000 files.
    What existed before is frozen (``gc.freeze``: never collected, never walked); the
    thresholds are raised for the block and restored after it, with the frozen objects.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def tune_malloc() -> None:
    """Keep glibc to ``MALLOC_ARENAS`` memory arenas, and its large blocks mapped on their own (no-op elsewhere).

    Each thread that allocates (the search index's writer and merge threads, the
    driver's) gets an arena of its own by default, up to eight per core, and the
    batches' megabytes of text leave each of them fragmented: a 20,000-file import
    peaked at 343 MB of RSS with the default and 228 MB with two arenas, at the
    same speed within noise. And glibc raises its threshold for mapping a block on
    its own each time such a block is freed, so a batch's multi-megabyte buffers
    (a parse worker's pickled results, the texts read) soon come from the heap,
    which they fragment; a fixed ``MMAP_THRESHOLD`` returns each to the system when
    freed: 40,000 files peaked at 285 MB of RSS with it, 345 MB without.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def _die_with(parent: int) -> None:
    """End this parse worker when the importing process ends, however it ends (a killed task worker, say).

    A forked child inherits the parent's database sockets and lock files; left
    running, an orphan would keep them open (and a test database busy) forever.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def read_batches(sources: Iterable[Source], *, max_bytes: int, size: int) -> Iterator[Batch]:
    """Read ``sources`` as they come, in batches of ``size`` files or ``BATCH_BYTES`` of text, whichever is first.

    A file on disk is not read here but where it is parsed (its data is None): this process
    then neither reads it nor sends its bytes to a worker. Its size as it is now counts.
    """
    batch: Batch = []
    held = 0
    for source in sources:
        data: bytes | str | None
        if source.size is not None:
            data, length = None, min(source.size(), max_bytes + 1)
        else:
            data = read_source(source, max_bytes=max_bytes)
            length = len(data)
        batch.append((source, data))
        held += length
        if len(batch) >= size or held >= BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _submit(
    pool: ProcessPoolExecutor,
    batch: Batch,
    max_bytes: int,
    site_boilerplate: Callable[[], Mapping[str, frozenset[str]]] | None,
) -> Future[list[Any]]:
    lines = site_boilerplate() if site_boilerplate else None
    return pool.submit(parse_many, [source if data is None else data for source, data in batch], max_bytes, lines)


def _write_batch(
    importer: BatchImporter, parsed: list[Parsed], run: ImportRun, log: SpooledOutcomes | None, *, index: bool = True
) -> list[FileOutcome]:
    """Import one batch with its outcomes and counters in one transaction, in turn with other imports.

    With ``index``, what is queued for the search index (this batch's articles and any
    earlier ones') is indexed once the batch commits.
    """
    with transaction.atomic():
        lock_imports()  # before the lookups, so they see what the import before this one committed
        if index:
            search_index.schedule_sync()
        outcomes = importer.import_batch(parsed)
        _record(run, outcomes, _count(empty_counts(), outcomes), log)
    return outcomes


def _write_summaries(importer: BatchImporter) -> None:
    """Write the boilerplate counts the run holds in memory only (``articles.boilerplate``), in turn with imports."""
    with transaction.atomic():
        lock_imports()
        importer.summaries.write_unsaved()


def _count(counts: dict[str, int], outcomes: list[FileOutcome]) -> dict[str, int]:
    """Add the outcomes to ``counts`` and return it."""
    for outcome in outcomes:
        counts[COUNT_NAMES[outcome.result]] += 1
    return counts


def _record(
    run: ImportRun, outcomes: Iterable[FileOutcome], batch: dict[str, int], log: SpooledOutcomes | None
) -> None:
    """Store the batch's outcomes and add its counts to the run's, with a heartbeat, in the batch's transaction.

    The counters are added to, not set: a run resumed by another process (an upload
    whose worker died) keeps what its earlier attempts committed.
    """
    if log is None:
        bulk_writer().insert_all(ImportOutcome, [_stored(run, o) for o in outcomes])
    increments = {name: F(name) + n for name, n in batch.items() if n}
    ImportRun.objects.filter(pk=run.pk).update(updated_at=timezone.now(), **increments)
    if log is not None:  # last: a batch that fails before here is retried, and must not be logged twice
        log.extend(outcomes)


def _stored(run: ImportRun, outcome: FileOutcome) -> Row:
    return Row(
        run_id=run.pk,
        path=stored_path(outcome.path),
        source_key=stored_path(outcome.source_key),
        result=outcome.result,
        error=outcome.error,
        article_id=outcome.article_id,
    )


def stored_path(path: str) -> str:
    """Return ``path`` as an outcome row stores it: a path longer than the column keeps its start and its end."""
    limit = ImportOutcome._meta.get_field("path").max_length
    assert limit is not None, "the path column is a CharField"
    if len(path) <= limit:
        return path
    half = (limit - 1) // 2
    return f"{path[:half]}…{path[-(limit - 1 - half) :]}"


def _finish(run: ImportRun, counts: dict[str, int]) -> None:
    now = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(finished_at=now, updated_at=now, status=ImportRun.Status.FINISHED)
    if counts["created"] >= ANALYZE_AFTER and connection.vendor == "postgresql" and not run.dry_run:
        # Fresh statistics let the planner use the search GIN index at once,
        # rather than a full scan until autovacuum gets round to the table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE articles_article")


def _notify_on_commit(run: ImportRun) -> None:
    """Have the saved searches told of the run's new articles, in the background once it commits."""
    if not run.dry_run:
        alerts.run_committed(run.pk)


def _mark_interrupted(run: ImportRun) -> None:
    """Best effort, as the run is failing: record that it stopped; its counters are those of its committed batches."""
    with contextlib.suppress(Exception):
        ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.INTERRUPTED, updated_at=timezone.now()
        )


# --- Runs whose process died ------------------------------------------------------------


def heartbeat_timeout() -> timedelta:
    """How long a running run may go without committing a batch before it counts as interrupted."""
    return timedelta(minutes=conf.import_stale_minutes())


def run_status(run: ImportRun, *, now: datetime | None = None) -> str:
    """Return the run's status as it really is: a running run without a heartbeat for too long was interrupted."""
    if run.status == ImportRun.Status.RUNNING and run.updated_at < (now or timezone.now()) - heartbeat_timeout():
        return ImportRun.Status.INTERRUPTED
    return run.status


def recount_run(run: ImportRun) -> dict[str, int]:
    """Return the run's counts recomputed from its stored outcomes (one query)."""
    counts = empty_counts()
    rows = ImportOutcome.objects.filter(run=run).values_list("result").annotate(n=Count("id")).order_by()
    for result, n in rows:
        counts[COUNT_NAMES[result]] = n
    return counts


def settle_interrupted_runs(*, now: datetime | None = None) -> list[int]:
    """Mark each running run without a recent heartbeat as interrupted, with its counts recounted; return their ids."""
    cutoff = (now or timezone.now()) - heartbeat_timeout()
    settled = []
    for run in ImportRun.objects.filter(status=ImportRun.Status.RUNNING, updated_at__lt=cutoff):
        with transaction.atomic():
            updated = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING, updated_at__lt=cutoff)
            if updated.update(status=ImportRun.Status.INTERRUPTED, **recount_run(run)):
                settled.append(run.pk)
    return settled
