"""Importing one batch of parsed sources: classify against the archive, create in bulk, the rest file by file.

A batch costs a constant number of queries whatever its size or the archive's:
one lookup of the keys and hashes it carries, one of the names it credits, two
for the near-duplicates of its new files (``articles.deduplication``), and
bulk writes. The plainly new files are created together in one savepoint; if that
fails for any reason it leaves nothing behind and the batch is retried file by
file, each in its own savepoint, so a bad file fails alone.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.db import DatabaseError, IntegrityError, transaction

from articles import boilerplate, deduplication, duplicates, takedowns
from articles.importing import stopping
from articles.importing.applying import new_article, update_article
from articles.importing.concurrency import is_transient
from articles.importing.names import Names, create_missing_names, resolve_names
from articles.importing.records import Parsed
from articles.importing.writing import bulk_writer
from articles.models import Article, ArticleAuthor, ArticleFingerprint, Author, ImportOutcome, ImportRun

logger = logging.getLogger(__name__)
Result = ImportOutcome.Result


@dataclass
class FileOutcome:
    """What the importer did with one file."""

    path: str
    source_key: str
    result: str
    error: str = ""
    article_id: int | None = None
    warnings: tuple[str, ...] = ()


class BulkConflict(Exception):
    """A row of the bulk insert was refused (another import wrote the same key or text meanwhile)."""


@dataclass
class Archive:
    """What the archive already holds for a batch's keys and hashes."""

    by_key: dict[str, tuple[int, str]] = field(default_factory=dict)  # source key -> (id, content hash)
    by_sha: dict[str, int] = field(default_factory=dict)  # content hash -> id


def find_articles(*, keys: Iterable[str], shas: Iterable[str]) -> Archive:
    """Look up, in two queries, the articles that have any of ``keys`` or ``shas``."""
    keys, shas = list(set(keys)), list(set(shas))
    rows = Article.objects.filter(source_key__any_of=keys).values_list("source_key", "id", "content_sha256")
    archive = Archive(by_key={key: (pk, sha) for key, pk, sha in rows} if keys else {})
    if shas:
        archive.by_sha = dict(Article.objects.filter(content_sha256__any_of=shas).values_list("content_sha256", "id"))
    return archive


