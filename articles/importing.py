"""The import service: seed files in, articles with their authors and publisher out.

The command, the admin upload and the API all call these functions. Each file is
imported inside its own savepoint, so a failure anywhere leaves no trace of that
file and never stops the others; files are read, parsed and looked up in batches
so the number of queries per file stays constant however large the archive is.
"""

from __future__ import annotations

import hashlib
import io
import logging
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from articles import merging, parsing, search_index
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    ImportOutcome,
    ImportRun,
    Publisher,
    SourceRevision,
)

logger = logging.getLogger(__name__)
Result = ImportOutcome.Result
BATCH_SIZE = 200
# A run that creates this many articles refreshes PostgreSQL's table statistics.
ANALYZE_AFTER = 1000
SEED_SUFFIX = ".txt"
# Fields an editor may correct; a re-import never silently overwrites a correction.
CURATED_FIELDS = ("title", "subtitle", "body", "image_credit", "copyright_year")


class SourceNotFound(ValueError):
    """A path given to the importer does not exist."""


class SourceRejected(ValueError):
    """A source the importer refuses before parsing (an unsafe or oversized upload)."""


@dataclass(frozen=True)
class Source:
    """One seed to import: where it came from, its key, and how to read it."""

    path: str
    key: str
    read: Callable[[int], bytes]  # given the size limit; reads at most one byte past it


@dataclass
class FileOutcome:
    """What the importer did with one file."""

    path: str
    source_key: str
    result: str
    error: str = ""
    article_id: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """The counts and per-file outcomes of one run."""

    run_id: int | None = None
    dry_run: bool = False
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": self.count(Result.CREATED),
            "updated": self.count(Result.UPDATED),
            "unchanged": self.count(Result.UNCHANGED),
            "duplicates": self.count(Result.DUPLICATE),
            "failed": self.count(Result.FAILED),
        }

    @property
    def errors(self) -> list[dict[str, str]]:
        return [{"path": o.path, "error": o.error} for o in self.outcomes if o.result == Result.FAILED]

    def as_dict(self) -> dict:
        return {**self.counts, "errors": self.errors, "dry_run": self.dry_run, "run": self.run_id}


# --- Finding the files -----------------------------------------------------------


def normalize_key(key: str) -> str:
    """Return the canonical form of a source key (NFC, forward slashes)."""
    return unicodedata.normalize("NFC", printable(key.replace("\\", "/")))


def file_source(path: Path, key: str) -> Source:
    """Describe a seed file on disk."""
    return Source(path=printable(str(path)), key=normalize_key(key), read=partial(_read_file, path))


def _read_file(path: Path, limit: int) -> bytes:
    """Read a regular file of at most ``limit`` bytes; refuse anything else before opening it.

    Opening a FIFO would block and reading a device would never end, so the
    file's type and size are checked first (following symlinks).
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise SourceRejected("not a regular file (a device, pipe or socket)")
    if info.st_size > limit:
        raise SourceRejected(f"file too large: {info.st_size:,} bytes, the limit is {limit:,} bytes")
    with path.open("rb") as handle:
        return handle.read(limit + 1)  # a file that grew since the check is still caught by the parser


def printable(text: str) -> str:
    """Return ``text`` with bytes that were not valid UTF-8 (in a file name) written as escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def bytes_source(data: bytes, *, key: str, path: str | None = None) -> Source:
    """Describe a seed already in memory (an upload)."""
    return Source(path=path or key, key=normalize_key(key), read=lambda limit: data)


def collect_sources(paths: Sequence[Path | str]) -> list[Source]:
    """List the seed files under ``paths``; directories are searched recursively for ``*.txt``."""
    sources: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            sources.extend(_directory_sources(path))
        elif path.exists():
            sources.append(file_source(path, path.name))
        else:
            raise SourceNotFound(f"{path}: no such file or directory")
    return sources


def _directory_sources(directory: Path) -> Iterator[Source]:
    """Yield the seed files below ``directory``, keyed by their relative path, in a stable order."""
    for path in sorted(directory.rglob("*")):
        if path.suffix.lower() == SEED_SUFFIX and not path.is_dir():
            yield file_source(path, path.relative_to(directory).as_posix())


