"""Full-text search over articles' titles, subtitles and bodies: the same engine on PostgreSQL and SQLite.

Query syntax
------------
Queries use web-search syntax:

- ``county jail``: articles containing every word, in any order and any field.
  Words are stemmed in each article's language, so ``detainer`` also finds
  ``detainers`` and ``corriendo`` finds ``corren`` in a Spanish article, and
  accents are folded, so ``cafe`` finds ``café``.
- ``"county jail"``: the words next to each other, in this order (a phrase).
  An unclosed quote runs to the end of the query.
- ``jail OR prison``: either term. ``OR`` (in capitals) binds tighter than the
  implicit AND: ``county jail OR prison`` means county AND (jail OR prison).
- ``-jail`` or ``-"county jail"``: articles without the word or phrase.
  A query needs at least one term to search for besides its exclusions.
- ``AND`` is optional: terms must all match anyway. Anything else is plain
  text: punctuation such as ``*``, ``^``, ``:`` or ``(`` and words such as
  ``NOT`` or ``NEAR`` have no special meaning. There is no prefix search:
  ``a*`` searches for the word "a" (every word is indexed, "the" and "a"
  included), and ``title:jail`` for the phrase "title jail".

Relevance (``rank``, higher is better) puts a match in the title above one in
the subtitle, above one in the body. A query with nothing searchable in it
(empty, or only operators and punctuation) matches no article. A query longer
than 1000 characters or with more than 32 terms is refused.


How it works
------------
``parse_query()`` turns the text into a ``Query`` (a conjunction of OR-groups of
terms, minus excluded terms) without touching the database, raising
``SearchQueryError`` (a ``ValueError``; the API answers 400) for what it refuses.
``compile_query()`` turns it into a Tantivy query over the index of
``articles.search_index``: each term is analysed like the text was (a term of
several words is a phrase) and looked for in the title, subtitle and body,
weighted by ``FIELD_BOOSTS``; scores are BM25. Articles are indexed in their
language's fields, so a term is looked for in every language's fields, analysed
by each language's analyser (the English stem in English fields, the Spanish one
in Spanish fields...).

``ArticleSearch`` is the result set. Filters (``SearchFilters``) are answered
inside the index from its fast fields, so are the count, the sort (relevance or
a field) and the facets; only the page's articles are read from the database,
through the queryset it was given, so what the requester may not see, or what
the index still holds of a rolled-back write, never shows. It behaves like a
sliced, ordered queryset where the API's paginators and exports use one.
``snippet`` is a fragment of the body with matched terms in ``<mark>`` elements
and everything else HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, overload

import tantivy
from django.core.exceptions import ImproperlyConfigured
from django.db.models import BooleanField, F, Func, OrderBy, Q, QuerySet

from articles import search_index
from articles.api.excerpts import make_excerpt
from articles.languages import UNKNOWN_LANGUAGE
from articles.models import Article
from articles.search_index import (
    DEFAULT_STEMMER,
    FIELD_KINDS,
    FIELD_STEMMERS,
    I64_MIN,
    MATCHING_FIELD_STEMMERS,
    NO_EMBARGO,
    SCHEMA,
    micros,
)

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

SYNTAX_HELP = __doc__.partition("------------\n")[2].partition("\n\n\nHow it works")[0].strip()

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
# The ordering the API uses for relevance: best first, newest id breaking ties.
RELEVANCE_ORDERING = ("-rank", "-id")
FIELD_BOOSTS = {"title": 10.0, "subtitle": 4.0, "body": 1.0}
# Added once per term matched in the field, whatever BM25 says: where most articles have no
# subtitle, BM25 would otherwise rate a subtitle match as far too long for its field.
FIELD_BONUS = {"title": 2.0, "subtitle": 1.0}
SNIPPET_CHARS = 240
# Where the body is among each language's text fields.
BODY = search_index.TEXT_FIELDS.index("body")
# Hits fetched beyond a page, so ties across its edge are ordered by the next keys too.
TIE_MARGIN = 10
# Longest run of equal first keys (equal scores, say) put in the order of the next keys.
MAX_TIE_RUN = 100
# Ascending relevance ("worst first") orders this many best matches.
MAX_ASCENDING_RANK = 10_000
# Hits the count's pass over the matches also keeps, best first: the first pages of any size
# (and the tie margin) then need no second pass. Top-k costs little more with a larger k.
COUNT_WINDOW = 128

# A bare word or a quoted phrase, each with optional leading dashes (exclusion).
_TOKEN = re.compile(r'(-*)(?:"([^"]*)"?|([^\s"]+))')
_SPACE = re.compile(r"\s+")
_ANALYZERS = {stemmer: search_index.analyzer(stemmer) for stemmer in search_index.STEMMERS}
Must, Should, MustNot = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot


class SearchQueryError(ValueError):
    """A search query that cannot be run; the message says why."""


@dataclass(frozen=True)
class Term:
    """A word or a phrase to look for; a phrase's words must be adjacent and in order."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed query: every group must match (a group matches when any of its terms does), no excluded term may."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether the query has nothing to search for."""
        return not self.groups


