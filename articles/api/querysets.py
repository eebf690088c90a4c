"""What the API reads: who may see which articles, and the querysets each endpoint runs."""

from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Substr

from articles.models import Article, ArticleAuthor, Author, Publisher

# The list excerpt is cut from this many leading characters of the body, so the
# list never loads whole bodies. One extra character tells whether the body goes on.
EXCERPT_SOURCE_CHARS = 300


def can_see_unpublished(user) -> bool:
    """Return whether ``user`` may read drafts and withdrawn articles."""
    return bool(user is not None and user.is_active and user.is_staff)


def visible_articles(user) -> QuerySet[Article]:
    """Return the articles ``user`` may read, newest first."""
    if can_see_unpublished(user):
        # Drafts have no publication date: list them after dated articles on every
        # database (PostgreSQL otherwise puts NULLs first in a descending sort).
        return Article.objects.order_by(F("published_at").desc(nulls_last=True), "-created_at", "-id")
    # Published articles always have a date, so the plain ordering is the same and
    # lets PostgreSQL walk the (status, -published_at, -id) index.
    return Article.objects.published().order_by("-published_at", "-created_at", "-id")


def bylines_prefetch() -> Prefetch:
    """Prefetch each article's bylines with their authors, in byline order."""
    return Prefetch("bylines", queryset=ArticleAuthor.objects.select_related("author").order_by("position", "id"))


def article_list_queryset(user) -> QuerySet[Article]:
    """Return the visible articles with what a list page shows, and nothing heavier."""
    return (
        visible_articles(user)
        .select_related("publisher")
        .prefetch_related(bylines_prefetch())
        .defer("body", "raw_text", "parsed")
        .annotate(body_head=Substr("body", 1, EXCERPT_SOURCE_CHARS + 1))
    )


def article_detail_queryset(user) -> QuerySet[Article]:
    """Return the visible articles with what a detail page shows."""
    return (
        visible_articles(user)
        .select_related("publisher")
        .prefetch_related(bylines_prefetch())
        .defer("raw_text", "parsed")
    )


def article_source_queryset(user) -> QuerySet[Article]:
    """Return the visible articles with their raw source text only."""
    return visible_articles(user).only("id", "status", "raw_text")


def visible_article_count(user) -> Count:
    """Count the related articles ``user`` may read (for authors and publishers)."""
    if can_see_unpublished(user):
        return Count("articles", distinct=True)
    return Count("articles", filter=Q(articles__status=Article.Status.PUBLISHED), distinct=True)


def authors_with_counts(user) -> QuerySet[Author]:
    """Return every author, each with the number of articles ``user`` may read."""
    return Author.objects.annotate(article_count=visible_article_count(user)).order_by("name", "id")


def publishers_with_counts(user) -> QuerySet[Publisher]:
    """Return every publisher, each with the number of articles ``user`` may read."""
    return Publisher.objects.annotate(article_count=visible_article_count(user)).order_by("name", "id")
