"""Fixtures for the search tests."""

from __future__ import annotations

import pytest

from articles.models import Article
from articles.search import search
from tests.factories import ArticleFactory


def make(body: str = "", *, title: str | None = None, subtitle: str = "", **kwargs) -> Article:
    """Create a published article with the given text (a unique plain title unless given)."""
    if title is not None:
        kwargs["title"] = title
    return ArticleFactory(body=body, subtitle=subtitle, **kwargs)


def found(q: str, queryset=None) -> set[int]:
    """Return the ids of the articles ``q`` finds."""
    return {article.pk for article in search(queryset if queryset is not None else Article.objects.all(), q)}


def ranked(q: str) -> list[int]:
    """Return the ids of the articles ``q`` finds, best first."""
    return [article.pk for article in search(Article.objects.all(), q).order_by("-rank", "-id")]


@pytest.fixture
def filler(db) -> list[Article]:
    """Articles about other things, so that every term searched for is rare, as in a real archive."""
    topics = ["weather report", "football results", "stock market", "garden tips", "film review", "recipe"]
    return [make(f"A story about the {topic}.", title=f"The {topic}") for topic in topics]