def parse_query(q: str) -> Query:
    """Parse web-search syntax into a ``Query``; raise ``SearchQueryError`` for a query that cannot run."""
    if not isinstance(q, str):
        raise SearchQueryError("The search query must be text.")
    if len(q) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"The search query is too long: {len(q)} characters, the limit is {MAX_QUERY_CHARS}.")
    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    extend_group = after_term = False
    for match in _TOKEN.finditer(_clean(q)):
        dashes, phrase, word = match.groups()
        if phrase is None and not dashes and word in ("OR", "AND"):
            # OR joins the next term to the previous one's group; AND is what
            # adjacent terms mean anyway. Neither means anything without a term before it.
            extend_group = word == "OR" and after_term
            continue
        term = Term(" ".join((phrase if phrase is not None else word).split()), phrase=phrase is not None)
        if not any(char.isalnum() for char in term.text):
            continue  # Nothing any tokenizer would index, e.g. "*" or a lone "-".
        if dashes:
            excluded.append(term)
            extend_group = after_term = False
        elif extend_group:
            groups[-1] += (term,)
            extend_group = False
        else:
            groups.append((term,))
            after_term = True
    if sum(map(len, groups)) + len(excluded) > MAX_TERMS:
        raise SearchQueryError(f"The search query has too many terms; the limit is {MAX_TERMS}.")
    if excluded and not groups:
        raise SearchQueryError("The search query only excludes terms; add at least one term to search for.")
    return Query(groups=tuple(groups), excluded=tuple(excluded))


def _clean(q: str) -> str:
    """Return ``q`` in NFC with control characters and lone surrogates turned into spaces."""
    # Neither database accepts some of them (NUL, surrogates), and none is searchable.
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in q)
    return unicodedata.normalize("NFC", text)


# --- Compiling a query ---------------------------------------------------------------


def _as_query(q: str | Query) -> Query:
    return q if isinstance(q, Query) else parse_query(q)


def analyse(text: str, stemmer: str = DEFAULT_STEMMER) -> list[str]:
    """Return the index terms of ``text``, as the index analysed titles and bodies in ``stemmer``'s language."""
    return list(_analysed(text, stemmer))


@functools.lru_cache(maxsize=65_536)
def _analysed(text: str, stemmer: str) -> tuple[str, ...]:
    # Query words recur (every search compiles its words for each language): each is analysed once.
    return tuple(_ANALYZERS[stemmer].analyze(text))


def _field_query(name: str, tokens: list[str], schema: tantivy.Schema) -> tantivy.Query:
    if len(tokens) == 1:
        return tantivy.Query.term_query(schema, name, tokens[0])
    words: list[str | tuple[int, str]] = [*tokens]
    return tantivy.Query.phrase_query(schema, name, words)


def _term_query(
    term: Term, fields: Sequence[str], *, scored: bool = True, schema: tantivy.Schema = SCHEMA
) -> tantivy.Query | None:
    """Return the term in any of ``fields`` (a phrase when it has several words), or None if it has no words.

    Each field's language analyses the term: every analyser splits text alike, only the stems differ.
    Unless ``scored``, the fields are not weighted (the same matches, and a tenth of the work).
    """
    field_stemmers = list(map(_stemmer_of, fields))
    stems = {stemmer: analyse(term.text, stemmer) for stemmer in dict.fromkeys(field_stemmers)}
    if not any(stems.values()):
        return None
    if not scored:
        clauses = [
            (Should, _field_query(f, stems[stemmer], schema)) for f, stemmer in zip(fields, field_stemmers, strict=True)
        ]
        return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
    bonus = len({FIELD_KINDS[name] for name in fields}) > 1
    clauses = []
    for name in fields:
        kind = FIELD_KINDS[name]
        matched = _field_query(name, stems[FIELD_STEMMERS[name]], schema)
        clauses.append((Should, tantivy.Query.boost_query(matched, FIELD_BOOSTS[kind])))
        if kind in FIELD_BONUS and bonus:
            clauses.append((Should, tantivy.Query.const_score_query(matched, FIELD_BONUS[kind])))
    return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)


def _stemmer_of(field_name: str) -> str:
    """Return the stemmer of a text field, of the live index or of a matching one."""
    return FIELD_STEMMERS.get(field_name) or MATCHING_FIELD_STEMMERS[field_name]


def _any_of(
    terms: Sequence[Term], fields: Sequence[str], *, scored: bool = True, schema: tantivy.Schema = SCHEMA
) -> tantivy.Query | None:
    queries = [q for q in (_term_query(term, fields, scored=scored, schema=schema) for term in terms) if q is not None]
    if len(queries) <= 1:
        return queries[0] if queries else None
    return tantivy.Query.boolean_query([(Should, q) for q in queries])


