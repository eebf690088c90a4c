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
import operator
from collections import namedtuple
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import partial
from types import SimpleNamespace
from typing import Any, NamedTuple, Protocol, TypeAlias, TypeVar, cast

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject
from rest_framework.utils.encoders import JSONEncoder

from articles.api.compiled import (
    AnyField,
    AnySerializer,
    Represent,
    attribute_getter,
    compile_field,
    compile_representation,
)
from articles.api.formats import as_jsonld, as_ninjs
from articles.api.querysets import BYLINES_ATTR
from articles.api.xml_formats import NEWSMESSAGE_TYPE, as_newsml_item, as_nitf_item, news_message
from articles.models import Article, ArticleAuthor
from articles.search import ArticleSearch, PkIn

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
# Columns read only for the fields that show them: a body is most of a row, review reasons a JSON decode.
# What a search adds to a row: the match's relevance and snippet.
SEARCH_COLUMNS = ("rank", "snippet")
OPTIONAL_COLUMNS = {"body": {"body", "excerpt"}, "review_reasons": {"review_reasons"}}
NDJSON_TYPE = "application/x-ndjson"
CSV_TYPE = "text/csv"
JSONLD_TYPE = "application/ld+json"

# A fetched row: the values of the export's columns, in order (what ``values_list()`` gives).
Row: TypeAlias = Sequence[Any]
# An article as the export serializer represents it (a publisher or byline: the same, of its serializer).
Representation: TypeAlias = dict[str, Any]
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class RecordCompiler(Protocol[T_co]):
    """Compiles what the export makes of each record (``represented``: the fields it carries already represented)."""

    def __call__(self, serializer: AnySerializer, *, represented: Collection[str] = ()) -> Callable[[Any], T_co]: ...


def export_rows(articles: QuerySet[Article] | ArticleSearch, serializer: AnySerializer) -> Iterator[Representation]:
    """Yield each article's representation (what ``serializer`` makes of it)."""
    return export_records(articles, serializer, compile_representation)


def export_records(
    articles: QuerySet[Article] | ArticleSearch, serializer: AnySerializer, compile: RecordCompiler[T]
) -> Iterator[T]:
    """Yield what ``compile`` makes of each article's record, reading plain rows in chunks through a server-side cursor.

    No model instance is built: each chunk is a list of ``values_list()`` tuples,
    its bylines come from one more query, and the serializer (compiled once) reads
    each row as a light record; the chunk's publishers and bylines are represented
    once each, however many of its articles share them.
    """
    fields = set(field_names(serializer))
    if not isinstance(articles, QuerySet):  # a search: the index orders the matches, read a chunk at a time
        yield from search_export_records(articles, serializer, fields, compile)
        return
    columns = article_columns(articles, fields)
    records = ChunkRecords(serializer, columns)
    make = compile(serializer, represented=records.represented)
    for chunk in row_chunks(articles, columns):
        yield from map(make, records.of(chunk))


def search_export_records(
    results: ArticleSearch, serializer: AnySerializer, fields: set[str], compile: RecordCompiler[T]
) -> Iterator[T]:
    """Yield what ``compile`` makes of each match of a search, with ``rank`` and ``snippet``, a chunk of ids at a time.

    The index hands over each chunk's ids and scores in one pass; the rows come by
    id through the search's queryset (what the requester may see), as plain rows.
    """
    columns = article_columns(results.queryset, fields | ({"body"} if "snippet" in fields else set()))
    records = ChunkRecords(serializer, [*columns, *SEARCH_COLUMNS])
    make = compile(serializer, represented=records.represented)
    snippet = snippet_reader(results, columns) if "snippet" in fields else None
    with transaction.atomic(using=results.db):
        for hits in results.hit_chunks(EXPORT_CHUNK_SIZE):
            matches = results.queryset.filter(PkIn([pk for pk, _ in hits])).order_by()
            rows = {row[records.id_at]: row for chunk in row_chunks(matches, columns) for row in chunk}
            chunk = [
                [*row, score, snippet(row) if snippet is not None else None]
                for pk, score in hits
                if (row := rows.get(pk)) is not None  # gone, or not visible to the requester
            ]
            yield from map(make, records.of(chunk))


def snippet_reader(results: ArticleSearch, columns: list[str]) -> Callable[[Row], str] | None:
    """Return the function making a row's snippet from its ``body`` column (None without a query)."""
    make = results.snippet_maker()
    if make is None:
        return None
    body_at = columns.index("body")
    return lambda row: make(row[body_at])


