"""Match new articles against saved searches: the new articles are indexed, not the searches run on the archive.

A pass takes the articles of an import run (or one just published) in chunks
of ``BATCH``: each chunk is read once (``search_index.load_articles``) into an
in-memory Tantivy index of the live one's analysers and filter fields, its text
in one field a language (``search_index.MATCHING_SCHEMA``: nothing is ranked, so
title, subtitle and body need no fields of their own), and every saved search
is run against that small index as its owner would run the article list: the
same ``ArticleFilter`` validation (``saved_query``), the same visibility, the
same text query (compiled for the languages the chunk holds only, as a document
fills its own language's field alone). Its cost grows with the chunk and the
number of searches, never with the archive.

Cheap first: each distinct text is searched once a chunk (all its matches, in
one search), and a search whose text matches none of the new articles is done
before its filters are looked at. Matches are arrays of ids, narrowed by a
search's filters as whole arrays (numpy), not an id at a time. The filters (the query string without ``q``) are
validated once a chunk for each distinct set and owner visibility (see
``_visibility``), with one ``ArticleFilter`` form a visibility: most searches
share a few sets (none, a language, a publisher). Searches are read as rows, not
models; the owners' permissions in bulk, two queries a block of searches, and an
owner's visibility is worked out once for each distinct set of flags and
permissions (most owners share one), on an unsaved stand-in user.
"""

from __future__ import annotations

import itertools
import logging
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

import numpy as np
import tantivy
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from articles import search_index
from articles.api.querysets import Requester, can_see_every, can_see_unpublished
from articles.api.search_filters import SEARCH_PARAM, SavedQuery, SavedQueryError, SavedQueryParser
from articles.models import Article, Author, Publisher, SavedSearch
from articles.search import Query, SearchQueryError, Term, analyse, compile_query, parse_query

logger = logging.getLogger(__name__)

# New articles indexed at a time: memory is bounded by this, however many the run imported.
BATCH = 10_000
# Saved searches whose owners' permissions are read together.
SEARCH_BLOCK = 500
# Distinct texts (and query strings) remembered in a chunk's pass.
CACHE_SIZE = 4096
FILTER_SETS = 1024
INDEX_HEAP_BYTES = 64 * 1024 * 1024
# Indexing a chunk is most of a pass's fixed cost: both cores of the machine share it.
INDEX_THREADS = 2
Must = tantivy.Occur.Must

FOLLOWER_FIELDS = ("id", "query", "owner_id", "owner__is_active", "owner__is_staff", "owner__is_superuser")
# What of its owner a search's answer depends on: may read unpublished articles, may see every
# author, may see every publisher (see ``ArticleFilter`` and ``filters_for``).
Visibility = tuple[bool, bool, bool]
NOTHING = np.empty(0, dtype=np.int64)


def match_articles(
    *, article_ids: Sequence[int], searches: Iterable[SavedSearch] | None = None, readers_only: bool = False
) -> dict[int, list[int]]:
    """Return {saved search id: ids of the articles among ``article_ids`` it matches, ascending}, non-empty only.

    ``searches`` defaults to every saved search. What a search matches is what the
    article list with its query string returns its owner, restricted to those ids.
    With ``readers_only``, the searches of owners who may read unpublished (and
    embargoed) articles are left out: an embargo's end shows the articles to the others only.
    """
    ids = sorted({int(pk) for pk in article_ids})
    chunks = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
    each_pass = _search_source(searches, passes=len(chunks))
    matches: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks:
        batch = Batch.load(chunk)
        if batch is None:
            continue
        for search_id, found in batch.match(each_pass(), readers_only=readers_only):
            matches[search_id].extend(found)
    return dict(matches)


class Follower(NamedTuple):
    """What matching reads of a saved search: its query, and what its owner's visibility depends on."""

    pk: int
    query: str
    owner_id: int
    is_active: bool
    is_staff: bool
    is_superuser: bool

    @classmethod
    def of(cls, search: SavedSearch) -> Follower:
        owner = search.owner
        return cls(search.pk, search.query, owner.pk, owner.is_active, owner.is_staff, owner.is_superuser)


