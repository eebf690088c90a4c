"""Turn the bytes of a seed file into a parsed article record.

Pure Python: no Django imports, so the parser can be tested and reused alone.

Decoding (``decode``): UTF-8 with or without a byte-order mark ("utf-8-sig" /
"utf-8"), UTF-16 with a byte-order mark, little or big endian ("utf-16"), and
anything else as cp1252 ("cp1252"), where the five bytes cp1252 leaves
undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become their latin-1 characters, so
every byte maps to exactly one character and nothing is lost. A UTF-8 BOM in
front of bytes that are not UTF-8 is dropped and the rest read as cp1252.

Normalization (``normalize``): a leading U+FEFF is dropped, the text is put in
Unicode NFC, CRLF and lone CR become LF, trailing whitespace is trimmed on
every line, and the text ends without a trailing newline. The SHA-256 of the
normalized text identifies an article whatever its encoding, line endings or
trailing spaces.

Errors (``ParseError.reason``, checked in this order): "file too large" (before
decoding, naming the size and the limit), "invalid UTF-16", "empty file",
"binary file" (a NUL character, or more than MAX_CONTROL_RATIO control
characters; judged on the decoded text, so UTF-16 is not binary), "invalid
characters" (unpaired surrogates, which cannot be stored), "only whitespace",
"no title", "title too long".

Seed layout, one item per non-empty line (blank lines carry no meaning, and
every non-empty line is its own paragraph, because the boilerplate lines of the
seed are not separated by blank lines)::

    © 2024 Blaze Media LLC. All rights reserved.     copyright line
    Headline                                         title
    Photo by Jane Doe/Getty Images                   image credit (optional)
    Headline                                         the headline, repeated
    A one-line subtitle                              subtitle (optional)
    Body paragraph ...                               body
    Want to leave a tip? ...                         boilerplate, see BOILERPLATE_PATTERNS
    Phil Shiver                                      author name(s)
    Phil Shiver                                      the same again
    Phil Shiver is a former staff writer ...         bio (optional), starts with the name

Any part may be missing; the rules, in order:

* The copyright line is the first non-empty line (or else the last one):
  ``©``, ``(c)``, ``Copyright``, ``Copyright ©`` or ``Copyright (c)``, a year
  (or a range, whose last year counts), the holder, and optionally
  "All rights reserved". Without one: warning "no publisher".
* Boilerplate lines are dropped wherever they are.
* The author block is recognised at the very end only: a name line twice in a
  row, then an optional one-line bio that starts with the (first) name. Several
  authors are split on ", ", " and " and " & ". The handle is the first
  ``@name`` in the bio. Failing that, a "By Jane Doe" line right after the
  headline block gives the names. Without either: warning "no author".
* The title is the first remaining line that is not a credit line; if there is
  none the file is rejected ("no title"); a title longer than MAX_TITLE_LENGTH
  is rejected too, as it is a paragraph rather than a headline.
* A credit line ("Photo by", "Photo:", "Photograph by", "Image:", "Image by",
  "Credit:", ...) right before or after the title or its repetition is the
  image credit, without its prefix.
* The subtitle is only looked for right after the repeated headline, and only
  taken when the line is short and does not end like a sentence (".", ":", ";"
  or ","); otherwise the subtitle stays empty rather than stealing the first
  body paragraph. Without the repetition there is no subtitle.
* A file with a copyright line whose headline is never repeated does not follow
  the seed layout: warning "unrecognised layout". A file with neither is plain
  "title + body" text, which is normal.
* Everything else is the body: paragraphs joined by exactly one blank line.
  No paragraphs: warning "no body". ``word_count`` counts the body's
  whitespace-separated words (not the title's).
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field

from articles.languages import detect as detect_language

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_TITLE_LENGTH = 1000  # Article.title
MAX_CREDIT_LENGTH = 1000  # Article.image_credit
MAX_NAME_LENGTH = 255  # Author.name and Publisher.name
MAX_SUBTITLE_LENGTH = 300
MAX_NAME_WORDS = 6
# More than this share of control characters (besides tabs and line breaks) means binary data.
MAX_CONTROL_RATIO = 0.1

WARN_NO_PUBLISHER = "no publisher"
WARN_NO_AUTHOR = "no author"
WARN_NO_BODY = "no body"
WARN_UNRECOGNISED = "unrecognised layout"

# Whole lines dropped wherever they appear (matched case-insensitively against the stripped line).
BOILERPLATE_PATTERNS: list[re.Pattern[str]] = [
    re.compile(r"want to leave a tip\??", re.IGNORECASE),
    re.compile(r"we answer to you\. help keep our content free\b.*", re.IGNORECASE),
    re.compile(r"want to join the conversation\??", re.IGNORECASE),
    re.compile(r"already a subscriber\??", re.IGNORECASE),
]

_COPYRIGHT_RE = re.compile(
    r"(?:copyright\s*(?:©|\(c\))?|©|\(c\))\s*"
    r"(?:[12]\d{3}\s*[-–—]\s*)?(?P<year>[12]\d{3})\b[.,]?\s*"
    r"(?P<holder>.*?)"
    r"(?:[.,;]?\s*all rights reserved)?[.\s]*",
    re.IGNORECASE,
)
_CREDIT_RE = re.compile(
    r"(?:photo(?:graph)?\s+(?:by|credit:?)|photo(?:graph)?\s*:|image\s+(?:by|credit:?)|image\s*:|credit\s*:)"
    r"\s*(?P<credit>\S.*)",
    re.IGNORECASE,
)
_BYLINE_RE = re.compile(r"by\s+(?P<names>\S.*)", re.IGNORECASE)
# Twitter/X, Instagram style: dots allowed inside, so the full stop ending a sentence is left out.
_HANDLE_RE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,48}[A-Za-z0-9_])?")
# Split "A, B and C" / "A & B", but not "John Smith, Jr.".
_NAME_SEPARATOR_RE = re.compile(
    r",(?!\s*(?:jr|sr|ii|iii|iv)\b)\s*(?:and\s+|&\s*)?|\s+(?:and|&)\s+",
    re.IGNORECASE,
)
_NOT_IN_NAME_RE = re.compile(r"[\d:;!?@#/()\[\]\"“”]")
_NAME_PARTICLES = frozenset({"al", "bin", "da", "de", "del", "den", "der", "di", "du", "ibn", "la", "le", "van", "von"})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SENTENCE_END = (".", ":", ";", ",")
_CLOSING_QUOTES = "\"'”’»)]"

# cp1252 for 0x80-0x9F, leaving the five undefined bytes as their latin-1 characters.
_CP1252_TABLE = {
    byte: char
    for byte, char in zip(range(0x80, 0xA0), bytes(range(0x80, 0xA0)).decode("cp1252", errors="replace"), strict=True)
    if char != "\ufffd"
}


class ParseError(ValueError):
    """The input cannot become an article; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedArticle:
    """Everything the parser found in one seed."""

    title: str
    subtitle: str = ""
    body: str = ""
    image_credit: str = ""
    copyright_year: int | None = None
    copyright_holder: str = ""
    author_names: tuple[str, ...] = ()
    author_bio: str = ""
    author_handle: str = ""
    word_count: int = 0
    # ISO 639-1 code of the text's language ("" when unsure): ``articles.languages.detect()``.
    language: str = ""
    warnings: tuple[str, ...] = ()
    raw_text: str = ""
    text: str = ""
    encoding: str = ""
    sha256: str = field(default="")

    def to_dict(self) -> dict[str, object]:
        """Return the parsed values as JSON-ready data, without the two (large) source texts."""
        data = asdict(self)
        del data["raw_text"], data["text"]
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