def row_chunks(articles: QuerySet[Article], columns: list[str]) -> Iterator[list[Row]]:
    """Yield ``articles.values_list(*columns)`` a chunk of rows at a time, through a server-side cursor."""
    compiler = articles.prefetch_related(None).values_list(*columns).query.get_compiler(using=articles.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return
    # In a transaction, PostgreSQL's server-side cursor streams rows as they are read; outside one
    # it is declared WITH HOLD and the server materializes the whole result first. The export
    # also reads one consistent snapshot.
    with transaction.atomic(using=articles.db), connections[articles.db].chunked_cursor() as cursor:
        compiled_loaders(cursor)
        cursor.execute(sql, params)
        # The compiler's own converters (dates on SQLite, JSON, booleans) turn the raw rows.
        rows = compiler.results_iter(results=iter(partial(cursor.fetchmany, EXPORT_CHUNK_SIZE), []))
        while chunk := list(itertools.islice(rows, EXPORT_CHUNK_SIZE)):
            yield chunk


def compiled_loaders(cursor: CursorWrapper) -> None:
    """Read timestamps with psycopg's C loader on this cursor (PostgreSQL only).

    Django's loader (a subclass of psycopg's pure-Python one, so that datetimes carry
    ``datetime.UTC``) costs ~8 us a value, a third of an exported row's time; the C
    loader gives the same instants in the connection's zone, which the representation
    converts to its own zone anyway.
    """
    if cursor.db.vendor == "postgresql":
        from psycopg.types.datetime import TimestamptzLoader

        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)


class ChunkRecords:
    """Turns a chunk of ``values_list()`` rows into records with the attributes the article serializer reads.

    A record is a named tuple of the row's columns plus ``pk``, ``import_run`` (a
    key-only object), and the already represented ``publisher`` and bylines
    (``represented`` names those fields), each built once per chunk.
    """

    def __init__(self, serializer: AnySerializer, columns: list[str]) -> None:
        fields = serializer.fields
        # typeshed types a class made by namedtuple() as a plain tuple class, which has no ``_make``.
        record = cast(
            "type[NamedTuple]", namedtuple("ExportRecord", [*columns, "pk", "import_run", "publisher", BYLINES_ATTR])
        )
        self.make = record._make
        self.represented = {"publisher", "authors"} & set(field_names(serializer))
        self.id_at, self.run_at = columns.index("id"), columns.index("import_run_id")
        self.publisher_at = columns.index("publisher_id")
        self.publisher_columns = (
            [(name, columns.index(f"publisher__{name}")) for name in PUBLISHER_COLUMNS] if "publisher" in fields else []
        )
        self.represent_publisher = (
            compile_representation(nested(fields["publisher"])) if "publisher" in fields else None
        )
        self.represent_byline = compile_representation(nested(fields["authors"])) if "authors" in fields else None

    def of(self, chunk: Sequence[Row]) -> Iterator[NamedTuple]:
        """Yield the records of ``chunk``, in order."""
        id_at, run_at, publisher_at, make = self.id_at, self.run_at, self.publisher_at, self.make
        publishers = self.publishers(chunk)
        bylines = self.bylines([row[id_at] for row in chunk])
        runs = {run: None if run is None else PKOnlyObject(pk=run) for run in {row[run_at] for row in chunk}}
        for row in chunk:
            pk = row[id_at]
            yield make((*row, pk, runs[row[run_at]], publishers.get(row[publisher_at]), bylines.get(pk, NO_BYLINES)))

    def publishers(self, chunk: Sequence[Row]) -> dict[int, Representation]:
        """Return the representation of each publisher of ``chunk`` by id."""
        if self.represent_publisher is None:
            return {}
        distinct = {row[self.publisher_at]: row for row in chunk if row[self.publisher_at] is not None}
        return {
            pk: self.represent_publisher(SimpleNamespace(pk=pk, **{name: row[i] for name, i in self.publisher_columns}))
            for pk, row in distinct.items()
        }

    def bylines(self, article_ids: list[int]) -> dict[int, list[Representation]]:
        """Return the represented bylines of the given articles, in byline order: one query for the chunk."""
        if self.represent_byline is None:
            return {}
        by_article: dict[int, list[Representation]] = {}
        represented: dict[tuple[int, str, str], Representation] = {}
        for article_id, author_id, name, slug in chunk_byline_rows(article_ids):
            key = (author_id, name, slug)
            if (shown := represented.get(key)) is None:
                shown = represented[key] = self.represent_byline(byline_record(*key))
            by_article.setdefault(article_id, []).append(shown)
        return by_article


# Shared by every record without a byline; nothing writes to a representation.
NO_BYLINES: list[Representation] = []


def field_names(serializer: AnySerializer) -> list[str]:
    """Return the names of ``serializer``'s fields, in order."""
    # DRF's stubs say iterating the fields gives Field objects; it gives their names, as keys() says.
    return list(serializer.fields.keys())