def compile_query(
    query: Query,
    fields: Sequence[str] = tuple(FIELD_STEMMERS),
    *,
    scored: bool = True,
    schema: tantivy.Schema = SCHEMA,
) -> tantivy.Query | None:
    """Compile ``query`` for the index; None when nothing in it is searchable.

    A term without any word (as the analyser sees it) is dropped, as a database
    drops a stop word; so is a group of only such terms. Without ``scored``, the
    same matches without relevance (for whoever only wants which articles match),
    and ``fields`` may be those of a matching index (``schema``: ``MATCHING_SCHEMA``).
    """
    groups = [q for q in (_any_of(g, fields, scored=scored, schema=schema) for g in query.groups) if q is not None]
    if not groups:
        return None
    clauses = [(Must, q) for q in groups]
    excluded = _any_of(query.excluded, fields, scored=False, schema=schema)
    if excluded is not None:
        clauses.append((MustNot, excluded))
    return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)


# --- Filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """Conditions on the articles a search returns, answered from the index's fast fields."""

    statuses: tuple[str, ...] = ()
    needs_review: bool | None = None
    # None: any; an empty tuple: none (the slugs given named nobody).
    publisher_ids: tuple[int, ...] | None = None
    author_ids: tuple[int, ...] | None = None
    published: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    created: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    copyright_years: tuple[int | None, int | None] = (None, None)
    word_counts: tuple[int | None, int | None] = (None, None)
    has_image_credit: bool | None = None
    source_key: str | None = None
    # ISO 639-1 codes, UNKNOWN_LANGUAGE for articles of unknown language; empty: any.
    languages: tuple[str, ...] = ()
    # Only articles under no embargo at this moment (None: embargoed ones too, as staff see them).
    embargo_ended_by: dt.datetime | None = None

    def queries(self) -> list[tantivy.Query]:
        """Return one index query per condition set."""
        queries = []
        if self.statuses:
            queries.append(tantivy.Query.term_set_query(SCHEMA, "status", list(self.statuses)))
        for name in ("needs_review", "has_image_credit"):
            if getattr(self, name) is not None:
                queries.append(tantivy.Query.term_query(SCHEMA, name, getattr(self, name)))
        for name, ids in (("publisher", self.publisher_ids), ("authors", self.author_ids)):
            if ids is not None:
                query = tantivy.Query.term_set_query(SCHEMA, name, list(ids)) if ids else tantivy.Query.empty_query()
                queries.append(query)
        # ``published``: the published_after/before filters, on ``date`` as in the database.
        for name, bounds in (("date", self.published), ("created_at", self.created)):
            queries += _range(name, tantivy.FieldType.Integer, *(micros(b) if b else None for b in bounds))
        queries += _range("copyright_year", tantivy.FieldType.Unsigned, *self.copyright_years)
        queries += _range("word_count", tantivy.FieldType.Unsigned, *self.word_counts)
        if self.source_key is not None:
            queries.append(tantivy.Query.term_query(SCHEMA, "source_key", self.source_key))
        if self.languages:
            codes = [code or UNKNOWN_LANGUAGE for code in self.languages]
            queries.append(tantivy.Query.term_set_query(SCHEMA, "language", codes))
        if self.embargo_ended_by is not None:
            # NO_EMBARGO is below every moment: articles without an embargo are in the range too.
            queries += _range("embargo_until", tantivy.FieldType.Integer, NO_EMBARGO, micros(self.embargo_ended_by))
        return queries


def _range(
    name: str,
    kind: tantivy.FieldType,
    low: int | None,
    high: int | None,
    *,
    include_low: bool = True,
    include_high: bool = True,
) -> list[tantivy.Query]:
    if low is None and high is None:
        return []
    return [tantivy.Query.range_query(SCHEMA, name, kind, low, high, include_low, include_high)]


# --- Sorting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """One term of a result ordering; ``nulls`` as in ``articles.api.cursors.OrderKey``."""

    name: str
    descending: bool
    nulls: str | None = None

    @classmethod
    def parse(cls, term: str | OrderBy) -> SortKey:
        if isinstance(term, OrderBy) and isinstance(term.expression, F):
            nulls = "first" if term.nulls_first else "last" if term.nulls_last else None
            # django-stubs' F does not declare the ``name`` its __init__ sets.
            return cls(term.expression.name, term.descending, nulls)  # type: ignore[attr-defined]
        if isinstance(term, str) and term.lstrip("-") in SORT_FIELDS:
            name = term.lstrip("-")
            return cls("id" if name == "pk" else name, term.startswith("-"))
        raise ValueError(f"Search results cannot be ordered by {term!r}.")

    def index_field(self) -> str:
        """Return the fast field that sorts like this key, NULLs where ``nulls`` says."""
        if self.name not in NULLABLE_DATES:
            return SORT_FIELDS[self.name]
        nulls_at_end = (self.nulls or "last") == "last"
        return NULLABLE_DATES[self.name][0 if nulls_at_end == self.descending else 1]

    def expression(self) -> str | OrderBy:
        if self.nulls is None:
            return f"-{self.name}" if self.descending else self.name
        nulls = {"nulls_first": True} if self.nulls == "first" else {"nulls_last": True}
        return F(self.name).desc(**nulls) if self.descending else F(self.name).asc(**nulls)