def rejected_source(name: str, reason: str) -> Source:
    """Describe an input that will be reported as failed with ``reason``, without being read."""

    def refuse(limit: int) -> bytes:
        raise SourceRejected(reason)

    return Source(path=name, key=normalize_key(name), read=refuse)


def upload_sources(uploads: Iterable[tuple[str, bytes]], *, max_bytes: int, max_files: int = 10_000) -> list[Source]:
    """Turn uploaded files (seed ``.txt`` files or ``.zip`` archives of them) into sources.

    Nothing is written to disk: members are read into memory, each capped at
    ``max_bytes`` before it is decompressed, and a member whose path is absolute
    or climbs out of the archive (``..``) is refused, never followed.
    """
    sources: list[Source] = []
    for name, data in uploads:
        base = PurePosixPath(name.replace("\\", "/")).name or "upload"
        if base.lower().endswith(".zip"):
            sources.extend(_zip_sources(base, data, max_bytes=max_bytes, max_files=max_files - len(sources)))
        elif base.lower().endswith(SEED_SUFFIX):
            sources.append(bytes_source(data, key=base))
        else:
            sources.append(rejected_source(base, "not a seed file: upload .txt files or a .zip of them"))
    return sources


def _zip_sources(name: str, data: bytes, *, max_bytes: int, max_files: int) -> list[Source]:
    """Read the ``.txt`` members of an uploaded zip archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        return [rejected_source(name, f"not a valid zip archive: {exc}")]
    if len(members) > max_files:
        return [rejected_source(name, f"too many files in the archive: {len(members)}, the limit is {max_files}")]
    return [_zip_member_source(archive, name, member, max_bytes) for member in members]


def _zip_member_source(archive: zipfile.ZipFile, name: str, member: zipfile.ZipInfo, max_bytes: int) -> Source:
    path = PurePosixPath(member.filename.replace("\\", "/"))
    label = f"{name}:{member.filename}"
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return rejected_source(label, "unsafe path inside the archive")
    if path.suffix.lower() != SEED_SUFFIX:
        return rejected_source(label, "not a seed file: only .txt members are imported")
    if member.file_size > max_bytes:
        return rejected_source(label, f"file too large: {member.file_size:,} bytes, the limit is {max_bytes:,} bytes")

    def read(limit: int) -> bytes:
        try:
            with archive.open(member) as handle:
                return handle.read(min(limit, max_bytes) + 1)  # never more than the limit, whatever the header claimed
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise SourceRejected(f"cannot read from the archive: {exc}") from exc

    return Source(path=label, key=normalize_key(path.as_posix()), read=read)


# --- Running an import -------------------------------------------------------------


def import_paths(
    *,
    paths: Sequence[Path | str],
    dry_run: bool = False,
    trigger: str = ImportRun.Trigger.COMMAND,
    user=None,
    max_bytes: int | None = None,
    on_outcome: Callable[[FileOutcome], None] | None = None,
) -> ImportReport:
    """Import every seed file found under ``paths``."""
    sources = collect_sources(paths)
    return import_sources(
        sources=sources,
        paths=[str(p) for p in paths],
        dry_run=dry_run,
        trigger=trigger,
        user=user,
        max_bytes=max_bytes,
        on_outcome=on_outcome,
    )


def import_file(*, path: Path | str, source_key: str | None = None, dry_run: bool = False) -> FileOutcome:
    """Import one seed file and return what happened to it."""
    path = Path(path)
    source = file_source(path, source_key or path.name)
    report = import_sources(sources=[source], paths=[str(path)], dry_run=dry_run)
    return report.outcomes[0]


def import_sources(
    *,
    sources: Sequence[Source],
    paths: Sequence[str] = (),
    dry_run: bool = False,
    trigger: str = ImportRun.Trigger.COMMAND,
    user=None,
    max_bytes: int | None = None,
    on_outcome: Callable[[FileOutcome], None] | None = None,
    replace_existing: bool = True,
) -> ImportReport:
    """Import ``sources`` in batches; a dry run does all the work and rolls it back.

    With ``replace_existing`` off, a source whose key an article already has but
    whose text differs fails instead of updating that article: for uploads, where
    two unrelated files may well share a name such as ``story.txt``.
    """
    importer = _Importer(max_bytes=max_bytes or settings.ARCHIVE_MAX_SEED_BYTES, on_outcome=on_outcome)
    importer.replace_existing = replace_existing
    if dry_run:
        with transaction.atomic():
            report = importer.run(sources, _start_run(paths, trigger, user, dry_run=True))
            transaction.set_rollback(True)
        report.run_id = None
        rolled_back = {o.article_id for o in report.outcomes if o.result == Result.CREATED}
        for outcome in report.outcomes:
            if outcome.article_id in rolled_back:  # there is no such article to point at
                outcome.article_id = None
        return report
    return importer.run(sources, _start_run(paths, trigger, user, dry_run=False))


def _start_run(paths: Sequence[str], trigger: str, user, *, dry_run: bool) -> ImportRun:
    return ImportRun.objects.create(paths=list(paths), trigger=trigger, user=user, dry_run=dry_run)


@dataclass
class _Parsed:
    """A source with its parse result or its error."""

    source: Source
    record: parsing.ParsedArticle | None = None
    error: str = ""


class _Importer:
    """Carries the per-run caches; one instance imports one run."""

    def __init__(self, *, max_bytes: int, on_outcome: Callable[[FileOutcome], None] | None) -> None:
        self.max_bytes = max_bytes
        self.on_outcome = on_outcome
        self.authors: dict[str, Author] = {}
        self.publishers: dict[str, Publisher] = {}
        self.by_key: dict[str, Article] = {}
        self.by_sha: dict[str, int] = {}
        self.import_run: ImportRun | None = None
        self.replace_existing = True
        self.now = timezone.now()

    def run(self, sources: Sequence[Source], run: ImportRun) -> ImportReport:
        self.import_run = run
        report = ImportReport(run_id=run.pk, dry_run=run.dry_run)
        for start in range(0, len(sources), BATCH_SIZE):
            batch = [self._parse(source) for source in sources[start : start + BATCH_SIZE]]
            outcomes = self._import_batch(batch)
            report.outcomes.extend(outcomes)
            self._record(outcomes)
        self._finish(report)
        return report

    # -- parsing, outside any transaction

    def _parse(self, source: Source) -> _Parsed:
        try:
            data = source.read(self.max_bytes)
        except OSError as exc:
            return _Parsed(source, error=f"cannot read file: {exc.strerror or exc}")
        except SourceRejected as exc:
            return _Parsed(source, error=str(exc))
        try:
            return _Parsed(source, record=parsing.parse(data, max_bytes=self.max_bytes))
        except parsing.ParseError as exc:
            return _Parsed(source, error=exc.reason)

    # -- writing, one savepoint per file inside one transaction per batch

    def _import_batch(self, batch: list[_Parsed]) -> list[FileOutcome]:
        """Bulk-create the batch's plainly new articles in one savepoint, the rest one by one.

        If the bulk savepoint fails for any reason it leaves nothing behind, and
        its files are imported one by one instead, so a bad file fails alone.
        """
        with transaction.atomic():
            # The batch's articles go into the search index once it commits.
            search_index.schedule_sync()
            self._prefetch(batch)
            fresh = self._fresh(batch)
            outcomes: dict[int, FileOutcome] = {}
            if fresh and self._bulk_create([batch[i] for i in fresh]):
                outcomes.update((i, self._created_outcome(batch[i])) for i in fresh)
            for i, item in enumerate(batch):
                if i not in outcomes:
                    outcomes[i] = self._import_one(item)
            return [outcomes[i] for i in range(len(batch))]

    def _fresh(self, batch: list[_Parsed]) -> list[int]:
        """Return the indexes of parsed items whose key and text are new to the archive and the batch."""
        keys, shas, fresh = set(self.by_key), set(self.by_sha), []
        for i, item in enumerate(batch):
            record = item.record
            if record is None or item.source.key in keys or record.sha256 in shas:
                continue
            keys.add(item.source.key)
            shas.add(record.sha256)
            fresh.append(i)
        return fresh

    def _bulk_create(self, items: list[_Parsed]) -> bool:
        """Create the articles of ``items`` with a constant number of queries; False if that failed."""
        pending = _Pending()
        try:
            with transaction.atomic():
                self._bulk_create_people(items, pending)
                articles = [self._new_article(item.source, item.record, pending) for item in items]
                bulk_create_with_history(articles, Article, default_change_reason=self._reason("created"))
                bylines = [
                    ArticleAuthor(article=article, author=author, position=position)
                    for article, item in zip(articles, items, strict=True)
                    for position, author in enumerate(self._authors(item.record, pending))
                ]
                bulk_create_with_history(bylines, ArticleAuthor, default_change_reason=self._reason("created"))
        except Exception:  # any failure: fall back to one savepoint per file
            logger.info("Bulk import of %d files failed; importing them one by one", len(items), exc_info=True)
            return False
        pending.articles = articles
        self._commit_pending(pending)
        return True

    def _bulk_create_people(self, items: list[_Parsed], pending: _Pending) -> None:
        """Create the publishers and authors the batch needs that do not exist yet."""
        publishers: dict[str, Publisher] = {}
        authors: dict[str, Author] = {}
        for record in (item.record for item in items):
            slug = name_slug(record.copyright_holder) if record.copyright_holder else ""
            if slug and slug not in self.publishers:
                publishers.setdefault(slug, Publisher(slug=slug, name=record.copyright_holder))
            for name in record.author_names:
                if name_slug(name) not in self.authors:
                    authors.setdefault(name_slug(name), _new_author(name, record))
        reason = self._reason("created")
        bulk_create_with_history(list(publishers.values()), Publisher, default_change_reason=reason)
        bulk_create_with_history(list(authors.values()), Author, default_change_reason=reason)
        pending.publishers.update(publishers)
        pending.authors.update(authors)

    def _created_outcome(self, item: _Parsed) -> FileOutcome:
        article = self.by_key[item.source.key]
        return self._outcome(item.source, Result.CREATED, article_id=article.pk, warnings=item.record.warnings)

    def _reason(self, verb: str) -> str:
        return f"{verb} by import run #{self.import_run.pk}"

    def _import_one(self, item: _Parsed) -> FileOutcome:
        if item.record is None:
            return self._outcome(item.source, Result.FAILED, error=item.error)
        pending = _Pending()
        try:
            with transaction.atomic():
                outcome = self._apply(item.source, item.record, pending)
        except IntegrityError as exc:
            # Another import committed the same key or text since the batch was looked up.
            return self._after_race(item) or self._outcome(item.source, Result.FAILED, error=f"database error: {exc}")
        except DatabaseError as exc:
            return self._outcome(item.source, Result.FAILED, error=f"database error: {exc}".strip())
        except Exception as exc:  # one bad file must never stop the others
            logger.exception("Importing %s failed", item.source.path)
            return self._outcome(item.source, Result.FAILED, error=f"internal error: {exc!r}")
        self._commit_pending(pending)
        return outcome

    def _after_race(self, item: _Parsed) -> FileOutcome | None:
        """Return what a concurrent import already did with this file's key or text, if anything."""
        record, key = item.record, item.source.key
        existing = Article.objects.filter(source_key=key).only("id", "content_sha256").first()
        if existing is not None and existing.content_sha256 == record.sha256:
            return self._outcome(item.source, Result.UNCHANGED, article_id=existing.pk, warnings=record.warnings)
        owner = Article.objects.filter(content_sha256=record.sha256).values_list("pk", flat=True).first()
        if owner is not None:
            return self._outcome(item.source, Result.DUPLICATE, article_id=owner, warnings=record.warnings)
        return None

    def _prefetch(self, batch: list[_Parsed]) -> None:
        """Load, in a constant number of queries, everything this batch may touch."""
        records = [item.record for item in batch if item.record is not None]
        keys = {item.source.key for item in batch} - self.by_key.keys()
        shas = {record.sha256 for record in records} - self.by_sha.keys()
        for article in Article.objects.filter(source_key__in=keys).only(*_ARTICLE_PREFETCH_FIELDS):
            self.by_key[article.source_key] = article
        self.by_sha.update(Article.objects.filter(content_sha256__in=shas).values_list("content_sha256", "pk"))
        author_slugs = {name_slug(name) for record in records for name in record.author_names} - self.authors.keys()
        self.authors.update((a.slug, a) for a in Author.objects.filter(slug__in=author_slugs))
        # A name merged into another author is an alias: it credits the survivor, never a new duplicate.
        self.authors.update(merging.author_alias_map(author_slugs - self.authors.keys()))
        publisher_slugs = {
            name_slug(r.copyright_holder) for r in records if r.copyright_holder
        } - self.publishers.keys()
        self.publishers.update((p.slug, p) for p in Publisher.objects.filter(slug__in=publisher_slugs))
        self.publishers.update(merging.publisher_alias_map(publisher_slugs - self.publishers.keys()))

    def _apply(self, source: Source, record: parsing.ParsedArticle, pending: _Pending) -> FileOutcome:
        existing = self.by_key.get(source.key)
        owner = self.by_sha.get(record.sha256)
        if existing is not None and existing.content_sha256 == record.sha256:
            return self._outcome(source, Result.UNCHANGED, article_id=existing.pk, warnings=record.warnings)
        if owner is not None:
            return self._outcome(source, Result.DUPLICATE, article_id=owner, warnings=record.warnings)
        if existing is not None and not self.replace_existing:
            error = f"article #{existing.pk} already comes from a different file named {source.key!r}; not replaced"
            return self._outcome(source, Result.FAILED, error=error, article_id=existing.pk)
        if existing is None:
            article = self._create(source, record, pending)
            return self._outcome(source, Result.CREATED, article_id=article.pk, warnings=record.warnings)
        self._update(existing, source, record, pending)
        return self._outcome(source, Result.UPDATED, article_id=existing.pk, warnings=record.warnings)

    def _create(self, source: Source, record: parsing.ParsedArticle, pending: _Pending) -> Article:
        article = self._new_article(source, record, pending)
        article._change_reason = self._reason("created")
        article.save()
        self._set_byline(article, self._authors(record, pending))
        pending.articles.append(article)
        return article

    def _new_article(self, source: Source, record: parsing.ParsedArticle, pending: _Pending) -> Article:
        """Build, unsaved, the article a new source becomes."""
        clean = not record.warnings
        article = Article(
            slug=_article_slug(record),
            status=Article.Status.PUBLISHED if clean else Article.Status.DRAFT,
            published_at=self.now if clean else None,
            needs_review=not clean,
            review_reasons=list(record.warnings),
            source_key=source.key,
            publisher=self._publisher(record, pending),
            **{name: getattr(record, name) for name in CURATED_FIELDS},
        )
        self._set_provenance(article, record)
        return article

    def _update(self, article: Article, source: Source, record: parsing.ParsedArticle, pending: _Pending) -> None:
        """Apply a changed source, keeping the previous text and any editor's corrections."""
        article = Article.objects.select_for_update().get(pk=article.pk)
        SourceRevision.objects.create(
            article=article,
            content_sha256=article.content_sha256,
            raw_text=article.raw_text,
            source_encoding=article.source_encoding,
            import_run=article.import_run,
        )
        conflicts = self._merge_fields(article, record)
        self._merge_relations(article, record, pending, conflicts)
        reasons = list(record.warnings) + [f"editor's {name} kept; the new import differs" for name in conflicts]
        if article.status == Article.Status.DRAFT and article.needs_review and not reasons:
            article.status, article.published_at = Article.Status.PUBLISHED, article.published_at or self.now
        article.needs_review = bool(reasons)
        article.review_reasons = reasons
        article.import_conflicts = conflicts
        self._set_provenance(article, record)
        article._change_reason = self._reason("updated")
        article.save()
        pending.articles.append(article)

    def _merge_fields(self, article: Article, record: parsing.ParsedArticle) -> dict[str, dict]:
        """Take each newly parsed value unless an editor changed that field since the last import.

        An editor's correction of a field the source did not change stands quietly;
        only when both changed is it a conflict, kept for review with both values.
        """
        previous = article.parsed or {}
        conflicts: dict[str, dict] = {}
        for name in CURATED_FIELDS:
            current, new = getattr(article, name), getattr(record, name)
            if current == new or not _edited(article, name, current):
                setattr(article, name, new)
            elif _source_changed(previous, name, new):
                conflicts[name] = {"editor": current, "parsed": new}
        return conflicts

    def _merge_relations(self, article: Article, record, pending: _Pending, conflicts: dict) -> None:
        """Replace publisher and byline from the new parse unless an editor changed them."""
        previous = article.parsed or {}
        publisher = self._publisher(record, pending)
        parsed_before = name_slug(previous["copyright_holder"]) if previous.get("copyright_holder") else ""
        parsed_now = name_slug(record.copyright_holder) if record.copyright_holder else ""
        current = article.publisher.slug if article.publisher_id else ""
        if current != (publisher.slug if publisher else ""):
            if current == parsed_before or (
                parsed_before
                and [current] == self._canonical([parsed_before], self.publishers, merging.resolve_publisher_slugs)
            ):
                article.publisher = publisher
            elif parsed_before != parsed_now:
                editor = article.publisher.name if article.publisher_id else ""
                conflicts["publisher"] = {"editor": editor, "parsed": record.copyright_holder}
        byline = list(article.bylines.order_by("position").values_list("author__slug", "author__name"))
        current_slugs = [slug for slug, _ in byline]
        new_authors = self._authors(record, pending)
        if current_slugs == [a.slug for a in new_authors]:
            return
        authors_before = [name_slug(name) for name in previous.get("author_names", [])]
        if current_slugs == authors_before or current_slugs == self._canonical(
            authors_before, self.authors, merging.resolve_author_slugs
        ):
            article.bylines.all().delete()
            self._set_byline(article, new_authors)
        elif authors_before != [name_slug(name) for name in record.author_names]:
            conflicts["authors"] = {"editor": [name for _, name in byline], "parsed": list(record.author_names)}

    def _canonical(self, slugs: list[str], cache: dict, resolve: Callable[[list[str]], dict]) -> list[str]:
        """Return ``slugs`` as they are now, an alias replaced by the slug of the row it was merged into.

        A merge must not read as an editor's change. Costs a query only for slugs not cached yet.
        """
        missing = [slug for slug in slugs if slug not in cache]
        if missing:
            cache.update(resolve(missing))
        return list(dict.fromkeys(cache[slug].slug if slug in cache else slug for slug in slugs))

    def _set_provenance(self, article: Article, record: parsing.ParsedArticle) -> None:
        article.content_sha256 = record.sha256
        article.raw_text = record.raw_text
        article.source_encoding = record.encoding
        article.word_count = len(article.body.split())
        article.parsed = parsed_snapshot(record)
        article.import_run = self.import_run

    def _set_byline(self, article: Article, authors: list[Author]) -> None:
        bylines = [ArticleAuthor(article=article, author=author, position=i) for i, author in enumerate(authors)]
        if bylines:
            bulk_create_with_history(bylines, ArticleAuthor, default_change_reason="import")

    def _authors(self, record: parsing.ParsedArticle, pending: _Pending) -> list[Author]:
        authors: list[Author] = []
        for name in dict.fromkeys(record.author_names):
            author = self._author(name, record, pending)
            if author not in authors:
                authors.append(author)
        return authors

    def _author(self, name: str, record: parsing.ParsedArticle, pending: _Pending) -> Author:
        slug = name_slug(name)
        author = self.authors.get(slug) or pending.authors.get(slug)
        if author is None:
            new = _new_author(name, record)
            defaults = {"name": new.name, "bio": new.bio, "social_handle": new.social_handle}
            author, _ = Author.objects.get_or_create(slug=slug, defaults=defaults)
            pending.authors[slug] = author
        return author

    def _publisher(self, record: parsing.ParsedArticle, pending: _Pending) -> Publisher | None:
        if not record.copyright_holder:
            return None
        slug = name_slug(record.copyright_holder)
        publisher = self.publishers.get(slug) or pending.publishers.get(slug)
        if publisher is None:
            publisher, _ = Publisher.objects.get_or_create(slug=slug, defaults={"name": record.copyright_holder})
            pending.publishers[slug] = publisher
        return publisher

    def _commit_pending(self, pending: _Pending) -> None:
        """Remember what a file's savepoint created, now that it is known to have held."""
        self.authors.update(pending.authors)
        self.publishers.update(pending.publishers)
        for article in pending.articles:
            self.by_key[article.source_key] = article
            self.by_sha[article.content_sha256] = article.pk

    # -- reporting

    def _outcome(self, source: Source, result: str, **kwargs) -> FileOutcome:
        outcome = FileOutcome(path=source.path, source_key=source.key, result=result, **kwargs)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def _record(self, outcomes: list[FileOutcome]) -> None:
        ImportOutcome.objects.bulk_create(
            ImportOutcome(
                run=self.import_run,
                path=o.path[:1000],
                source_key=o.source_key[:1000],
                result=o.result,
                error=o.error,
                article_id=o.article_id,
            )
            for o in outcomes
        )

    def _finish(self, report: ImportReport) -> None:
        counts = report.counts
        ImportRun.objects.filter(pk=self.import_run.pk).update(finished_at=timezone.now(), **counts)
        if counts["created"] >= ANALYZE_AFTER and connection.vendor == "postgresql" and not report.dry_run:
            # Fresh statistics let the planner use the article indexes at once,
            # rather than a full scan until autovacuum gets round to the table.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE articles_article")


