"""Bulk export: every matching article, streamed as NDJSON or CSV in constant memory.

The one exporter: the API's ``export.ndjson`` / ``export.csv`` and the admin's
*Export as CSV* action both stream ``ArticleExportSerializer``'s representation
through here. NDJSON carries the values exactly. CSV flattens nested objects into
one column per sub-field, joins lists with ``"; "``, writes booleans as
``true``/``false`` and null as an empty cell, and defuses spreadsheet formulas: a
text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading ``'`` (OWASP's rule for CSV injection), so a spreadsheet shows it
rather than runs it. Take NDJSON for the exact text.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace

import orjson
from django.db import transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from articles.api.compiled import compile_representation
from articles.api.querysets import BYLINES_ATTR
from articles.models import Article, ArticleAuthor

# Articles per database round trip; each chunk's bylines come in one more query.
EXPORT_CHUNK_SIZE = 2000
# Bytes gathered before a piece of the response goes out: a few large writes to the
# WSGI server rather than one per line.
FLUSH_BYTES = 256 * 1024
# orjson writes what DRF's encoder writes for plain JSON values, several times faster;
# anything else (datetimes, whose format DRF chooses, decimals, str subclasses) goes to
# DRF's encoder, so the values are the ones the API shows.
ORJSON_OPTIONS = (
    orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
LIST_SEPARATOR = "; "
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What an article shows of its publisher (PublisherSummarySerializer).
PUBLISHER_COLUMNS = ("id", "name", "slug")
NDJSON_TYPE = "application/x-ndjson"
CSV_TYPE = "text/csv"


def export_rows(articles: QuerySet[Article], serializer: serializers.Serializer) -> Iterator[dict]:
    """Yield each article's representation, reading plain rows in chunks through a server-side cursor.

    No model instance is built: each chunk of rows comes from ``values()``, its
    bylines from one more query, and the serializer (compiled once) reads them
    as light records with the attributes it would read on an article.
    """
    represent = compile_representation(serializer)
    fields = set(serializer.fields)
    if not isinstance(articles, QuerySet):  # a search: the index orders the matches, read a chunk at a time
        yield from search_export_rows(articles, represent, fields)
        return
    columns = article_columns(articles, fields)
    # In a transaction, PostgreSQL's server-side cursor streams rows as they are read; outside one
    # it is declared WITH HOLD and the server materializes the whole result first. The export
    # also reads one consistent snapshot.
    with transaction.atomic(using=articles.db):
        rows = articles.prefetch_related(None).values(*columns).iterator(chunk_size=EXPORT_CHUNK_SIZE)
        while chunk := list(itertools.islice(rows, EXPORT_CHUNK_SIZE)):
            bylines = chunk_bylines([row["id"] for row in chunk]) if "authors" in fields else {}
            for row in chunk:
                yield represent(article_record(row, bylines))


def search_export_rows(results: Iterable[Article], represent, fields: set[str]) -> Iterator[dict]:
    """Yield the representation of each match of a search, with ``rank`` and ``snippet``, bylines per chunk."""
    matches = iter(results.iterator(chunk_size=EXPORT_CHUNK_SIZE))  # type: ignore[attr-defined]
    while chunk := list(itertools.islice(matches, EXPORT_CHUNK_SIZE)):
        bylines = chunk_bylines([article.pk for article in chunk]) if "authors" in fields else {}
        for article in chunk:
            setattr(article, BYLINES_ATTR, bylines.get(article.pk, []))
            yield represent(article)


def article_columns(articles: QuerySet[Article], fields: set[str]) -> list[str]:
    """Return the ``values()`` columns the export reads: the article's light columns, its publisher, annotations."""
    heavy = {"raw_text", "parsed", "import_conflicts"} | ({"body"} if not fields & {"body", "excerpt"} else set())
    own = [f.attname for f in Article._meta.concrete_fields if f.attname not in heavy]
    publisher = [f"publisher__{name}" for name in PUBLISHER_COLUMNS] if "publisher" in fields else []
    return [*own, *publisher, *articles.query.annotation_select]


def chunk_bylines(article_ids: list[int]) -> dict[int, list[SimpleNamespace]]:
    """Return the bylines of the given articles, in byline order, as records: one query for the chunk."""
    bylines = (
        ArticleAuthor.objects.filter(article_id__in=article_ids)
        .order_by("article_id", "position", "id")
        .values_list("article_id", "author_id", "author__name", "author__slug")
    )
    by_article: dict[int, list[SimpleNamespace]] = {}
    for article_id, author_id, name, slug in bylines:
        # One record is both the byline and its author (the byline serializer reads
        # ``author_id`` and ``author.name``): half the objects per exported byline.
        byline = SimpleNamespace(author_id=author_id, pk=author_id, id=author_id, name=name, slug=slug)
        byline.author = byline
        by_article.setdefault(article_id, []).append(byline)
    return by_article


