"""Parsing sources into records, and the rules that compare a record with what an article holds.

Pure: no database (a model is read for a field's limit only). ``articles.parsing`` does the parsing
itself; this module reads a source within its limits and turns read or parse errors into a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from articles import boilerplate, duplicates, parsing
from articles.importing.sources import Source, SourceRejected
from articles.models import Article
from articles.naming import article_slug, digest

# The longest source key an article stores (its column's length, the same on every database).
# The column is a CharField: its max_length is set.
SOURCE_KEY_MAX: int = Article._meta.get_field("source_key").max_length or 0
# Fields an editor may correct; a re-import never silently overwrites a correction.
CURATED_FIELDS = (
    "title",
    "subtitle",
    "body",
    "image_credit",
    "copyright_year",
    "original_published_at",
    "original_updated_at",
    "language",
)
# Curated fields the record holds as ISO 8601 text (JSON-ready) and the article as aware datetimes.
DATE_FIELDS = frozenset({"original_published_at", "original_updated_at"})
# What the parser found, as stored on the article (``parsed_snapshot``).
Snapshot = dict[str, Any]
# A parse worker's answer (picklable): ``(None, reason)`` for a source that is no article, else
# (record, "", snapshot, slug, word count, boilerplate keys applied, candidate lines, fingerprint).
WorkerResult = (
    tuple[None, str]
    | tuple[parsing.ParsedArticle, str, Snapshot, str, int, frozenset[str], dict[str, str], duplicates.Fingerprint]
)


@dataclass
class Parsed:
    """A source with its parse result or the reason it cannot be imported.

    ``snapshot``, ``slug`` and ``word_count`` are derived from the record when it is parsed, off the
    writing thread (see ``runs.parsed_batches``); ``site_keys`` are the publisher's boilerplate
    lines the record was parsed without and ``candidates`` its lines the importer counts to learn
    more (see ``articles.boilerplate``), both found by the parse worker too, as is ``fingerprint``,
    the body's near-duplicate fingerprint (``articles.duplicates``).
    """

    source: Source
    record: parsing.ParsedArticle | None = None
    error: str = ""
    snapshot: Snapshot | None = None
    slug: str = ""
    word_count: int = 0
    site_keys: frozenset[str] = frozenset()
    candidates: dict[str, str] | None = None
    fingerprint: duplicates.Fingerprint | None = None

    @property
    def parsed_record(self) -> parsing.ParsedArticle:
        """Return the record of a source that parsed (asked only of those: a failed one has none)."""
        if self.record is None:
            raise ValueError(f"{self.source.path} did not parse: {self.error}")
        return self.record

    def __post_init__(self) -> None:
        if self.record is not None and self.snapshot is None:
            self.snapshot = parsed_snapshot(self.record)
            self.slug = article_slug(self.record.title, self.record.sha256)
            self.word_count = len(self.record.body.split())
        if self.record is not None and self.fingerprint is None:
            self.fingerprint = duplicates.fingerprint(self.record.body)


def parse_source(source: Source, *, max_bytes: int) -> Parsed:
    """Read ``source`` within ``max_bytes`` and parse it; never raises for a bad file."""
    return parsed_from(source, parse_data(read_source(source, max_bytes=max_bytes), max_bytes=max_bytes))


def read_source(source: Source, *, max_bytes: int) -> bytes | str:
    """Return the source's bytes, or the reason they cannot be read (or would not be stored: a key too long)."""
    if len(source.key) > SOURCE_KEY_MAX:
        return (
            f"source key too long: {len(source.key):,} characters, the limit is {SOURCE_KEY_MAX:,} "
            "(the key is the file's path relative to the directory imported)"
        )
    try:
        return source.read(max_bytes)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    except SourceRejected as exc:
        return str(exc)


def parse_data(
    data: bytes | str, *, max_bytes: int, site_boilerplate: Mapping[str, frozenset[str]] | None = None
) -> WorkerResult:
    """Parse a source's bytes (a str is a read error, passed on) into what ``parsed_from`` takes; picklable.

    ``site_boilerplate``: publisher slug -> boilerplate lines to parse its sources without.
    """
    if isinstance(data, str):
        return (None, data)
    try:
        record, keys = boilerplate.parse_for_worker(data, max_bytes=max_bytes, lines=site_boilerplate or {})
    except parsing.ParseError as exc:
        return (None, exc.reason)
    slug = article_slug(record.title, record.sha256)
    return (
        record,
        "",
        parsed_snapshot(record),
        slug,
        len(record.body.split()),
        keys,
        boilerplate.candidate_lines(record),
        duplicates.fingerprint(record.body),
    )


def parse_many(
    datas: list[bytes | str | Source], max_bytes: int, site_boilerplate: Mapping[str, frozenset[str]] | None = None
) -> list[WorkerResult]:
    """Parse a batch's bytes, reading those given as a file ``Source`` first (in a worker process: no database)."""
    return [
        parse_data(
            read_source(data, max_bytes=max_bytes) if isinstance(data, Source) else data,
            max_bytes=max_bytes,
            site_boilerplate=site_boilerplate,
        )
        for data in datas
    ]


def parsed_from(source: Source, result: WorkerResult) -> Parsed:
    """Return the ``Parsed`` for ``source`` from ``parse_data``'s result."""
    if len(result) == 2:
        return Parsed(source, error=result[1])
    record, _, snapshot, slug, word_count, keys, candidates, fingerprint = result
    return Parsed(
        source,
        record=record,
        snapshot=snapshot,
        slug=slug,
        word_count=word_count,
        site_keys=keys,
        candidates=candidates,
        fingerprint=fingerprint,
    )


def parsed_snapshot(record: parsing.ParsedArticle) -> Snapshot:
    """Return what the parser found, as stored to tell later which fields an editor changed."""
    snapshot = {name: getattr(record, name) for name in CURATED_FIELDS if name != "body"}
    snapshot["body_sha256"] = digest(record.body)
    snapshot["copyright_holder"] = record.copyright_holder
    snapshot["author_names"] = list(record.author_names)
    snapshot["warnings"] = list(record.warnings)
    # An end-of-story correction or editor's note: it stays in the body, and is recorded here as one.
    snapshot["correction"] = record.correction
    return snapshot


def record_value(record: parsing.ParsedArticle, name: str) -> Any:
    """Return the record's value of curated field ``name`` as the article stores it (a date as a datetime)."""
    value = getattr(record, name)
    return dt.datetime.fromisoformat(value) if name in DATE_FIELDS and value else value


def snapshot_value(name: str, value: Any) -> Any:
    """Return an article's value of curated field ``name`` as the snapshot stores it (a date as ISO 8601 UTC)."""
    return value.astimezone(dt.UTC).isoformat() if name in DATE_FIELDS and value else value


def edited(previous: Snapshot, name: str, current: Any) -> bool:
    """Tell whether an editor changed field ``name`` to ``current`` since the import that parsed ``previous``."""
    if name == "body":
        return previous.get("body_sha256") not in (None, digest(current))
    return name in previous and previous[name] != snapshot_value(name, current)


def source_changed(previous: Snapshot, name: str, new: Any) -> bool:
    """Tell whether the source now parses ``name`` as ``new``, differently from the import that parsed ``previous``."""
    if name == "body":
        return previous.get("body_sha256") != digest(new)
    return name not in previous or previous[name] != snapshot_value(name, new)
