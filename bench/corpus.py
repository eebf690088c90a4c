"""Generated seed files with a realistic vocabulary, and the query terms of each search class.

The corpus model (issue 8): a vocabulary of 50,000 generated words drawn with
Zipf weights (rank r has weight 1/(r+1)), one rare proper name per article from
a pool of N/10 names (so each name is in about ten articles), twelve common
two-word phrases each in a fixed share of the articles ("stock market" in
2.8%), a pool of 3,000 authors and 300 publishers with Zipf-skewed sizes (one
article in seven has two authors), and copyright years over 2011-2025. Bodies
are about 3 KB.

Every file follows the seed layout (see ``articles.parsing``) and parses
cleanly: copyright line, title, image credit, repeated title, subtitle, body,
the site boilerplate, the author line twice and a bio with a handle.

Generation streams: article ``i`` depends only on the seed and ``i`` (its own
``random.Random``), files go straight to disk, and only fixed-size counters
(document frequencies of the 50,000 words, of 200 tracked names, of the twelve
phrases) are kept. So the files are the same whatever the number of workers.
The top ranks are English's most frequent function words (``FUNCTION_WORDS``:
"the", "of", "and", ...), as in real English news, where they are a third of
the words; so the text reads as English to the language detector and is stemmed
as English, as a real English archive is. The rest are generated words:
syllables of a consonant and a vowel ending in "a" or "o", and names end in "ix",
"ax", "ek" or "ov": no stemmer (Porter, PostgreSQL's english) changes them, so
the counted document frequency is the one the search engines see. Query terms
are drawn from the generated words only.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

VOCABULARY_SIZE = 50_000
FILES_PER_DIRECTORY = 1_000
ARTICLES_PER_NAME = 10
TRACKED_NAMES = 200
AUTHOR_POOL = 3_000
TWO_AUTHOR_SHARE = 1 / 7
YEARS = tuple(range(2011, 2026))
CHUNK = 500

CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
FINAL_VOWELS = "ao"
NAME_ENDINGS = ("ix", "ax", "ek", "ov")
# The twelve phrases and the share of articles each is in.
PHRASES: dict[str, float] = {
    "stock market": 0.028,
    "city council": 0.040,
    "health care": 0.035,
    "supreme court": 0.025,
    "climate change": 0.022,
    "interest rates": 0.020,
    "white house": 0.018,
    "police department": 0.015,
    "high school": 0.012,
    "prime minister": 0.010,
    "real estate": 0.008,
    "social media": 0.006,
}
FIRST_NAMES = (
    "Ada Alan Alice Amir Ana Anton Ava Ben Bianca Carl Chen Clara Dana Daniel David Diego Elena Emma Eric Eva "
    "Farah Felix Grace Hana Hugo Ines Ivan Jack Jana Jonas Julia Kai Karin Kofi Lars Lea Leo Lina Luca Maya "
    "Mei Mila Nadia Nina Noah Nora Omar Oscar Paul Priya Rafael Rosa Sam Sara Sofia Tom Uma Victor Yara Zoe"
).split()
LAST_NAMES = (
    "Abbott Alvarez Bauer Becker Berg Brennan Castro Chang Costa Dahl Diaz Dubois Egan Falk Ferreira Fischer "
    "Garcia Gupta Haddad Hansen Hayes Ibrahim Ito Jensen Kaur Keller Khan Kim Kowalski Lambert Larsen Lopez "
    "Maddox Marsh Meyer Moreau Nakamura Novak Okafor Olsen Park Patel Petrov Quinn Reyes Rossi Sato Schmidt "
    "Silva Singh Tanaka Torres Ueda Varga Vogel Walsh Weber Wong Yilmaz Zhou"
).split()
PLACES = (
    "Riverside Northgate Lakeshore Harbor Summit Valley Eastfield Westbrook Oakridge Pinecrest Cedar Maple "
    "Granite Iron Silver Golden Redwood Bayview Highland Prairie Coastal Central Metro Capital Union Liberty "
    "Frontier Pioneer Heritage Evergreen"
).split()
# English's most frequent words, most frequent first (the British National Corpus's order): the top ranks.
FUNCTION_WORDS = tuple(
    "the of and to a in that is was it for on with he be as by at his this had not are but from or have an "
    "they which you were her she there would their we him been has when who will more no if out so said "
    "what up its about into than them can only other new some could these two may then do first any now "
    "such like our over even most made after also did many before must through back where much your way "
    "well down should because each just those people".split()
)
OUTLETS = "Courier Ledger Gazette Herald Tribune Chronicle Sentinel Observer Dispatch Journal".split()
BOILERPLATE = (
    "Want to leave a tip?\n\n"
    "We answer to you. Help keep our content free of advertisers and big tech censorship "
    "by leaving a tip today.\n"
    "Want to join the conversation?\n"
    "Already a subscriber?\n"
)


# --- The fixed parts of the model ----------------------------------------------


def vocabulary(seed: int) -> list[str]:
    """Return the 50,000 words, most frequent first: the function words, then generated ones, shorter first."""
    rng = random.Random(f"vocabulary:{seed}")
    syllables = [c + v for c in CONSONANTS for v in VOWELS]
    finals = [c + v for c in CONSONANTS for v in FINAL_VOWELS]
    words: list[str] = list(FUNCTION_WORDS)
    taken = set(FUNCTION_WORDS)
    for length in (2, 3, 4):
        if len(words) >= VOCABULARY_SIZE:
            break
        forms = ["".join(parts) for parts in itertools.product(*[syllables] * (length - 1), finals)]
        rng.shuffle(forms)
        words += [form for form in forms if form not in taken][: VOCABULARY_SIZE - len(words)]
    return words


def zipf_cumulative(size: int, exponent: float = 1.0) -> list[float]:
    """Return the cumulative Zipf weights of ranks 0..size-1 (rank r weighs 1/(r+1)**exponent)."""
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(size)))


def proper_name(index: int) -> str:
    """Return rare name number ``index``: a capitalised made-up word no other index shares."""
    syllables = [c + v for c in CONSONANTS for v in VOWELS]
    base = len(syllables)
    # A bijection of the index (odd multiplier modulo a power of the base), so neighbours look unrelated.
    space = base**3 * len(NAME_ENDINGS)
    code = (index * 2_654_435_761) % space
    code, ending = divmod(code, len(NAME_ENDINGS))
    parts = []
    for _ in range(3):
        code, digit = divmod(code, base)
        parts.append(syllables[digit])
    return ("".join(parts) + NAME_ENDINGS[ending]).capitalize()


def authors(seed: int) -> list[str]:
    """Return the author pool: distinct first-and-last names, in rank order."""
    pairs = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    random.Random(f"authors:{seed}").shuffle(pairs)
    return pairs[:AUTHOR_POOL]


def publishers(seed: int) -> list[str]:
    """Return the publisher pool, in rank order."""
    names = [f"{place} {outlet}" for place in PLACES for outlet in OUTLETS]
    random.Random(f"publishers:{seed}").shuffle(names)
    return names


@dataclass
class Model:
    """The fixed parts of the corpus for one seed and one size."""

    seed: int
    articles: int
    words: list[str] = field(init=False)
    word_weights: list[float] = field(init=False)
    author_names: list[str] = field(init=False)
    author_weights: list[float] = field(init=False)
    publisher_names: list[str] = field(init=False)
    publisher_weights: list[float] = field(init=False)
    year_weights: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.words = vocabulary(self.seed)
        self.word_weights = zipf_cumulative(len(self.words))
        self.author_names = authors(self.seed)
        self.author_weights = zipf_cumulative(len(self.author_names), 0.8)
        self.publisher_names = publishers(self.seed)
        self.publisher_weights = zipf_cumulative(len(self.publisher_names), 1.0)
        # More articles in recent years, as archives grow.
        self.year_weights = list(itertools.accumulate(1.0 + 0.15 * i for i in range(len(YEARS))))

    @property
    def name_pool(self) -> int:
        return max(self.articles // ARTICLES_PER_NAME, 1)


# --- One article -----------------------------------------------------------------


@dataclass
class Article:
    """One generated article: its text and what the counters need."""

    text: str
    word_ranks: set[int]
    name_index: int
    phrases: list[str]


def _draw(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def _words(rng: random.Random, model: Model, count: int) -> list[int]:
    total = model.word_weights[-1]
    return [bisect.bisect(model.word_weights, rng.random() * total) for _ in range(count)]


def _sentence(ranks: list[int], model: Model, inserts: list[str]) -> str:
    words = [model.words[rank] for rank in ranks]
    for text in inserts:
        words.insert(len(words) // 2, text)
    return " ".join(words).capitalize() + "."


def article(model: Model, index: int) -> Article:
    """Return article ``index`` of the model; the same model and index always give the same text."""
    rng = random.Random(model.seed * 1_000_003 + index)
    ranks: set[int] = set()
    name_index = rng.randrange(model.name_pool)
    phrases = [phrase for phrase, share in PHRASES.items() if rng.random() < share]

    def words(low: int, high: int) -> list[int]:
        drawn = _words(rng, model, rng.randint(low, high))
        ranks.update(drawn)
        return drawn

    title = _sentence(words(5, 10), model, [])[:-1]
    subtitle = _sentence(words(6, 12), model, [])[:-1]
    paragraphs: list[list[str]] = []
    for _ in range(rng.randint(6, 9)):
        paragraphs.append([_sentence(words(8, 22), model, []) for _ in range(rng.randint(3, 5))])
    # The rare name and the phrases go into random sentences of the body.
    for insert in [proper_name(name_index), *phrases]:
        paragraph = rng.choice(paragraphs)
        spot = rng.randrange(len(paragraph))
        paragraph[spot] = paragraph[spot][:-1] + f" {insert} " + model.words[_draw(rng, model.word_weights)] + "."
    text = _layout(rng, model, title, subtitle, [" ".join(p) for p in paragraphs])
    return Article(text=text, word_ranks=ranks, name_index=name_index, phrases=phrases)


def _layout(rng: random.Random, model: Model, title: str, subtitle: str, paragraphs: list[str]) -> str:
    """Put the parts in the seed layout."""
    year = YEARS[_draw(rng, model.year_weights)]
    publisher = model.publisher_names[_draw(rng, model.publisher_weights)]
    byline = [model.author_names[_draw(rng, model.author_weights)]]
    if rng.random() < TWO_AUTHOR_SHARE:
        second = model.author_names[_draw(rng, model.author_weights)]
        byline += [second] if second != byline[0] else []
    names = " and ".join(byline)
    photographer = rng.choice(model.author_names)
    handle = byline[0].replace(" ", "").lower() + str(rng.randrange(100))
    bio = f"{byline[0]} is a staff writer at {publisher}. Follow on Twitter @{handle}."
    return (
        f"© {year} {publisher}. All rights reserved.\n{title}\nPhoto by {photographer}/Getty Images\n\n"
        f"{title}\n\n{subtitle}\n\n"
        + "".join(f"{p}\n\n" for p in paragraphs)
        + BOILERPLATE
        + f"{names}\n\n{names}\n\n{bio}\n"
    )


def relative_path(index: int) -> Path:
    """Return where article ``index`` goes: directories of at most FILES_PER_DIRECTORY files."""
    return Path(f"{index // FILES_PER_DIRECTORY:05d}") / f"article-{index:07d}.txt"


# --- Generating files ----------------------------------------------------------


@dataclass
class Counts:
    """Document frequencies gathered while generating."""

    articles: int = 0
    bytes: int = 0
    words: list[int] = field(default_factory=lambda: [0] * VOCABULARY_SIZE)
    names: list[int] = field(default_factory=lambda: [0] * TRACKED_NAMES)
    phrases: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHRASES, 0))

    def add(self, other: Counts) -> None:
        self.articles += other.articles
        self.bytes += other.bytes
        self.words = [a + b for a, b in zip(self.words, other.words, strict=True)]
        self.names = [a + b for a, b in zip(self.names, other.names, strict=True)]
        for phrase, count in other.phrases.items():
            self.phrases[phrase] += count


_MODELS: dict[tuple[int, int], Model] = {}


def _model(seed: int, articles: int) -> Model:
    key = (seed, articles)
    if key not in _MODELS:
        _MODELS.clear()
        _MODELS[key] = Model(seed, articles)
    return _MODELS[key]


def write_chunk(job: tuple[int, int, int, int, str]) -> Counts:
    """Write articles ``start``..``stop`` of the model under ``out`` and return their counts."""
    seed, articles, start, stop, out = job
    model, counts, root = _model(seed, articles), Counts(), Path(out)
    for index in range(start, stop):
        generated = article(model, index)
        path = root / relative_path(index)
        if index % FILES_PER_DIRECTORY == 0 or index == start:
            path.parent.mkdir(parents=True, exist_ok=True)
        data = generated.text.encode("utf-8")
        path.write_bytes(data)
        counts.articles += 1
        counts.bytes += len(data)
        for rank in generated.word_ranks:
            counts.words[rank] += 1
        if generated.name_index < TRACKED_NAMES:
            counts.names[generated.name_index] += 1
        for phrase in generated.phrases:
            counts.phrases[phrase] += 1
    return counts


def _jobs(seed: int, articles: int, out: Path) -> Iterator[tuple[int, int, int, int, str]]:
    for start in range(0, articles, CHUNK):
        yield seed, articles, start, min(start + CHUNK, articles), str(out)


def generate(articles: int, out: Path, *, seed: int = 2024, workers: int = 2) -> Counts:
    """Write ``articles`` seed files under ``out`` and return the document frequencies."""
    out.mkdir(parents=True, exist_ok=True)
    total = Counts()
    if workers <= 1:
        for job in _jobs(seed, articles, out):
            total.add(write_chunk(job))
        return total
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for counts in pool.imap_unordered(write_chunk, _jobs(seed, articles, out)):
            total.add(counts)
    return total


# --- The query terms of each class ----------------------------------------------


@dataclass
class QueryTerms:
    """Search terms per class, each picked from the generated document frequencies."""

    rare: list[str]
    medium: list[str]
    common: list[str]
    phrase: list[str]
    exclusion: list[str]
    shares: dict[str, float]

    def as_dict(self) -> dict:
        return {
            "rare": self.rare,
            "medium": self.medium,
            "common": self.common,
            "phrase": self.phrase,
            "exclusion": self.exclusion,
            "shares": self.shares,
        }


def _closest(frequencies: dict[str, int], articles: int, share: float, count: int) -> list[str]:
    ranked = sorted(frequencies, key=lambda term: (abs(frequencies[term] / articles - share), term))
    return ranked[:count]


def query_terms(counts: Counts, seed: int, *, per_class: int = 5) -> QueryTerms:
    """Pick ``per_class`` terms per class: the ones whose share of articles is closest to the class's."""
    n = max(counts.articles, 1)
    words = vocabulary(seed)
    # Function words are in nearly every article and stemmed by the engines: never a query class's term.
    word_df = {w: df for w, df in zip(words, counts.words, strict=True) if w not in FUNCTION_WORDS}
    names = {proper_name(i): df for i, df in enumerate(counts.names) if df}
    rare = _closest(names, n, ARTICLES_PER_NAME / n, per_class)
    medium = _closest(word_df, n, 0.01, per_class)
    common = _closest(word_df, n, 0.20, per_class)
    phrases = [f'"{p}"' for p in _closest(counts.phrases, n, PHRASES["stock market"], min(per_class, 3))]
    exclusion = [f"{c} -{m}" for c, m in zip(common, medium, strict=False)]
    shares = {
        **{term: names[term] / n for term in rare},
        **{term: word_df[term] / n for term in medium + common},
        **{f'"{p}"': counts.phrases[p] / n for p in counts.phrases},
    }
    return QueryTerms(rare=rare, medium=medium, common=common, phrase=phrases, exclusion=exclusion, shares=shares)