def _search_source(searches: Iterable[SavedSearch] | None, *, passes: int) -> Callable[[], Iterable[Follower]]:
    """Return what yields the searches afresh for each chunk's pass, streamed from the database when it can."""
    if searches is None:
        searches = SavedSearch.objects.all()
    if isinstance(searches, QuerySet):
        # Rows, not models: a pass over 10,000 searches would spend a second building them and their owners.
        rows = searches.order_by("id").values_list(*FOLLOWER_FIELDS)
        return lambda: map(Follower._make, rows.iterator(chunk_size=SEARCH_BLOCK))
    followers = map(Follower.of, searches)
    if passes > 1:
        kept = list(followers)  # The caller's own collection, read once.
        return lambda: kept
    return lambda: followers


@dataclass(frozen=True)
class _Filters:
    """Which of the chunk's articles a search's validated filters (all but ``q``) let through.

    ``allowed[i]`` is true when the chunk's ``i``-th article passes (an array of booleans: ten
    kilobytes for 10,000 articles); None when every article does (no condition at all).
    """

    allowed: np.ndarray | None


# An owner's active, staff and superuser flags and permissions: all their visibility depends on.
OwnerKey = tuple[bool, bool, bool, frozenset[str]]


@dataclass
class Batch:
    """One chunk of new articles in an in-memory index, and the searches' answers over it."""

    searcher: tantivy.Searcher
    ids: list[int]
    fields: tuple[str, ...]
    # Each distinct text's matches among the chunk's articles, ascending (empty: none).
    _texts: dict[Query, np.ndarray] = field(default_factory=dict)
    # Each distinct set of filters (the query string without ``q``) validated once a visibility; None: refused.
    # At most FILTER_SETS of them (a bitmap of the chunk each).
    _filters: dict[tuple[str, Visibility], _Filters | None] = field(default_factory=dict)
    _parsers: dict[Visibility, SavedQueryParser] = field(default_factory=dict)
    # Each owner's key, and each key's visibility and stand-in owner (see ``_owner``).
    _owner_keys: dict[int, OwnerKey] = field(default_factory=dict)
    _visibilities: dict[OwnerKey, tuple[Visibility, Requester]] = field(default_factory=dict)
    # The ids as an array: the position of an id in the chunk is a binary search in C.
    _array: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    _extras: dict[int, Any] | None = None

    @classmethod
    def load(cls, ids: Sequence[int]) -> Batch | None:
        """Index the articles ``ids`` that exist in memory (None when none does)."""
        articles = search_index.load_articles(Q(id__any_of=list(ids)))
        if not articles:
            return None
        index = tantivy.Index(search_index.MATCHING_SCHEMA)
        for stemmer in search_index.STEMMERS:
            index.register_tokenizer(search_index.analyzer_name(stemmer), search_index.analyzer(stemmer))
        writer = index.writer(INDEX_HEAP_BYTES, INDEX_THREADS)
        for item in articles:
            writer.add_document(item.document(versioned=False, matching=True))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        stemmers = sorted({search_index.stemmer_for(item.article.language) for item in articles})
        fields = tuple(map(search_index.matching_field, stemmers))
        return cls(index.searcher(), [item.article.id for item in articles], fields)

    def match(self, searches: Iterable[Follower], *, readers_only: bool = False) -> Iterator[tuple[int, list[int]]]:
        """Yield ``(search id, matching ids)`` for each of ``searches`` that matches an article of the chunk.

        ``readers_only``: leave out the owners who may read unpublished articles (see ``match_articles``).
        """
        iterator = iter(searches)
        while block := list(itertools.islice(iterator, SEARCH_BLOCK)):
            self._read_owners(block)
            for search in block:
                visibility, owner = self._visibilities[self._owner_keys[search.owner_id]]
                if readers_only and visibility[0]:
                    continue
                found = self.answer(search.query, owner, visibility)
                if len(found):
                    yield search.pk, found.tolist()

    def __post_init__(self) -> None:
        self._array = np.array(self.ids, dtype=np.int64)

    def answer(self, query_string: str, owner: Requester, visibility: Visibility | None = None) -> np.ndarray:
        """Return the ids of the chunk's articles the article list given ``query_string`` shows ``owner``."""
        text, filters_string = _split(query_string)
        hits = None
        if text.strip():
            try:
                query = parse_query(text)
            except SearchQueryError:
                return NOTHING  # The API refuses it (a 400): it lists nothing.
            hits = self._hits(query)
            if not len(hits):
                return NOTHING  # Cheap: no new article has the words, whatever the filters say.
        filters = self._validated(filters_string, owner, visibility or _visibility(owner))
        if filters is None:
            return NOTHING
        allowed = filters.allowed
        if hits is None:
            return self._array if allowed is None else self._array[allowed]
        if allowed is None:
            return hits
        # Whole arrays at once: a common word has thousands of hits.
        kept: np.ndarray = hits[allowed[self._positions(hits)]]
        return kept

    def _positions(self, ids: np.ndarray) -> np.ndarray:
        """Return the positions in the chunk of ``ids``, ids of its articles."""
        return np.searchsorted(self._array, ids)

    def _hits(self, query: Query) -> np.ndarray:
        """Return the ids of the chunk's articles matching ``query``'s text, ascending (one search a distinct text)."""
        if query not in self._texts:
            _bounded(self._texts)
            compiled = None
            if self._possible(query):
                compiled = compile_query(query, fields=self.fields, scored=False, schema=search_index.MATCHING_SCHEMA)
            self._texts[query] = NOTHING if compiled is None else self._search(compiled, len(self.ids))
        return self._texts[query]

    def _possible(self, query: Query) -> bool:
        """Return whether an article of the chunk may match ``query``: in each group, a term it may hold.

        Document frequencies only, no query: most followed names and rare words are in no new
        article, and this tells so for a fraction of compiling and running their query. A term
        without words (as the analysers see it) is dropped by the compiled query; so it is here.
        """
        for group in query.groups:
            held = [self._held(term) for term in group]
            if not any(held) and any(h is not None for h in held):
                return False
        return True

    def _held(self, term: Term) -> bool | None:
        """Return whether every word of ``term`` is in one language's field of the chunk; None: it has no words."""
        worded = False
        for name in self.fields:
            words = analyse(term.text, search_index.MATCHING_FIELD_STEMMERS[name])
            worded = worded or bool(words)
            if words and all(self.searcher.doc_freq(name, word) for word in words):
                return True
        return None if not worded else False

    def _read_owners(self, block: list[Follower]) -> None:
        """Learn the key and visibility of the owners of ``block`` not met yet: two queries, whatever their number."""
        if len(self._owner_keys) + len(block) > CACHE_SIZE:
            self._owner_keys.clear()  # bounded, and emptied before the block: each of its owners is then known
        new = {search.owner_id: search for search in block if search.owner_id not in self._owner_keys}
        if not new:
            return
        perms = owner_permissions(pk for pk, search in new.items() if search.is_active and not search.is_superuser)
        for pk, search in new.items():
            key = (search.is_active, search.is_staff, search.is_superuser, frozenset(perms.get(pk, ())))
            self._owner_keys[pk] = key
            if key not in self._visibilities:
                owner = _stand_in(search, key[3])
                self._visibilities[key] = (_visibility(owner), owner)

    def _validated(self, filters_string: str, owner: Requester, visibility: Visibility) -> _Filters | None:
        """Return the filters of a query string without ``q``, as ``owner`` may apply them; None: the API refuses."""
        key = (filters_string, visibility)
        if key not in self._filters:
            _bounded(self._filters, FILTER_SETS)
            if visibility not in self._parsers:
                # What the form depends on of its requester is their visibility: any owner stands for the rest.
                self._parsers[visibility] = SavedQueryParser(owner)
            try:
                saved = self._parsers[visibility].parse(filters_string)
            except SavedQueryError as exc:
                logger.info("A saved search's filters %r are refused, so it matches nothing: %s", filters_string, exc)
                self._filters[key] = None
            else:
                self._filters[key] = self._allowed(saved)
        return self._filters[key]

    def _allowed(self, saved: SavedQuery) -> _Filters:
        """Return which of the chunk's articles pass the filters of ``saved`` (its text aside)."""
        conditions = saved.filters.queries()
        if not conditions and not saved.unindexed:
            return _Filters(None)
        passing = self._array
        if conditions:
            combined = (
                conditions[0] if len(conditions) == 1 else tantivy.Query.boolean_query([(Must, q) for q in conditions])
            )
            passing = self._search(combined, len(self.ids))
        if saved.unindexed:
            passing = np.array(self._unindexed(saved.unindexed, passing.tolist()), dtype=np.int64)
        allowed = np.zeros(len(self.ids), dtype=bool)
        allowed[self._positions(passing)] = True
        return _Filters(allowed)

    def _search(self, index_query: tantivy.Query, most: int) -> np.ndarray:
        """Return the ids of the (at most ``most``) articles matching ``index_query``, ascending (sorted by id)."""
        found = self.searcher.search(index_query, most, count=False, order_by_field="id", order=tantivy.Order.Asc)
        hits = found.hits  # A property that converts every hit each time it is read
        return np.fromiter(map(_first, hits), dtype=np.int64, count=len(hits))

    def _unindexed(self, unindexed: dict[str, Any], ids: list[int]) -> list[int]:
        """Return ``ids`` narrowed by the filters the index does not hold (read from the database, once a chunk)."""
        if not unindexed or not ids:
            return ids
        if self._extras is None:
            rows = Article.objects.filter(id__any_of=self.ids).order_by()
            self._extras = {row[0]: row for row in rows.values_list("id", "source_changed_at", "duplicate_of_id")}
        changed_since = unindexed.get("changed_since")
        has_duplicate_of = unindexed.get("has_duplicate_of")
        kept = []
        for pk in ids:
            _, changed_at, duplicate_of = self._extras[pk]
            if changed_since is not None and (changed_at is None or changed_at <= changed_since):
                continue
            if has_duplicate_of is not None and (duplicate_of is not None) != has_duplicate_of:
                continue
            kept.append(pk)
        return kept


