"""Bulk export: every matching article, streamed as NDJSON or CSV in constant memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from articles.models import Article

# Articles per database round trip; each chunk's bylines come in one more query.
EXPORT_CHUNK_SIZE = 500
# Bytes gathered before a piece of the response goes out.
FLUSH_BYTES = 64 * 1024
LIST_SEPARATOR = "; "
NDJSON_TYPE = "application/x-ndjson"
CSV_TYPE = "text/csv"


def export_rows(articles: QuerySet[Article], serializer: serializers.Serializer) -> Iterator[dict]:
    """Yield each article's representation, reading the articles in chunks through a server-side cursor."""
    for article in articles.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield serializer.to_representation(article)


def ndjson_lines(rows: Iterable[dict]) -> Iterator[bytes]:
    """Yield each row as one line of JSON."""
    for row in rows:
        yield json.dumps(row, cls=JSONEncoder, ensure_ascii=False).encode() + b"\n"


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
    """Return a representation value as one CSV cell: lists joined with "; ", nothing for null."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(csv_cell(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, cls=JSONEncoder, ensure_ascii=False)
    return str(value)


def cell_value(row: dict, path: tuple[str, ...]):
    """Return the value at a column's path: a field, a nested object's sub-field, or that sub-field of each item."""
    value = row.get(path[0])
    if len(path) == 1:
        return value
    if isinstance(value, list):
        return [item.get(path[1]) for item in value]
    return value.get(path[1]) if value else None


def csv_lines(rows: Iterable[dict], columns: list[tuple[str, ...]]) -> Iterator[bytes]:
    """Yield a header row, then each row, as RFC 4180 CSV lines in UTF-8."""

    class Line:
        def write(self, text: str) -> str:
            return text

    writer = csv.writer(Line())
    yield writer.writerow(["_".join(path) for path in columns]).encode()
    for row in rows:
        yield writer.writerow([csv_cell(cell_value(row, path)) for path in columns]).encode()


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
