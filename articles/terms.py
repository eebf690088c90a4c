"""Significant terms: the words that set the articles matching a search apart from the whole archive.

Method
------
1. **Sample.** At most ``SAMPLE_SIZE`` matches, chosen reproducibly: the same
   request over the same index gets the same sample. With at most
   ``READ_ALL_IDS`` matches, their ids are read from the index's ``id`` fast field (no
   stored document) and the ``SAMPLE_SIZE`` first in a seeded hash order
   (``mix()``, splitmix64) are taken. With more, ``WINDOWS`` id windows
   are drawn (one at a seeded place in each of ``WINDOWS`` equal strata of the
   matches' id span, each as wide as needed for ~``OVERSAMPLE`` x ``SAMPLE_SIZE``
   matches in all), so every match has the same chance of being in one; the
   index hands back the matches inside them, and the hash order picks from those.
   Either way Python sees a bounded number of ids whatever the archive's size.
2. **Count.** The sample's bodies are read in one query, through the requester's
   queryset (the database has the last word on visibility). Each body is split
   as the index splits it (words, lowercased, at most 40 characters), its
   language's stop words (Tantivy's built-in lists, from Lucene/Snowball, and for
   English ``ENGLISH_EXTRA_STOPWORDS`` too; none for Arabic, Greek, Romanian, Tamil
   and Turkish) dropped, as are words without
   a letter and one-letter words. A term is a stem in the article's stemming language
   (``articles.search_index``): ``harbour`` and ``harbours`` are one term,
   shown as its most frequent surface form in the sample. ``sample_count`` is the
   number of sample articles whose body holds it. The query's own words are left out.
3. **Score.** The ``CANDIDATES`` terms with the largest ``sample_count`` get
   their ``archive_count``: the index's document frequency of the stem in that
   language's body field over the whole index (every status, drafts included;
   documents deleted since the last merge may still count). The score is
   Elasticsearch's JLH: ``(fg - bg) * fg / bg`` with ``fg = sample_count /
   sample_size`` and ``bg = archive_count / num_docs``; terms no more frequent in
   the sample than in the archive (score <= 0) are left out.

Only bodies are counted, in both counts: the index keeps a document frequency per
field, so the body's is the one the sample's can be set against exactly.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

import tantivy

from articles import search_index
from articles.search import ArticleSearch, PkIn, analyse

# Bodies counted: splitting and counting one is ~0.3 ms of Python (its ~250 words, each hashed and looked
# up), so 2,000 took ~0.6 s a request. 500 bring a term held by 2% of the matches ten times into the
# sample, as Elasticsearch's significant_text is run on a sampler of a few hundred documents a shard.
SAMPLE_SIZE = 500
# Matches up to which every id is read from the index; above, id windows narrow them first.
READ_ALL_IDS = 10_000
# Id windows drawn over a large result, and how many matches they aim to hold per sampled article.
WINDOWS = 64
OVERSAMPLE = 2
# Terms whose archive frequency is looked up (the sample's most frequent).
CANDIDATES = 300
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SEED = 0x5EED
SCORE_DIGITS = 4
# Tantivy's built-in stop word lists (tantivy-py ``Filter.stopword``).
STOPWORD_LANGUAGES = frozenset(
    {
        "danish",
        "dutch",
        "english",
        "finnish",
        "french",
        "german",
        "hungarian",
        "italian",
        "norwegian",
        "portuguese",
        "russian",
        "spanish",
        "swedish",
    }
)
# Tantivy's English list is Lucene's 33 words; these English function words are left out too.
ENGLISH_EXTRA_STOPWORDS = tuple(
    """about above after again against all also am any because been before being below between both can
    could did do does doing down during each few from further had has have having he her here hers herself
    him himself his how its itself just me more most my myself nor now off once only other our ours
    ourselves out over own same she should so some than too under until up very we were what when where
    which while who whom why would you your yours yourself yourselves""".split()
)
_MASK = 2**64 - 1


class ScoredTerm(TypedDict):
    term: str
    score: float
    sample_count: int
    archive_count: int


class TopTerms(TypedDict):
    sample_size: int
    matches: int
    terms: list[ScoredTerm]


# A term: its stemming language and its stem.
Key = tuple[str, str]


@dataclass(frozen=True)
class SampleCounts:
    """How many sample articles hold each term; each article's distinct words, and the term of each word."""

    size: int
    counts: Counter[Key]
    # Stemmer -> surface form -> its term's stem ("" for what is no term).
    stems: dict[str, dict[str, str]]
    # Each sampled article's stemmer and distinct surface forms.
    words: list[tuple[str, frozenset[str]]]

    def surfaces(self, keys: Iterable[Key]) -> dict[Key, Counter[str]]:
        """Return the surface forms of each term of ``keys``, each with the sample articles holding it."""
        wanted: dict[str, set[str]] = {}
        for stemmer, stemmed in keys:
            wanted.setdefault(stemmer, set()).add(stemmed)
        # Stemmer -> every form of a wanted term: then each article's words are intersected, in C.
        forms = {
            stemmer: frozenset(form for form, stemmed in self.stems.get(stemmer, {}).items() if stemmed in stems)
            for stemmer, stems in wanted.items()
        }
        counted: dict[str, Counter[str]] = {stemmer: Counter() for stemmer in forms}
        for stemmer, words in self.words:
            if stemmer in forms:
                counted[stemmer].update(words & forms[stemmer])
        found: dict[Key, Counter[str]] = {}
        for stemmer, by_form in counted.items():
            for form, n in by_form.items():
                found.setdefault((stemmer, self.stems[stemmer][form]), Counter())[form] = n
        return found


