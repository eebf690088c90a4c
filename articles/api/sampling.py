"""``?ordering=random&seed=N``: a reproducible random order of the articles, paged like any other.

Every article draws a random ``sample_key`` when it is created. A seed picks a
point among the keys; the order is the articles from that point on by
``(sample_key, id)``, then those before it, the same way: a rotation of one
fixed random order. Each page is then one or two range scans of the
``(status, sample_key, id)`` or ``(sample_key, id)`` index, never a sort of
every row (as ``ORDER BY random()`` would be), and a keyset cursor holds the
phase (from the point on, or before it) and the position within it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, IntegerField, OrderBy, QuerySet, Value, When, prefetch_related_objects
from rest_framework.request import Request

from articles.api.cursors import InvalidCursor, KeysetPage, OrderKey, after, decode_cursor, encode_cursor
from articles.api.params import parse_bounded_int
from articles.counting import capped_count
from articles.models import SAMPLE_KEY_BITS, Article
from articles.search import ArticleSearch, SlicedByPage

RANDOM_TERM = "random"
SEED_PARAM = "seed"
DEFAULT_SEED = 0
MAX_SEED = 2**31 - 1
SEED_DESCRIPTION = (
    f"With `ordering=random`: which random order, a whole number from 0 to {MAX_SEED} (default "
    f"{DEFAULT_SEED}). The same seed gives the same order, page after page (numbered or cursor), so a sample "
    "can be taken again; another seed gives another order. A valid seed orders nothing with any other ordering; "
    "anything else is a 400 all the same."
)
# Within a phase: the order of the index, keyset-walked as any ordering is (``articles.api.cursors``).
PHASE_KEYS = [OrderKey("sample_key", False), OrderKey("id", False)]
# What a cursor holds: the phase (0 from the seed's point on, 1 before it), then the position within it.
CURSOR_KEYS = [OrderKey("sample_phase", False), *PHASE_KEYS]


def sample_point(seed: int) -> int:
    """Return where the order of ``seed`` starts among the sample keys: a 31-bit value, spread by a hash."""
    digest = hashlib.blake2b(str(seed).encode(), digest_size=8, person=b"sample_key").digest()
    return int.from_bytes(digest, "big") >> (64 - SAMPLE_KEY_BITS)


def request_seed(request: Request) -> int:
    """Return the request's ``seed`` (``DEFAULT_SEED`` when absent or blank), or raise a 400."""
    return parse_bounded_int(request.query_params, SEED_PARAM, default=DEFAULT_SEED, minimum=0, maximum=MAX_SEED)


def rotation(point: int) -> list[OrderBy]:
    """Return the order of the seed's ``point`` as one ORDER BY, for reading every row in one query (exports).

    A sort of every row, but once for the whole export: a page walks the index instead (``RandomSample``).
    """
    phase = Case(When(sample_key__gte=point, then=Value(0)), default=Value(1), output_field=IntegerField())
    return [phase.asc(), F("sample_key").asc(), F("id").asc()]