_first = operator.itemgetter(0)


def _bounded(cache: dict[Any, Any], size: int = CACHE_SIZE) -> None:
    """Empty ``cache`` when full: a pass's memory stays bounded however many distinct searches it meets."""
    if len(cache) >= size:
        cache.clear()


def _visibility(owner: Requester) -> Visibility:
    return (can_see_unpublished(owner), can_see_every(owner, Author), can_see_every(owner, Publisher))


def _split(query_string: str) -> tuple[str, str]:
    """Return the text (``q``, the last one, as ``QueryDict`` reads it) and the rest of ``query_string``."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    texts = [value for name, value in pairs if name == SEARCH_PARAM]
    rest = [(name, value) for name, value in pairs if name != SEARCH_PARAM]
    return (texts[-1] if texts else ""), (urlencode(rest) if texts else query_string)


def owner_permissions(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """Return every permission of ``user_ids`` (their own and their groups'), named as ``has_perm()`` takes them."""
    ids = list(user_ids)
    perms: dict[int, set[str]] = {pk: set() for pk in ids}
    if not ids:
        return perms
    for owner_field in ("user", "group__user"):
        rows = Permission.objects.filter(**{f"{owner_field}__in": ids}).values_list(
            owner_field, "content_type__app_label", "codename"
        )
        for user_id, app_label, codename in rows:
            perms[user_id].add(f"{app_label}.{codename}")
    return perms


def _stand_in(search: Follower, perms: frozenset[str]) -> Requester:
    """Return an unsaved user with the flags and permissions of the owner of ``search``: what the filters ask of them.

    Its permissions fill the cache Django's ``ModelBackend`` keeps (``_perm_cache``), which
    ``has_perm()`` reads, so neither it nor the filters query them.
    """
    user = get_user_model()(
        pk=search.owner_id, is_active=search.is_active, is_staff=search.is_staff, is_superuser=search.is_superuser
    )
    user._perm_cache = set(perms)  # type: ignore[attr-defined]  # ModelBackend's cache (see above)
    return user
