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

Layouts understood. Every non-empty line is its own paragraph (blank lines
carry no meaning: the page furniture of a copied page is not separated by
them). The fullest layout, the Blaze Media seed's, with the variants other
publishers use in brackets::

    © 2024 Blaze Media LLC. All rights reserved.   copyright line [or last]
    Headline                                       title
    Photo by Jane Doe/Getty Images                 image credit (optional)
    Headline                                       the headline, repeated (optional)
    A one-line subtitle                            subtitle (optional)
    [By Ann Lee, Staff Writer | Example News]      byline (optional)
    [Published March 3, 2024 5:00 PM EST]          timestamp (dropped)
    [WASHINGTON (AP) — The Senate ...]             body; a dateline stays in it
    Want to leave a tip? ...                       page furniture (dropped)
    [Correction: An earlier version ...]           correction (kept in the body too)
    Phil Shiver                                    author block(s), see below
    Phil Shiver
    Phil Shiver is a former staff writer ...

The rules, in order:

* Date lines ("Published March 3, 2024 5:00 PM EST", "Updated: ...", a line
  that is only a date) among the first lines give the article's original
  publication and update dates and are dropped; see ``articles.dating``.
* Page furniture is dropped wherever it is: the multilingual list in
  ``articles.furniture`` (share, follow, newsletter, advertisement, related,
  read more, comments, cookie prompts, reading times, footer links, in English,
  Spanish, French, German, Italian and Portuguese, and the seed's four lines),
  lines that are only a date or a "Published/Updated/Publicado/Publié/
  Veröffentlicht/Pubblicato/Atualizado ..." timestamp, and the caller's
  ``site_boilerplate`` (a publisher's learned lines, compared by
  ``boilerplate_key``, or ``boilerplate_for(holder)``: the learned lines of the
  publisher the copyright line names, looked up before the rest is parsed so a
  source is parsed once), except that a learned line never removes a copyright
  line or a line of author names; a source that would be no article at all
  without them keeps them.
* The copyright line is the first line, else one of the last four (site
  footer lines after it are dropped), else the second or third line (lines
  before it that only repeat the holder are a masthead and dropped). A line
  may hold several parts separated by "|", "·" or "•"; the one that starts
  with ``©``, ``(c)``, ``Copyright``, ``© Copyright``, ``Copyright ©`` or
  ``Copyright (c)`` counts. Then a year or a range (whose last year counts) and
  the holder, or the holder and then the year. "All rights reserved" and its
  Spanish, French, German, Italian and Portuguese forms, and a sentence after
  the holder ("Do not redistribute.", "This material may not be published
  ..."), are removed. The holder is kept as printed, with the full stop of
  ``Inc.``, ``Corp.``, ``Ltd.``, ``Co.`` or ``S.A.``; a plain full stop ending
  the holder is not part of it. Without one: warning "no publisher".
* Corrections and editor's notes ("Correction:", "Editor's note:", "An
  earlier version of this story ...", "Corrección:", "Rectificatif :",
  "Korrektur:", "Correzione:", "Correção:", ...) at the end of the story stay
  in the body and are also returned in ``correction``.
* Author blocks at the end, one or several, each: the name line twice and a
  bio; the name line twice; or the name line once and a bio that mentions the
  name and reads like one ("A veteran reporter, Ann Lee covers ..."). After a
  doubled name line any line is the bio. A name line lists names split on
  ",", "and", "&", "y", "et", "und" and "e", and may carry job titles
  (", Staff Writer") or affiliations (", Associated Press", "| Example
  News"), which are not names. A bio naming several authors is split by
  sentence, each author keeping their own (``author_bios``, aligned with
  ``author_names``); a bio that cannot be split is shared: it stays in
  ``author_bio`` and no author gets it. The handle is the first ``@name`` in
  the (first) bio.
* The title is the first remaining line that is not a credit line; if there is
  none the file is rejected ("no title"); a title longer than MAX_TITLE_LENGTH
  is rejected too, as it is a paragraph rather than a headline.
* A credit line right before or after the title or its repetition (or after
  the subtitle or byline) is the image credit: a prefixed one ("Photo by",
  "Photo:", "Photograph by", "Image:", "Credit:", "Foto:", "Bild:",
  "Crédit photo :", ...) without its prefix, or an agency form as printed
  ("AP Photo/Jane Roe", "Jane Roe/Reuters", "Getty Images", "Jane Roe via
  Getty Images", "Jane Roe/AFP via Getty Images").
* The byline: a "By", "Por", "Par", "Von" or "Di" line (or a names line with a
  job title or "| Publisher" suffix; under a headline that is not repeated,
  also bare full names of two or three words) after the headline block, or a
  lone "By ..." line at the very end. A bio at the
  very end that mentions a byline author belongs to them. Without names from
  a byline or an author block: warning "no author".
* The subtitle is judged by position and shape: a line between the headline
  block and a byline, a credit or a dateline is a subtitle when it is short
  (MAX_SUBTITLE_LENGTH) and at most two sentences; right after the repeated
  headline, a short line that does not end like a sentence (".", ":", ";"
  or ",") is one, unless it is a question of fewer than
  MIN_QUESTION_DEK_WORDS words ("Why now?" opens the body), and a short
  two-sentence line is taken with a warning. Furniture is never a subtitle, and without the
  repetition or a delimiter there is no subtitle.
* A file with a copyright line but neither the repeated headline, a byline
  nor an author block does not follow a known layout: warning "unrecognised
  layout". A file with none of them is plain "title + body" text, which is
  normal.
* Everything else is the body: paragraphs joined by exactly one blank line.
  No paragraphs: warning "no body". ``word_count`` counts the body's
  whitespace-separated words (not the title's).

Besides what is missing, warnings say what the parser is unsure of, each as a
constant, ": " and a reason an editor can act on: WARN_AUTHOR_BLOCK (a last
paragraph that looks like a name or a bio, a byline and author block that
disagree), WARN_SUBTITLE, WARN_BOILERPLATE (short lines about sharing,
newsletters, cookies ... left in the body), WARN_CREDIT and WARN_COPYRIGHT
(a credit or copyright line left in the body).
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass, field
from typing import TypedDict

from articles import furniture
from articles.dating import take_dates
from articles.languages import detect as detect_language

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_TITLE_LENGTH = 1000  # Article.title
MAX_CREDIT_LENGTH = 1000  # Article.image_credit
MAX_NAME_LENGTH = 255  # Author.name and Publisher.name
MAX_SUBTITLE_LENGTH = 300
MAX_NAME_WORDS = 6
MAX_HOLDER_WORDS = 12
MAX_BIO_LENGTH = 2000
MAX_AUTHOR_BLOCKS = 8
MAX_AFFILIATION_WORDS = 8
# A byline without "By" (under a headline that is not repeated) is full names of two or three words.
MAX_BARE_NAME_WORDS = 3
# A question shorter than this right after the headline is a section heading, not a subtitle.
MIN_QUESTION_DEK_WORDS = 4
# More than this share of control characters (besides tabs and line breaks) means binary data.
MAX_CONTROL_RATIO = 0.1
# How much of a line a warning quotes.
QUOTE_LENGTH = 80

WARN_NO_PUBLISHER = "no publisher"
WARN_NO_AUTHOR = "no author"
WARN_NO_BODY = "no body"
WARN_UNRECOGNISED = "unrecognised layout"
# What the parser is unsure of: each warning is one of these, ": ", and the reason.
WARN_AUTHOR_BLOCK = "author block not fully separated"
WARN_SUBTITLE = "subtitle may be body text"
WARN_BOILERPLATE = "boilerplate-like lines left in body"
WARN_CREDIT = "photo credit left in body"
WARN_COPYRIGHT = "copyright line left in body"

_RIGHTS = (
    r"all rights reserved|todos los derechos reservados|reservados todos los derechos|derechos reservados|"
    r"tous droits réservés|tous les droits sont réservés|tous droits de reproduction réservés|droits réservés|"
    r"alle rechte vorbehalten|tutti i diritti riservati|tutti i diritti sono riservati|riproduzione riservata|"
    r"todos os direitos reservados|direitos reservados"
)
_RIGHTS_RE = re.compile(r"[\s,;–—-]*\b(?:" + _RIGHTS + r")\b[.!]?", re.IGNORECASE)
# A sentence after the holder: a redistribution notice, not part of the name.
_NOTICE_RE = re.compile(
    r"[\s,;]+(?:do not|don't|this material|no part|may not|reproduction|redistribution|unauthori[sz]ed|"
    r"all content|prohibida|queda prohibida|se prohíbe|toute reproduction|interdite|nachdruck|"
    r"vervielfältigung|weiterverbreitung|jede verwendung|riproduzione|vietata|è vietata|é proibida|proibida|"
    r"é vedada)\b.*",
    re.IGNORECASE,
)
# "X Ltd or its affiliated companies": the holder is X Ltd.
_AFFILIATES_RE = re.compile(
    r",?\s+(?:and/or|or|and|y/o|o|et/ou|ou|und/oder|e/o)\s+"
    r"(?:its|their|sus|ses|seine|ihre|i suoi|le sue|as suas|os seus)\s+"
    r"(?:affiliated companies|affiliates|subsidiaries|licensors|filiales|afiliadas|tochtergesellschaften|"
    r"affiliate|controladas|afiliados)\b.*",
    re.IGNORECASE,
)
_COPYRIGHT_HEAD_RE = re.compile(
    r"(?:©\s*copyright|copyright\s*(?:©|\(c\))?|©|\(c\)|copr\.)\s*(?P<rest>.*)", re.IGNORECASE
)
_YEAR_FIRST_RE = re.compile(r"(?:[12]\d{3}\s*[-–—/]\s*)?(?P<year>[12]\d{3})\b[.,:]?\s*(?P<rest>.*)")
_HOLDER_FIRST_RE = re.compile(
    r"(?P<holder>\D*?\S)[\s,]+(?:[12]\d{3}\s*[-–—/]\s*)?(?P<year>[12]\d{3})\b[.,]?\s*(?P<rest>.*)"
)
_PARTS_SEPARATOR_RE = re.compile(r"\s+[|•·]\s+|\s+[—–]\s+")
# Words whose full stop belongs to them; a word with an inner dot (S.A., S.p.A.) keeps it too.
_ABBREVIATIONS = frozenset(
    {"inc", "corp", "ltd", "co", "bros", "cie", "cía", "cia", "ltda", "jr", "sr", "intl", "assn", "mfg", "dept"}
)
_SENTENCE_BREAK_RE = re.compile(r"[.!?][\"'”’»)]*\s+(?=[\"“‘«¿¡(]?[A-ZÀ-ÞĀ-Ž])")

_CREDIT_RE = re.compile(
    r"(?:photo(?:graph)?s?(?:\s+credits?)?|image(?:\s+credits?)?|credits?|pictures?|illustration|"
    r"fotos?|fotograf[ií]as?|fotografie|bild(?:er)?|bildquelle|imagen|imagem|crédits?(?:\s+photos?)?|"
    r"créditos?|ilustración|ilustração)"
    r"(?:\s+(?:by|de|di|von|par|da)\b|\s*[:：])\s*(?P<credit>\S.*)",
    re.IGNORECASE,
)
_AGENCIES = frozenset(
    {
        "ap", "ap photo", "ap images", "ap pool", "associated press", "the associated press", "reuters",
        "reuters pool", "afp", "afp photo", "afp pool", "getty", "getty images", "epa", "epa-efe", "efe",
        "dpa", "picture alliance", "picture-alliance", "ansa", "lusa", "anadolu", "anadolu agency", "xinhua",
        "bloomberg", "shutterstock", "alamy", "pa", "pa images", "pa wire", "pa media", "sipa", "sipa usa",
        "imago", "keystone", "europa press", "nurphoto", "sopa images", "lightrocket", "pool", "istock",
        "istockphoto", "zuma", "zuma press", "zuma wire", "abaca", "belga", "kyodo", "yonhap", "tass", "redux",
    }
)  # fmt: skip
_CREDIT_EXTRAS = frozenset({"file", "archive", "archivo", "archives", "pool"})
_CREDIT_PART_SEPARATOR_RE = re.compile(r"\s*/\s*|\s+via\s+|\s*,\s*", re.IGNORECASE)
_MAX_CREDIT_WORDS = 16

_BYLINE_RE = re.compile(
    r"(?:by|por|par|von|di|written by|reporting by|story by|text by|words by|texto de|texto|text)\s*[:]?\s+"
    r"(?P<names>\S.*)",
    re.IGNORECASE,
)
# Twitter/X, Instagram style: dots allowed inside, so the full stop ending a sentence is left out.
_HANDLE_RE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,48}[A-Za-z0-9_])?")
# Split "A, B and C" / "A & B" / "A y B" / "A et B" / "A und B" / "A e B", but not "John Smith, Jr."
# (the foreign words in lower case only: "Dup E Large" has an initial).
_NAME_SEPARATOR_RE = re.compile(
    r",(?!\s*(?i:jr|sr|ii|iii|iv)\b)\s*(?:(?i:and)\s+|(?:y|et|und|e)\s+|&\s*)?|\s+(?:(?i:and)|&|y|et|und|e)\s+"
)
_NOT_IN_NAME_RE = re.compile(r"[\d:;!?@#/()\[\]\"“”|•·]")
_NAME_PARTICLES = frozenset(
    {
        "al", "bin", "bint", "da", "das", "de", "del", "della", "dei", "den", "der", "des", "di", "do", "dos",
        "du", "el", "ibn", "la", "le", "ten", "ter", "van", "von", "zu", "y",
    }
)  # fmt: skip
# Words found in job titles only, and the closed vocabulary of the rest of a job title ("Senior Staff Writer").
_STRONG_JOB_RE = re.compile(
    r"\b(?:correspondents?|bureau|staff|special to|for the|corresponsal(?:es)?|correspondant(?:e|s)?|"
    r"korrespondent(?:in)?|corrispondente|correspondente|enviad[oa] especial|envoyée? spéciale?|inviat[oa])\b",
    re.IGNORECASE,
)
_JOB_WORDS = frozenset(
    """writer writers reporter reporters editor editors columnist columnists contributor contributors journalist
    journalists photographer photographers producer producers analyst analysts intern senior chief special
    contributing associate assistant managing deputy political foreign national international business sports
    science health education investigative freelance executive news digital data legal economics white house
    washington city hall desk politics culture tech technology at large of the and & in periodista periodistas
    redactor redactora jefe jefa sección journaliste rédacteur rédactrice en chef grand journalistin
    redakteur redakteurin reporterin autor autorin leitender leitende giornalista redattore redattrice capo
    jornalista redator redatora repórter do da de""".split()
)
_ORGANISATION_RE = re.compile(
    r"(?:the\s+\S.*|(?:associated press|ap|reuters|afp|agence france-presse|dpa|efe|ansa|lusa|bloomberg|"
    r"xinhua|cnn|bbc|europa press)(?:\s+news)?|.+\s+(?:press|news|newsroom|gazette|herald|tribune|journal|"
    r"magazine|media|agency|network|wire|chronicle|daily|weekly|online))",
    re.IGNORECASE,
)
_PRONOUN_START_RE = re.compile(r"(?:he|she|they|er|sie|elle|il|ella|él|lei|lui|ela|ele)\s", re.IGNORECASE)
_BIO_RE = re.compile(
    r"\b(?:reporter|writer|correspondent|editor|journalist|columnist|contributor|photographer|producer|covers|"
    r"writes|wrote|reports|reported|joined|based in|lives in|author of|can be reached|reach (?:him|her|them)|"
    r"follow (?:him|her|them)|is an?|was an?|has been|periodista|corresponsal|redactora?|escribe|cubre|reside|"
    r"vive en|autora? de|es una?|journaliste|correspondante?|rédact\w+|écrit|couvre|vit à|auteure? de|"
    r"est une?|journalistin|korrespondent\w*|redakteur\w*|schreibt|berichtet|lebt in|autorin|ist|"
    r"giornalista|corrispondente|redatt\w+|scrive|si occupa|vive a|autore|autrice|è una?|jornalista|"
    r"correspondente|repórter|redatora?|escreve|cobre|vive em|mora em|é uma?)\b",
    re.IGNORECASE,
)
_DATELINE_RE = re.compile(
    r"[A-ZÀ-Þ][A-ZÀ-Þ .'’-]{1,40}(?:,\s*[^()—–\n]{2,30}?)?\s*(?:\([^)]{2,25}\))?\s*(?:\.?[—–-]{1,2}|:)\s+\S"
)
_CORRECTION_RE = re.compile(
    r"[\[(*_\s]*(?:correction|corrections|clarification|editor['’]?s['’]? note|note from the editor|corrección|"
    r"correccion|fe de (?:errores|erratas)|nota del editor|nota de la redacción|aclaración|rectificatif|"
    r"correctif|erratum|errata|note de la rédaction|note de l['’]éditeur|précision|korrektur|berichtigung|"
    r"richtigstellung|anmerkung der redaktion|hinweis der redaktion|correzione|rettifica|"
    r"nota dell['’]editore|nota della redazione|correção|correcção|nota do editor|nota da redação|"
    r"nota da redacção)\s*(?:\([^)]*\))?\s*[:：.—–-]\s*\S.*"
    r"|(?:an earlier version of this|a previous version of this|this (?:article|story|report|post) "
    r"(?:has been|was) (?:corrected|updated|amended|changed)|una versión anterior de est[ea]|"
    r"une (?:version précédente|précédente version) de cet|in einer früheren version|"
    r"una versione precedente di quest[oa]|uma versão anterior dest[ea])\b.*",
    re.IGNORECASE | re.DOTALL,
)
_TIMESTAMP_PREFIX_RE = re.compile(
    r"(?:first published|originally published|last updated|last modified(?: on)?|published|updated|posted|modified|"
    r"última actualización|publicado|publicada|actualizado|actualizada|publié|mis à jour|modifié|"
    r"zuletzt aktualisiert|veröffentlicht|aktualisiert|stand|ultimo aggiornamento|pubblicato|aggiornato|"
    r"última atualização|atualizado|atualizada)\b\s*(?P<rest>.*)",
    re.IGNORECASE,
)
_MONTHS = frozenset(
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september oct "
    "october nov november dec december enero febrero marzo abril mayo junio julio agosto septiembre setiembre "
    "octubre noviembre diciembre ene abr ago dic janvier février mars avril mai juin juillet août septembre "
    "octobre novembre décembre janv févr avr juil sept déc januar jänner februar märz april juni juli oktober "
    "dezember mär okt dez gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre gen giu lug "
    "set ott janeiro fevereiro março maio junho julho setembro outubro novembro dezembro fev out".split()
)
_WEEKDAYS = frozenset(
    "mon monday tue tues tuesday wed wednesday thu thurs thursday fri friday sat saturday sun sunday lunes "
    "martes miércoles jueves viernes sábado domingo lundi mardi mercredi jeudi vendredi samedi dimanche montag "
    "dienstag mittwoch donnerstag freitag samstag sonntag lunedì martedì mercoledì giovedì venerdì sabato "
    "domenica segunda-feira terça-feira quarta-feira quinta-feira sexta-feira".split()
)
_DATE_WORDS = frozenset(
    "on at the of a à le el de del am um il alle às em las h uhr ago hour hours minute minutes min mins day "
    "days hace hora horas il y heures vor stunden fa ore há et and y und e am pm a.m. p.m. utc gmt".split()
)
_NUMBERISH_RE = re.compile(r"\d[\d:./h-]*(?:st|nd|rd|th|er|º|\.)?|[ap]\.?m\.?|\d{4}-\d{2}-\d{2}t[\d:.+-]+z?", re.I)
_TIMEZONE_RE = re.compile(r"[A-Z]{2,5}|(?:GMT|UTC)[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2}")
_DIGIT_RE = re.compile(r"\d")
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
    correction: str = ""
    image_credit: str = ""
    copyright_year: int | None = None
    copyright_holder: str = ""
    author_names: tuple[str, ...] = ()
    # The bio as printed: the only one, one shared by several authors, or else the first author's.
    author_bio: str = ""
    # Each author's own bio, aligned with author_names ("" where there is none, or the bio is shared).
    author_bios: tuple[str, ...] = ()
    author_handle: str = ""
    word_count: int = 0
    # ISO 639-1 code of the text's language ("" when unsure): ``articles.languages.detect()``.
    language: str = ""
    warnings: tuple[str, ...] = ()
    raw_text: str = ""
    text: str = ""
    encoding: str = ""
    sha256: str = field(default="")
    # The dates the text gives for itself (``articles.dating``): ISO 8601 in UTC, or None.
    original_published_at: str | None = None
    original_updated_at: str | None = None

    def __post_init__(self) -> None:
        if not self.author_bios:
            object.__setattr__(self, "author_bios", ("",) * len(self.author_names))
        elif len(self.author_bios) != len(self.author_names):
            raise ValueError('author_bios must have one bio (or "") per name in author_names')

    def to_dict(self) -> dict[str, object]:
        """Return the parsed values as JSON-ready data, without the two (large) source texts."""
        data = asdict(self)
        del data["raw_text"], data["text"]
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


class _LayoutFields(TypedDict):
    """The fields of a ParsedArticle the layout gives (all but the source texts, hash and dates)."""

    title: str
    subtitle: str
    body: str
    correction: str
    image_credit: str
    copyright_year: int | None
    copyright_holder: str
    author_names: tuple[str, ...]
    author_bio: str
    author_bios: tuple[str, ...]
    author_handle: str
    word_count: int
    language: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Header:
    title: str
    image_credit: str = ""
    subtitle: str = ""
    subtitle_unsure: bool = False
    byline: tuple[str, ...] = ()
    repeated: bool = False


@dataclass(frozen=True)
class _Block:
    """One author block at the end: its names and the bio line under them."""

    names: tuple[str, ...]
    bio: str = ""


@dataclass(frozen=True)
class _Authors:
    names: tuple[str, ...] = ()
    bios: tuple[str, ...] = ()
    bio: str = ""
    issues: tuple[str, ...] = ()


# -- public API


# A holder's name -> the keys of its publisher's learned boilerplate lines.
BoilerplateLookup = Callable[[str], Collection[str]]


def parse(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    site_boilerplate: Collection[str] = (),
    boilerplate_for: BoilerplateLookup | None = None,
) -> ParsedArticle:
    """Parse the bytes of a seed file; raise ParseError when they cannot be an article.

    ``site_boilerplate``: whole lines (a publisher's learned boilerplate) to drop wherever they appear;
    ``boilerplate_for``: a lookup of those lines by the copyright holder the source names.
    """
    if len(data) > max_bytes:
        raise ParseError(f"file too large: {len(data):,} bytes, the limit is {max_bytes:,} bytes")
    raw_text, encoding = decode(data)
    return parse_text(raw_text, encoding=encoding, site_boilerplate=site_boilerplate, boilerplate_for=boilerplate_for)


def parse_text(
    raw_text: str,
    *,
    encoding: str = "",
    site_boilerplate: Collection[str] = (),
    boilerplate_for: BoilerplateLookup | None = None,
) -> ParsedArticle:
    """Parse an already decoded seed text, e.g. the stored raw source of an article."""
    _check_is_text(raw_text)
    text = normalize(raw_text)
    if not text:
        raise ParseError("only whitespace: the file has no text")
    dates, lines = take_dates(_content_lines(text))
    site_keys = {boilerplate_key(line) for line in site_boilerplate}
    fields = _parse_layout_learning(lines, site_keys, boilerplate_for) if boilerplate_for else None
    if fields is None:
        fields = _parse_layout(lines, site_keys=site_keys)
    return ParsedArticle(
        **fields,
        raw_text=raw_text,
        text=text,
        encoding=encoding,
        sha256=sha256_of(text),
        original_published_at=dates.published_at,
        original_updated_at=dates.updated_at,
    )


def boilerplate_key(line: str) -> str:
    """Return the form a boilerplate line is compared in: casefolded, spacing collapsed, stripped."""
    return " ".join(line.casefold().split())


def find_handle(bio: str) -> str:
    """Return the first social-media handle (``@name``) in ``bio``, or ""."""
    match = _HANDLE_RE.search(bio)
    return match[0] if match else ""


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


# -- the layout, part by part


def _parse_layout(lines: list[str], *, site_keys: Collection[str]) -> _LayoutFields:
    """Return the parsed fields of a text's content lines (everything but the source texts and hash)."""
    lines = _drop_furniture(lines, site_keys)
    year, holder, lines = _take_copyright(lines)
    lines, corrections = _split_trailing(lines, _is_correction)
    lines, blocks = _take_author_blocks(lines)
    header, lines = _take_header(lines)
    lines, trailing_bios = _take_trailing_bios(lines, header.byline) if not blocks else (lines, [])
    authors = _authors(header.byline, blocks, trailing_bios, lines)
    lines += corrections
    body = "\n\n".join(lines)
    return {
        "title": header.title,
        "subtitle": header.subtitle,
        "body": body,
        "correction": "\n\n".join(_split_trailing(lines, _is_correction, keep=0)[1]),
        "image_credit": header.image_credit,
        "copyright_year": year,
        "copyright_holder": holder,
        "author_names": authors.names,
        "author_bio": authors.bio,
        "author_bios": authors.bios,
        "author_handle": find_handle(authors.bio),
        "word_count": len(body.split()),
        "language": detect_language("\n\n".join((header.title, header.subtitle, body))),
        "warnings": _warnings(year=year, holder=holder, authors=authors, body=lines, header=header, blocks=blocks),
    }


def _parse_layout_learning(
    lines: list[str], site_keys: set[str], boilerplate_for: BoilerplateLookup
) -> _LayoutFields | None:
    """Return the fields parsed without the holder's learned lines too, or None to parse without them.

    The holder is found as ``_parse_layout`` finds it, so the lines are those of the publisher
    the source is filed under; a source that is no article without them is parsed with them.
    """
    holder = _take_copyright(_drop_furniture(lines, site_keys))[1]
    learned = {boilerplate_key(line) for line in boilerplate_for(holder)} if holder else set()
    if not learned - site_keys:
        return None
    try:
        return _parse_layout(lines, site_keys=site_keys | learned)
    except ParseError:
        return None


def _drop_furniture(lines: list[str], site_keys: Collection[str]) -> list[str]:
    """Drop page furniture, timestamps and the site's boilerplate lines (never its copyright or names)."""
    kept = []
    for line in lines:
        if furniture.is_furniture(line) or _is_timestamp(line):
            continue
        if site_keys and boilerplate_key(line) in site_keys and not (_match_copyright(line) or _names_line(line)):
            continue
        kept.append(line)
    return kept


def _is_timestamp(line: str) -> bool:
    """Tell whether the line is only a date, a time or a "Published ..."/"Updated ..." stamp."""
    if len(line) > 120 or not _DIGIT_RE.search(line):
        return False
    prefixed = _TIMESTAMP_PREFIX_RE.fullmatch(line)
    first = line.split(None, 1)[0].casefold().rstrip(".,:")
    if not (prefixed or line[0].isdigit() or first in _MONTHS or first in _WEEKDAYS):
        return False
    rest = (prefixed["rest"] if prefixed else line).lstrip(":：-–— ")
    tokens = [token for token in re.split(r"[\s,|•·()]+", rest) if token]
    has_date = False
    for token in tokens:
        word = token.casefold().rstrip(".:")
        if word in _MONTHS:
            has_date = True
        elif _NUMBERISH_RE.fullmatch(token):
            has_date = has_date or bool(re.search(r"\d{4}|\d[./-]\d|\d:\d\d|\dh\d\d", token))
        elif not (word in _WEEKDAYS or word in _DATE_WORDS or _TIMEZONE_RE.fullmatch(token)):
            return False
    return bool(tokens) and (has_date or prefixed is not None)


def _split_trailing(
    lines: list[str], predicate: Callable[[str], bool], *, keep: int = 1
) -> tuple[list[str], list[str]]:
    """Split off the longest run of lines at the end that satisfy ``predicate``, keeping ``keep`` in front."""
    start = len(lines)
    while start > keep and predicate(lines[start - 1]):
        start -= 1
    return lines[:start], lines[start:]


def _is_correction(line: str) -> bool:
    return bool(_CORRECTION_RE.fullmatch(line))


# -- copyright


def _take_copyright(lines: list[str]) -> tuple[int | None, str, list[str]]:
    """Split the copyright line off ``lines``: ``(year, holder, rest)``.

    It is the first line, else one of the last four (the footer lines after it go with it), else the
    second or third (lines before it that are part of the holder's name are a masthead).
    """
    count = len(lines)
    for index in dict.fromkeys(i for i in (0, count - 1, count - 2, count - 3, count - 4, 1, 2) if 0 <= i < count):
        found = _match_copyright(lines[index])
        if not found:
            continue
        year, holder = found
        if index == 0:
            return year, holder, lines[1:]
        after = lines[index + 1 :]
        if index > count / 2 and all(_is_footer(line) for line in after):
            return year, holder, lines[:index]
        if index <= 2:
            masthead = holder.casefold()
            before = [line for line in lines[:index] if not (masthead and line.casefold() in masthead)]
            return year, holder, before + after
    return None, "", lines


def _is_footer(line: str) -> bool:
    """Tell whether a line after the copyright notice reads like a site footer, not the story."""
    return furniture.words_up_to(line, 12) <= 12 and not line.rstrip(_CLOSING_QUOTES).endswith((".", "?", "!"))


def _match_copyright(line: str) -> tuple[int, str] | None:
    """Return ``(year, holder)`` when the line (or one of its "|"-separated parts) is a copyright notice."""
    folded = line.casefold()
    if len(line) > 600 or not ("©" in line or "(c)" in folded or "copyright" in folded or "copr." in folded):
        return None
    for part in re.split(r"\s+[|•·]\s+", line):
        head = _COPYRIGHT_HEAD_RE.fullmatch(part.strip())
        if head:
            return _copyright_parts(head["rest"])
    return None


def _copyright_parts(rest: str) -> tuple[int, str] | None:
    year_first = _YEAR_FIRST_RE.fullmatch(rest)
    if year_first:
        holder = _clean_holder(year_first["rest"])
        return None if holder is None else (int(year_first["year"]), holder)
    holder_first = _HOLDER_FIRST_RE.fullmatch(rest)
    if not holder_first or _clean_holder(holder_first["rest"]) != "":
        return None
    holder = _clean_holder(holder_first["holder"])
    return None if not holder else (int(holder_first["year"]), holder)


def _clean_holder(text: str) -> str | None:
    """Return the holder as printed, without "all rights reserved" or notices; None if it is no name."""
    text = _AFFILIATES_RE.sub("", _NOTICE_RE.sub("", _RIGHTS_RE.sub("", text)))
    text = _sentences(text)[0].strip(" ,;:–—-") if text.strip() else ""
    if text.endswith(".") and not _keeps_full_stop(_last_word(text[:-1])):
        text = text[:-1].rstrip(" ,;")
    if len(text) > MAX_NAME_LENGTH or len(text.split()) > MAX_HOLDER_WORDS or text[:1].islower():
        return None
    return text


def _sentences(text: str) -> list[str]:
    """Split ``text`` into sentences; the full stop of "Inc.", "S.A." or an initial ends none."""
    sentences, start = [], 0
    for match in _SENTENCE_BREAK_RE.finditer(text):
        if text[match.start()] == "." and _is_abbreviation(_last_word(text[start : match.start()])):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence] or [text]


def _last_word(text: str) -> str:
    words = text.split()
    return words[-1] if words else ""


def _keeps_full_stop(word: str) -> bool:
    """Tell whether a holder's last word owns its full stop ("Inc.", "S.A."), unlike "X." ending a sentence."""
    word = word.casefold().strip(",(")
    return word in _ABBREVIATIONS or "." in word


def _is_abbreviation(word: str) -> bool:
    word = word.casefold().strip(",(")
    return word in _ABBREVIATIONS or "." in word or (len(word) == 1 and word.isalpha())


# -- authors at the end


def _take_author_blocks(lines: list[str]) -> tuple[list[str], list[_Block]]:
    """Split the author blocks off the end of ``lines``; at least one line (the title) stays in front."""
    blocks: list[_Block] = []
    end = len(lines)
    while len(blocks) < MAX_AUTHOR_BLOCKS and (found := _block_ending_at(lines, end, last=not blocks)):
        end, block = found
        blocks.insert(0, block)
    return lines[:end], blocks


def _block_ending_at(lines: list[str], end: int, *, last: bool) -> tuple[int, _Block] | None:
    """Return ``(start, block)`` for an author block ending at ``end``: names twice (+ bio), or names + bio.

    The ``last`` block may also be a lone "By ..." line.
    """
    if last and end >= 3 and _BYLINE_RE.fullmatch(lines[end - 1]) and (names := _names_line(lines[end - 1])):
        return end - 1, _Block(names)
    if end < 3:
        return None
    last_line, previous = lines[end - 1], lines[end - 2]
    if end >= 4 and _same(lines[end - 3], previous) and (names := _names_line(previous)) and _follows_names(last_line):
        return end - 3, _Block(names, last_line)
    if _same(previous, last_line) and (names := _names_line(last_line)):
        return end - 2, _Block(names)
    if (names := _names_line(previous)) and _is_bio_of(last_line, names):
        return end - 2, _Block(names, last_line)
    return None


def _follows_names(line: str) -> bool:
    """Tell whether the line after a doubled name line is its bio (nothing else comes there)."""
    return furniture.words_up_to(line, 3) >= 3 and len(line) <= MAX_BIO_LENGTH and not _names_line(line)


def _is_bio_of(line: str, names: tuple[str, ...]) -> bool:
    """Tell whether ``line`` reads like a bio of one of ``names``: it names them early and says what they do."""
    if len(line) > MAX_BIO_LENGTH:
        return False
    words = line.split(maxsplit=15)[:15]
    if len(words) < 4:
        return False
    opening = " ".join(words)
    named = any(_mentions(opening, name) for name in names) or bool(_PRONOUN_START_RE.match(line))
    # Last: the search of the whole line for what a bio says is the costly test, and most lines fail before it.
    return named and bool(_BIO_RE.search(line))


def _mentions(text: str, name: str) -> bool:
    """Tell whether ``text`` names ``name``: in full, or by the surname."""
    surname = name.replace(",", " ").split()[-1] if name.split() else ""
    if len(surname) < 3 or surname.casefold().rstrip(".") in {"jr", "sr", "ii", "iii", "iv"}:
        surname = name.split()[-2] if len(name.split()) > 1 else name
    folded = text.casefold()
    return name.casefold() in folded or bool(re.search(rf"\b{re.escape(surname.casefold())}\b", folded))


@functools.lru_cache(maxsize=4096)  # the author-block search asks about the same few lines several times
def _names_line(line: str) -> tuple[str, ...]:
    """Return the names a byline or author name line lists (job titles and affiliations left out)."""
    match = _BYLINE_RE.fullmatch(line)
    return _clean_names(match["names"] if match else line)[0]


def _clean_names(text: str) -> tuple[tuple[str, ...], bool]:
    """Return ``(names, extra)``: the names in ``text``, and whether titles or affiliations were left out.

    () when anything else than names, job titles and affiliations is there.
    """
    head, *suffix = _PARTS_SEPARATOR_RE.split(text, maxsplit=1)
    extra = bool(suffix)
    names = []
    for part in _split_lazily(_NAME_SEPARATOR_RE, head):
        part = part.strip()
        if not part:
            continue
        if _is_affiliation(part):
            extra = True
        elif _is_name(part):
            names.append(part)
        else:
            return (), False
    return tuple(dict.fromkeys(names)), extra


def _split_lazily(separator: re.Pattern[str], text: str) -> Iterator[str]:
    """Yield ``separator.split(text)`` part by part (the pattern has no groups and never matches empty).

    A paragraph tested as a name line fails at its first part: splitting all of it first cost more than the rest.
    """
    start = 0
    for match in separator.finditer(text):
        yield text[start : match.start()]
        start = match.end()
    yield text[start:]


def _is_name(name: str) -> bool:
    words = name.split()
    if not 0 < len(words) <= MAX_NAME_WORDS or len(name) > MAX_NAME_LENGTH or _NOT_IN_NAME_RE.search(name):
        return False
    return all(word.lower() in _NAME_PARTICLES or (word[0].isalpha() and not word[0].islower()) for word in words)


def _is_job_line(line: str) -> bool:
    """Tell whether a line is only a job title or an affiliation ("Staff Writer", "Associated Press")."""
    return furniture.words_up_to(line, 6) <= 6 and _is_affiliation(line) and not (line.endswith(_SENTENCE_END))


def _is_affiliation(part: str) -> bool:
    """Tell whether ``part`` of a name line is a short job title or organisation, not a name or a sentence."""
    words = part.split()
    if len(words) > MAX_AFFILIATION_WORDS or re.search(r"[.!?;:@]\s|[!?;@]|\.$", part):
        return False
    return _is_job(part) or bool(_ORGANISATION_RE.fullmatch(part))


def _is_job(part: str) -> bool:
    """Tell whether ``part`` of a name line is a job title rather than a name."""
    return bool(_STRONG_JOB_RE.search(part)) or all(word.casefold().strip(".,") in _JOB_WORDS for word in part.split())


def _take_trailing_bios(lines: list[str], names: tuple[str, ...]) -> tuple[list[str], list[_Block]]:
    """Split off the end of the body the bios of byline authors (each names them early); one body line stays."""
    bios: list[_Block] = []
    while len(lines) > 1 and len(bios) < len(names):
        last = lines[-1]
        opening = " ".join(last.split()[:12])
        if not any(_mentions(opening, name) for name in names) or not _is_bio_of(last, names):
            break
        bios.insert(0, _Block(tuple(name for name in names if _mentions(last, name)), last))
        lines = lines[:-1]
    return lines, bios


def _authors(byline: tuple[str, ...], blocks: list[_Block], trailing_bios: list[_Block], body: list[str]) -> _Authors:
    """Combine the byline, the author blocks and the bios into the article's authors, with any doubts."""
    block_names = tuple(dict.fromkeys(name for block in blocks for name in block.names))
    names = list(byline)
    names += [name for name in block_names if not any(_same(name, other) for other in names)]
    own: dict[str, str] = {}
    printed = [block.bio for block in blocks + trailing_bios if block.bio]
    for block in blocks + trailing_bios:
        for name, bio in zip(block.names, _assign_bios(block.names, block.bio), strict=True):
            own.setdefault(boilerplate_key(name), bio)
    issues = []
    if byline and block_names and not all(any(_same(name, other) for other in byline) for name in block_names):
        issues.append(
            f"the byline names {', '.join(byline)} but the author block names {', '.join(block_names)}; "
            "check who wrote the story"
        )
    issues += _author_doubts(body, tuple(names))
    bios = tuple(own.get(boilerplate_key(name), "") for name in names)
    return _Authors(names=tuple(names), bios=bios, bio=printed[0] if printed else "", issues=tuple(issues))


def _assign_bios(names: tuple[str, ...], bio: str) -> tuple[str, ...]:
    """Give each author the sentences of ``bio`` about them; all "" when the bio is shared."""
    if len(names) == 1 or not bio:
        return (bio,) * len(names)
    shared = ("",) * len(names)
    parts: dict[str, list[str]] = {name: [] for name in names}
    current: str | None = None
    for sentence in _sentences(bio):
        owners = [name for name in names if _mentions(sentence, name)]
        if len(owners) > 1:
            return shared
        current = owners[0] if owners else current
        if current is None:  # a sentence about no one before any author is named: the bio is shared
            return shared
        parts[current].append(sentence)
    return tuple(" ".join(parts[name]) for name in names)


def _author_doubts(body: list[str], names: tuple[str, ...]) -> list[str]:
    """Say why the last body paragraph may belong to the author block."""
    if len(body) < 2:
        return []
    last = body[-1]
    if furniture.words_up_to(last, 5) <= 5 and not last.endswith(_SENTENCE_END) and _names_line(last):
        return [f"the last paragraph {_quote(last)} looks like an author's name; move it to the authors if it is one"]
    if names and _is_bio_of(last, names) and any(_mentions(" ".join(last.split()[:15]), name) for name in names):
        return [f"the last paragraph {_quote(last)} looks like an author's bio; move it to the author if it is one"]
    return []


# -- the headline block


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
    subtitle, unsure = "", False
    bare = not repeated  # a page without the repeated headline may give the byline as bare names
    byline, lines = _take_byline(lines, bare=bare)
    if not byline and lines:
        if len(lines) > 1 and _delimits(lines[1], bare=bare) and _dek_shape(lines[0], delimited=True):
            subtitle, lines = lines[0], lines[1:]
        elif repeated and (shape := _dek_shape(lines[0], delimited=False)):
            subtitle, unsure, lines = lines[0], shape == "unsure", lines[1:]
        credit, lines = _take_credit(lines, credit)
        byline, lines = _take_byline(lines, bare=bare)
    credit, lines = _take_credit(lines, credit)
    return _Header(title, credit, subtitle, unsure, byline, repeated), lines


def _take_credit(lines: list[str], credit: str) -> tuple[str, list[str]]:
    """Take a credit line from the start of ``lines`` unless a credit was already found."""
    found = _credit_of(lines[0]) if lines and not credit else ""
    return (found, lines[1:]) if found else (credit, lines)


def _credit_of(line: str) -> str:
    """Return the image credit a credit line gives, or "" when the line is no credit."""
    inner = line[1:-1].strip() if line.startswith("(") and line.endswith(")") else line
    match = _CREDIT_RE.fullmatch(inner)
    if match:
        return match["credit"].strip() if len(match["credit"]) <= MAX_CREDIT_LENGTH else ""
    return inner if _is_agency_credit(inner) else ""


def _is_agency_credit(line: str) -> bool:
    """Tell whether the line is an agency credit: "AP Photo/Jane Roe", "Jane Roe/AFP via Getty Images", ..."""
    folded = line.casefold()
    if "/" not in line and " via " not in folded and folded.rstrip(".") not in _AGENCIES:
        return False
    if furniture.words_up_to(line, _MAX_CREDIT_WORDS) > _MAX_CREDIT_WORDS or _BYLINE_RE.fullmatch(line):
        return False
    parts = [part.strip() for part in _CREDIT_PART_SEPARATOR_RE.split(line) if part.strip()]
    folded_parts = [part.casefold().rstrip(".") for part in parts]
    if not any(part in _AGENCIES for part in folded_parts):
        return False
    return all(
        part in _AGENCIES or part in _CREDIT_EXTRAS or _is_credit_name(original)
        for part, original in zip(folded_parts, parts, strict=True)
    )


def _is_credit_name(part: str) -> bool:
    words = part.split()
    if not 0 < len(words) <= MAX_NAME_WORDS or _NOT_IN_NAME_RE.search(part):
        return False
    return all(word.lower() in _NAME_PARTICLES | {"the", "of", "for", "and"} or word[0].isupper() for word in words)


def _take_byline(lines: list[str], *, bare: bool = False) -> tuple[tuple[str, ...], list[str]]:
    """Take a byline ("By Jane Doe", "Jane Doe | Example News") and a job title line under it."""
    names = _byline_names(lines[0], bare=bare) if lines else ()
    if not names:
        return (), lines
    lines = lines[1:]
    return names, lines[1:] if lines and _is_job_line(lines[0]) else lines


def _byline_names(line: str, *, bare: bool = False) -> tuple[str, ...]:
    """Return the names of a byline: "By ...", names with a title or affiliation, or (``bare``) plain full names."""
    match = _BYLINE_RE.fullmatch(line)
    if match:
        return _clean_names(match["names"])[0]
    names, extra = _clean_names(line)
    if extra or (bare and names and all(2 <= len(name.split()) <= MAX_BARE_NAME_WORDS for name in names)):
        return names
    return ()


def _delimits(line: str, *, bare: bool = False) -> bool:
    """Tell whether the line ends a headline block: a byline, a credit or a dateline opening the story."""
    return bool(_byline_names(line, bare=bare) or _credit_of(line) or _DATELINE_RE.match(line))


def _dek_shape(line: str, *, delimited: bool) -> str:
    """Return "sure" or "unsure" when ``line`` has the shape of a subtitle at its place, else ""."""
    words = line.split()
    if len(line) > MAX_SUBTITLE_LENGTH or _DATELINE_RE.match(line) or _credit_of(line):
        return ""
    ending = line.rstrip(_CLOSING_QUOTES)[-1:]
    sentences = len(_sentences(line))
    if ending in ":;," or sentences > 2:
        return ""
    if delimited:
        return "sure"
    if ending == ".":
        return "unsure" if sentences == 2 else ""
    if ending == "?" and len(words) < MIN_QUESTION_DEK_WORDS:
        return ""  # "Why now?": a section heading opening the body
    return "unsure" if len(words) > 30 else "sure"


# -- warnings


def _warnings(
    *, year: int | None, holder: str, authors: _Authors, body: list[str], header: _Header, blocks: list[_Block]
) -> tuple[str, ...]:
    known = header.repeated or header.byline or blocks
    checks = (
        (not holder, WARN_NO_PUBLISHER),
        (not authors.names, WARN_NO_AUTHOR),
        (not body, WARN_NO_BODY),
        (year is not None and not known, WARN_UNRECOGNISED),
    )
    warnings = [warning for failed, warning in checks if failed]
    warnings += [f"{WARN_AUTHOR_BLOCK}: {issue}" for issue in authors.issues]
    if header.subtitle_unsure:
        warnings.append(
            f"{WARN_SUBTITLE}: {_quote(header.subtitle)} could be the story's first paragraph; "
            "move it to the body if it is"
        )
    leftovers = (
        (WARN_BOILERPLATE, furniture.looks_like_furniture, "delete them, or add them to the publisher's boilerplate"),
        (WARN_CREDIT, _is_credit_line, "move or delete it"),
        (WARN_COPYRIGHT, _match_copyright, "delete it, or set the publisher from it"),
    )
    for warning, test, action in leftovers:
        found = [_quote(line) for line in body if test(line)]
        if found:
            warnings.append(f"{warning}: {', '.join(found[:3])}{' ...' if len(found) > 3 else ''}; {action}")
    return tuple(warnings)


def _is_credit_line(line: str) -> bool:
    """Tell whether a body line is a photo credit left in it."""
    return furniture.words_up_to(line, _MAX_CREDIT_WORDS) <= _MAX_CREDIT_WORDS and bool(_credit_of(line))


def _quote(line: str) -> str:
    return f'"{line if len(line) <= QUOTE_LENGTH else line[: QUOTE_LENGTH - 1] + "…"}"'


def _same(line: str, other: str) -> bool:
    """Tell whether two lines are the same text, ignoring case and spacing."""
    return boilerplate_key(line) == boilerplate_key(other)
