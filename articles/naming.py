"""Naming rules shared by the importer, merges and the review queue: how a name becomes a slug.

A module of its own so that ``importing`` and ``merging`` both import it and
neither imports the other for it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.utils.text import slugify


def digest(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=65536)  # bounded; an import asks for the same few thousand names over and over
def name_slug(name: str) -> str:
    """Return the slug that identifies an author or publisher name."""
    return slugify(name)[:255] or digest(name)[:16]


def article_slug(title: str, sha256: str) -> str:
    """Return a readable article slug that stays unique because it ends with the content hash."""
    return f"{slugify(title)[:200].rstrip('-') or 'article'}-{sha256[:10]}"
