"""Facet counts: how the articles matching a query spread over publishers, authors, copyright years and languages."""

from __future__ import annotations

from typing import Any, TypedDict

from articles.models import Author, Publisher
from articles.search import ArticleSearch

DEFAULT_FACET_SIZE = 10
MAX_FACET_SIZE = 100
# Buckets asked of the index beyond ``size``, so ties at the edge can be settled by name.
TIE_MARGIN = 20
# Buckets each index segment reports before they are merged: counts stay exact below this many values.
SEGMENT_SIZE = 100_000


class NamedCount(TypedDict):
    slug: str
    name: str
    count: int


class YearCount(TypedDict):
    year: int
    count: int


class LanguageCount(TypedDict):
    language: str
    count: int


class Facets(TypedDict):
    count: int
    publishers: list[NamedCount]
    authors: list[NamedCount]
    copyright_years: list[YearCount]
    languages: list[LanguageCount]


def facet_counts(articles: ArticleSearch, size: int = DEFAULT_FACET_SIZE) -> Facets:
    """Count ``articles`` in total and per publisher, author, copyright year and language, the ``size`` largest of each.

    The counts are Tantivy aggregations over the index's fast fields; then one
    query names the publishers and one the authors. Ties go by name (by latest
    year for years, by code for languages); articles without a publisher or a year count in the total only;
    articles of unknown language count under ``UNKNOWN_LANGUAGE``, the ``language`` filter's value for them.
    """
    terms = {"size": size + TIE_MARGIN, "segment_size": SEGMENT_SIZE}
    buckets = articles.aggregate(
        {
            "publishers": {"terms": {"field": "publisher", **terms}},
            "authors": {"terms": {"field": "authors", **terms}},
            "years": {"terms": {"field": "copyright_year", **terms}},
            "languages": {"terms": {"field": "language", **terms}},
        }
    )
    languages = sorted(_language_counts(buckets).items(), key=lambda item: (-item[1], item[0]))[:size]
    years = sorted(_counts(buckets, "years").items(), key=lambda item: (-item[1], -item[0]))[:size]
    return {
        "count": articles.count(),
        "publishers": _named(Publisher, _counts(buckets, "publishers"), size),
        "authors": _named(Author, _counts(buckets, "authors"), size),
        "copyright_years": [{"year": year, "count": count} for year, count in years],
        "languages": [{"language": code, "count": count} for code, count in languages],
    }


def _counts(buckets: dict[str, Any], name: str) -> dict[int, int]:
    return {int(bucket["key"]): bucket["doc_count"] for bucket in buckets.get(name, {}).get("buckets", [])}


def _language_counts(buckets: dict[str, Any]) -> dict[str, int]:
    # Keys as the ``language`` filter takes them: the index files an unknown language under UNKNOWN_LANGUAGE.
    return {bucket["key"]: bucket["doc_count"] for bucket in buckets.get("languages", {}).get("buckets", [])}


def _named(model: type[Author] | type[Publisher], counts: dict[int, int], size: int) -> list[NamedCount]:
    """Name the counted rows (one query) and keep the ``size`` largest, ties by name then slug."""
    if not counts:
        return []
    rows = model.objects.filter(pk__in=list(counts)).values_list("pk", "slug", "name")
    named = sorted(((counts[pk], name, slug) for pk, slug, name in rows), key=lambda r: (-r[0], r[1], r[2]))
    return [{"slug": slug, "name": name, "count": count} for count, name, slug in named[:size]]
