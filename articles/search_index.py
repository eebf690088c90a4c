"""The embedded Tantivy index behind full-text search: its schema, its files, and keeping it in step.

Layout
------
``ARCHIVE_SEARCH_INDEX_DIR`` (``conf.search_index_dir()``) holds ``current`` (a symlink to the live
index directory ``index-<stamp>``), ``write.lock`` (an ``fcntl.flock`` taken
around every write, so gunicorn workers, imports and commands take turns as
Tantivy's single writer) and, while ``rebuild_search_index`` runs,
``rebuild.journal`` (the ids drained meanwhile, replayed into the new index
before it replaces the old one).

Consistency
-----------
Database triggers (migration 0007) append the id of every inserted, updated or
deleted article, and of every article whose byline changed, to the
``SearchOutbox`` table, whatever wrote the row: ``save()``, ``bulk_create()``,
``QuerySet.update()``, raw SQL. ``sync_pending()`` drains it: it reads the
rows in id order, re-reads those articles from the database (a missing one is
deleted from the index), replaces their documents, commits the index, and only
then deletes the rows it drained. It is at-least-once and idempotent: after a
crash or a rollback the rows are still there, or the documents already
reflect the database. It runs after each committed write of the services (see
``schedule_sync()``) and, bounded to ``LAZY_SYNC_LIMIT`` rows, before every
search, so an edit is found by its new words at once.

Languages
---------
An article's words are stemmed in its language (``Article.language``): each
language with a Snowball stemmer (``articles.languages.STEMMERS``) has its
own title, subtitle and body fields (``body_spanish``...), analysed by that
language's analyser; English, and any language without a stemmer or unknown,
uses the plain ``title``, ``subtitle`` and ``body``. A document fills only the
fields of its language, so a query term is looked for in every language's
fields, analysed by each (see ``articles.search``).

Schema changes
--------------
Each index directory records the ``SCHEMA_VERSION`` it was built with (in
``schema-version``). An index of another version (or none: before version 2)
is not opened: ``SearchIndexOutdated`` says to run ``rebuild_search_index``, which
builds the new index beside the old one, and ``manage.py check`` warns.
Bump the version with any change to the fields, the analysers, or what a
document holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import importlib
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import tantivy
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q

from articles import conf, languages
from articles.models import Article, ArticleAuthor, SearchOutbox

if TYPE_CHECKING:
    from django.apps import AppConfig

logger = logging.getLogger(__name__)

# Bumped with every change of ``build_schema()`` (see "Schema changes" above). 2: text fields per
# language and the ``language`` field; 3: the ``date`` fast fields (the original date, else the archive's);
# 4: the ``embargo_until`` fast field (anonymous searches leave out embargoed articles); 5: the
# ``sample_key`` fast field (``ordering=random`` with ``q``).
SCHEMA_VERSION = 5
VERSION_FILE = "schema-version"
CURRENT = "current"
LOCK_FILE = "write.lock"
JOURNAL_FILE = "rebuild.journal"
# Articles read (with their bodies) at a time while documents are written.
SYNC_BATCH = 1000
# Outbox rows applied under one commit. An article written queues a row, and each of its
# bylines another: an import batch of 1,000 files queues ~2,000 rows for 1,000 articles,
# which one commit indexes once each (a commit costs ~150 ms whatever it holds).
COMMIT_ROWS = 10_000
LAZY_SYNC_LIMIT = 2000
WRITER_HEAP_BYTES = 32 * 1024 * 1024
REBUILD_HEAP_BYTES = 128 * 1024 * 1024
# Stands for a missing publication date in the two sort keys, so drafts sort last either way.
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
NO_EMBARGO = I64_MIN
TEXT_FIELDS = ("title", "subtitle", "body")
# The stemmer of English, of languages without one, and of articles whose language is unknown.
DEFAULT_STEMMER = "english"
# Every stemmer the index has fields for, the default first.
STEMMERS = (DEFAULT_STEMMER, *sorted(set(languages.STEMMERS.values()) - {DEFAULT_STEMMER}))
# Fields read back from a hit: sort keys for breaking ties, and the fingerprint ``check_index`` compares.
STORED_FIELDS = (
    "id",
    "title_sort",
    "published_desc",
    "published_asc",
    "date_desc",
    "date_asc",
    "created_at",
    "word_count",
    "version",
)


def stemmer_for(language: str) -> str:
    """Return the stemmer of an article in ``language`` (an ISO 639-1 code, "" when unknown)."""
    return languages.STEMMERS.get(language, DEFAULT_STEMMER)


def text_fields(stemmer: str) -> tuple[str, ...]:
    """Return the title, subtitle and body fields of the articles stemmed by ``stemmer``."""
    return TEXT_FIELDS if stemmer == DEFAULT_STEMMER else tuple(f"{name}_{stemmer}" for name in TEXT_FIELDS)


def analyzer_name(stemmer: str) -> str:
    """Return the name the index registers ``stemmer``'s analyser under."""
    return f"archive_{stemmer}"