def article_record(row: dict, bylines: dict[int, list[SimpleNamespace]]) -> SimpleNamespace:
    """Return one exported row as a record with the attributes the article serializers read."""
    record = SimpleNamespace(**row)
    record.pk = row["id"]
    setattr(record, BYLINES_ATTR, bylines.get(row["id"], []))
    run = row["import_run_id"]
    record.import_run = SimpleNamespace(pk=run) if run is not None else None
    if "publisher__id" in row:
        publisher = row["publisher_id"]
        record.publisher = (
            SimpleNamespace(pk=publisher, **{name: row[f"publisher__{name}"] for name in PUBLISHER_COLUMNS})
            if publisher is not None
            else None
        )
    return record


def ndjson_lines(rows: Iterable[dict]) -> Iterator[bytes]:
    """Yield each row as one line of compact JSON."""
    dumps, default = orjson.dumps, JSONEncoder(ensure_ascii=False).default
    for row in rows:
        yield dumps(row, default=default, option=ORJSON_OPTIONS)


def csv_columns(serializer: serializers.Serializer) -> list[tuple[str, ...]]:
    """Return the CSV columns of ``serializer``'s fields as paths: nested objects flattened, one column per field."""
    columns: list[tuple[str, ...]] = []
    for name, field in serializer.fields.items():
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.Serializer):
            columns += [(name, sub) for sub in nested.fields]
        else:
            columns.append((name,))
    return columns


def csv_cell(value) -> str:
    """Return a representation value as one CSV cell: lists joined with "; ", nothing for null, formulas defused."""
    if type(value) is str:
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return defused(LIST_SEPARATOR.join(csv_cell(item) for item in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, cls=JSONEncoder, ensure_ascii=False)
    return defused(str(value))


def defused(text: str) -> str:
    """Return ``text`` with a leading ``'`` if a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell_reader(path: tuple[str, ...]) -> Callable[[dict], str]:
    """Return the function giving a column's cell of a row: a field, a nested object's sub-field, or each item's."""
    name = path[0]
    if len(path) == 1:
        return lambda row: csv_cell(row.get(name))
    sub = path[1]

    def read(row: dict) -> str:
        value = row.get(name)
        if isinstance(value, list):
            return csv_cell([item.get(sub) for item in value])
        return csv_cell(value.get(sub) if value else None)

    return read


def quoted(cell: str) -> str:
    """Return ``cell`` as the csv module's default dialect writes a field of a row of two or more."""
    # The csv writer walks every character of a ~3 KB body in Python's generic string
    # loop (~55 us a row); these checks and the replace are C string searches.
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def csv_lines(rows: Iterable[dict], columns: list[tuple[str, ...]]) -> Iterator[bytes]:
    """Yield a header row, then each row, as RFC 4180 CSV lines in UTF-8."""

    class Line:
        def write(self, text: str) -> str:
            return text

    writerow = csv.writer(Line()).writerow
    yield writerow(["_".join(path) for path in columns]).encode()
    readers = [cell_reader(path) for path in columns]
    if len(readers) < 2:
        # A row of one empty field is written '""', not an empty line: the csv module's rules.
        for row in rows:
            yield writerow([read(row) for read in readers]).encode()
        return
    for row in rows:
        yield (",".join([quoted(read(row)) for read in readers]) + "\r\n").encode()


def buffered(chunks: Iterable[bytes], size: int | None = None) -> Iterator[bytes]:
    """Gather small chunks into pieces of about ``size`` bytes (default ``FLUSH_BYTES``)."""
    size = size or FLUSH_BYTES
    pending: list[bytes] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)


def export_response(
    articles: QuerySet[Article], serializer: serializers.Serializer, export_format: str
) -> StreamingHttpResponse:
    """Return a streaming download of ``articles`` as ``ndjson`` or ``csv``."""
    rows = export_rows(articles, serializer)
    if export_format == "csv":
        body, content_type = csv_lines(rows, csv_columns(serializer)), f"{CSV_TYPE}; charset=utf-8"
    else:
        body, content_type = ndjson_lines(rows), NDJSON_TYPE
    response = StreamingHttpResponse(buffered(body), content_type=content_type)
    filename = f"articles-{timezone.now():%Y%m%dT%H%M%SZ}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