# Dates that may be missing (drafts): their fast fields sorting missing values below (desc) or above (asc) all.
NULLABLE_DATES = {"published_at": ("published_desc", "published_asc"), "date": ("date_desc", "date_asc")}
SORT_FIELDS = {
    "rank": "",
    "id": "id",
    "pk": "id",
    "title": "title_sort",
    "published_at": "published_desc",
    "date": "date_desc",
    "created_at": "created_at",
    "word_count": "word_count",
    "sample_key": "sample_key",
}


@dataclass
class _Hit:
    """One match: its sort key, where it is, and (once loaded) its stored fields."""

    key: Any
    address: tantivy.DocAddress
    score: float = 0.0
    document: tantivy.Document | None = None

    def load(self, search: tantivy.Searcher) -> None:
        if self.document is None:
            self.document = search.doc(self.address)

    def value(self, name: str) -> Any:
        assert self.document is not None, "a hit's fields are read once it is loaded"
        return self.document.get_first(name)

    @property
    def id(self) -> int:
        return int(self.value("id"))


def _run_start(hits: list[_Hit], i: int) -> int:
    while i > 0 and hits[i - 1].key == hits[i].key:
        i -= 1
    return i


def _run_end(hits: list[_Hit], i: int) -> int:
    key = hits[i].key
    while i < len(hits) and hits[i].key == key:
        i += 1
    return i


# --- The result set -------------------------------------------------------------------------


class SlicedByPage:
    """Slicing as a queryset's, for results that stand in for one and read a page with ``page()``."""

    def count(self) -> int:
        raise NotImplementedError

    def page(self, offset: int, limit: int) -> list[Article]:
        raise NotImplementedError

    @overload
    def __getitem__(self, item: int) -> Article: ...
    @overload
    def __getitem__(self, item: slice) -> list[Article]: ...
    def __getitem__(self, item: slice | int) -> list[Article] | Article:
        if isinstance(item, int):
            return self[item : item + 1][0]
        start, stop = item.start or 0, item.stop
        if stop is None:
            stop = self.count()
        return self.page(start, stop - start)