# --- The sample -----------------------------------------------------------------------------


def mix(value: int, seed: int = SEED) -> int:
    """Return splitmix64 of ``value`` and ``seed``: a fixed, well-spread order of ids."""
    z = (value + seed * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def hash_sample(ids: Iterable[int], size: int, seed: int = SEED) -> list[int]:
    """Return the ``size`` first of ``ids`` in the seeded hash order."""
    return sorted(ids, key=lambda pk: (mix(pk, seed), pk))[:size]


def windows(low: int, high: int, fraction: float, count: int = WINDOWS, seed: int = SEED) -> list[tuple[int, int]]:
    """Return ``count`` id ranges ``[start, end]`` covering about ``fraction`` of ``low..high``, one per stratum."""
    span = high - low + 1
    stratum = span / count
    width = max(1, math.ceil(stratum * fraction))
    ranges = []
    for i in range(count):
        first = low + math.floor(i * stratum)
        room = max(0, math.floor((i + 1) * stratum) - math.floor(i * stratum) - width)
        start = first + (mix(i, seed) % (room + 1))
        ranges.append((start, min(high, start + width - 1)))
    return ranges


def _ids(search: tantivy.Searcher, query: tantivy.Query, limit: int) -> list[int]:
    """Return the ids of up to ``limit`` hits of ``query``, read from the id fast field (no stored document)."""
    hits = search.search(query, limit, count=False, order_by_field="id", order=tantivy.Order.Asc).hits
    return [int(key) for key, _ in hits]


def sample_ids(matches: ArticleSearch, size: int) -> tuple[int, list[int]]:
    """Return the number of matches and the ids of a reproducible sample of at most ``size`` of them."""
    index_query = matches.index_query()
    total = matches.count()
    if index_query is None or not total:
        return total, []
    # The result set's own index snapshot, so the sample, the counts and the frequencies agree.
    search = matches.searcher()
    if total <= max(READ_ALL_IDS, size):
        # Few enough to read every id from the fast field and pick by hash alone.
        return total, hash_sample(_ids(search, index_query, total), size)
    span = search.aggregate(index_query, {"low": {"min": {"field": "id"}}, "high": {"max": {"field": "id"}}})
    low, high = int(span["low"]["value"]), int(span["high"]["value"])
    ranges = windows(low, high, min(1.0, OVERSAMPLE * size / total))
    within = [
        (tantivy.Occur.Should, tantivy.Query.range_query(search_index.SCHEMA, "id", tantivy.FieldType.Unsigned, a, b))
        for a, b in ranges
    ]
    narrowed = tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, index_query), (tantivy.Occur.Must, tantivy.Query.boolean_query(within))]
    )
    return total, hash_sample(_ids(search, narrowed, READ_ALL_IDS), size)


# --- Counting -------------------------------------------------------------------------------


@functools.cache
def surface_analyzer(stemmer: str) -> tantivy.TextAnalyzer:
    """Return the analyser of the words shown: the index's split and case, its language's stop words out, unstemmed."""
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
    )
    if stemmer in STOPWORD_LANGUAGES:
        builder = builder.filter(tantivy.Filter.stopword(stemmer))
    if stemmer == search_index.DEFAULT_STEMMER:
        builder = builder.filter(tantivy.Filter.custom_stopword(list(ENGLISH_EXTRA_STOPWORDS)))
    return builder.build()


@functools.lru_cache(maxsize=200_000)
def stem(surface: str, stemmer: str) -> str:
    """Return the index term of one surface word (folded and stemmed as the index does)."""
    terms = analyse(surface, stemmer)
    return terms[0] if terms else ""


def is_word(surface: str) -> bool:
    """Return whether a surface word is worth showing: two characters or more, a letter among them."""
    return len(surface) > 1 and any(char.isalpha() for char in surface)


