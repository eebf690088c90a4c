"""Resolving names: the authors and publishers a batch of records credits, aliases included.

A name merged into another author or publisher is an alias: it credits the survivor,
never a new duplicate. Names no row or alias has yet are created in bulk, inside the
caller's savepoint, so a file that fails later leaves no author or publisher behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.utils import timezone

from articles import merging, parsing
from articles.importing.writing import bulk_writer
from articles.models import Author, Publisher
from articles.naming import name_slug

# The entities an import names (both keep a history).
_Named = TypeVar("_Named", Author, Publisher)


@dataclass
class Names:
    """The authors and publishers known for a set of records, by slug (an alias maps to its survivor)."""

    authors: dict[str, Author] = field(default_factory=dict)
    publishers: dict[str, Publisher] = field(default_factory=dict)

    def authors_for(self, record: parsing.ParsedArticle) -> list[Author]:
        """Return the record's byline in order, each author once (two names may resolve to one)."""
        byline: dict[int, Author] = {}
        for name in record.author_names:
            author = self.authors[name_slug(name)]
            byline.setdefault(author.pk, author)
        return list(byline.values())

    def publisher_for(self, record: parsing.ParsedArticle) -> Publisher | None:
        return self.publishers[name_slug(record.copyright_holder)] if record.copyright_holder else None


def resolve_names(records: Iterable[parsing.ParsedArticle]) -> Names:
    """Look up, in at most four queries, the authors and publishers ``records`` name that exist."""
    records = list(records)
    return Names(
        authors=merging.resolve_slugs(model=Author, slugs={name_slug(n) for r in records for n in r.author_names}),
        publishers=merging.resolve_slugs(
            model=Publisher, slugs={name_slug(r.copyright_holder) for r in records if r.copyright_holder}
        ),
    )


def create_missing_names(names: Names, records: Iterable[parsing.ParsedArticle], *, reason: str) -> None:
    """Create the authors and publishers ``records`` name that ``names`` lacks, and add them to it.

    A row another import created meanwhile is used as it is (the insert skips it).
    The new rows get a history entry: there are few of them and editors correct them.
    """
    authors: dict[str, Author] = {}
    publishers: dict[str, Publisher] = {}
    for record in records:
        for name, bio in zip(record.author_names, record.author_bios, strict=True):
            slug = name_slug(name)
            if slug not in names.authors and slug not in authors:
                # Each author gets their own bio; a bio shared by several authors ("" in author_bios) goes to none.
                authors[slug] = new_author(name, bio=bio, handle=parsing.find_handle(bio))
        holder = record.copyright_holder
        if holder and name_slug(holder) not in names.publishers:
            publishers.setdefault(name_slug(holder), _stamped(Publisher(slug=name_slug(holder), name=holder)))
    names.authors.update(_insert(Author, authors, reason))
    names.publishers.update(_insert(Publisher, publishers, reason))


def new_author(name: str, *, bio: str = "", handle: str = "") -> Author:
    """Build, unsaved, an author first seen in an import."""
    return _stamped(Author(slug=name_slug(name), name=name, bio=bio, social_handle=handle))


def _stamped(obj: _Named) -> _Named:
    obj.created_at = obj.updated_at = timezone.now()
    return obj


def _insert(model: type[_Named], new: dict[str, _Named], reason: str) -> dict[str, _Named]:
    """Insert ``new`` (slug -> unsaved row); return slug -> row for all of them, as the database now has them."""
    if not new:
        return {}
    inserted = bulk_writer().insert_new(model, list(new.values()), key="slug")
    taken = [slug for slug in new if slug not in inserted]  # created meanwhile by another import
    rows = {row.slug: row for row in model.objects.filter(slug__in=taken)} if taken else {}
    for slug, pk in inserted.items():
        new[slug].pk = pk
        rows[slug] = new[slug]
    model.history.bulk_history_create([new[slug] for slug in inserted], default_change_reason=reason)
    return rows