@dataclass
class ArticleSearch(SlicedByPage):
    """The articles of ``queryset`` matching ``query`` and ``filters``, ordered, counted and paged in the index.

    ``query`` None matches every article (facets and filters without ``q``).
    Slicing returns the page's ``Article`` objects, read through ``queryset``
    (so its ``select_related()``, ``defer()`` and visibility hold), with
    ``rank`` and, when ``snippets``, ``snippet``.
    """

    queryset: QuerySet[Article]
    q: Query | None
    filters: SearchFilters = field(default_factory=SearchFilters)
    ordering: tuple[SortKey, ...] = (SortKey("rank", True), SortKey("id", True))
    snippets: bool = True
    # An extra condition from ``filter()`` (keyset paging), as an index query.
    condition: tantivy.Query | None = None
    ordered = True

    def __post_init__(self) -> None:
        self.model = self.queryset.model
        self._count: int | None = None
        self._snapshot: tantivy.Searcher | None = None
        # The longest top-``n`` asked of the index so far: ``(n, hits)``.
        self._tops: tuple[int, list[_Hit]] | None = None
        self._text = compile_query(self.q) if self.q is not None else tantivy.Query.all_query()

    # What paginators and ordering filters use of a queryset.
    @property
    def db(self) -> str:
        return self.queryset.db

    @property
    def query(self) -> SimpleNamespace:
        # ``articles.api.cursors.order_keys()`` reads a queryset's ``query.order_by``.
        return SimpleNamespace(order_by=tuple(key.expression() for key in self.ordering))

    def order_by(self, *terms: str | OrderBy) -> ArticleSearch:
        """Return the results in another order: ``rank`` (relevance) or an indexed field, NULLs as given."""
        return replace(self, ordering=tuple(SortKey.parse(term) for term in terms))

    def filter(self, *conditions: Q, **lookups: Any) -> ArticleSearch:
        """Return the results narrowed by simple lookups on indexed fields (what keyset paging asks)."""
        extra = [q_to_index(c) for c in conditions] + [q_to_index(Q(**{k: v})) for k, v in lookups.items()]
        if self.condition is not None:
            extra.append(self.condition)
        combined = extra[0] if len(extra) == 1 else tantivy.Query.boolean_query([(Must, q) for q in extra])
        return replace(self, condition=combined)

    def none(self) -> ArticleSearch:
        return replace(self, q=Query())

    def narrowed(self, **filters: Any) -> ArticleSearch:
        """Return the results under ``filters`` changed (``SearchFilters`` fields), from the same index snapshot."""
        narrowed = replace(self, filters=replace(self.filters, **filters))
        # One snapshot: counts of the narrowed results add up with this one's under concurrent writes.
        narrowed._snapshot = _searcher(self)
        return narrowed

    def searcher(self) -> tantivy.Searcher:
        """Return the index snapshot these results are read from (taken on first use, then kept)."""
        return _searcher(self)

    def visible(self) -> ArticleSearch:
        """Return every article the requester may see (no ``q``, no filter but visibility's), same snapshot."""
        seen = SearchFilters(statuses=self.filters.statuses, embargo_ended_by=self.filters.embargo_ended_by)
        everything = replace(self, q=None, filters=seen, condition=None)
        everything._snapshot = _searcher(self)
        return everything

    def count(self) -> int:
        """Return the exact number of matches."""
        if self._count is None:
            index_query = self.index_query()
            if index_query is None:
                self._count = 0
            else:
                # One pass counts every match and keeps the first pages' hits.
                self._top(_searcher(self), index_query, COUNT_WINDOW, count=True)
        assert self._count is not None, "a counting pass sets it"
        return self._count

    def capped_count(self, *, cap: int) -> tuple[int, bool]:
        """Return ``(count, exact)`` as ``articles.counting`` asks: the index counts every match exactly and cheaply."""
        return self.count(), True

    def exists(self) -> bool:
        return self.count() > 0

    def __iter__(self) -> Iterator[Article]:
        return self.iterator()

    def iterator(self, chunk_size: int = 1000) -> Iterator[Article]:
        """Yield every match in order, ``chunk_size`` at a time, from one snapshot of the index."""
        if self.index_query() is None:
            return
        search = _searcher(self)
        for hits in self._hit_chunks(search, chunk_size):
            yield from self._hydrate(search, hits)

    def hit_chunks(self, chunk_size: int) -> Iterator[list[tuple[int, float]]]:
        """Yield ``(id, score)`` of every match in order, ``chunk_size`` at a time, from one snapshot of the index."""
        if self.index_query() is None:
            return
        for hits in self._hit_chunks(_searcher(self), chunk_size):
            yield [(hit.id, float(hit.score)) for hit in hits]

    def snippet_maker(self) -> Callable[[str], str] | None:
        """Return the function making a match's snippet from its body (None without a query)."""
        return Snippets(_searcher(self), self.q).make if self.q is not None else None

    def _hit_chunks(self, search: tantivy.Searcher, chunk_size: int) -> Iterator[list[_Hit]]:
        # Each chunk is one pass of the index that hands over that chunk only (its offset is
        # skipped inside the index): Python's work and memory stay per chunk, however many match.
        index_query = self.index_query()
        if index_query is None:
            return
        offset = 0
        while hits := self._chunk_hits(search, index_query, offset, chunk_size):
            yield hits
            if len(hits) < chunk_size:
                return
            offset += chunk_size

    def _chunk_hits(self, search: tantivy.Searcher, index_query: tantivy.Query, offset: int, limit: int) -> list[_Hit]:
        """Return the hits at ``offset`` to ``offset + limit`` as ``_page_hits`` does, none long before ``offset``.

        Ascending relevance reads its bounded ``MAX_ASCENDING_RANK`` hits as pages do.
        Otherwise the index skips all but the ``MAX_TIE_RUN + 1`` hits before
        ``offset``: a run of equal keys that reaches further back is longer than
        ``MAX_TIE_RUN``, so ``_window`` leaves it in index order either way.
        """
        primary = self.ordering[0]
        if primary.name == "rank" and not primary.descending:
            return self._page_hits(search, index_query, offset, limit)
        base = max(0, offset - MAX_TIE_RUN - 1)
        hits = self._window(search, index_query, offset - base, limit, base=base)
        for hit in hits:
            hit.load(search)
        if primary.name != "rank" and self.q is not None:
            self._score(search, hits)
        return hits

    # --- The index's work ---

    def index_query(self) -> tantivy.Query | None:
        """Return the whole query for the index: text, filters and any keyset condition; None matches nothing."""
        if self._text is None:
            return None
        parts = [self._text, *self.filters.queries(), *([self.condition] if self.condition is not None else [])]
        return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query([(Must, q) for q in parts])

    def page(self, offset: int, limit: int) -> list[Article]:
        """Return the articles at ``offset`` to ``offset + limit`` in this order, read from the database."""
        index_query = self.index_query()
        if index_query is None or limit <= 0:
            return []
        search = _searcher(self)
        return self._hydrate(search, self._page_hits(search, index_query, offset, limit))

    def _page_hits(self, search: tantivy.Searcher, index_query: tantivy.Query, offset: int, limit: int) -> list[_Hit]:
        hits = self._window(search, index_query, offset, limit)
        for hit in hits:
            hit.load(search)
        if self.ordering[0].name != "rank" and self.q is not None:
            self._score(search, hits)
        return hits

    def _top(self, search: tantivy.Searcher, index_query: tantivy.Query, n: int, *, count: bool = False) -> list[_Hit]:
        """Return the first ``n`` hits in the primary order (and with ``count``, count every match on the way).

        The top ``n`` of the index's order (ties by document) is a prefix of any
        longer top, so an earlier, longer pass answers without touching the index.
        """
        primary = self.ordering[0]
        if primary.name == "rank" and not primary.descending:
            return self._top_pass(search, index_query, n, count=count)  # Always every hit, reversed.
        if self._tops is not None and not count:
            longest, hits = self._tops
            if n <= longest or len(hits) < longest:
                return hits[:n]
        hits = self._top_pass(search, index_query, n, count=count)
        if self._tops is None or n > self._tops[0]:
            self._tops = (n, hits)
        return hits[:]

    def _top_pass(self, search: tantivy.Searcher, index_query: tantivy.Query, n: int, *, count: bool) -> list[_Hit]:
        primary = self.ordering[0]
        if primary.name == "rank" and not primary.descending:
            best = search.search(index_query, MAX_ASCENDING_RANK, count=count)
            found, hits = best, [_Hit(s, a, score=s) for s, a in reversed(best.hits)]
        elif primary.name == "rank":
            found = search.search(index_query, n, count=count)
            hits = [_Hit(s, a, score=s) for s, a in found.hits]
        else:
            order = tantivy.Order.Desc if primary.descending else tantivy.Order.Asc
            found = search.search(index_query, n, count=count, order_by_field=primary.index_field(), order=order)
            hits = [_Hit(k, a) for k, a in found.hits]
        if count:
            self._count = found.count  # type: ignore[attr-defined]  # tantivy's stubs leave out SearchResult.count
        return hits

    def _top_after(self, search: tantivy.Searcher, index_query: tantivy.Query, base: int, n: int) -> list[_Hit]:
        """Return ``_top(base + n)[base:]``, the index skipping the first ``base`` hits itself."""
        primary = self.ordering[0]
        if primary.name == "rank":
            found = search.search(index_query, n, count=False, offset=base)
            return [_Hit(s, a, score=s) for s, a in found.hits]
        order = tantivy.Order.Desc if primary.descending else tantivy.Order.Asc
        found = search.search(
            index_query, n, count=False, order_by_field=primary.index_field(), offset=base, order=order
        )
        return [_Hit(k, a) for k, a in found.hits]

    def _window(
        self, search: tantivy.Searcher, index_query: tantivy.Query, offset: int, limit: int, *, base: int = 0
    ) -> list[_Hit]:
        """Return the hits of the page in the full ordering, ties on the first key broken by the next keys.

        A run of hits with equal first keys (equal scores, say) is put in the
        order of the next keys when it has at most ``MAX_TIE_RUN`` hits; a longer
        run keeps the index's own (fixed) order, so that reading it costs no more
        than ``MAX_TIE_RUN`` stored documents. Either way the order is the same
        whichever page asks, so pages never repeat or skip a hit. With ``base``,
        the index skips its first ``base`` hits and ``offset`` counts from there.
        """
        want = offset + limit
        n = want + TIE_MARGIN
        while True:
            hits = self._top(search, index_query, n) if not base else self._top_after(search, index_query, base, n)
            if len(hits) < n or len(hits) <= want:
                break
            run_start = _run_start(hits, want - 1)
            if hits[-1].key != hits[want - 1].key or n - run_start > MAX_TIE_RUN:
                break
            n = run_start + MAX_TIE_RUN + 1
        complete = len(hits) < n
        page = hits[offset:want]
        if not page:
            return []
        low = _run_start(hits, offset)
        while low < want and low < len(hits):
            high = _run_end(hits, low)
            if high - low > 1 and high - low <= MAX_TIE_RUN and (high < len(hits) or complete):
                hits[low:high] = self._sorted_run(search, hits[low:high])
            low = high
        return hits[offset:want]

    def _sorted_run(self, search: tantivy.Searcher, run: list[_Hit]) -> list[_Hit]:
        for hit in run:
            hit.load(search)
        for key in reversed(self.ordering[1:]):
            if key.name != "rank":
                run.sort(key=_field_value(key.index_field()), reverse=key.descending)
        return run

    def _score(self, search: tantivy.Searcher, hits: list[_Hit]) -> None:
        """Give the hits of a page sorted by a field their relevance scores."""
        if not hits or self._text is None:
            return
        ids = [hit.id for hit in hits]
        only = tantivy.Query.term_set_query(SCHEMA, "id", ids)
        scored = search.search(tantivy.Query.boolean_query([(Must, self._text), (Must, only)]), len(ids), count=False)
        scores = {search.doc(address).get_first("id"): score for score, address in scored.hits}
        for hit in hits:
            hit.score = scores.get(hit.id, 0.0)

    def _hydrate(self, search: tantivy.Searcher, hits: list[_Hit]) -> list[Article]:
        ids = [hit.id for hit in hits]
        rows = self.queryset.filter(pk__in=ids).order_by()
        by_id: dict[int, Article] = {}
        texts: dict[int, tuple[str, str]] = {}
        if self.snippets:
            # Annotated, as the queryset may defer the body (a list shows only its excerpt).
            for row in rows.annotate(search_body=F("body"), search_language=F("language")):
                by_id[row.pk] = row
                texts[row.pk] = (row.search_body, row.search_language)
        else:
            by_id = {article.pk: article for article in rows}
        snippets = Snippets(search, self.q) if self.snippets and self.q is not None else None
        results = []
        for hit in hits:
            article = by_id.get(hit.id)
            if article is None:
                continue  # Gone, or not visible to the requester: the database has the last word.
            _annotate(article, rank=float(hit.score))
            if snippets is not None:
                _annotate(article, snippet=snippets.make(*texts[hit.id]))
            results.append(article)
        return results

    # --- Facets ---

    def aggregate(self, aggregations: dict[str, Any]) -> dict[str, Any]:
        """Run Tantivy aggregations over the matches."""
        index_query = self.index_query()
        if index_query is None:
            return {}
        return _searcher(self).aggregate(index_query, aggregations)


