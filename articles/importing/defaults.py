"""Metadata the editor supplies for files that lack it: a publisher (and an author) for a run or a directory.

A plain "title + body" file has no copyright line and no byline. Its run can
name the publisher (and the author) for all its files, or for the files under
a directory (``--publisher-for DIR=NAME``, matched against the path each file
was found at: the directory as written, or any of its sub-directories, the
deepest one winning over a shallower one and over the run's). A supplied value
only fills what the parse did not find: a file's own copyright holder or
byline always wins. A file that got its publisher this way is taken as that
publisher's unsigned article (many publish house and wire copy without a
byline), so neither its "no publisher" nor its "no author" warning stands;
without any other warning it is published like any clean import.

What was supplied is recorded on the run (``ImportRun.defaults``) and on the
article's parsed values (``parsed["supplied"]``), so a re-parse fills the same.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from articles import parsing, triage
from articles.importing.records import Parsed

OPTION_NAMES = ("publisher", "author", "publisher_for", "author_for")


class InvalidDefaults(ValueError):
    """A supplied publisher or author name, or a directory, that cannot be used; the message says why."""


@dataclass(frozen=True)
class ImportDefaults:
    """The publisher and author to give the files of a run that have none, for the run and per directory."""

    publisher: str = ""
    author: str = ""
    publisher_for: Mapping[str, str] = field(default_factory=dict)
    author_for: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "publisher", checked_name(self.publisher, "publisher"))
        object.__setattr__(self, "author", checked_name(self.author, "author"))
        for name in ("publisher_for", "author_for"):
            by_directory = {
                directory_key(directory): checked_name(value, name.removesuffix("_for"))
                for directory, value in getattr(self, name).items()
            }
            object.__setattr__(self, name, {key: value for key, value in by_directory.items() if value})

    def __bool__(self) -> bool:
        return bool(self.publisher or self.author or self.publisher_for or self.author_for)

    def as_dict(self) -> dict[str, str | Mapping[str, str]]:
        """Return what ``ImportRun.defaults`` records: the options given, by their names."""
        return {name: value for name in OPTION_NAMES if (value := getattr(self, name))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ImportDefaults:
        """Return the defaults ``as_dict`` recorded (a run's ``defaults``, JSON)."""
        recorded = data or {}
        return cls(**{name: recorded[name] for name in OPTION_NAMES if name in recorded})

    def names_for(self, path: str) -> tuple[str, str]:
        """Return the (publisher, author) supplied for the file found at ``path`` ("" where none is)."""
        publisher, author = self.publisher, self.author
        if self.publisher_for or self.author_for:
            directories = [str(parent) for parent in reversed(PurePath(directory_key(path)).parents)]
            for directory in directories:  # shallowest first: a deeper directory overrides
                publisher = self.publisher_for.get(directory, publisher)
                author = self.author_for.get(directory, author)
        return publisher, author

    def apply(self, item: Parsed) -> Parsed:
        """Return ``item`` with what its parse lacks filled from the defaults (``item`` itself if nothing is)."""
        if item.record is None or not self:
            return item
        publisher, author = self.names_for(item.source.path)
        record, supplied = fill_record(item.record, publisher=publisher, author=author)
        if not supplied:
            return item
        snapshot = {
            **(item.snapshot or {}),
            "copyright_holder": record.copyright_holder,
            "author_names": list(record.author_names),
            "warnings": list(record.warnings),
            "supplied": supplied,
        }
        return replace(item, record=record, snapshot=snapshot)


def fill_record(
    record: parsing.ParsedArticle, *, publisher: str = "", author: str = ""
) -> tuple[parsing.ParsedArticle, dict[str, str]]:
    """Return ``record`` with the supplied names where it has none, and what was filled (``{}``: unchanged)."""
    supplied: dict[str, str] = {}
    if publisher and not record.copyright_holder:
        supplied["publisher"] = publisher
    if author and not record.author_names:
        supplied["author"] = author
    if not supplied:
        return record, supplied
    # A file with no publisher of its own, given one, is that publisher's article, signed or not.
    met = {parsing.WARN_NO_PUBLISHER, parsing.WARN_NO_AUTHOR} if "publisher" in supplied else {parsing.WARN_NO_AUTHOR}
    warnings = tuple(w for w in record.warnings if not any(triage.matches(w, kind) for kind in met))
    filled = replace(
        record,
        copyright_holder=supplied.get("publisher", record.copyright_holder),
        author_names=(supplied["author"],) if "author" in supplied else record.author_names,
        warnings=warnings,
    )
    return filled, supplied


def checked_name(name: str, what: str) -> str:
    """Return a supplied name without surrounding spaces; raise ``InvalidDefaults`` if it cannot be one."""
    name = " ".join((name or "").split())
    if len(name) > parsing.MAX_NAME_LENGTH:
        raise InvalidDefaults(f"the {what} name is {len(name)} characters long; the limit is {parsing.MAX_NAME_LENGTH}")
    if name and not any(char.isalnum() for char in name):
        raise InvalidDefaults(f"the {what} name {name!r} has no letter or digit")
    return name


def directory_key(path: str) -> str:
    """Return how a directory (or a file's path) is compared: absolute and normalised, links left as written."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))
