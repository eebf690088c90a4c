"""Short plain-text excerpts of article bodies for list pages."""

from __future__ import annotations

EXCERPT_CHARS = 200
ELLIPSIS = "…"
# Trailing punctuation dropped before the ellipsis, so "end of clause,…" never shows.
_TRAILING = " ,;:.-–—"


def make_excerpt(text: str, limit: int = EXCERPT_CHARS, *, more: bool = False) -> str:
    """Return ``text`` on one line, cut to at most ``limit`` characters at a word boundary.

    An ellipsis marks a cut; ``more`` says the text given is itself only the
    start of a longer body, so it ends with an ellipsis even when short enough.
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat.rstrip(_TRAILING) + ELLIPSIS if more and flat else flat
    cut = flat[:limit]
    if flat[limit] != " ":
        # The limit falls inside a word: go back to the end of the last whole word,
        # unless the text is one single word longer than the limit.
        head, space, _ = cut.rpartition(" ")
        if space:
            cut = head
    return cut.rstrip(_TRAILING) + ELLIPSIS