def count_terms(bodies: Iterable[tuple[str, str]], *, excluded: frozenset[Key] = frozenset()) -> SampleCounts:
    """Count, per term, the ``(body, stemmer)`` pairs holding it; ``excluded`` left out."""
    per_stemmer: dict[str, Counter[str]] = {}
    stems: dict[str, dict[str, str]] = {}
    known: dict[str, set[str]] = {}
    words: list[tuple[str, frozenset[str]]] = []
    for body, stemmer in bodies:
        # Each distinct word is stemmed once per sample (set operations and lookups in C per article).
        resolved, seen = stems.setdefault(stemmer, {}), known.setdefault(stemmer, set())
        surfaces = frozenset(surface_analyzer(stemmer).analyze(body))
        if new := surfaces - seen:
            for surface in new:
                stemmed = stem(surface, stemmer) if is_word(surface) else ""
                resolved[surface] = "" if (stemmer, stemmed) in excluded else stemmed
            seen |= new
        held = set(map(resolved.__getitem__, surfaces))
        held.discard("")
        per_stemmer.setdefault(stemmer, Counter()).update(held)
        words.append((stemmer, surfaces))
    counts = Counter({(stemmer, stemmed): n for stemmer, c in per_stemmer.items() for stemmed, n in c.items()})
    return SampleCounts(len(words), counts, stems, words)


def display(forms: Mapping[str, int]) -> str:
    """Return the surface form to show: the most frequent, ties alphabetically."""
    return min(forms, key=lambda form: (-forms[form], form))


def jlh(sample_count: int, sample_size: int, archive_count: int, archive_size: int) -> float:
    """Return Elasticsearch's JLH score: (fg - bg) * fg / bg of the sample's and the archive's frequencies."""
    if not sample_size or not archive_size:
        return 0.0
    fg = sample_count / sample_size
    bg = max(archive_count, sample_count, 1) / archive_size
    return (fg - bg) * fg / bg


def score_terms(
    sample: SampleCounts,
    archive_count: Mapping[Key, int],
    archive_size: int,
    *,
    limit: int,
) -> list[ScoredTerm]:
    """Return the ``limit`` terms of ``sample`` (those in ``archive_count``) with the best positive score."""
    scored: list[tuple[float, str, Key, ScoredTerm]] = []
    forms = sample.surfaces(archive_count)
    for key, n in archive_count.items():
        sample_count = sample.counts[key]
        score = jlh(sample_count, sample.size, n, archive_size)
        if score <= 0:
            continue
        term = display(forms[key])
        entry: ScoredTerm = {
            "term": term,
            "score": round(score, SCORE_DIGITS),
            "sample_count": sample_count,
            "archive_count": max(n, sample_count),
        }
        scored.append((-score, term, key, entry))
    scored.sort(key=lambda item: item[:3])
    return [entry for *_, entry in scored[:limit]]


def candidates(sample: SampleCounts, size: int = CANDIDATES) -> list[Key]:
    """Return the ``size`` terms held by the most sample articles (ties by stem)."""
    if not sample.counts:
        return []
    # Only the terms at least as frequent as the ``size``-th are sorted (ties at the edge by stem).
    floor = heapq.nlargest(size, sample.counts.values())[-1]
    frequent = [key for key, n in sample.counts.items() if n >= floor]
    return sorted(frequent, key=lambda key: (-sample.counts[key], key[1], key[0]))[:size]


def archive_counts(search: tantivy.Searcher, keys: Sequence[Key]) -> dict[Key, int]:
    """Return the index's document frequency of each term in its language's body field."""
    body = search_index.TEXT_FIELDS.index("body")
    return {key: search.doc_freq(search_index.text_fields(key[0])[body], key[1]) for key in keys}


def query_terms(matches: ArticleSearch) -> frozenset[Key]:
    """Return the terms of the search's own words, in every language (left out of the answer)."""
    if matches.q is None:
        return frozenset()
    words = [term.text for group in matches.q.groups for term in group]
    return frozenset(
        (stemmer, stemmed) for stemmer in search_index.STEMMERS for word in words for stemmed in analyse(word, stemmer)
    )


# --- The service ----------------------------------------------------------------------------


def top_terms(*, matches: ArticleSearch, limit: int = DEFAULT_LIMIT, sample_size: int | None = None) -> TopTerms:
    """Return the ``limit`` terms that most set ``matches`` apart from the archive, from a sample of them.

    Reads at most ``sample_size`` (default ``SAMPLE_SIZE``) bodies, in one query through ``matches``'
    queryset, and looks up at most ``CANDIDATES`` document frequencies in the index.
    """
    total, ids = sample_ids(matches, SAMPLE_SIZE if sample_size is None else sample_size)
    if not ids:
        return {"sample_size": 0, "matches": total, "terms": []}
    rows = matches.queryset.filter(PkIn(ids)).order_by().values_list("body", "language")
    sample = count_terms(
        ((body, search_index.stemmer_for(language)) for body, language in rows),
        excluded=query_terms(matches),
    )
    # The result set's own index snapshot, so the sample, the counts and the frequencies agree.
    search = matches.searcher()
    found = archive_counts(search, candidates(sample))
    terms = score_terms(sample, found, search.num_docs, limit=limit)
    return {"sample_size": sample.size, "matches": total, "terms": terms}
