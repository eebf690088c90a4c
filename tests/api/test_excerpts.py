"""Excerpts of article bodies."""

from __future__ import annotations

import pytest

from articles.api.excerpts import make_excerpt


@pytest.mark.parametrize(
    ("text", "limit", "more", "expected"),
    [
        ("", 20, False, ""),
        ("", 20, True, ""),
        ("Short text.", 20, False, "Short text."),
        ("Two\n\nparagraphs   and\ttabs", 50, False, "Two paragraphs and tabs"),
        ("exactly twenty chars", 20, False, "exactly twenty chars"),
        # The limit falls inside "jumps": go back to the end of "fox".
        ("The quick brown fox jumps over", 22, False, "The quick brown fox…"),
        # The limit falls right after a word: keep it.
        ("The quick brown fox jumps over", 19, False, "The quick brown fox…"),
        # Trailing punctuation is dropped before the ellipsis.
        ("Well, then, we go on and on", 11, False, "Well, then…"),
        ("One sentence. Another one here", 14, False, "One sentence…"),
        # A single word longer than the limit is cut inside it.
        ("Supercalifragilistic", 5, False, "Super…"),
        # Short, but only the start of a longer body.
        ("Start of a body", 50, True, "Start of a body…"),
        ("Start of a body.", 50, True, "Start of a body…"),
    ],
)
def test_make_excerpt(text, limit, more, expected):
    assert make_excerpt(text, limit, more=more) == expected


@pytest.mark.parametrize("limit", [1, 7, 50, 200])
def test_excerpt_never_exceeds_limit_plus_ellipsis(limit):
    text = " ".join(f"word{n}" for n in range(200))

    excerpt = make_excerpt(text, limit)

    assert len(excerpt) <= limit + 1
    assert excerpt.endswith("…")
    assert text.startswith(excerpt[:-1])
