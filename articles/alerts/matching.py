"""Match new articles against saved searches: the new articles are indexed, not the searches run on the archive.

A pass takes the articles of an import run (or one just published) in chunks
of ``BATCH``: each chunk is read once (``search_index.load_articles``) into an
in-memory Tantivy index of the same schema and analysers as the live one, and
every saved search is run against that small index as its owner would run the
article list: the same ``ArticleFilter`` validation (``saved_query``), the same
visibility, the same text query (compiled for the languages the chunk holds
only, as a document fills its own language's fields alone). Its cost grows with
the chunk and the number of searches, never with the archive.

Cheap first: each distinct text is compiled and tried alone once a chunk, and
a search whose text matches none of the new articles is done before its
filters are looked at. The filters (the query string without ``q``) are
validated once a chunk for each distinct set and owner visibility (see
``_visibility``), with one ``ArticleFilter`` form a visibility: most searches
share a few sets (none, a language, a publisher). The owners' permissions are
read in bulk, two queries a block of searches, rather than by each ``has_perm()``.
"""

from __future__ import annotations

import itertools
import logging
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import tantivy
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.http import QueryDict

from articles import search_index
from articles.api.querysets import Requester, can_see_every, can_see_unpublished
from articles.api.search_filters import SEARCH_PARAM, SavedQuery, SavedQueryError, SavedQueryParser
from articles.models import Article, Author, Publisher, SavedSearch
from articles.search import Query, SearchQueryError, compile_query, parse_query

logger = logging.getLogger(__name__)

# New articles indexed at a time: memory is bounded by this, however many the run imported.
BATCH = 10_000
# Saved searches whose owners' permissions are read together.
SEARCH_BLOCK = 500
# Distinct texts (and query strings) remembered in a chunk's pass.
CACHE_SIZE = 4096
FILTER_SETS = 1024
# Filters this many times narrower than the text are intersected in the index rather than after it.
NARROWER = 4
INDEX_HEAP_BYTES = 64 * 1024 * 1024
# Indexing a chunk is most of a pass's fixed cost: both cores of the machine share it.
INDEX_THREADS = 2
Must = tantivy.Occur.Must

SEARCH_FIELDS = ("id", "query", "owner__id", "owner__is_active", "owner__is_staff", "owner__is_superuser")
# What of its owner a search's answer depends on: may read unpublished articles, may see every
# author, may see every publisher (see ``ArticleFilter`` and ``filters_for``).
Visibility = tuple[bool, bool, bool]


def match_articles(
    *, article_ids: Sequence[int], searches: Iterable[SavedSearch] | None = None
) -> dict[int, list[int]]:
    """Return {saved search id: ids of the articles among ``article_ids`` it matches, ascending}, non-empty only.

    ``searches`` defaults to every saved search. What a search matches is what the
    article list with its query string returns its owner, restricted to those ids.
    """
    ids = sorted({int(pk) for pk in article_ids})
    chunks = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
    each_pass = _search_source(searches, passes=len(chunks))
    matches: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks:
        batch = Batch.load(chunk)
        if batch is None:
            continue
        for search_id, found in batch.match(each_pass()):
            matches[search_id].extend(found)
    return dict(matches)


def _search_source(searches: Iterable[SavedSearch] | None, *, passes: int) -> Callable[[], Iterable[SavedSearch]]:
    """Return what yields the searches afresh for each chunk's pass, streamed from the database when it can."""
    if searches is None:
        searches = SavedSearch.objects.all()
    if isinstance(searches, QuerySet):
        # Only what matching reads: the query, and what has_perm() reads of the owner.
        queryset = searches.select_related("owner").only(*SEARCH_FIELDS).order_by("id")
        return lambda: queryset.iterator(chunk_size=SEARCH_BLOCK)
    if passes > 1:
        kept = list(searches)  # The caller's own collection, read once per chunk.
        return lambda: kept
    return lambda: searches


@dataclass(frozen=True)
class _Filters:
    """Which of the chunk's articles a search's validated filters (all but ``q``) let through.

    ``allowed[i]`` is 1 when the chunk's ``i``-th article passes (a bitmap of bytes: ten
    kilobytes for 10,000 articles); None when every article does (no condition at all).
    """

    allowed: bytearray | None
    # The index conditions (None: only filters the index lacks, or none) and how many articles pass.
    condition: tantivy.Query | None = None
    passing: int = 0


