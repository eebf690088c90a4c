"""An article's source revisions: the earlier texts re-imports replaced, the current one last, and their diffs.

Revision 1 is the oldest source; the article's current source is the latest. The
admin and the API both read revisions and diffs from here.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from typing import Any

from articles import parsing
from articles.importing.records import parsed_snapshot
from articles.models import Article, SourceRevision

# At most this many stored revisions per article are numbered (a re-import a day is years of them).
MAX_REVISIONS = 1000
# Lines of context around each change of a unified diff.
CONTEXT_LINES = 3
# The parsed values compared between revisions (``changed_fields``).
COMPARED_FIELDS = (
    "title",
    "subtitle",
    "body_sha256",
    "image_credit",
    "copyright_year",
    "copyright_holder",
    "author_names",
    "language",
    "original_published_at",
    "original_updated_at",
    "correction",
)
# How a compared value is named to users.
FIELD_NAMES = {"body_sha256": "body", "copyright_holder": "publisher", "author_names": "authors"}


class RevisionNotFound(LookupError):
    """The article has no revision of that number."""


@dataclass(frozen=True)
class Revision:
    """One source text of an article."""

    number: int
    sha256: str
    raw_text: str
    encoding: str
    import_run_id: int | None
    imported_at: dt.datetime | None
    replaced_at: dt.datetime | None
    changed_fields: list[str] | None = field(default=None)

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None


@dataclass(frozen=True)
class RevisionDiff:
    """The change from revision ``old`` to revision ``new``: unified text and structured hunks."""

    old: Revision
    new: Revision
    unified: str
    hunks: list[dict[str, Any]]


def revisions(*, article: Article, with_changes: bool = True) -> list[Revision]:
    """Return the article's source revisions, oldest first, its current source last.

    ``with_changes``: compare each revision's parse with the previous one's (one parse per revision).
    """
    stored = list(
        SourceRevision.objects.filter(article=article)
        .order_by("replaced_at", "id")
        .values_list("content_sha256", "raw_text", "source_encoding", "import_run_id", "replaced_at")[:MAX_REVISIONS]
    )
    texts = [*stored, (article.content_sha256, article.raw_text, article.source_encoding, article.import_run_id, None)]
    found: list[Revision] = []
    previous: dict[str, Any] | None = None
    for number, (sha256, raw_text, encoding, run_id, replaced_at) in enumerate(texts, start=1):
        imported_at = found[-1].replaced_at if found else article.created_at
        changes = None
        if with_changes:
            parsed = snapshot(raw_text, encoding)
            changes = changed_fields(previous, parsed) if number > 1 else []
            previous = parsed
        found.append(Revision(number, sha256, raw_text, encoding, run_id, imported_at, replaced_at, changes))
    return found


def revision(*, article: Article, number: int) -> Revision:
    """Return revision ``number`` of the article, or raise ``RevisionNotFound``."""
    found = revisions(article=article, with_changes=False)
    if not 1 <= number <= len(found):
        raise RevisionNotFound(f"Article {article.pk} has no revision {number}: it has {len(found)}.")
    return found[number - 1]


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str] | None:
    """Return the parsed fields that differ between two snapshots (None when either source no longer parses)."""
    if old is None or new is None:
        return None
    return [FIELD_NAMES.get(name, name) for name in COMPARED_FIELDS if old.get(name) != new.get(name)]


def snapshot(raw_text: str, encoding: str) -> dict[str, Any] | None:
    """Return what the pure parser finds in a source text, or None when it no longer parses."""
    try:
        return parsed_snapshot(parsing.parse_text(raw_text, encoding=encoding))
    except parsing.ParseError:
        return None


def diff(*, article: Article, number: int, against: int | None = None) -> RevisionDiff:
    """Return the diff from revision ``against`` (default: the previous one, or nothing) to revision ``number``."""
    found = revisions(article=article, with_changes=False)
    for wanted in (number, against):
        if wanted is not None and not 1 <= wanted <= len(found):
            raise RevisionNotFound(f"Article {article.pk} has no revision {wanted}: it has {len(found)}.")
    new = found[number - 1]
    old_number = against if against is not None else number - 1
    old = found[old_number - 1] if old_number else Revision(0, "", "", "", None, None, None)
    old_lines, new_lines = old.raw_text.splitlines(), new.raw_text.splitlines()
    unified = "\n".join(
        difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile=f"revision {old.number}",
            tofile=f"revision {new.number}",
            n=CONTEXT_LINES,
            lineterm="",
        )
    )
    return RevisionDiff(old=old, new=new, unified=unified + "\n" if unified else "", hunks=hunks(old_lines, new_lines))


def hunks(old: list[str], new: list[str]) -> list[dict[str, Any]]:
    """Return the changes between two lists of lines as hunks of operations, with line numbers from 1."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    result = []
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        first, last = group[0], group[-1]
        result.append(
            {
                "old_start": first[1] + 1,
                "old_lines": last[2] - first[1],
                "new_start": first[3] + 1,
                "new_lines": last[4] - first[3],
                "ops": [{"op": tag, "old": old[i1:i2], "new": new[j1:j2]} for tag, i1, i2, j1, j2 in group],
            }
        )
    return result


def side_by_side(*, old_text: str, new_text: str) -> list[dict[str, Any]]:
    """Return paragraph rows for a side-by-side view; changed paragraphs split into words marked as changed.

    Each row: ``op`` and ``old``/``new`` lists of segments ``(text, changed)``; templates escape the text.
    """
    old, new = _paragraphs(old_text), _paragraphs(new_text)
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            rows += [{"op": tag, **_word_diff(a, b)} for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
        else:
            rows += [
                {"op": tag, "old": [(a, tag != "equal")] if a else [], "new": [(b, tag != "equal")] if b else []}
                for a, b in _pad(old[i1:i2], new[j1:j2])
            ]
    return rows


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


def _pad(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    size = max(len(old), len(new))
    return list(zip(old + [""] * (size - len(old)), new + [""] * (size - len(new)), strict=True))


def _word_diff(old: str, new: str) -> dict[str, Any]:
    a, b = old.split(" "), new.split(" ")
    old_parts: list[tuple[str, bool]] = []
    new_parts: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            old_parts.append((" ".join(a[i1:i2]) + " ", changed))
        if j2 > j1:
            new_parts.append((" ".join(b[j1:j2]) + " ", changed))
    return {"old": old_parts, "new": new_parts}
