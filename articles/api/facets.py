"""Facet counts: how the articles matching a query spread over publishers, authors and copyright years."""

from __future__ import annotations

from typing import TypedDict

from django.db.models import Count, QuerySet

from articles.models import Article, ArticleAuthor

DEFAULT_FACET_SIZE = 10
MAX_FACET_SIZE = 100


class NamedCount(TypedDict):
    slug: str
    name: str
    count: int


class YearCount(TypedDict):
    year: int
    count: int


class Facets(TypedDict):
    count: int
    publishers: list[NamedCount]
    authors: list[NamedCount]
    copyright_years: list[YearCount]


def facet_counts(articles: QuerySet[Article], size: int = DEFAULT_FACET_SIZE) -> Facets:
    """Count ``articles`` in total and per publisher, author and copyright year, the ``size`` largest of each.

    Four queries whatever the number of articles: a count and one GROUP BY per
    facet. Ties go by name (by latest year for years); articles without a
    publisher or a year count in the total only.
    """
    matching = articles.order_by()
    publishers = (
        matching.filter(publisher__isnull=False)
        .values("publisher__slug", "publisher__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "publisher__name", "publisher__slug")[:size]
    )
    # Bylines are unique per (article, author): counting them counts articles.
    authors = (
        ArticleAuthor.objects.filter(article__in=matching.values("pk"))
        .values("author__slug", "author__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "author__name", "author__slug")[:size]
    )
    years = (
        matching.filter(copyright_year__isnull=False)
        .values("copyright_year")
        .annotate(count=Count("pk"))
        .order_by("-count", "-copyright_year")[:size]
    )
    return {
        "count": matching.count(),
        "publishers": [
            {"slug": row["publisher__slug"], "name": row["publisher__name"], "count": row["count"]}
            for row in publishers
        ],
        "authors": [
            {"slug": row["author__slug"], "name": row["author__name"], "count": row["count"]} for row in authors
        ],
        "copyright_years": [{"year": row["copyright_year"], "count": row["count"]} for row in years],
    }