def _annotate(article: Article, **values: float | str) -> None:
    """Give ``article`` values computed here as a queryset gives it annotations: attributes the serializers read."""
    for name, value in values.items():
        setattr(article, name, value)


def _searcher(results: ArticleSearch | None = None) -> tantivy.Searcher:
    """Return a searcher that has every queued write, one snapshot per result set."""
    if results is not None and results._snapshot is not None:
        return results._snapshot
    search_index.sync_before_search()
    snapshot = search_index.searcher()
    if results is not None:
        results._snapshot = snapshot
    return snapshot


def search(
    queryset: QuerySet[Article],
    q: str | Query | None,
    *,
    filters: SearchFilters | None = None,
    snippets: bool = True,
) -> ArticleSearch:
    """Return the articles of ``queryset`` matching ``q`` (None: every one) and ``filters``, best first.

    Raise ``SearchQueryError`` for a query that cannot run.
    """
    query = _as_query(q) if q is not None else None
    return ArticleSearch(queryset, query, filters or SearchFilters(), snippets=snippets)


def matching_ids(q: str | Query, *, limit: int) -> list[int]:
    """Return the ids of the ``limit`` newest matches (highest ids) of ``q`` in the whole index (for the admin).

    Read from the id column of the index, the sort key itself: no stored
    document is loaded, whatever ``limit`` is.
    """
    index_query = compile_query(_as_query(q))
    if index_query is None:
        return []
    hits = _searcher().search(index_query, limit, count=False, order_by_field="id", order=tantivy.Order.Desc).hits
    return [int(key) for key, _ in hits]


