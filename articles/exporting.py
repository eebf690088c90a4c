"""Export articles as CSV, one row per article, streamed so any selection fits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet

from articles.models import Article, ArticleAuthor

CSV_COLUMNS = (
    "id",
    "title",
    "subtitle",
    "authors",
    "publisher",
    "status",
    "published_at",
    "needs_review",
    "review_reasons",
    "copyright_year",
    "image_credit",
    "word_count",
    "created_at",
    "updated_at",
    "source_key",
    "content_sha256",
    "body",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def export_rows(articles: QuerySet[Article]) -> Iterator[list[str]]:
    """Yield the header, then one row of text cells per article, in the queryset's order."""
    bylines = ArticleAuthor.objects.select_related("author").only("article", "position", "author__name")
    rows = (
        Article.objects.filter(pk__in=articles.values("pk"))
        .order_by(*(articles.query.order_by or Article._meta.ordering))
        .select_related("publisher")
        .defer("raw_text", "parsed", "import_conflicts")
        .prefetch_related(Prefetch("bylines", queryset=bylines.order_by("position", "id")))
    )
    yield list(CSV_COLUMNS)
    for article in rows.iterator(chunk_size=CHUNK_SIZE):
        yield [_cell(value) for value in _values(article)]


def _values(article: Article) -> list:
    return [
        article.pk,
        article.title,
        article.subtitle,
        "; ".join(byline.author.name for byline in article.bylines.all()),
        article.publisher.name if article.publisher else "",
        article.status,
        article.published_at.isoformat() if article.published_at else "",
        "yes" if article.needs_review else "no",
        "; ".join(article.review_reasons or []),
        article.copyright_year if article.copyright_year is not None else "",
        article.image_credit,
        article.word_count,
        article.created_at.isoformat(),
        article.updated_at.isoformat(),
        article.source_key,
        article.content_sha256,
        article.body,
    ]


def _cell(value) -> str:
    """Return ``value`` as text a spreadsheet shows rather than evaluates."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_lines(articles: QuerySet[Article]) -> Iterator[str]:
    """Yield the CSV export of ``articles`` line by line."""
    writer = csv.writer(_Echo())
    for row in export_rows(articles):
        yield writer.writerow(row)
