"""The exporter on its own: rows, renderers and the response, without the API's views (see tests/api/test_export.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.renderers import JSONRenderer

from articles.api import export, querysets
from articles.api.serializers import ArticleExportSerializer
from articles.models import Article, ImportRun
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db


def export_serializer(user=None, fields=None) -> ArticleExportSerializer:
    """The serializer the API and the admin action hand the exporter, for ``user``'s request."""
    request = RequestFactory().get("/api/v1/articles/export.ndjson")
    request.user = user or AnonymousUser()
    return ArticleExportSerializer(context={"request": request, "searching": False, "selected_fields": fields})


def as_json(value) -> object:
    return json.loads(JSONRenderer().render(value))


@pytest.fixture
def articles():
    """Two articles: one with two authors, a publisher and an import run; one with neither."""
    full = ArticleFactory(
        title='Cook County, "sanctuary" and the law',
        body="First, with commas.\n\nSecond — with “quotes” and ünïcödé.",
        authors=[AuthorFactory(name="Kyle Shiver"), AuthorFactory(name="Ann Ames")],
        publisher=PublisherFactory(name="Blaze Media LLC"),
        import_run=ImportRun.objects.create(),
    )
    bare = ArticleFactory(title="=HYPERLINK(1)", publisher=None, image_credit="-2 photos")
    return [full, bare]


def test_export_rows_are_exactly_what_the_serializer_makes_of_each_article(articles):
    """GIVEN articles with and without authors, publisher and import run
    WHEN the exporter reads them from plain rows, without model instances
    THEN each row is the representation DRF's serializer gives the same article
    """
    serializer = export_serializer()
    queryset = Article.objects.order_by("id")

    rows = list(export.export_rows(queryset, serializer))

    expected = [
        ArticleExportSerializer(article, context=serializer.context).data
        for article in queryset.prefetch_related(querysets.bylines_prefetch())
    ]
    assert as_json(rows) == as_json(expected)
    assert [author["name"] for author in rows[0]["authors"]] == ["Kyle Shiver", "Ann Ames"]
    assert (rows[1]["authors"], rows[1]["publisher"]) == ([], None)


def test_staff_rows_carry_the_review_fields_anonymous_rows_do_not(articles, django_user_model):
    staff = django_user_model.objects.create_user("staff", is_staff=True)

    anonymous_row = next(export.export_rows(Article.objects.all(), export_serializer()))
    staff_row = next(export.export_rows(Article.objects.all(), export_serializer(staff)))

    assert "needs_review" in staff_row
    assert "needs_review" not in anonymous_row


def test_ndjson_is_one_json_object_per_line_with_the_exact_text(articles):
    serializer = export_serializer()
    rows = list(export.export_rows(Article.objects.order_by("id"), serializer))

    lines = b"".join(export.ndjson_lines(rows)).decode().splitlines()

    assert [json.loads(line) for line in lines] == as_json(rows)
    assert json.loads(lines[1])["title"] == "=HYPERLINK(1)"


def test_csv_columns_flatten_nested_objects_into_one_column_per_sub_field():
    columns = ["_".join(path) for path in export.csv_columns(export_serializer())]

    assert {"publisher_id", "publisher_name", "publisher_slug", "authors_name", "source_key"} <= set(columns)
    assert "publisher" not in columns and "authors" not in columns


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (2024, "2024"),
        (["Kyle Shiver", "Ann Ames"], "Kyle Shiver; Ann Ames"),
        ([], ""),
        ({"a": "ü"}, '{"a": "ü"}'),
        ("plain text", "plain text"),
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1 555", "'+1 555"),
        ("-2 photos", "'-2 photos"),
        ("@handle", "'@handle"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        (["=A1", "fine"], "'=A1; fine"),
        ("a = b", "a = b"),
    ],
)
def test_csv_cells_follow_the_documented_rules(value, cell):
    assert export.csv_cell(value) == cell


def test_csv_lines_read_back_as_the_rows_with_formulas_defused(articles):
    serializer = export_serializer()
    rows = list(export.export_rows(Article.objects.order_by("id"), serializer))
    columns = export.csv_columns(serializer)

    text = b"".join(export.csv_lines(export.csv_values(Article.objects.order_by("id"), serializer), columns))
    text = text.decode("utf-8")

    read = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(read) == 2
    assert read[0]["title"] == 'Cook County, "sanctuary" and the law'
    assert read[0]["body"] == rows[0]["body"]
    assert read[0]["authors_name"] == "Kyle Shiver; Ann Ames"
    assert (read[1]["title"], read[1]["image_credit"], read[1]["publisher_name"]) == (
        "'=HYPERLINK(1)",
        "'-2 photos",
        "",
    )


def representation_cells(row: dict, columns: list[tuple[str, ...]]) -> list[str]:
    """The cells of a representation by the documented rules: a sub-field of the object, or of each item joined."""
    cells = []
    for name, *sub in columns:
        value = row.get(name)
        if sub and isinstance(value, list):
            value = [item.get(sub[0]) for item in value]
        elif sub:
            value = value.get(sub[0]) if value else None
        cells.append(export.csv_cell(value))
    return cells


@pytest.mark.parametrize("fields", [None, ["id", "authors", "source", "publisher"], ["title"]])
@pytest.mark.parametrize("is_staff", [False, True])
def test_csv_values_are_the_cells_of_the_representation(articles, django_user_model, is_staff, fields):
    """GIVEN articles with and without bylines, publisher and import run
    WHEN the CSV values are read from the plain records, without building the representation
    THEN their cells are the representation's, column for column (staff's review fields and ``fields`` too)
    """
    user = django_user_model.objects.create_user("staff", is_staff=True) if is_staff else None
    serializer = export_serializer(user, fields)
    queryset = Article.objects.order_by("id")
    columns = export.csv_columns(serializer)

    cells = [export.csv_texts(values) for values in export.csv_values(queryset, serializer)]

    assert cells == [representation_cells(row, columns) for row in export.export_rows(queryset, serializer)]
    assert len(cells) == 2 and all(len(row) == len(columns) for row in cells)


def test_buffered_joins_small_chunks_into_pieces_and_loses_nothing():
    chunks = [b"x" * 10 for _ in range(25)]

    pieces = list(export.buffered(chunks, size=100))

    assert b"".join(pieces) == b"".join(chunks)
    assert [len(piece) for piece in pieces] == [100, 100, 50]


@pytest.mark.parametrize(
    ("export_format", "content_type"),
    [("csv", "text/csv; charset=utf-8"), ("ndjson", "application/x-ndjson")],
)
def test_the_response_is_an_uncached_attachment_of_the_format(articles, export_format, content_type):
    response = export.export_response(Article.objects.order_by("id"), export_serializer(), export_format)

    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="articles-')
    assert response["Content-Disposition"].endswith(f'.{export_format}"')
    body = b"".join(response.streaming_content).decode()
    if export_format == "csv":
        records = list(csv.DictReader(io.StringIO(body, newline="")))
    else:
        records = [json.loads(line) for line in body.splitlines()]
    assert [record["id"] for record in records] == [str(a.pk) if export_format == "csv" else a.pk for a in articles]


def test_an_empty_queryset_exports_a_header_only_csv_and_an_empty_ndjson():
    serializer = export_serializer()

    assert list(export.export_rows(Article.objects.none(), serializer)) == []
    header = b"".join(export.csv_lines([], export.csv_columns(serializer))).decode()
    assert header.count("\r\n") == 1 and header.startswith("id,")
