"""Review priority: which flagged article an editor should see first.

Pure: no database. Each review reason (a parser warning, an import conflict, or a possible duplicate)
has a weight for how likely it is that the article is wrong as imported; an
article's priority is the sum of its reasons' weights, and the review queue
lists the highest first (then the oldest first). The weights, highest first:

====  =======================================================================
 90   an import conflict: an editor's correction and a new import disagree
 75   ``DUPLICATE_REASON``: a near-duplicate of another article (a syndicated or edited copy)
 80   ``WARN_UNRECOGNISED``: the parser did not know the layout, so any field may be wrong
 70   ``WARN_AUTHOR_BLOCK``: an author block not fully separated (a bio or a name in the body)
 60   ``WARN_NO_BODY``: the text went somewhere else (a title or a subtitle that is the story)
 50   ``WARN_COPYRIGHT``: a copyright line left in the body (the publisher may be missing)
 50   any other warning (one the parser learns to give later): an "unsure" kind, above missing metadata
 40   ``WARN_SUBTITLE``: a subtitle that may be the first paragraph
 30   ``WARN_CREDIT``: a photo credit left in the body
 20   ``WARN_NO_AUTHOR``, ``WARN_NO_PUBLISHER``: metadata missing, the text itself probably right
 10   ``WARN_BOILERPLATE``: boilerplate-like lines left in the body, untidy rather than wrong
====  =======================================================================

A warning is matched to the parser's constant it starts with (``articles.parsing``'s
``WARN_*``), so a warning carrying its reason after the constant's text ("author block
not fully separated: ...") counts as that kind. Weights are keyed by the constant's
name; a name the parser does not define is skipped, and a ``WARN_*`` constant missing
from ``WEIGHTS`` gets ``DEFAULT_WEIGHT``.
"""

from __future__ import annotations

from collections.abc import Iterable

from articles import parsing

# The review reason of an import conflict on a field (see ``articles.review.conflict_reason``).
CONFLICT_REASON = "editor's {field} kept; the new import differs"
CONFLICT_WEIGHT = 90
# The review reason of a possible near-duplicate (see ``articles.deduplication``).
DUPLICATE_REASON = "possible duplicate of #{id}"
DUPLICATE_WEIGHT = 75
DEFAULT_WEIGHT = 50
# By the name of the parser's constant, so a reworded warning keeps its weight.
WEIGHTS: dict[str, int] = {
    "WARN_UNRECOGNISED": 80,
    "WARN_AUTHOR_BLOCK": 70,
    "WARN_NO_BODY": 60,
    "WARN_COPYRIGHT": 50,
    "WARN_SUBTITLE": 40,
    "WARN_CREDIT": 30,
    "WARN_NO_AUTHOR": 20,
    "WARN_NO_PUBLISHER": 20,
    "WARN_BOILERPLATE": 10,
}
# The column is a PositiveSmallIntegerField.
MAX_PRIORITY = 32767


def _known_warnings() -> list[tuple[str, int]]:
    """Return (warning text, weight) for each of the parser's ``WARN_*`` constants, longest text first."""
    known = {
        value: WEIGHTS.get(name, DEFAULT_WEIGHT)
        for name, value in vars(parsing).items()
        if name.startswith("WARN_") and isinstance(value, str) and value
    }
    return sorted(known.items(), key=lambda item: -len(item[0]))


KNOWN_WARNINGS = _known_warnings()
_CONFLICT_HEAD, _CONFLICT_TAIL = CONFLICT_REASON.split("{field}")
_DUPLICATE_HEAD = DUPLICATE_REASON.split("{id}")[0]


def is_duplicate_reason(reason: str) -> bool:
    """Tell whether ``reason`` is a "possible duplicate of #N" review reason."""
    return reason.startswith(_DUPLICATE_HEAD) and reason[len(_DUPLICATE_HEAD) :].isdigit()


def reason_weight(reason: str) -> int:
    """Return the weight of one review reason (see the table above)."""
    if reason.startswith(_CONFLICT_HEAD) and reason.endswith(_CONFLICT_TAIL):
        return CONFLICT_WEIGHT
    if is_duplicate_reason(reason):
        return DUPLICATE_WEIGHT
    for text, weight in KNOWN_WARNINGS:
        if matches(reason, text):
            return weight
    return DEFAULT_WEIGHT


def matches(reason: str, warning: str) -> bool:
    """Tell whether ``reason`` is the parser's ``warning``, alone or followed by its details ("no author: ...")."""
    return reason == warning or (reason.startswith(warning) and not reason[len(warning)].isalnum())


def review_priority(reasons: Iterable[str]) -> int:
    """Return the priority of an article with these review reasons: the sum of their weights (0 for none)."""
    return min(MAX_PRIORITY, sum(reason_weight(reason) for reason in reasons))