@dataclass(frozen=True)
class _Header:
    title: str
    image_credit: str = ""
    subtitle: str = ""
    byline: tuple[str, ...] = ()
    repeated: bool = False


# -- public API


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedArticle:
    """Parse the bytes of a seed file; raise ParseError when they cannot be an article."""
    if len(data) > max_bytes:
        raise ParseError(f"file too large: {len(data):,} bytes, the limit is {max_bytes:,} bytes")
    raw_text, encoding = decode(data)
    return parse_text(raw_text, encoding=encoding)


def parse_text(raw_text: str, *, encoding: str = "") -> ParsedArticle:
    """Parse an already decoded seed text, e.g. the stored raw source of an article."""
    _check_is_text(raw_text)
    text = normalize(raw_text)
    if not text:
        raise ParseError("only whitespace: the file has no text")
    year, holder, lines = _take_copyright(_content_lines(text))
    lines = [line for line in lines if not _is_boilerplate(line)]
    lines, names, bio = _take_author_block(lines)
    header, lines = _take_header(lines)
    body = "\n\n".join(lines)
    names = names or header.byline
    return ParsedArticle(
        title=header.title,
        subtitle=header.subtitle,
        body=body,
        image_credit=header.image_credit,
        copyright_year=year,
        copyright_holder=holder,
        author_names=names,
        author_bio=bio,
        author_handle=_find_handle(bio),
        word_count=len(body.split()),
        language=detect_language("\n\n".join((header.title, header.subtitle, body))),
        warnings=_warnings(year=year, holder=holder, names=names, body=body, header=header),
        raw_text=raw_text,
        text=text,
        encoding=encoding,
        sha256=sha256_of(text),
    )


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding name)`` for the bytes of a text file, without any byte-order mark."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data), "utf-16"
    has_bom = data.startswith(codecs.BOM_UTF8)
    if has_bom:
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1").translate(_CP1252_TABLE), "cp1252"