class PkIn(Func):
    """The condition "the row's primary key (or the key ``field``) is one of ``ids``", with one parameter.

    A subquery of the list (``unnest()`` on PostgreSQL, ``json_each()`` on SQLite),
    which the planners estimate at a couple hundred rows and read by primary key;
    ``pk = ANY(array)`` would make PostgreSQL estimate each element (milliseconds of
    planning per thousand ids) and walk another index for MIN/MAX.
    """

    output_field = BooleanField()

    def __init__(self, ids: Sequence[int], field: str = "pk") -> None:
        super().__init__(F(field))
        self.ids = [int(pk) for pk in ids]

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        # The column is the compiler's own SQL for the primary key; the ids are a parameter.
        return f"{column} IN (SELECT value FROM json_each(%s))", (*params, json_list(self.ids))  # noqa: S608

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[object]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} IN (SELECT unnest(%s::bigint[]))", [*params, self.ids]


def _field_value(name: str) -> Callable[[_Hit], Any]:
    """Return the sort key reading a hit's stored ``name``."""
    return lambda hit: hit.value(name)


def json_list(ids: Sequence[int]) -> str:
    return "[" + ",".join(str(int(pk)) for pk in ids) + "]"


# --- Keyset conditions --------------------------------------------------------------------


_LOOKUPS = {"lt": (False, True), "lte": (False, False), "gt": (True, True), "gte": (True, False)}