def nested(field: AnyField) -> AnySerializer:
    """Return the serializer of a nested object's field, or of each item's for a list of them."""
    serializer = field.child if isinstance(field, serializers.ListSerializer) else field
    assert isinstance(serializer, serializers.Serializer), f"{field.field_name} holds no nested object"
    return serializer


def article_columns(articles: QuerySet[Article], fields: set[str]) -> list[str]:
    """Return the ``values()`` columns the export reads: the article's light columns, its publisher, annotations."""
    heavy = {"raw_text", "parsed", "import_conflicts"}
    heavy |= {column for column, readers in OPTIONAL_COLUMNS.items() if not fields & readers}
    own = [f.attname for f in Article._meta.concrete_fields if f.attname not in heavy]
    publisher = [f"publisher__{name}" for name in PUBLISHER_COLUMNS] if "publisher" in fields else []
    return [*own, *publisher, *articles.query.annotation_select]


def chunk_byline_rows(article_ids: list[int]) -> QuerySet[ArticleAuthor, tuple[int, int, str, str]]:
    """Return ``(article_id, author_id, name, slug)`` of the given articles' bylines, in byline order."""
    return (
        # One array parameter: 2,000 placeholders cost more to parse and plan than the query runs.
        ArticleAuthor.objects.filter(PkIn(article_ids, "article_id"))
        .order_by("article_id", "position", "id")
        .values_list("article_id", "author_id", "author__name", "author__slug")
    )


def byline_record(author_id: int, name: str, slug: str) -> SimpleNamespace:
    """Return a byline as a record that is also its author (the serializer reads ``author_id`` and ``author.name``)."""
    byline = SimpleNamespace(author_id=author_id, pk=author_id, id=author_id, name=name, slug=slug)
    byline.author = byline
    return byline


def ndjson_lines(rows: Iterable[Representation]) -> Iterator[bytes]:
    """Yield each row as one line of compact JSON."""
    dumps, default = orjson.dumps, JSONEncoder(ensure_ascii=False).default
    for row in rows:
        yield dumps(row, default=default, option=ORJSON_OPTIONS)


def jsonld_graph(rows: Iterable[Representation]) -> Iterator[bytes]:
    """Yield one JSON-LD document, ``{"@context", "@graph": [NewsArticle, ...]}``, an article at a time."""
    yield b'{"@context":"https://schema.org","@graph":[\n'
    separator = b""
    for line in ndjson_lines(as_jsonld(row, context=False) for row in rows):
        yield separator + line[:-1]
        separator = b",\n"
    yield b"\n]}\n"


def csv_columns(serializer: AnySerializer) -> list[tuple[str, ...]]:
    """Return the CSV columns of ``serializer``'s fields as paths: nested objects flattened, one column per field."""
    columns: list[tuple[str, ...]] = []
    for name, field in serializer.fields.items():
        item = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(item, serializers.Serializer):
            columns += [(name, sub) for sub in field_names(item)]
        else:
            columns.append((name,))
    return columns


def csv_cell(value: object) -> str:
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


def csv_row(cells: list[str]) -> str:
    """Return a row of two or more cells as the csv module's default dialect writes it."""
    # The csv writer walks every character of a ~3 KB body in Python's generic string
    # loop (~55 us a row); these checks and the replace are C string searches, inline
    # rather than a call per cell.
    return (
        ",".join(
            [
                ('"' + cell.replace('"', '""') + '"')
                if '"' in cell
                else ('"' + cell + '"')
                if "," in cell or "\n" in cell or "\r" in cell
                else cell
                for cell in cells
            ]
        )
        + "\r\n"
    )


def csv_texts(values: Sequence[Any]) -> list[str]:
    """Return the cells of a row's values: ``csv_cell`` of each, with text, nulls and counts (most cells) inline."""
    return [
        ""
        if value is None
        else (("'" + value) if value.startswith(FORMULA_PREFIXES) else value)
        if value.__class__ is str
        else str(value)
        if value.__class__ is int and value >= 0
        else csv_cell(value)
        for value in values
    ]


def csv_values(articles: QuerySet[Article] | ArticleSearch, serializer: AnySerializer) -> Iterator[list[Any]]:
    """Yield each article's values in ``csv_columns()`` order, read from its record without its representation."""
    return export_records(articles, serializer, compile_csv_values)


def compile_csv_values(serializer: AnySerializer, *, represented: Collection[str] = ()) -> Callable[[Any], list[Any]]:
    """Return the function giving a record's values in ``csv_columns()`` order, one step a column.

    A column's value is what the representation holds, without building it: a field
    is compiled as the representation compiles it, and so is each sub-field of a
    nested object; those the record carries represented (``represented``) are read
    from that representation, a list's items joined into one cell.
    """
    steps = [step for name, field in serializer.fields.items() for step in column_steps(name, field, represented)]

    def values(record: Any) -> list[Any]:
        return [step(record) for step in steps]

    return values


