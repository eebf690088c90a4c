"""Helpers shared by the merge tests."""

from __future__ import annotations

from pathlib import Path

from articles.models import Article


def write(directory: Path, name: str, text: str) -> Path:
    """Write a seed file and return its path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def byline(article: Article) -> list[str]:
    """Return the names on an article's byline, in order, checking positions run 0..n-1."""
    rows = list(article.bylines.order_by("position", "id").values_list("author__name", "position"))
    assert [position for _, position in rows] == list(range(len(rows))), rows
    return [name for name, _ in rows]