@dataclass
class BatchImporter:
    """Imports batches of one run; holds nothing from one batch to the next but ``worker_lines``.

    The drafts a batch's updates publish are gathered (``_published``) and recorded at its end,
    in one call and in the batch's transaction (``articles.takedowns``).

    ``site`` is the boilerplate of the batch's publishers, loaded with the batch; the
    new articles' lines are counted and learned before they are written, so a line is
    removed from the batch that learns it on (``articles.boilerplate``). ``worker_lines``
    (bounded) tells the parse worker which lines to remove from the batches to come.
    """

    run: ImportRun | None
    now: datetime
    replace_existing: bool = True
    site: boilerplate.BatchLines = field(default_factory=boilerplate.BatchLines, repr=False)
    worker_lines: boilerplate.WorkerLines = field(default_factory=boilerplate.WorkerLines, repr=False)
    summaries: boilerplate.SummaryCache = field(default_factory=boilerplate.SummaryCache, repr=False)
    _published: list[int] = field(default_factory=list, init=False, repr=False)

    @property
    def reason(self) -> str:
        return f"created by import run #{self.run.pk}" if self.run else "created by an import"

    def import_batch(self, batch: list[Parsed]) -> list[FileOutcome]:
        """Import ``batch`` inside the caller's transaction and return its outcomes in order."""
        parsed = [item for item in batch if item.record is not None]
        self.site = boilerplate.BatchLines.load((item.parsed_record for item in parsed), cache=self.summaries)
        self._published = []
        outcomes = self._import_batch(batch, parsed)
        takedowns.published(self._published)  # the withdrawn ones among them are reinstated
        self._published = []
        self.worker_lines.update(self.site, (item.parsed_record for item in parsed))
        return outcomes

    def _import_batch(self, batch: list[Parsed], parsed: list[Parsed]) -> list[FileOutcome]:
        archive = find_articles(keys=[i.source.key for i in parsed], shas=[i.parsed_record.sha256 for i in parsed])
        outcomes, fresh, pending = self._classify(batch, archive)
        ids = self._create_in_bulk([batch[i] for i in fresh]) if fresh else {}
        if ids is None:
            return [self._import_afresh(item) for item in batch]
        for outcome, key in pending:  # created just now, or the same file again in this batch
            outcome.article_id = ids[key]
        return [self._import_one(batch[i]) if o is None else o for i, o in enumerate(outcomes)]

    def _classify(
        self, batch: list[Parsed], archive: Archive
    ) -> tuple[list[FileOutcome | None], list[int], list[tuple[FileOutcome, str]]]:
        """Settle what the lookup can: the outcomes (None: file by file), the new files, and outcomes awaiting an id.

        An article created earlier in the batch is referred to by its key until the bulk insert gives it an id.
        """
        keys: dict[str, tuple[int | str, str]] = dict(archive.by_key)
        shas: dict[str, int | str] = dict(archive.by_sha)
        outcomes: list[FileOutcome | None] = []
        fresh: list[int] = []
        pending: list[tuple[FileOutcome, str]] = []
        for i, item in enumerate(batch):
            if item.record is None:
                outcomes.append(self.failed(item))
                continue
            key, sha = item.source.key, item.parsed_record.sha256
            decision = self._known(item, keys.get(key), shas)
            if decision is _NEW:
                keys[key], shas[sha] = (key, sha), key
                fresh.append(i)
                decision = (Result.CREATED, key)
            if decision is None:
                outcomes.append(None)
                continue
            result, ref = decision
            outcome = _outcome(item, result, article_id=ref if isinstance(ref, int) else None)
            if isinstance(ref, str):
                pending.append((outcome, ref))
            outcomes.append(outcome)
        return outcomes, fresh, pending

    def _known(self, item: Parsed, existing: tuple[int | str, str] | None, shas: Mapping[str, int | str]) -> Decision:
        """Return (result, article) when the lookup settles the file, ``_NEW`` for a new one, None for an update."""
        record = item.parsed_record
        if existing is not None and existing[1] == record.sha256:
            return Result.UNCHANGED, existing[0]
        if record.sha256 in shas:
            return Result.DUPLICATE, shas[record.sha256]
        if existing is not None:
            return None  # an update, or a key created earlier in this batch: file by file, after the bulk
        return _NEW

    def _create_in_bulk(self, items: list[Parsed]) -> dict[str, int] | None:
        """Create the articles of ``items`` in one savepoint, in a constant number of queries; None if that failed."""
        try:
            with transaction.atomic():
                return self.create(items, resolve_names(item.parsed_record for item in items))
        except Exception as exc:  # any failure but a lock conflict: fall back to one savepoint per file
            stopping.reraise_if_stopping(exc)
            if is_transient(exc):
                raise  # the whole batch is retried (see ``concurrency``)
            logger.info("Bulk import of %d files failed; importing them one by one", len(items), exc_info=True)
            return None

    def create(self, items: list[Parsed], names: Names) -> dict[str, int]:
        """Write the new articles of ``items`` with their bylines (and any new names); return key -> article id.

        Their lines are counted first, so what they teach is removed from them already.
        """
        learned = self.site.learn([item.parsed_record for item in items], [item.candidates for item in items])
        stripped = [self._stripped(item, learned) for item in items]
        if any(
            new.parsed_record.author_names != old.parsed_record.author_names
            for new, old in zip(stripped, items, strict=True)
        ):
            names = resolve_names(
                new.parsed_record for new in stripped
            )  # a line removed let the parser find the byline
        items, records = stripped, [item.parsed_record for item in stripped]
        create_missing_names(names, records, reason=self.reason)
        articles = [new_article(item=item, names=names, run=self.run, now=self.now) for item in items]
        originals = deduplication.find_originals([item.fingerprint or duplicates.EMPTY for item in items])
        for article, original in zip(articles, originals, strict=True):
            if original is not None and original.article_id is not None:
                deduplication.mark_copy(article, original.article_id)
        writer = bulk_writer()
        ids = writer.insert_new(Article, articles, key="source_key")
        if len(ids) != len(articles):
            raise BulkConflict(f"{len(articles) - len(ids)} of {len(articles)} articles exist already")
        self._mark_copies_of_batch(articles, originals, ids)
        bylines = [row for i in items for row in byline_rows(ids[i.source.key], names.authors_for(i.parsed_record))]
        writer.insert_values(ArticleAuthor, BYLINE_COLUMNS, bylines)
        fingerprints = [
            row
            for item in items
            for row in deduplication.fingerprint_rows(ids[item.source.key], item.fingerprint or duplicates.EMPTY)
        ]
        writer.insert_values(ArticleFingerprint, deduplication.FINGERPRINT_COLUMNS, fingerprints)
        self.site.save(learned, {slug: publisher.pk for slug, publisher in names.publishers.items()})
        return ids

    @staticmethod
    def _mark_copies_of_batch(
        articles: list[Article], originals: list[deduplication.Original | None], ids: dict[str, int]
    ) -> None:
        """Mark, in one update, the new articles that copy one created earlier in the same batch."""
        copies = []
        for article, original in zip(articles, originals, strict=True):
            if original is not None and original.earlier is not None:
                article.pk = ids[article.source_key]
                deduplication.mark_copy(article, ids[articles[original.earlier].source_key])
                copies.append(article)
        fields = ["status", "published_at", "needs_review", "review_reasons", "review_priority", "duplicate_of"]
        if copies:
            Article.objects.bulk_update(copies, fields)

    def _stripped(self, item: Parsed, learned: boilerplate.Learned | None = None) -> Parsed:
        """Return ``item`` parsed without its publisher's boilerplate lines as they are now (``item`` if it is)."""
        keys = self.site.lines_for(item.parsed_record, learned)
        if keys == item.site_keys or not boilerplate.occurs_in(item.parsed_record, keys ^ item.site_keys):
            return item
        return Parsed(item.source, record=boilerplate.reparsed(item.parsed_record, keys), site_keys=keys)

    def _import_afresh(self, item: Parsed) -> FileOutcome:
        """Import one file in its own savepoint, looking everything up afresh."""
        if item.record is None:
            return self.failed(item)
        self.site = boilerplate.BatchLines.load([item.parsed_record], cache=self.summaries)
        return self._import_one(item)

    def _import_one(self, item: Parsed) -> FileOutcome:
        try:
            with transaction.atomic():
                outcome, published = self._apply(item)
        except (IntegrityError, BulkConflict) as exc:
            # Another import committed the same key or text since this file was looked up.
            return self._after_race(item) or _outcome(item, Result.FAILED, error=f"database error: {exc}")
        except DatabaseError as exc:
            stopping.reraise_if_stopping(exc)
            if is_transient(exc):
                raise  # not this file's fault: the whole batch is retried (see ``concurrency``)
            return _outcome(item, Result.FAILED, error=f"database error: {exc}".strip())
        except Exception as exc:  # one bad file must never stop the others
            stopping.reraise_if_stopping(exc)
            logger.exception("Importing %s failed", item.source.path)
            return _outcome(item, Result.FAILED, error=f"internal error: {exc!r}")
        # Only once its savepoint is released: a file that failed published nothing.
        if published and outcome.article_id is not None:
            self._published.append(outcome.article_id)
        return outcome

    def _apply(self, item: Parsed) -> tuple[FileOutcome, bool]:
        """Import one file; return its outcome and whether an update published its draft."""
        record, key = item.parsed_record, item.source.key
        archive = find_articles(keys=[key], shas=[record.sha256])
        existing = archive.by_key.get(key)
        decision = self._known(item, existing, archive.by_sha)
        if decision is _NEW:
            ids = self.create([item], resolve_names([record]))
            return _outcome(item, Result.CREATED, article_id=ids[key]), False
        if decision is not None:
            return _outcome(item, decision[0], article_id=decision[1]), False
        assert existing is not None, "no decision is an update: the key exists"
        if not self.replace_existing:
            error = f"article #{existing[0]} already comes from a different file named {key!r}; not replaced"
            return _outcome(item, Result.FAILED, error=error, article_id=existing[0]), False
        item = self._stripped(item)
        record = item.parsed_record
        published = update_article(
            article_id=existing[0],
            record=record,
            names=resolve_names([record]),
            run=self.run,
            now=self.now,
            snapshot=item.snapshot,
        )
        return _outcome(item, Result.UPDATED, article_id=existing[0]), published

    def _after_race(self, item: Parsed) -> FileOutcome | None:
        """Return what a concurrent import already did with this file's key or text, if anything."""
        archive = find_articles(keys=[item.source.key], shas=[item.parsed_record.sha256])
        decision = self._known(item, archive.by_key.get(item.source.key), archive.by_sha)
        return _outcome(item, decision[0], article_id=decision[1]) if isinstance(decision, tuple) else None

    @staticmethod
    def failed(item: Parsed) -> FileOutcome:
        return _outcome(item, Result.FAILED, error=item.error)


class _Sentinel(enum.Enum):
    NEW = "new"


_NEW = _Sentinel.NEW
# What the lookup settles of a file: (result, the article's id, or the key of one created earlier in
# the batch), ``_NEW`` for a file to create, or None for an update (file by file).
Decision = tuple[str, int | str] | Literal[_Sentinel.NEW] | None


# The columns of ``byline_rows``.
BYLINE_COLUMNS = ("article_id", "author_id", "position")


def byline_rows(article_id: int, authors: Iterable[Author]) -> list[tuple[int, int, int]]:
    """Return the byline rows of a new article, in order, as ``BYLINE_COLUMNS``."""
    return [(article_id, author.pk, i) for i, author in enumerate(authors)]


def _outcome(item: Parsed, result: str, **kwargs: Any) -> FileOutcome:
    warnings = tuple(item.record.warnings) if item.record else ()
    return FileOutcome(path=item.source.path, source_key=item.source.key, result=result, warnings=warnings, **kwargs)