@dataclass
class RandomSample(SlicedByPage):
    """The ``articles`` in the random order of ``seed``, counted, sliced and keyset-walked.

    Stands in for the queryset in the paginators, as the search's results do:
    numbered pages slice it, cursor pages call ``keyset_page()``. ``articles``
    may be search results (``q``): the index keeps the sample key as a fast
    field, so its phases are ranges of the index as they are of the table's.
    """

    articles: QuerySet[Article] | ArticleSearch
    seed: int
    ordered = True

    def __post_init__(self) -> None:
        self.model = self.articles.model
        self.point = sample_point(self.seed)

    def phase(self, number: int) -> QuerySet[Article] | ArticleSearch:
        """Return the rows of phase ``number`` (0: keys from the point on, 1: before it) in index order."""
        # The related rows (bylines) are fetched once for the page, however many phases it spans (``_related``).
        articles = self.articles.prefetch_related(None) if isinstance(self.articles, QuerySet) else self.articles
        rows = (
            articles.filter(sample_key__gte=self.point) if number == 0 else articles.filter(sample_key__lt=self.point)
        )
        return rows.order_by(*(key.expression() for key in PHASE_KEYS))

    def phase_of(self, article: Article) -> int:
        return 0 if article.sample_key >= self.point else 1

    def count(self) -> int:
        return self.articles.count()

    def capped_count(self, *, cap: int) -> tuple[int, bool]:
        """Return ``(count, exact)`` as ``articles.counting`` asks, counting the unordered rows."""
        return capped_count(self.articles, cap=cap)

    def page(self, offset: int, limit: int) -> list[Article]:
        """Return the rows at ``offset`` to ``offset + limit``: from the first phase, then topped up from the second."""
        if limit <= 0:
            return []
        rows = list(self.phase(0)[offset : offset + limit])
        if len(rows) < limit:
            # The first phase ends on this page (rows) or before it: counted (up to the offset, as no more
            # matter) to know how far into the second the page starts.
            skip = 0 if rows else offset - self.first_phase_count(up_to=offset)
            rows += self.phase(1)[skip : skip + limit - len(rows)]
        return self._related(rows)

    # What an export of search results reads (``articles.api.export.search_export_rows``).
    @property
    def db(self) -> str:
        return self.articles.db

    @property
    def search(self) -> ArticleSearch:
        """Return the search results this sample orders (only a search is exported through the sample)."""
        assert isinstance(self.articles, ArticleSearch), "a sample of a queryset is exported as one ORDER BY"
        return self.articles

    @property
    def queryset(self) -> QuerySet[Article]:
        """Return the rows the search reads its matches from (what the requester may see)."""
        return self.search.queryset

    def hit_chunks(self, chunk_size: int) -> Iterator[list[tuple[int, float]]]:
        """Yield ``(id, score)`` of every match in this order, a chunk at a time: the first phase, then the second."""
        for number in (0, 1):
            phase = self.phase(number)
            assert isinstance(phase, ArticleSearch), "only a search's sample has hits"
            yield from phase.hit_chunks(chunk_size)

    def snippet_maker(self) -> Callable[[str], str] | None:
        return self.search.snippet_maker()

    def first_phase_count(self, *, up_to: int) -> int:
        """Return how many rows the first phase has, counting no further than ``up_to``."""
        first = self.phase(0)
        if isinstance(first, QuerySet):
            return first.values("pk")[:up_to].count()
        return min(first.count(), up_to)  # the index counts every match at once

    def _related(self, rows: list[Article]) -> list[Article]:
        """Return ``rows`` with what the queryset prefetches, fetched once for all of them."""
        # Django keeps a queryset's prefetches in this attribute only (django-stubs leave it out).
        lookups: tuple[Any, ...] = tuple(getattr(self.articles, "_prefetch_related_lookups", ()))
        prefetch_related_objects(rows, *lookups)
        return rows

    def keyset_page(self, token: str | None, size: int) -> KeysetPage:
        """Return the cursor page of ``size`` rows at ``token`` (the first page when None), as ``keyset_page`` does."""
        salt = f"seed={self.seed}"
        direction, position = decode_cursor(token, CURSOR_KEYS, self.model, salt=salt) if token else ("a", None)
        if position is not None and position[0] not in (0, 1):
            raise InvalidCursor("Invalid cursor.")
        if direction == "a":
            rows = self._forward(position, size + 1)
            has_more, rows = len(rows) > size, rows[:size]
            has_next, has_previous = has_more, position is not None
        else:
            assert position is not None, "a 'b' cursor always holds a position"
            rows = self._backward(position, size + 1)
            has_more, rows = len(rows) > size, rows[:size][::-1]
            has_next, has_previous = True, has_more
        if not rows:
            back = None
            if position is not None:
                back = encode_cursor("b" if direction == "a" else "a", CURSOR_KEYS, position, salt=salt)
            return KeysetPage([], back if direction == "b" else None, back if direction == "a" else None)
        return KeysetPage(
            [*self._related(rows)],
            encode_cursor("a", CURSOR_KEYS, self.position(rows[-1]), salt=salt) if has_next else None,
            encode_cursor("b", CURSOR_KEYS, self.position(rows[0]), salt=salt) if has_previous else None,
        )

    def position(self, article: Article) -> list[Any]:
        return [self.phase_of(article), article.sample_key, article.pk]

    def _forward(self, position: list[Any] | None, limit: int) -> list[Article]:
        """Return up to ``limit`` rows after ``position`` (from the start when None), into the second phase."""
        phase = 0 if position is None else position[0]
        rows = self.phase(phase)
        if position is not None:
            rows = rows.filter(after(PHASE_KEYS, position[1:]))
        found = list(rows[:limit])
        if phase == 0 and len(found) < limit:
            found += list(self.phase(1)[: limit - len(found)])
        return found

    def _backward(self, position: list[Any], limit: int) -> list[Article]:
        """Return up to ``limit`` rows before ``position``, nearest first, back into the first phase."""
        backwards = [key.reversed() for key in PHASE_KEYS]
        descending = [key.expression() for key in backwards]
        phase = position[0]
        found = list(self.phase(phase).filter(after(backwards, position[1:])).order_by(*descending)[:limit])
        if phase == 1 and len(found) < limit:
            found += list(self.phase(0).order_by(*descending)[: limit - len(found)])
        return found