def normalize(text: str) -> str:
    """Return ``text`` in NFC with LF line endings and no trailing whitespace on any line or at the end."""
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def sha256_of(text: str) -> str:
    """Return the SHA-256 hex digest of the UTF-8 encoding of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- decoding and sanity checks


def _decode_utf16(data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise ParseError(f"invalid UTF-16 after a UTF-16 byte-order mark: {exc.reason}") from exc


def _check_is_text(raw_text: str) -> None:
    """Raise ParseError for empty text, binary data or characters that cannot be stored."""
    if not raw_text:
        raise ParseError("empty file")
    if "\x00" in raw_text:
        raise ParseError("binary file, not text: it contains NUL bytes")
    if len(_CONTROL_RE.findall(raw_text)) > MAX_CONTROL_RATIO * len(raw_text):
        raise ParseError("binary file, not text: it is mostly control characters")
    try:
        raw_text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError("invalid characters: the text contains unpaired surrogates") from exc


def _content_lines(text: str) -> list[str]:
    """Return the non-empty lines, stripped; each is one paragraph."""
    return [stripped for line in text.split("\n") if (stripped := line.strip())]


# -- the parts of the layout


def _take_copyright(lines: list[str]) -> tuple[int | None, str, list[str]]:
    """Split the copyright line (first, or else last) off ``lines``: ``(year, holder, rest)``."""
    for index, rest in ((0, lines[1:]), (-1, lines[:-1])):
        match = _match_copyright(lines[index]) if lines else None
        if match:
            return int(match["year"]), match["holder"].strip().rstrip(" .,;"), rest
    return None, "", lines


def _match_copyright(line: str) -> re.Match[str] | None:
    match = _COPYRIGHT_RE.fullmatch(line)
    # A "holder" too long for a publisher name means this is a sentence, not a notice.
    return match if match and len(match["holder"]) <= MAX_NAME_LENGTH else None


def _is_boilerplate(line: str) -> bool:
    return any(pattern.fullmatch(line) for pattern in BOILERPLATE_PATTERNS)


def _take_author_block(lines: list[str]) -> tuple[list[str], tuple[str, ...], str]:
    """Split the author block off the end of ``lines``: ``(rest, names, bio)``.

    At least one line (the title) must stay in front of the block.
    """
    if len(lines) >= 4 and _same(lines[-3], lines[-2]):
        names = _split_names(lines[-2])
        if names and lines[-1].startswith(names[0]):
            return lines[:-3], names, lines[-1]
    if len(lines) >= 3 and _same(lines[-2], lines[-1]):
        names = _split_names(lines[-1])
        if names:
            return lines[:-2], names, ""
    return lines, (), ""


def _take_header(lines: list[str]) -> tuple[_Header, list[str]]:
    """Split title, credit, repeated title, subtitle and byline off the start of ``lines``."""
    credit, lines = _take_credit(lines, "")
    if not lines:
        raise ParseError("no title: the file has no headline line")
    title, lines = lines[0], lines[1:]
    if len(title) > MAX_TITLE_LENGTH:
        raise ParseError(f"title too long: {len(title):,} characters, the limit is {MAX_TITLE_LENGTH:,}")
    credit, lines = _take_credit(lines, credit)
    repeated = bool(lines) and _same(lines[0], title)
    if repeated:
        credit, lines = _take_credit(lines[1:], credit)
    subtitle, lines = _take_subtitle(lines) if repeated else ("", lines)
    byline, lines = _take_byline(lines)
    return _Header(title, credit, subtitle, byline, repeated), lines


def _take_credit(lines: list[str], credit: str) -> tuple[str, list[str]]:
    """Take a credit line from the start of ``lines`` unless a credit was already found."""
    match = _CREDIT_RE.fullmatch(lines[0]) if lines and not credit else None
    if match and len(match["credit"]) <= MAX_CREDIT_LENGTH:
        return match["credit"], lines[1:]
    return credit, lines


def _take_subtitle(lines: list[str]) -> tuple[str, list[str]]:
    """Take the first line as the subtitle when it is short and does not read like a sentence."""
    if not lines or len(lines[0]) > MAX_SUBTITLE_LENGTH or _BYLINE_RE.fullmatch(lines[0]):
        return "", lines
    if lines[0].rstrip(_CLOSING_QUOTES).endswith(_SENTENCE_END):
        return "", lines
    return lines[0], lines[1:]


def _take_byline(lines: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Take a "By Jane Doe" line from the start of ``lines``."""
    match = _BYLINE_RE.fullmatch(lines[0]) if lines else None
    names = _split_names(match["names"]) if match else ()
    return (names, lines[1:]) if names else ((), lines)