def q_to_index(condition: Q) -> tantivy.Query:
    """Translate a ``Q`` of exact, range and ``isnull`` lookups on sortable fields into an index query."""
    # django-stubs types Q.children as any tree node; a Q's are Qs and (lookup, value) pairs.
    parts = [c if isinstance(c, tantivy.Query) else _child(c) for c in condition.children]  # type: ignore[arg-type]
    if not parts:
        compiled = tantivy.Query.all_query()
    elif condition.connector == Q.OR:
        compiled = tantivy.Query.boolean_query([(Should, q) for q in parts])
    else:
        compiled = tantivy.Query.boolean_query([(Must, q) for q in parts])
    if condition.negated:
        compiled = tantivy.Query.boolean_query([(Must, tantivy.Query.all_query()), (MustNot, compiled)])
    return compiled


def _child(child: Q | tuple[str, Any]) -> tantivy.Query:
    if isinstance(child, Q):
        return q_to_index(child)
    lookup, value = child
    name, _, operator = lookup.partition("__")
    name = "id" if name == "pk" else name
    if name not in SORT_FIELDS or name in ("rank", "title"):
        # ImproperlyConfigured: what keyset paging reports as a bad ordering (a 400).
        raise ImproperlyConfigured(f"Search results cannot be paged by cursor over '{name}'; order by a date.")
    if operator == "in" and not value:
        return tantivy.Query.empty_query()
    if operator == "isnull":
        if name not in NULLABLE_DATES:
            return tantivy.Query.empty_query() if value else tantivy.Query.all_query()
        missing = _range(NULLABLE_DATES[name][0], tantivy.FieldType.Integer, I64_MIN, I64_MIN)[0]
        present = tantivy.Query.boolean_query([(Must, tantivy.Query.all_query()), (MustNot, missing)])
        return missing if value else present
    field_name, kind, typed = _typed(name, value)
    if operator in ("", "exact"):
        return _range(field_name, kind, typed, typed)[0]
    if operator not in _LOOKUPS:
        raise ImproperlyConfigured(f"Search results cannot be filtered on {lookup!r}.")
    lower, exclusive = _LOOKUPS[operator]
    if lower:
        return _range(field_name, kind, typed, None, include_low=not exclusive)[0]
    return _range(field_name, kind, None, typed, include_high=not exclusive)[0]


def _typed(name: str, value: Any) -> tuple[str, Any, Any]:
    if name in (*NULLABLE_DATES, "created_at"):
        # The *_desc fields hold every date and sort missing ones below them all.
        return SORT_FIELDS[name], tantivy.FieldType.Integer, micros(value)
    return SORT_FIELDS[name], tantivy.FieldType.Unsigned, int(value)


# --- Snippets -------------------------------------------------------------------------------


class Snippets:
    """Makes the snippets of one page of results from their bodies (no index read per match).

    One generator per language on the page, over that language's body field.
    """

    def __init__(self, search: tantivy.Searcher, query: Query) -> None:
        self.search = search
        self.query = Query(groups=query.groups)
        self.generators: dict[str, tantivy.SnippetGenerator | None] = {}

    def generator(self, field_name: str) -> tantivy.SnippetGenerator | None:
        """Return the generator of snippets from ``field_name`` (None when the query has no words)."""
        if field_name not in self.generators:
            wanted = compile_query(self.query, fields=(field_name,))
            generator = None
            if wanted is not None:
                generator = tantivy.SnippetGenerator.create(self.search, wanted, SCHEMA, field_name)
                generator.set_max_num_chars(SNIPPET_CHARS)
            self.generators[field_name] = generator
        return self.generators[field_name]

    def make(self, body: str, language: str = "") -> str:
        """Return safe HTML: the best fragment of ``body`` (in ``language``) with the matches in ``<mark>``."""
        field_name = search_index.text_fields(search_index.stemmer_for(language))[BODY]
        generator = self.generator(field_name) if body else None
        if generator is not None:
            doc = tantivy.Document()
            doc.add_text(field_name, body)
            snippet = generator.snippet_from_doc(doc)
            if snippet.highlighted():
                return render_snippet(snippet.fragment(), [(h.start, h.end) for h in snippet.highlighted()], body)
        return html.escape(make_excerpt(body, SNIPPET_CHARS))


def render_snippet(fragment: str, marks: Sequence[tuple[int, int]], body: str) -> str:
    """Return ``fragment`` as HTML: the byte ranges ``marks`` in ``<mark>``, the rest escaped, on one line."""
    raw = fragment.encode()
    parts, position = [], 0
    for start, end in marks:
        parts.append(_escape(raw[position:start]))
        parts.append(f"<mark>{_escape(raw[start:end])}</mark>")
        position = end
    parts.append(_escape(raw[position:]))
    text = "".join(parts).strip()
    # The fragment is a slice of the body: say where the body goes on beyond it.
    start = body.find(fragment)
    if start < 0 or body[:start].strip():
        text = "… " + text
    if start < 0 or body[start + len(fragment) :].strip():
        text += " …"
    return text


def _escape(raw: bytes) -> str:
    return html.escape(_SPACE.sub(" ", raw.decode(errors="ignore")))
