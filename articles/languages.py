"""The language an article is written in: detected from its text, as an ISO 639-1 code (pure Python, no Django).

Detection uses Lingua (``lingua-language-detector``): deterministic (the same
text always gets the same answer), offline (its models ship in the wheel) and
accurate on article-length text. It runs in low-accuracy mode (trigram models
only), which is reliable from about a sentence on: for the languages below it
costs ~0.8 ms per article and ~40 MB per process (built once, ~0.5 s), against
4-12 ms and ~550 MB in high-accuracy mode with every language. Only the first
``SAMPLE_CHARS`` characters are read: two or three sentences, enough for low-accuracy
mode (reliable from about 120 characters), and the cost grows with the sample (1,000
characters: 2.7 ms, which made detection 80% of an import's parsing time).

Text plainly in English (most of an English-language archive) is told without Lingua:
when enough of the sample's words are English function words that no other detected
language writes alike (``ENGLISH_ONLY_WORDS``), the answer is English (~0.02 ms
against Lingua's ~0.5 ms, which was half of an import's parsing time).

The answer is ``""`` (unknown) when the text is too short to tell
(fewer than ``MIN_LETTERS`` letters) or when the likeliest language's
confidence is below ``MIN_CONFIDENCE``; an editor can set it by hand.
"""

from __future__ import annotations

import functools
import re

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

# Characters read from the start of the text: enough to tell, and a bounded cost per article
# (measured on 3 KB articles: 300 characters 0.8 ms, 500 1.2 ms, 1,000 2.7 ms).
SAMPLE_CHARS = 300
# Below this many letters a guess is noise ("Hello" scores higher as Norwegian than English).
MIN_LETTERS = 20
# The likeliest language's share of the confidence; below it the text is mixed or unknown.
MIN_CONFIDENCE = 0.5

# English function words with no homograph in a detected language ("of" is Dutch, "was" German and
# Dutch, "for" and "at" Danish, "by" Czech, "are" Romanian, "be" Hungarian, "to" Czech and Polish:
# all left out). They make up 12-20% of the words of English news, next to none of another language's.
ENGLISH_ONLY_WORDS = frozenset(
    "the and that with were said which would their they this from have has been who what when there "
    "but not his she its could should about after than these those".split()
)
# Share of the sample's words, and least number of them, that tell English without Lingua.
ENGLISH_SHARE = 0.1
ENGLISH_MIN_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+")

# The languages recognised: every language search can stem (see ``STEMMERS``) and the other
# languages most common in news; each one more costs memory and time on every article.
DETECTED = (
    Language.ARABIC,
    Language.BOKMAL,
    Language.CATALAN,
    Language.CHINESE,
    Language.CZECH,
    Language.DANISH,
    Language.DUTCH,
    Language.ENGLISH,
    Language.FINNISH,
    Language.FRENCH,
    Language.GERMAN,
    Language.GREEK,
    Language.HEBREW,
    Language.HINDI,
    Language.HUNGARIAN,
    Language.INDONESIAN,
    Language.ITALIAN,
    Language.JAPANESE,
    Language.KOREAN,
    Language.NYNORSK,
    Language.PERSIAN,
    Language.POLISH,
    Language.PORTUGUESE,
    Language.ROMANIAN,
    Language.RUSSIAN,
    Language.SPANISH,
    Language.SWEDISH,
    Language.TAMIL,
    Language.TURKISH,
    Language.UKRAINIAN,
    Language.VIETNAMESE,
)

# Every language Lingua knows, by ISO 639-1 code: what an editor may set (the choices of
# ``Article.language``), detected or not. Norwegian is "nb" (Bokmål) or "nn" (Nynorsk), as Lingua tells them apart.
NAMES: dict[str, str] = dict(sorted((lang.iso_code_639_1.name.lower(), lang.name.title()) for lang in Language.all()))
# ... as (code, name) choices, in code order.
CHOICES: list[tuple[str, str]] = sorted(NAMES.items())

# Stands for an unknown language where a code must be given (the API's filter, the search index):
# ISO 639-2's "undetermined".
UNKNOWN_LANGUAGE = "und"

# ISO 639-1 code -> the Snowball stemmer search uses for it (Tantivy's ``Filter.stemmer`` names).
STEMMERS: dict[str, str] = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "nb": "norwegian",
    "nn": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}


@functools.cache
def detector() -> LanguageDetector:
    """Return the process's detector (built once: models are loaded up front, ~0.3 s)."""
    builder = LanguageDetectorBuilder.from_languages(*DETECTED)
    return builder.with_low_accuracy_mode().with_preloaded_language_models().build()


def detect(text: str) -> str:
    """Return the ISO 639-1 code of the language ``text`` is written in, or ``""`` when unsure."""
    sample = text[:SAMPLE_CHARS]
    if sum(map(str.isalpha, sample)) < MIN_LETTERS:
        return ""
    if is_plainly_english(sample):
        return "en"
    best = detector().compute_language_confidence_values(sample)[0]
    if best.value < MIN_CONFIDENCE:
        return ""
    return best.language.iso_code_639_1.name.lower()


def is_plainly_english(sample: str) -> bool:
    """Tell whether ``sample`` has enough of ``ENGLISH_ONLY_WORDS`` to be English without asking Lingua."""
    words = _WORD.findall(sample.casefold())
    hits = sum(map(ENGLISH_ONLY_WORDS.__contains__, words))
    return hits >= ENGLISH_MIN_WORDS and hits >= ENGLISH_SHARE * len(words)
