"""Bulk export: every matching article as NDJSON or CSV, streamed in chunks."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from articles.api import export
from articles.models import Article, ImportRun
from tests.api.helpers import ARTICLES_URL, ids, make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

NDJSON_URL = f"{ARTICLES_URL}export.ndjson"
CSV_URL = f"{ARTICLES_URL}export.csv"


def body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def ndjson(client, **params) -> list[dict]:
    response = client.get(NDJSON_URL, params)
    assert response.status_code == 200
    return [json.loads(line) for line in body(response).decode().splitlines()]


def csv_rows(client, **params) -> list[dict]:
    response = client.get(CSV_URL, params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8"), newline="")))


@pytest.fixture
def article():
    """An article with everything: two authors, a publisher, an import run, awkward text."""
    return ArticleFactory(
        title='Cook County, "sanctuary" and the law',
        body="First paragraph, with commas.\n\nSecond — with “quotes” and ünïcödé.",
        authors=[
            AuthorFactory(name="Kyle Shiver", slug="kyle-shiver"),
            AuthorFactory(name="Ann Ames", slug="ann-ames"),
        ],
        publisher=PublisherFactory(name="Blaze Media LLC", slug="blaze-media-llc"),
        import_run=ImportRun.objects.create(),
        image_credit="Photo by X",
    )


def test_ndjson_is_one_detail_object_per_line(api_client, article):
    response = api_client.get(NDJSON_URL)
    content = body(response)

    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"].startswith('attachment; filename="articles-')
    assert response["Content-Disposition"].endswith('.ndjson"')
    assert content.endswith(b"\n")
    [row] = [json.loads(line) for line in content.decode().splitlines()]
    # The same shape as the article's detail, body included.
    assert row == api_client.get(f"{ARTICLES_URL}{article.pk}/").json()
    assert [a["name"] for a in row["authors"]] == ["Kyle Shiver", "Ann Ames"]
    assert row["publisher"]["slug"] == "blaze-media-llc"
    assert row["source"]["key"] == article.source_key


def test_csv_has_a_header_and_quotes_properly(api_client, article):
    response = api_client.get(CSV_URL)
    content = body(response)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    header = content.split(b"\r\n", 1)[0].decode()
    assert header.startswith("id,url,slug,title,subtitle,")
    assert "publisher_name" in header
    assert "authors_name" in header
    assert "source_key" in header
    [row] = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
    assert row["title"] == article.title
    assert row["body"] == article.body
    assert row["authors_name"] == "Kyle Shiver; Ann Ames"
    assert row["authors_slug"] == "kyle-shiver; ann-ames"
    assert row["publisher_name"] == "Blaze Media LLC"
    assert row["source_sha256"] == article.content_sha256
    assert row["source_import_run"] == str(article.import_run_id)
    assert row["copyright_year"] == "2024"


def test_csv_leaves_missing_values_empty(api_client):
    ArticleFactory(publisher=None, copyright_year=None)

    [row] = csv_rows(api_client)

    assert row["publisher_name"] == row["publisher_slug"] == row["authors_name"] == row["copyright_year"] == ""


def test_export_holds_every_match_in_list_order(api_client):
    ArticleFactory.create_batch(7)
    expected = ids(api_client.get(ARTICLES_URL, {"page_size": 100}))

    assert [row["id"] for row in ndjson(api_client)] == expected
    assert [int(row["id"]) for row in csv_rows(api_client)] == expected


def test_export_applies_filters_and_ordering(api_client):
    author = AuthorFactory()
    mine = [ArticleFactory(authors=[author], title=t) for t in ["Beta", "Alpha"]]
    ArticleFactory(title="Other")

    rows = ndjson(api_client, author=author.slug, ordering="title")

    assert [row["id"] for row in rows] == [mine[1].pk, mine[0].pk]


def test_export_with_q_is_by_relevance_with_rank_and_snippet(api_client):
    best = ArticleFactory(title="Osprey osprey", body="osprey nest")
    other = ArticleFactory(title="Birds", body="an osprey flew")
    ArticleFactory(body="nothing to see")

    rows = ndjson(api_client, q="osprey")

    assert [row["id"] for row in rows] == [best.pk, other.pk]
    assert rows[0]["rank"] > rows[1]["rank"]
    assert "<mark>osprey</mark>" in rows[1]["snippet"]
    assert [int(row["id"]) for row in csv_rows(api_client, q="osprey")] == [best.pk, other.pk]


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client"])
def test_non_staff_export_only_published(request, client_fixture):
    published = ArticleFactory()
    for status in [Article.Status.DRAFT, Article.Status.WITHDRAWN]:
        make_article(status)
    client = request.getfixturevalue(client_fixture)

    rows = ndjson(client, status="draft") + ndjson(client)

    assert [row["id"] for row in rows] == [published.pk]
    assert "needs_review" not in rows[0]


def test_staff_export_everything_with_review_flags(staff_client):
    make_article(Article.Status.DRAFT, needs_review=True, review_reasons=["no byline", "no date"])
    ArticleFactory()

    rows = csv_rows(staff_client)

    assert len(rows) == 2
    assert {row["needs_review"] for row in rows} == {"true", "false"}
    assert "no byline; no date" in {row["review_reasons"] for row in rows}


@pytest.mark.parametrize("url", [NDJSON_URL, CSV_URL])
def test_fields_pick_the_columns(api_client, article, url):
    response = api_client.get(url, {"fields": "id,title,authors"})
    content = body(response).decode()

    if url == NDJSON_URL:
        assert json.loads(content) == {
            "id": article.pk,
            "title": article.title,
            "authors": api_client.get(f"{ARTICLES_URL}{article.pk}/").json()["authors"],
        }
    else:
        assert content.splitlines()[0] == "id,title,authors_id,authors_name,authors_slug,authors_url"


@pytest.mark.parametrize("url", [NDJSON_URL, CSV_URL])
@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"fields": "id,nope"}, "fields"),
        ({"published_after": "yesterday"}, "published_after"),
        ({"q": "-only"}, "q"),
        ({"ordering": "bogus"}, "ordering"),
        ({"fields": "raw_text"}, "fields"),
    ],
)
@pytest.mark.parametrize("accept", ["*/*", "text/csv", "application/x-ndjson"])
def test_bad_parameters_are_a_json_400_before_streaming(api_client, url, params, name, accept):
    ArticleFactory()

    response = api_client.get(url, params, HTTP_ACCEPT=accept)

    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [name]


def test_export_is_lazy_and_reads_in_chunks(api_client, django_assert_num_queries, monkeypatch):
    """GIVEN 25 articles with bylines and an export chunk size of 10
    WHEN the export is requested
    THEN nothing is read until the body streams, then one query starts the cursor
    and each chunk of 10 articles fetches its bylines in one query.
    """
    monkeypatch.setattr(export, "EXPORT_CHUNK_SIZE", 10)
    for _ in range(25):
        ArticleFactory(authors=[AuthorFactory()])

    with django_assert_num_queries(0):
        response = api_client.get(NDJSON_URL)
    with CaptureQueriesContext(connection) as queries:
        lines = body(response).splitlines()

    # Issue 8: the export reads in a transaction of its own (a savepoint inside the test's).
    assert len([q for q in queries if "SAVEPOINT" not in q["sql"]]) == 4
    assert len(lines) == 25
    assert all(len(json.loads(line)["authors"]) == 1 for line in lines)


def test_export_response_comes_in_pieces(api_client, monkeypatch):
    monkeypatch.setattr(export, "FLUSH_BYTES", 100)
    ArticleFactory.create_batch(5)

    pieces = list(api_client.get(NDJSON_URL).streaming_content)

    assert len(pieces) >= 5


def test_empty_export(api_client):
    assert ndjson(api_client) == []
    assert body(api_client.get(CSV_URL)).decode().count("\r\n") == 1


def test_export_is_throttled(api_client):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [api_client.get(NDJSON_URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


@given(st.lists(st.text(alphabet=st.sampled_from("ab ,\"\r\n\t;'ü—"), max_size=6), min_size=2, max_size=5))
def test_quoted_cells_are_what_the_csv_module_writes(cells):
    line = io.StringIO(newline="")
    csv.writer(line).writerow(cells)

    assert export.csv_row(cells) == line.getvalue()


def test_a_single_empty_column_is_quoted_as_the_csv_module_does(api_client):
    ArticleFactory(subtitle="")

    assert body(api_client.get(CSV_URL, {"fields": "subtitle"})) == b'subtitle\r\n""\r\n'


def test_csv_defuses_spreadsheet_formulas_and_ndjson_keeps_the_text(api_client):
    ArticleFactory(title="=1+2", subtitle="@SUM(A1)", image_credit="-Photo", authors=[AuthorFactory(name="+Plus")])

    [row] = csv_rows(api_client)
    [line] = body(api_client.get(NDJSON_URL)).splitlines()

    assert (row["title"], row["subtitle"], row["image_credit"]) == ("'=1+2", "'@SUM(A1)", "'-Photo")
    assert row["authors_name"] == "'+Plus"
    assert row["word_count"].isdigit()
    assert json.loads(line)["title"] == "=1+2"


def test_export_with_q_in_chunks_reads_like_the_list(api_client, monkeypatch):
    """GIVEN matching published articles, a matching draft and an export chunk size of 2
    WHEN an anonymous export with q is streamed
    THEN it holds the list's matches in the list's order, with the same rank and snippet, the draft left out."""
    monkeypatch.setattr(export, "EXPORT_CHUNK_SIZE", 2)
    for words in ["osprey", "osprey osprey", "an osprey flew", "osprey nest", "osprey"]:
        ArticleFactory(body=f"{words} over the lake", authors=[AuthorFactory()])
    make_article(Article.Status.DRAFT, body="osprey draft")
    listed = api_client.get(ARTICLES_URL, {"q": "osprey", "page_size": 100}).json()["results"]

    rows = ndjson(api_client, q="osprey")

    assert len(rows) == 5
    assert [(r["id"], r["rank"], r["snippet"]) for r in rows] == [(r["id"], r["rank"], r["snippet"]) for r in listed]
    assert all(len(row["authors"]) == 1 and row["body"] for row in rows)