def _split_names(line: str) -> tuple[str, ...]:
    """Return the author names in ``line``, or () when it does not look like a list of names."""
    names = [name.strip() for name in _NAME_SEPARATOR_RE.split(line)]
    if not names or not all(_is_name(name) for name in names):
        return ()
    return tuple(dict.fromkeys(names))


def _is_name(name: str) -> bool:
    words = name.split()
    if not 0 < len(words) <= MAX_NAME_WORDS or len(name) > MAX_NAME_LENGTH or _NOT_IN_NAME_RE.search(name):
        return False
    return all(word.lower() in _NAME_PARTICLES or (word[0].isalpha() and not word[0].islower()) for word in words)


def _find_handle(bio: str) -> str:
    match = _HANDLE_RE.search(bio)
    return match[0] if match else ""


def _same(line: str, other: str) -> bool:
    """Tell whether two lines are the same text, ignoring case and spacing."""
    return " ".join(line.casefold().split()) == " ".join(other.casefold().split())


def _warnings(*, year: int | None, holder: str, names: tuple[str, ...], body: str, header: _Header) -> tuple[str, ...]:
    checks = (
        (not holder, WARN_NO_PUBLISHER),
        (not names, WARN_NO_AUTHOR),
        (not body, WARN_NO_BODY),
        (year is not None and not header.repeated, WARN_UNRECOGNISED),
    )
    return tuple(warning for failed, warning in checks if failed)