@dataclass
class Batch:
    """One chunk of new articles in an in-memory index, and the searches' answers over it."""

    searcher: tantivy.Searcher
    ids: list[int]
    fields: tuple[str, ...]
    # Each distinct text compiled for the chunk, and how many of its articles it matches (None: none).
    _texts: dict[Query, tuple[tantivy.Query, int] | None] = field(default_factory=dict)
    # Each distinct set of filters (the query string without ``q``) validated once a visibility; None: refused.
    # At most FILTER_SETS of them (a bitmap of the chunk each).
    _filters: dict[tuple[str, Visibility], _Filters | None] = field(default_factory=dict)
    _parsers: dict[Visibility, SavedQueryParser] = field(default_factory=dict)
    _visibilities: dict[int, Visibility] = field(default_factory=dict)
    _positions: dict[int, int] = field(default_factory=dict)
    _extras: dict[int, Any] | None = None

    @classmethod
    def load(cls, ids: Sequence[int]) -> Batch | None:
        """Index the articles ``ids`` that exist in memory (None when none does)."""
        articles = search_index.load_articles(Q(id__any_of=list(ids)))
        if not articles:
            return None
        index = tantivy.Index(search_index.SCHEMA)
        for stemmer in search_index.STEMMERS:
            index.register_tokenizer(search_index.analyzer_name(stemmer), search_index.analyzer(stemmer))
        writer = index.writer(INDEX_HEAP_BYTES, INDEX_THREADS)
        for item in articles:
            writer.add_document(item.document(versioned=False))  # A throwaway index: no check reads it
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        stemmers = {search_index.stemmer_for(item.article.language) for item in articles}
        fields = tuple(name for stemmer in sorted(stemmers) for name in search_index.text_fields(stemmer))
        return cls(index.searcher(), [item.article.id for item in articles], fields)

    def match(self, searches: Iterable[SavedSearch]) -> Iterator[tuple[int, list[int]]]:
        """Yield ``(search id, matching ids)`` for each of ``searches`` that matches an article of the chunk."""
        iterator = iter(searches)
        while block := list(itertools.islice(iterator, SEARCH_BLOCK)):
            prime_permissions([search.owner for search in block])
            for search in block:
                if search.owner_id not in self._visibilities:
                    _bounded(self._visibilities)
                    self._visibilities[search.owner_id] = _visibility(search.owner)
                found = self.answer(search.query, search.owner, self._visibilities[search.owner_id])
                if found:
                    yield search.pk, found

    def __post_init__(self) -> None:
        self._positions = {pk: i for i, pk in enumerate(self.ids)}

    def answer(self, query_string: str, owner: Requester, visibility: Visibility | None = None) -> list[int]:
        """Return the ids of the chunk's articles the article list given ``query_string`` shows ``owner``."""
        params = QueryDict(query_string, mutable=True)
        text = params.pop(SEARCH_PARAM, [""])[-1]
        matched: tuple[tantivy.Query, int] | None = None
        if text.strip():
            try:
                query = parse_query(text)
            except SearchQueryError:
                return []  # The API refuses it (a 400): it lists nothing.
            matched = self._text(query)
            if matched is None:
                return []  # Cheap: no new article has the words, whatever the filters say.
        filters = self._validated(params.urlencode(), owner, visibility or _visibility(owner))
        if filters is None:
            return []
        allowed = filters.allowed
        if matched is None:
            return self.ids if allowed is None else list(itertools.compress(self.ids, allowed))
        if allowed is None:
            return self._search(*matched)
        if filters.condition is not None and filters.passing < matched[1] // NARROWER:
            # A broad text under narrow filters: the index intersects them, far fewer hits come back.
            both = tantivy.Query.boolean_query([(Must, matched[0]), (Must, filters.condition)])
            hits = self._search(both, filters.passing or 1)
        else:
            # The text's own count bounds the hits: the index then keeps no room for the whole chunk.
            hits = self._search(*matched)
        # map() and compress() keep the per-hit work in C: a common word has thousands of hits.
        return list(itertools.compress(hits, map(allowed.__getitem__, map(self._positions.__getitem__, hits))))

    def _text(self, query: Query) -> tuple[tantivy.Query, int] | None:
        """Return ``query`` compiled for the chunk's languages and its number of matches; None when it has none."""
        if query not in self._texts:
            _bounded(self._texts)
            compiled = compile_query(query, fields=self.fields, scored=False)
            count = 0 if compiled is None else _count(self.searcher.search(compiled, 1, count=True))
            self._texts[query] = (compiled, count) if compiled is not None and count else None
        return self._texts[query]

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
        combined = None
        if not conditions:
            passing = self.ids
        else:
            combined = (
                conditions[0] if len(conditions) == 1 else tantivy.Query.boolean_query([(Must, q) for q in conditions])
            )
            passing = self._search(combined, len(self.ids))
        allowed = bytearray(len(self.ids))
        for pk in self._unindexed(saved.unindexed, passing):
            allowed[self._positions[pk]] = 1
        return _Filters(allowed, combined, len(passing))

    def _search(self, index_query: tantivy.Query, most: int) -> list[int]:
        """Return the ids of the (at most ``most``) articles matching ``index_query``, ascending (sorted by id)."""
        found = self.searcher.search(index_query, most, count=False, order_by_field="id", order=tantivy.Order.Asc)
        return list(map(_first, found.hits))

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


def _count(result: tantivy.SearchResult) -> int:
    count: int = result.count  # type: ignore[attr-defined]  # tantivy's stubs leave out SearchResult.count
    return count


def _bounded(cache: dict[Any, Any], size: int = CACHE_SIZE) -> None:
    """Empty ``cache`` when full: a pass's memory stays bounded however many distinct searches it meets."""
    if len(cache) >= size:
        cache.clear()


def _visibility(owner: Requester) -> Visibility:
    return (can_see_unpublished(owner), can_see_every(owner, Author), can_see_every(owner, Publisher))


def prime_permissions(users: Iterable[Requester]) -> None:
    """Read the permissions of ``users`` in two queries, where each ``has_perm()`` would read its own.

    Fills the per-user cache Django's ``ModelBackend`` keeps (``_perm_cache``: every
    permission, the user's own and their groups'), which ``has_perm()`` then reads.
    """
    pending: dict[int, list[Any]] = defaultdict(list)
    for user in users:
        if user is not None and user.is_active and not user.is_superuser and not hasattr(user, "_perm_cache"):
            pending[user.pk].append(user)  # select_related() gives each search its own copy of the owner
    if not pending:
        return
    perms: dict[int, set[str]] = {pk: set() for pk in pending}
    ids = list(pending)
    for owner_field in ("user", "group__user"):
        rows = Permission.objects.filter(**{f"{owner_field}__in": ids}).values_list(
            owner_field, "content_type__app_label", "codename"
        )
        for user_id, app_label, codename in rows:
            perms[user_id].add(f"{app_label}.{codename}")
    for pk, copies in pending.items():
        for user in copies:
            user._perm_cache = perms[pk]  # ModelBackend's cache (see above)
