"""What a delivery carries: its articles' ids, titles and API addresses, read when it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from django.urls import reverse

from articles import conf
from articles.models import Article

# The rows an ``IN (...)`` lists at most: well inside SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


class DeliveryFailed(Exception):
    """An attempt at a delivery failed; ``final`` when retrying cannot help, ``status`` the HTTP status if any."""

    def __init__(self, message: str, *, status: int | None = None, final: bool = False) -> None:
        super().__init__(message)
        self.status, self.final = status, final


class ArticleLink(TypedDict):
    """One article of a delivery: id, title (empty when it is gone) and its API detail URL."""

    id: int
    title: str
    url: str


def article_url(article_id: int) -> str:
    """Return the absolute API address of the article ``article_id``."""
    return conf.base_url() + reverse("api:article-detail", kwargs={"pk": article_id})


def matches_url(saved_search_id: int) -> str:
    """Return the absolute API address of a saved search's matches (where a delivery's unlisted ones are)."""
    return conf.base_url() + reverse("api:savedsearch-matches", kwargs={"pk": saved_search_id})


def article_links(article_ids: Sequence[int]) -> list[ArticleLink]:
    """Return the delivery's articles in its order; one deleted since keeps its id and address, without a title."""
    titles: dict[int, str] = {}
    for start in range(0, len(article_ids), CHUNK):
        rows = Article.objects.filter(pk__in=article_ids[start : start + CHUNK]).values_list("pk", "title")
        titles.update(rows)
    return [{"id": pk, "title": titles.get(pk, ""), "url": article_url(pk)} for pk in article_ids]