@transaction.atomic
def reparse_article(*, article: Article) -> Article:
    """Parse the article's stored source again with the current parser and apply every field.

    An explicit editor's action: the parsed values replace the current ones
    (the previous values stay in the article's history) and conflicts are cleared.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    record = parsing.parse_text(article.raw_text, encoding=article.source_encoding)
    importer = _Importer(max_bytes=settings.ARCHIVE_MAX_SEED_BYTES, on_outcome=None)
    importer.import_run = article.import_run
    stored = Source(path=article.source_key, key=article.source_key, read=lambda limit: b"")
    importer._prefetch([_Parsed(stored, record)])
    pending = _Pending()
    for name in CURATED_FIELDS:
        setattr(article, name, getattr(record, name))
    article.publisher = importer._publisher(record, pending)
    article.review_reasons = list(record.warnings)
    article.needs_review = bool(record.warnings)
    article.import_conflicts = {}
    importer._set_provenance(article, record)
    article._change_reason = "re-parsed from the stored source"
    article.save()
    authors = importer._authors(record, pending)
    if list(article.bylines.order_by("position").values_list("author_id", flat=True)) != [a.pk for a in authors]:
        article.bylines.all().delete()
        importer._set_byline(article, authors)
    return article


@dataclass
class _Pending:
    """Rows a file's savepoint created; cached for later files only if the savepoint holds."""

    authors: dict[str, Author] = field(default_factory=dict)
    publishers: dict[str, Publisher] = field(default_factory=dict)
    articles: list[Article] = field(default_factory=list)


