"""Find the article's own publication and update dates among the first lines of a seed.

Pure Python (no Django imports), like ``articles.parsing``, which calls
``take_dates`` on the content lines before it splits header from body.

What counts as a date line (every other line is left alone, so a date inside
a body sentence is never taken):

* a line starting with a publication or update label, in English, Spanish,
  French, German, Italian or Portuguese ("Published", "Posted", "First
  published", "Publicado el", "Publié le", "Veröffentlicht am", "Pubblicato
  il", "Updated:", "Last updated", "Actualizado", "Mis à jour le",
  "Aktualisiert am", "Aggiornato il", "Atualizado em", ...) followed by a date;
  several labelled parts may share a line, separated by "|", "·", "•", ";" or
  a comma ("Published 3 March 2024 | Updated 4 March 2024");
* or a short line that is nothing but a date or date-time ("Mar. 3, 2024",
  "3 de marzo de 2024", "2024-03-03T17:00:00-05:00"), which is a publication date.

Only the first ``HEADER_WINDOW`` lines are looked at (copyright, headline,
credit, subtitle, byline and the date lines fit in them), and at least one line
that is not a date always stays (the headline). A date line is page furniture:
``take_dates`` removes every line it read a date from. The first publication
date and the first update date count; later ones are dropped with their line.

Reading the date (``dateparser``, only on lines the cheap regular expressions
below already picked, as it costs about a millisecond a line):

* day, month and year must all be given: "March 2024" or "2024" is no date;
* relative dates ("2 hours ago", "yesterday") are ignored, as they depend on
  the day the page was copied, which is unknown; the line stays in the body;
* a time zone in the text ("EST", "+01:00", "CET") is honoured; a date or time
  without one is taken as UTC, and a date without a time as its midnight, UTC;
* a labelled line is read in the label's language first ("Publicado el
  03/04/2024" is 3 April); a bare date line in any of the six languages, so an
  all-numeric date is month first ("03/04/2024" is March 4) unless it is ISO;
* years outside MIN_YEAR..MAX_YEAR are no publication date.

The result is ISO 8601 text in UTC with its offset ("2024-03-03T22:00:00+00:00"),
so the parsed record stays JSON-ready.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

HEADER_WINDOW = 10
MAX_DATE_LINE_LENGTH = 120
MAX_BARE_DATE_LENGTH = 60
MIN_YEAR = 1800
MAX_YEAR = 2200
LANGUAGES = ("en", "es", "fr", "de", "it", "pt")

PUBLISHED = "published"
UPDATED = "updated"

# label -> (kind, language); matched case-insensitively at the start of a line or part.
_LABELS: dict[str, tuple[str, str]] = {
    "first published": (PUBLISHED, "en"),
    "published": (PUBLISHED, "en"),
    "posted": (PUBLISHED, "en"),
    "updated": (UPDATED, "en"),
    "last updated": (UPDATED, "en"),
    "last modified": (UPDATED, "en"),
    "modified": (UPDATED, "en"),
    "publicado": (PUBLISHED, "es"),
    "publicada": (PUBLISHED, "es"),
    "actualizado": (UPDATED, "es"),
    "actualizada": (UPDATED, "es"),
    "última actualización": (UPDATED, "es"),
    "publié": (PUBLISHED, "fr"),
    "publiée": (PUBLISHED, "fr"),
    "mis à jour": (UPDATED, "fr"),
    "mise à jour": (UPDATED, "fr"),
    "veröffentlicht": (PUBLISHED, "de"),
    "aktualisiert": (UPDATED, "de"),
    "zuletzt aktualisiert": (UPDATED, "de"),
    "pubblicato": (PUBLISHED, "it"),
    "pubblicata": (PUBLISHED, "it"),
    "aggiornato": (UPDATED, "it"),
    "aggiornata": (UPDATED, "it"),
    "publicado em": (PUBLISHED, "pt"),
    "atualizado": (UPDATED, "pt"),
    "atualizada": (UPDATED, "pt"),
}
# The little words between a label and its date: "on", "el", "le", "am", "il", "em", "at", ":".
_LABEL_RE = re.compile(
    r"(?P<label>"
    + "|".join(re.escape(label) for label in sorted(_LABELS, key=len, reverse=True))
    + r")\b\s*(?:on|el|le|am|il|em|at|à|a las|alle|um)?\s*[:\-–—]?\s*(?P<date>\S.*)",
    re.IGNORECASE,
)
# Parts of one date line: "Published ... | Updated ...", "Published ..., updated ...".
_PART_SEPARATOR_RE = re.compile(
    r"\s*[|·•;]\s*|,\s*(?=(?:" + "|".join(re.escape(label) for label in _LABELS) + r")\b)", re.IGNORECASE
)
_LABEL_START_RE = re.compile(
    "(?:" + "|".join(re.escape(label) for label in sorted(_LABELS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
# ISO 8601 dates and date-times, read without dateparser (most of a machine-made page's dates).
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_YEAR_RE = re.compile(r"(?<!\d)(?:1[89]|2[01])\d\d(?!\d)")
# A bare date line: a year, digits, at most a few words (months, weekdays, "de", "at", time zones) and
# date punctuation; no sentence.
_BARE_DATE_RE = re.compile(r"[\w.,:/+\-–—()' ]+")
MAX_BARE_WORDS = 7

_SETTINGS = {
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    # No "relative-time": "2 hours ago" would be read against today.
    "PARSERS": ["timestamp", "absolute-time"],
    "PREFER_LOCALE_DATE_ORDER": True,
    # Never consulted with every part required, but fixed so no reading can depend on the clock.
    "RELATIVE_BASE": dt.datetime(2000, 1, 1),
}


@dataclass(frozen=True)
class ArticleDates:
    """The dates a seed gives for itself, as ISO 8601 text in UTC, or None."""

    published_at: str | None = None
    updated_at: str | None = None


def take_dates(lines: list[str]) -> tuple[ArticleDates, list[str]]:
    """Return the dates the header's date lines give, and ``lines`` without those lines."""
    found: dict[str, str] = {}
    taken: set[int] = set()
    for index, line in enumerate(lines[:HEADER_WINDOW]):
        if len(taken) + 1 >= len(lines):
            break  # The headline always stays.
        dates = read_date_line(line)
        if dates:
            taken.add(index)
            for kind, value in dates:
                found.setdefault(kind, value)
    rest = [line for index, line in enumerate(lines) if index not in taken]
    return ArticleDates(found.get(PUBLISHED), found.get(UPDATED)), rest