# Every text field: its stemmer, and which of title, subtitle and body it is.
FIELD_STEMMERS = {name: stemmer for stemmer in STEMMERS for name in text_fields(stemmer)}
FIELD_KINDS = {name: kind for stemmer in STEMMERS for name, kind in zip(text_fields(stemmer), TEXT_FIELDS, strict=True)}


def matching_field(stemmer: str) -> str:
    """Return the field of a matching index that holds the title, subtitle and body of ``stemmer``'s articles."""
    return f"text_{stemmer}"


# The text fields of a matching index (``build_schema(matching=True)``), by stemmer.
MATCHING_FIELD_STEMMERS = {matching_field(stemmer): stemmer for stemmer in STEMMERS}


def analyzer(stemmer: str = DEFAULT_STEMMER) -> tantivy.TextAnalyzer:
    """Return the analyser of text in ``stemmer``'s language: words, lowercased, folded, stemmed.

    Folded before stemming, as the query is, so ``cafe`` finds ``café`` in any language.
    """
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer(stemmer))
        .build()
    )


def build_schema(*, matching: bool = False) -> tantivy.Schema:
    """Return the index schema: the text with positions, and a fast field for every filter and sort key.

    With ``matching``, the schema of the throwaway index that saved searches run on
    (``articles.alerts.matching``): one text field a language besides, which holds an
    article's title, subtitle and body as three values (a phrase never spans two), so
    an unranked query reads a third of the fields. They come last: every other field
    keeps its number, and a filter built on ``SCHEMA`` applies to such an index as is.
    """
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    for name, stemmer in FIELD_STEMMERS.items():
        builder.add_text_field(name, tokenizer_name=analyzer_name(stemmer), index_option="position")
    # An ISO 639-1 code, or UNKNOWN_LANGUAGE: a filter, and a facet (fast).
    builder.add_text_field("language", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title_sort", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("status", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("source_key", tokenizer_name="raw", index_option="basic")
    builder.add_boolean_field("needs_review", indexed=True, fast=True)
    builder.add_boolean_field("has_image_credit", indexed=True, fast=True)
    for name in ("publisher", "authors", "copyright_year", "word_count"):
        builder.add_unsigned_field(name, stored=name == "word_count", indexed=True, fast=True)
    # Dates as microseconds since the epoch: Tantivy's own dates keep whole seconds only.
    builder.add_integer_field("published_at", indexed=True, fast=True)
    builder.add_integer_field("published_desc", stored=True, fast=True)
    builder.add_integer_field("published_asc", stored=True, fast=True)
    # ``Article.date`` (the original publication date, else the archive's): what the API filters and
    # orders by; missing (an undated draft) the same way as published_at.
    builder.add_integer_field("date", indexed=True, fast=True)
    builder.add_integer_field("date_desc", stored=True, fast=True)
    builder.add_integer_field("date_asc", stored=True, fast=True)
    builder.add_integer_field("created_at", stored=True, indexed=True, fast=True)
    # The end of the article's embargo; NO_EMBARGO (before any moment) when it has none, so "public
    # now" is one range, embargo_until <= now, matching every article without an embargo.
    builder.add_integer_field("embargo_until", indexed=True, fast=True)
    # ``Article.sample_key``: a random order of the matches, walked in ranges from a seed's point.
    builder.add_unsigned_field("sample_key", indexed=True, fast=True)
    builder.add_integer_field("version", stored=True)
    if matching:
        for name, stemmer in MATCHING_FIELD_STEMMERS.items():
            builder.add_text_field(name, tokenizer_name=analyzer_name(stemmer), index_option="position")
    return builder.build()


SCHEMA = build_schema()
MATCHING_SCHEMA = build_schema(matching=True)


def micros(value: dt.datetime) -> int:
    """Return a datetime as whole microseconds since the epoch (the index's date unit)."""
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --- Files and the open index ---------------------------------------------------


def index_root() -> Path:
    """Return the directory that holds the index, its lock and its journal."""
    return conf.search_index_dir()


_held = threading.local()


@contextlib.contextmanager
def write_lock() -> Iterator[None]:
    """Hold the index's OS-level write lock (one writer at a time, across processes); reentrant in a thread."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


class SearchIndexOutdated(RuntimeError):
    """The live index was built with an older schema than ``SCHEMA_VERSION``'s: it must be rebuilt."""


def _open(path: Path, *, create: bool = False) -> tantivy.Index:
    path.mkdir(parents=True, exist_ok=True)
    if not create and (found := schema_version(path)) != SCHEMA_VERSION:
        raise SearchIndexOutdated(
            f"The search index in {path} has schema version {found or 1}; this version of the archive needs "
            f"{SCHEMA_VERSION}. Run 'manage.py rebuild_search_index' to rebuild it (searches fail until then)."
        )
    try:
        index = tantivy.Index(SCHEMA, path=str(path), reuse=not create)
    except ValueError as exc:
        if "schema does not match" not in str(exc):
            raise
        raise SearchIndexOutdated(
            f"The search index in {path} was built with another schema (this version is {SCHEMA_VERSION}): "
            "run 'manage.py rebuild_search_index'."
        ) from exc
    if create:
        (path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
    for stemmer in STEMMERS:
        index.register_tokenizer(analyzer_name(stemmer), analyzer(stemmer))
    return index


def schema_version(path: Path) -> int | None:
    """Return the schema version the index in ``path`` was built with (None: before versions were recorded)."""
    try:
        return int((path / VERSION_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None


def is_outdated() -> bool:
    """Tell whether a live index exists that was built for another schema version (it needs a rebuild)."""
    link = index_root() / CURRENT
    return link.exists() and schema_version(link.resolve()) != SCHEMA_VERSION


def check_schema(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: warn when the live index was built for another schema version (it needs a rebuild)."""
    if not is_outdated():
        return []
    found = schema_version((index_root() / CURRENT).resolve())
    return [
        checks.Warning(
            f"The search index has schema version {found or 1}; this version of the archive needs {SCHEMA_VERSION}.",
            hint="Run 'manage.py rebuild_search_index'; searches fail until it has run.",
            id="articles.W001",
        )
    ]


def _new_directory() -> Path:
    return index_root() / f"index-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def _point_current_at(directory: Path) -> None:
    """Make ``current`` name ``directory`` in one atomic rename, so readers see the old index or the new."""
    link = index_root() / CURRENT
    staging = index_root() / f".{CURRENT}-{uuid.uuid4().hex}"
    staging.symlink_to(directory.name)
    os.replace(staging, link)


def _current_directory() -> Path:
    """Return the live index directory, creating an empty index on first use."""
    link = index_root() / CURRENT
    if not link.exists():
        with write_lock():
            if not link.exists():
                directory = _new_directory()
                _open(directory, create=True)
                _point_current_at(directory)
    return link.resolve()


class _Engine:
    """The process's open index, reopened when ``current`` moves and reloaded when it changed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.directory: Path | None = None
        self.index: tantivy.Index | None = None

    def index_for(self, directory: Path) -> tantivy.Index:
        with self.lock:
            if self.directory != directory or self.index is None:
                self.index, self.directory = _open(directory), directory
            return self.index

    def reset(self) -> None:
        with self.lock:
            self.index = self.directory = None


_engine = _Engine()


def current_index() -> tantivy.Index:
    """Return the live index, open in this process."""
    return _engine.index_for(_current_directory())


def searcher() -> tantivy.Searcher:
    """Return a searcher over the latest committed state of the live index."""
    index = current_index()
    index.reload()  # Microseconds when nothing changed; picks up other processes' commits at once.
    return index.searcher()


def reset_engine() -> None:
    """Forget the open index (tests point ``ARCHIVE_SEARCH_INDEX_DIR`` somewhere new)."""
    _engine.reset()


# --- Documents ----------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedArticle:
    """What the index holds of one article."""

    # A row of ``INDEXED_COLUMNS`` (``values_list(named=True)``): a model instance costs twice as much to load.
    article: Any
    author_ids: tuple[int, ...]

    def document(self, *, versioned: bool = True, matching: bool = False) -> tantivy.Document:
        """Return the article as a Tantivy document (without ``versioned``, no fingerprint: nothing will check it).

        With ``matching``, a document of a matching index (see ``build_schema``): its text in
        its language's single field, and nothing only a ranked or sorted page reads.
        """
        a = self.article
        doc = tantivy.Document()
        doc.add_unsigned("id", a.id)
        if matching:
            name = matching_field(stemmer_for(a.language))
            for kind in TEXT_FIELDS:
                doc.add_text(name, getattr(a, kind) or "")
        else:
            for kind, name in zip(TEXT_FIELDS, text_fields(stemmer_for(a.language)), strict=True):
                doc.add_text(name, getattr(a, kind) or "")
        doc.add_text("language", a.language or languages.UNKNOWN_LANGUAGE)
        if not matching:
            doc.add_text("title_sort", a.title)
        doc.add_text("status", a.status)
        doc.add_text("source_key", a.source_key)
        doc.add_boolean("needs_review", a.needs_review)
        doc.add_boolean("has_image_credit", bool(a.image_credit))
        if a.publisher_id is not None:
            doc.add_unsigned("publisher", a.publisher_id)
        for author_id in self.author_ids:
            doc.add_unsigned("authors", author_id)
        if a.copyright_year is not None:
            doc.add_unsigned("copyright_year", a.copyright_year)
        doc.add_unsigned("word_count", a.word_count)
        for name in ("published_at", "date"):
            value = getattr(a, name)
            moment = micros(value) if value else None
            if moment is not None:
                doc.add_integer(name, moment)
            if matching:
                continue  # The sort keys below only order a page.
            prefix = "published" if name == "published_at" else name
            doc.add_integer(f"{prefix}_desc", I64_MIN if moment is None else moment)
            doc.add_integer(f"{prefix}_asc", I64_MAX if moment is None else moment)
        doc.add_integer("created_at", micros(a.created_at))
        doc.add_integer("embargo_until", micros(a.embargo_until) if a.embargo_until else NO_EMBARGO)
        if not matching:
            doc.add_unsigned("sample_key", a.sample_key)
        if versioned:
            doc.add_integer("version", self.fingerprint())
        return doc

    def fingerprint(self) -> int:
        """Return a digest of everything the document holds, so a check can tell a stale one."""
        a = self.article
        values = [getattr(a, column) for column in INDEXED_COLUMNS]
        digest = hashlib.blake2b(repr([*values, self.author_ids]).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)


INDEXED_COLUMNS = (
    "id",
    *TEXT_FIELDS,
    "status",
    "source_key",
    "needs_review",
    "image_credit",
    "publisher_id",
    "copyright_year",
    "language",
    "word_count",
    "published_at",
    "original_published_at",
    "date",
    "created_at",
    # Read, and in the fingerprint, so check_index finds a document whose embargo is stale.
    "embargo_until",
    "sample_key",
)


def load_articles(condition: Q) -> list[IndexedArticle]:
    """Read the articles matching ``condition`` and their bylines: two queries."""
    articles = list(Article.objects.filter(condition).order_by("id").values_list(*INDEXED_COLUMNS, named=True))
    authors: dict[int, list[int]] = {}
    bylines = ArticleAuthor.objects.filter(article_id__any_of=[a.id for a in articles]).order_by()
    for article_id, author_id in bylines.values_list("article_id", "author_id"):
        authors.setdefault(article_id, []).append(author_id)
    return [IndexedArticle(a, tuple(authors.get(a.id, ()))) for a in articles]


def delete_documents(writer: tantivy.IndexWriter, ids: Iterable[int]) -> None:
    """Delete the documents of the articles ``ids`` (however many copies each has)."""
    ids = [int(pk) for pk in ids]
    if ids:
        # By query: delete_documents_by_term() does not match unsigned fields in tantivy-py 0.27.
        writer.delete_documents_by_query(tantivy.Query.term_set_query(SCHEMA, "id", ids))


def _replace(writer: tantivy.IndexWriter, ids: Iterable[int], current: list[IndexedArticle]) -> None:
    """Delete the documents of ``ids`` and add those of the articles that still exist."""
    delete_documents(writer, ids)
    for item in current:
        writer.add_document(item.document())


def _write(index: tantivy.Index, apply: Callable[[tantivy.IndexWriter], None], heap: int = WRITER_HEAP_BYTES) -> None:
    writer = index.writer(heap, 1)
    try:
        apply(writer)
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.wait_merging_threads()


# --- Draining the outbox -------------------------------------------------------------


def sync_pending(*, limit: int | None = None) -> int:
    """Apply the queued article changes to the index; return how many outbox rows were drained.

    ``limit`` bounds the rows drained (None: until the outbox is empty).
    """
    drained = 0
    while limit is None or drained < limit:
        batch = COMMIT_ROWS if limit is None else min(COMMIT_ROWS, limit - drained)
        count = _drain_batch(batch)
        drained += count
        if count < batch:
            break
    return drained


def _drain_batch(size: int) -> int:
    """Apply up to ``size`` outbox rows under one commit, each article once, then delete those rows."""
    with write_lock():
        rows = list(SearchOutbox.objects.order_by("id").values_list("id", "article_id")[:size])
        if not rows:
            return 0
        ids = sorted({article_id for _, article_id in rows})
        # And the next ``size`` rows' that queue the same articles again (an import's bylines queue each
        # new article a second time, a batch later in the outbox): read before the articles are, so the
        # documents written are at least as new as every row deleted, and an article is not indexed
        # twice because its rows fell into two drains. A range of the primary key: bounded, whatever
        # the outbox holds.
        drained = [row_id for row_id, _ in rows] + _queued_again(after=rows[-1][0], within=size, ids=ids)
        _write(current_index(), lambda writer: _replace_in_chunks(writer, ids))
        _journal(ids)
        for chunk in _chunks(drained):
            SearchOutbox.objects.filter(id__any_of=chunk).delete()
    return len(drained)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for offset in range(0, len(ids), SYNC_BATCH):
        yield ids[offset : offset + SYNC_BATCH]


def _queued_again(*, after: int, within: int, ids: list[int]) -> list[int]:
    """Return the ids of the outbox rows among the ``within`` after row ``after`` that queue one of ``ids``."""
    later = SearchOutbox.objects.filter(id__gt=after, id__lte=after + within, article_id__any_of=ids)
    return list(later.order_by("id").values_list("id", flat=True))


def _replace_in_chunks(writer: tantivy.IndexWriter, ids: list[int]) -> None:
    """Replace the documents of ``ids``, reading ``SYNC_BATCH`` articles at a time (bounded memory)."""
    for chunk in _chunks(ids):
        _replace(writer, chunk, load_articles(Q(pk__any_of=chunk)))


def _journal(ids: list[int]) -> None:
    """Note drained ids for a rebuild under way, which replays them into its new index."""
    journal = index_root() / JOURNAL_FILE
    if journal.exists():
        with open(journal, "a") as handle:
            handle.write("".join(f"{pk}\n" for pk in ids))


def sync_before_search() -> None:
    """Drain what is queued (at most ``LAZY_SYNC_LIMIT`` rows) so a search sees the latest writes."""
    if SearchOutbox.objects.exists():
        sync_pending(limit=LAZY_SYNC_LIMIT)


def _sync_after_commit() -> None:
    try:
        sync_pending()
    except Exception:
        # The rows stay queued: the next search or write drains them.
        logger.exception("Could not update the search index; the changes stay queued.")


def schedule_sync(using: str | None = None) -> None:
    """Drain the outbox once the current transaction commits (at once outside a transaction)."""
    conn = connection if using is None else transaction.get_connection(using)
    # Entries are (savepoint ids, function, robust); django-stubs know of the first two only.
    if any(entry[1] is _sync_after_commit for entry in conn.run_on_commit):
        return
    transaction.on_commit(_sync_after_commit, using=using)


def queue_articles(ids: Iterable[int]) -> int:
    """Queue articles for reindexing (what the triggers do, for repairs); return how many."""
    rows = [SearchOutbox(article_id=pk) for pk in ids]
    SearchOutbox.objects.bulk_create(rows, batch_size=SYNC_BATCH)
    return len(rows)


# --- Rebuild and check ----------------------------------------------------------------


def _keyset_batches(size: int) -> Iterator[list[IndexedArticle]]:
    """Yield every article in batches of ``size``, by id: short plain SELECTs, never a long lock."""
    last = 0
    while batch := load_articles(Q(pk__gt=last) & Q(pk__lte=_batch_end(last, size))):
        yield batch
        last = batch[-1].article.id


def _batch_end(after: int, size: int) -> int:
    ids = Article.objects.filter(pk__gt=after).order_by("id").values_list("id", flat=True)[size - 1 : size]
    return next(iter(ids), 2**63 - 1)


def rebuild(*, batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> int:
    """Index every article into a new directory, then make it the live index; return how many.

    Searches keep using the old index until the swap; whatever is drained
    meanwhile is replayed into the new one before it goes live.
    """
    root = index_root()
    with write_lock():
        (root / JOURNAL_FILE).write_text("")
        start = SearchOutbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
    directory = _new_directory()
    try:
        index = _open(directory, create=True)
        total = 0
        writer = index.writer(REBUILD_HEAP_BYTES, 1)
        try:
            for batch in _keyset_batches(batch_size):
                for item in batch:
                    writer.add_document(item.document())
                total += len(batch)
                if progress:
                    progress(total)
            writer.commit()
        finally:
            writer.wait_merging_threads()
        _go_live(index, directory, start)
    except BaseException:
        (root / JOURNAL_FILE).unlink(missing_ok=True)
        shutil.rmtree(directory, ignore_errors=True)
        raise
    sync_pending()
    return total


def _go_live(index: tantivy.Index, directory: Path, start: int) -> None:
    root = index_root()
    with write_lock():
        journal = root / JOURNAL_FILE
        ids = sorted({int(line) for line in journal.read_text().split()})
        for offset in range(0, len(ids), SYNC_BATCH):
            chunk = ids[offset : offset + SYNC_BATCH]
            current = load_articles(Q(pk__in=chunk))
            _write(index, functools.partial(_replace, ids=chunk, current=current))
        old = (root / CURRENT).resolve() if (root / CURRENT).exists() else None
        _point_current_at(directory)
        journal.unlink()
        # Rows queued before the rebuild started are in the new index already.
        SearchOutbox.objects.filter(id__lte=start).delete()
    if old is not None and old != directory:
        shutil.rmtree(old, ignore_errors=True)  # Open readers keep their (unlinked) files until they reopen.


@dataclass
class CheckReport:
    """How the index differs from the database."""

    checked: int = 0
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)

    @property
    def divergent(self) -> list[int]:
        return sorted({*self.missing, *self.stale, *self.extra})


def check_index(*, batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> CheckReport:
    """Compare the index with the database, document by document, in keyset batches of articles.

    Each document holds a fingerprint of what it was made from; an article whose
    fingerprint differs (whatever changed it, ``QuerySet.update()`` included) is stale.
    """
    report = CheckReport()
    search = searcher()
    last = 0
    for batch in _keyset_batches(batch_size):
        high = batch[-1].article.id
        indexed = _indexed_versions(search, last + 1, high)
        for item in batch:
            versions = indexed.pop(item.article.id, [])
            if not versions:
                report.missing.append(item.article.id)
            elif versions != [item.fingerprint()]:
                report.stale.append(item.article.id)
        report.extra.extend(indexed)
        report.checked += len(batch)
        if progress:
            progress(report.checked)
        last = high
    report.extra.extend(_indexed_versions(search, last + 1, None))
    return report


def _indexed_versions(search: tantivy.Searcher, low: int, high: int | None) -> dict[int, list[int]]:
    """Return the stored versions of the documents with ids in [low, high] (high None: no upper end)."""
    query = tantivy.Query.range_query(SCHEMA, "id", tantivy.FieldType.Unsigned, low, high)
    found: dict[int, list[int]] = {}
    limit = 10_000
    while True:
        hits = search.search(query, limit, count=False, order_by_field="id", order=tantivy.Order.Asc).hits
        if len(hits) < limit:
            break
        limit *= 4
    for _, address in hits:
        doc = search.doc(address)
        found.setdefault(doc["id"][0], []).append(doc["version"][0])
    return found


def repair(report: CheckReport) -> int:
    """Queue every divergent article and drain the queue; return how many were queued."""
    queued = queue_articles(report.divergent)
    sync_pending()
    return queued


# --- SQLite triggers after a table rebuild --------------------------------------------


def _outbox_migration() -> ModuleType:
    return importlib.import_module("articles.migrations.0007_search_outbox")


def repair_triggers(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> bool:
    """Recreate outbox triggers that a SQLite table rebuild dropped; return whether any was missing.

    Django's SQLite schema editor applies many changes by copying a table into
    a new one, which drops its triggers; connected to ``post_migrate``. Writes
    made while they were missing are not queued: run ``check_search_index
    --repair`` if a migration changed articles' data too.
    """
    conn = connections[using]
    if conn.vendor != "sqlite":
        return False
    triggers: dict[str, str] = _outbox_migration().SQLITE_TRIGGERS
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
        if SearchOutbox._meta.db_table not in present or present.issuperset(triggers):
            return False
        for name, body in triggers.items():
            if name not in present:
                cursor.execute(f"CREATE TRIGGER {name} {body}")
    logger.warning("Recreated the search outbox triggers; run check_search_index --repair if articles changed.")
    return True


def sync_on_commit(sender: object = None, using: str | None = None, **kwargs: Any) -> None:
    """Signal receiver: drain the outbox once the write commits (``schedule_sync``)."""
    schedule_sync(using)