_ARTICLE_PREFETCH_FIELDS = ("id", "source_key", "content_sha256")


def _new_author(name: str, record: parsing.ParsedArticle) -> Author:
    """Build, unsaved, an author first seen in ``record``; a shared byline's bio belongs to no one author."""
    solo = len(record.author_names) == 1
    return Author(
        slug=name_slug(name),
        name=name,
        bio=record.author_bio if solo else "",
        social_handle=record.author_handle if solo else "",
    )


def parsed_snapshot(record: parsing.ParsedArticle) -> dict:
    """Return what the parser found, as stored to tell later which fields an editor changed."""
    snapshot = {name: getattr(record, name) for name in CURATED_FIELDS if name != "body"}
    snapshot["body_sha256"] = _digest(record.body)
    snapshot["copyright_holder"] = record.copyright_holder
    snapshot["author_names"] = list(record.author_names)
    snapshot["warnings"] = list(record.warnings)
    return snapshot


def _edited(article: Article, name: str, current) -> bool:
    """Tell whether an editor changed ``name`` since the last import parsed it."""
    previous = article.parsed or {}
    if name == "body":
        return previous.get("body_sha256") not in (None, _digest(current))
    return name in previous and previous[name] != current


def _source_changed(previous: dict, name: str, new) -> bool:
    """Tell whether the source now parses ``name`` differently from the last import."""
    if name == "body":
        return previous.get("body_sha256") != _digest(new)
    return name not in previous or previous[name] != new


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def name_slug(name: str) -> str:
    """Return the slug that identifies an author or publisher name."""
    return slugify(name)[:255] or _digest(name)[:16]


def _article_slug(record: parsing.ParsedArticle) -> str:
    """Return a readable slug that stays unique because it ends with the content hash."""
    return f"{slugify(record.title)[:200].rstrip('-') or 'article'}-{record.sha256[:10]}"


def iter_outcome_lines(report: ImportReport) -> Iterable[str]:
    """Yield one human-readable line per file."""
    for o in report.outcomes:
        detail = f": {o.error}" if o.error else (f" ({', '.join(o.warnings)})" if o.warnings else "")
        yield f"{o.result:<9} {o.path}{detail}"
