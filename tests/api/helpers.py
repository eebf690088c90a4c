"""Helpers shared by the API tests."""

from __future__ import annotations

from articles.models import Article
from tests.factories import ArticleFactory

ARTICLES_URL = "/api/v1/articles/"
AUTHORS_URL = "/api/v1/authors/"
PUBLISHERS_URL = "/api/v1/publishers/"


def make_article(status: str = Article.Status.PUBLISHED, **kwargs) -> Article:
    """Create an article with ``status``; unpublished ones get no publication date."""
    if status != Article.Status.PUBLISHED:
        kwargs.setdefault("published_at", None)
    return ArticleFactory(status=status, **kwargs)


def ids(response) -> list[int]:
    """Return the ids of a list response's results, in order."""
    return [item["id"] for item in response.json()["results"]]