def read_date_line(line: str) -> list[tuple[str, str]]:
    """Return ``[(kind, ISO date)]`` when ``line`` is a date line (every part a date), else ``[]``."""
    if len(line) > MAX_DATE_LINE_LENGTH or not _YEAR_RE.search(line):
        return []
    if not _LABEL_START_RE.match(line):
        # Most lines stop here, at two cheap regular expressions.
        return _bare_date(line)
    parts = [part for part in _PART_SEPARATOR_RE.split(line) if part]
    labelled = [match for part in parts if (match := _LABEL_RE.fullmatch(part))]
    if len(labelled) < len(parts):
        return []  # a part without a label: no date line, known before any (costly) date is read
    read: list[tuple[str, str]] = []
    for match in labelled:
        kind, language = _LABELS[match["label"].casefold()]
        value = parse_date(match["date"], language)
        if value is None:
            return []
        read.append((kind, value))
    return read


def _bare_date(line: str) -> list[tuple[str, str]]:
    value = parse_date(line, None) if _looks_like_bare_date(line) else None
    return [(PUBLISHED, value)] if value else []


def parse_date(text: str, language: str | None) -> str | None:
    """Return ``text`` read as an absolute date (``language`` first, if given) in ISO 8601 UTC, or None."""
    if not _YEAR_RE.search(text):
        return None
    text = text.strip().rstrip(".")
    if _ISO_RE.fullmatch(text):
        return _iso(text)
    # The label's language alone first, so its own day/month order reads a numeric date.
    value = _parser((language,)).get_date_data(text).date_obj if language else None
    value = value or _parser(LANGUAGES).get_date_data(text).date_obj
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return value.astimezone(dt.UTC).isoformat()


def _iso(text: str) -> str | None:
    try:
        value = dt.datetime.fromisoformat(text.replace(",", "."))
    except ValueError:
        return None  # "2024-13-01": no date
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()


def _looks_like_bare_date(line: str) -> bool:
    if len(line) > MAX_BARE_DATE_LENGTH or not _BARE_DATE_RE.fullmatch(line):
        return False
    words = re.findall(r"[^\W\d_]+", line)
    return len(words) <= MAX_BARE_WORDS and not line.endswith(("!", "?"))


@cache
def _parser(languages: tuple[str, ...]) -> DateDataParser:
    """Return a date parser for ``languages`` (built once: building one loads its language data)."""
    from dateparser.date import DateDataParser  # Imported on first use: it takes a while to load.

    return DateDataParser(languages=list(languages), try_previous_locales=False, settings=_SETTINGS)