def column_steps(name: str, field: AnyField, represented: Collection[str]) -> list[Represent]:
    """Return the steps giving ``field``'s CSV values from a record: one, or one per sub-field of a nested object."""
    item = field.child if isinstance(field, serializers.ListSerializer) else field
    if not isinstance(item, serializers.Serializer):
        return [nothing if field.write_only else compile_field(field)]
    subs = item.fields
    if field.write_only:
        return [nothing] * len(subs)
    if name in represented or item is not field:
        # The object's representation (a represented publisher or bylines; a list, compiled whole).
        get = operator.attrgetter(field.source or name) if name in represented else compile_field(field)
        cell = list_cell if item is not field else object_cell
        return [cell(get, sub) for sub in field_names(item)]
    # A nested object: its sub-fields read from the object (for ``source="*"``, the record itself).
    steps = [nothing if sub.write_only else compile_field(sub) for sub in subs.values()]
    if field.source == "*":
        return steps
    get = attribute_getter(field)
    return [partial(nested_step, get, step) for step in steps]


def nothing(record: Any) -> None:
    """Return the value of a column no representation shows (a write-only field's): none."""
    return None


def nested_step(get: Represent, step: Represent, record: Any) -> Any:
    """Return a nested object's sub-field of ``record``, or None without the object."""
    value = get(record)
    return None if value is None else step(value)


def object_cell(get: Represent, sub: str) -> Represent:
    """Return the step reading a represented object's sub-field (None without the object)."""

    def read(record: Any) -> Any:
        value = get(record)
        return value.get(sub) if value else None

    return read


def list_cell(get: Represent, sub: str) -> Represent:
    """Return the step reading the represented items' sub-field: one item's value, or the items' cells joined."""

    def read(record: Any) -> Any:
        items = get(record)
        if len(items) < 2:
            # One item (most bylines) or none: its cell is what joining them would give.
            return items[0].get(sub) if items else None
        # Each item's sub-field, joined and defused once for the cell.
        return defused(LIST_SEPARATOR.join(csv_texts([item.get(sub) for item in items])))

    return read


def csv_lines(rows: Iterable[Sequence[Any]], columns: Sequence[tuple[str, ...]]) -> Iterator[bytes]:
    """Yield a header row, then each row of values (``csv_values()``), as RFC 4180 CSV lines in UTF-8."""

    class Line:
        def write(self, text: str) -> str:
            return text

    writerow = csv.writer(Line()).writerow
    yield writerow(["_".join(path) for path in columns]).encode()
    if len(columns) < 2:
        # A row of one empty field is written '""', not an empty line: the csv module's rules.
        for row in rows:
            yield writerow(csv_texts(row)).encode()
        return
    for row in rows:
        yield csv_row(csv_texts(row)).encode()


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


# The XML exports: one NewsML-G2 newsMessage, its items plain NewsML-G2 or carrying NITF.
XML_EXPORTS = {"newsmlg2.xml": as_newsml_item, "nitf.xml": as_nitf_item}


def export_response(
    articles: QuerySet[Article] | ArticleSearch, serializer: AnySerializer, export_format: str
) -> StreamingHttpResponse:
    """Return a streaming download of ``articles`` as ``ndjson`` or ``csv``."""
    if export_format == "csv":
        values = csv_values(articles, serializer)
        body, content_type = csv_lines(values, csv_columns(serializer)), f"{CSV_TYPE}; charset=utf-8"
        return attachment(body, content_type, export_format)
    rows = export_rows(articles, serializer)
    if export_format == "jsonld":
        body, content_type = jsonld_graph(rows), JSONLD_TYPE
    elif export_format in XML_EXPORTS:
        items = map(XML_EXPORTS[export_format], rows)
        body, content_type = news_message(items, sent=timezone.now()), NEWSMESSAGE_TYPE
    elif export_format == "ninjs.ndjson":
        body, content_type = ndjson_lines(map(as_ninjs, rows)), NDJSON_TYPE
    else:
        body, content_type = ndjson_lines(rows), NDJSON_TYPE
    return attachment(body, content_type, export_format)


def attachment(body: Iterable[bytes], content_type: str, export_format: str) -> StreamingHttpResponse:
    """Return ``body`` as a streamed, uncached download named after the export and the time."""
    response = StreamingHttpResponse(buffered(body), content_type=content_type)
    filename = f"articles-{timezone.now():%Y%m%dT%H%M%SZ}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
