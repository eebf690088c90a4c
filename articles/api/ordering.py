"""``?ordering=``: a strict variant of DRF's ordering filter, always ending in a unique tiebreaker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import F, OrderBy, QuerySet
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from articles.api.pagination import walks_by_cursor
from articles.api.params import StrictBooleanField
from articles.api.querysets import can_see_unpublished
from articles.api.sampling import (
    DEFAULT_SEED,
    MAX_SEED,
    RANDOM_TERM,
    SEED_DESCRIPTION,
    SEED_PARAM,
    RandomSample,
    request_seed,
    rotation,
    sample_point,
)
from articles.api.search_filters import is_searching
from articles.review import REVIEW_ORDER

if TYPE_CHECKING:
    from rest_framework.views import APIView

RELEVANCE_TERMS = {"relevance": "-rank", "rank": "rank", "-rank": "-rank"}
# The review queue's order (``articles.review``) and its reverse, each ending in the unique id.
REVIEW_ORDERINGS = {
    "-review_priority": REVIEW_ORDER,
    "review_priority": tuple(term[1:] if term.startswith("-") else f"-{term}" for term in REVIEW_ORDER),
}
# Columns that may hold NULLs in what staff see (drafts have no publication date, and may have no date).
NULLABLE = frozenset({"published_at", "date"})


class StrictOrderingFilter(OrderingFilter):
    """Order by the view's ``ordering_fields`` (each may start with ``-``); an unknown field is a 400.

    DRF's ``OrderingFilter`` drops unknown fields silently. ``relevance`` (best
    first; also ``rank``/``-rank``) is offered with a search. NULLs sort last
    either way, on every database, and ``-id`` always ends the ordering, so
    equal values keep a stable order across pages. ``random`` (on a view with
    ``random_ordering``) orders by itself, by ``seed`` (``articles.api.sampling``).
    """

    ordering_description = "Comma-separated fields to order by; prefix with `-` for descending."

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> QuerySet[Any]:
        if offers_random(view):
            # Checked with any ordering, as a ``page`` that cursor paging ignores is: a value the schema
            # refuses is a 400 all the same; a valid one orders nothing but ``ordering=random``.
            seed = request_seed(request)
            if RANDOM_TERM in self.requested_terms(request):
                # DRF's stubs let a backend return only a queryset; a list page gets the sample that pages itself.
                return self.random_order(queryset, view, seed)  # type: ignore[return-value]
        return super().filter_queryset(request, queryset, view)

    def requested_terms(self, request: Request) -> list[str]:
        """Return the terms of ``ordering``, blanks dropped."""
        raw = request.query_params.get(self.ordering_param, "")
        return [term.strip() for term in raw.split(",") if term.strip()]

    @staticmethod
    def random_order(queryset: QuerySet[Any], view: APIView, seed: int) -> RandomSample | QuerySet[Any]:
        """Return ``queryset`` (or search results) in the random order of ``seed``."""
        if getattr(view, "action", None) == "list" or is_searching(queryset):
            # A search is exported through the sample too: its two phases are two passes of the index.
            return RandomSample(queryset, seed)
        # An export (or a detail) reads its rows in one query: one ORDER BY of the same order.
        return queryset.order_by(*rotation(sample_point(seed)))

    # DRF's stubs say the terms are strings; DRF passes them to order_by(), which takes expressions too.
    def get_ordering(  # type: ignore[override]
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> list[str | OrderBy] | None:
        terms = self.requested_terms(request)
        if not terms:
            return None
        searching = is_searching(queryset)
        staff = can_see_unpublished(request.user)
        allowed = set(self.allowed_fields(view))
        # Staff-only data (the review priority) orders nothing for anyone else: an unknown field for them.
        staff_fields = set(staff_ordering_fields(view)) if staff else set()
        ordering: list[str | OrderBy] = []
        for term in terms:
            if term in RELEVANCE_TERMS:
                # Relevance orders numbered pages of a search; anywhere else (no q, cursor pages) it is
                # no order at all and leaves the default (newest first), as the schema says.
                if searching and not walks_by_cursor(request, view):
                    ordering.append(RELEVANCE_TERMS[term])
            elif term.lstrip("-") in allowed and term.count("-") <= 1:
                ordering.append(self.term_expression(term, staff))
            elif term in REVIEW_ORDERINGS and term.lstrip("-") in staff_fields:
                if searching:
                    # The search engine orders by its own sort keys; the queue is a list, not a search.
                    raise exceptions.ValidationError(
                        {self.ordering_param: ["Ordering by review_priority lists the review queue: drop q."]}
                    )
                ordering.extend(review_ordering(request, term))
            else:
                extra = (["relevance"] if searching else []) + ([RANDOM_TERM] if offers_random(view) else [])
                choices = ", ".join([*sorted(allowed | staff_fields), *extra])
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            f"Cannot order by '{term[:100]}'. Choose from: {choices} (- for descending)."
                        ]
                    }
                )
        if not ordering:
            return None  # Only relevance terms where they order nothing: the default order.
        if "id" not in {getattr(getattr(t, "expression", None), "name", str(t).lstrip("-")) for t in ordering}:
            ordering.append("-id")
        return ordering

    def schema_terms(self, view: APIView) -> list[str]:
        """Return every term ``ordering`` takes on ``view``: each field either way, and the relevance terms."""
        # Not the staff-only fields: a term the schema lists is valid for every caller (the description names them).
        fields = [term for name in self.allowed_fields(view) for term in (name, f"-{name}")]
        relevance = list(RELEVANCE_TERMS) if getattr(view, "searchable", False) else []
        return fields + relevance + ([RANDOM_TERM] if offers_random(view) else [])

    def allowed_fields(self, view: APIView) -> list[str]:
        # DRF reads the queryset only for a view without ``ordering_fields``; every view here names them.
        return [name for name, _label in self.get_valid_fields(None, view)]  # type: ignore[arg-type]

    @staticmethod
    def term_expression(term: str, staff: bool) -> str | OrderBy:
        name = term.lstrip("-")
        if name in NULLABLE and staff:
            # Only staff see undated drafts; for everybody else the plain term keeps the index usable.
            return F(name).desc(nulls_last=True) if term.startswith("-") else F(name).asc(nulls_last=True)
        return term

    def get_template_context(self, request: Request, queryset: QuerySet[Any], view: APIView) -> dict[str, Any]:
        # The browsable API's form gets the unsearched queryset: never refuse the ordering here.
        raw = request.query_params.get(self.ordering_param, "").split(",")[0].strip()
        options = []
        for key in self.allowed_fields(view):
            options += [(key, f"{key} - ascending"), (f"-{key}", f"{key} - descending")]
        return {"request": request, "current": raw or None, "param": self.ordering_param, "options": options}

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        fields = self.allowed_fields(view)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"{self.ordering_description} Fields: {', '.join(f'`{f}`' for f in fields)}"
                    + (", and `relevance` (best first) with `q`." if getattr(view, "searchable", False) else ".")
                    + " Ties are broken by newest id; an unknown field is a 400. `relevance` (also `rank`, "
                    "`-rank`) orders numbered pages of a search only: elsewhere it leaves the default order."
                    + staff_ordering_description(view)
                    + random_ordering_description(view)
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": self.schema_terms(view)}},
                "style": "form",
                "explode": False,
            },
            *(
                [
                    {
                        "name": SEED_PARAM,
                        "required": False,
                        "in": "query",
                        "description": SEED_DESCRIPTION,
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEED, "default": DEFAULT_SEED},
                    }
                ]
                if offers_random(view)
                else []
            ),
        ]


def review_ordering(request: Request, term: str) -> list[str]:
    """Return the review queue's order for ``term`` (a 400 without ``needs_review=true``).

    The queue's order, ties oldest first, ending in ``id``: the partial index on
    flagged articles holds it, either way, so it is walked and never sorted; over
    every article (most have priority 0) it would be a sort of the whole table.
    """
    try:
        flagged = StrictBooleanField().clean(request.query_params.get("needs_review"))
    except ValidationError:
        flagged = None  # the filter reports the bad value
    if flagged is not True:
        raise exceptions.ValidationError(
            {"ordering": ["Ordering by review_priority lists the review queue: add needs_review=true."]}
        )
    return list(REVIEW_ORDERINGS[term])


def staff_ordering_fields(view: APIView) -> list[str]:
    """Return the fields only staff may order ``view`` by (``staff_ordering_fields`` on the view)."""
    return list(getattr(view, "staff_ordering_fields", ()))


def staff_ordering_description(view: APIView) -> str:
    """Return what the schema says of the staff-only ordering fields, if ``view`` has any."""
    fields = staff_ordering_fields(view)
    if not fields:
        return ""
    return (
        f" Staff and editors only (a 400 for others): {', '.join(f'`{f}`' for f in fields)}, with "
        "`needs_review=true` (a 400 without): `-review_priority` lists the review queue likeliest errors "
        "first, then oldest first, as the admin does."
    )


def offers_random(view: APIView) -> bool:
    """Return whether ``view`` takes ``ordering=random`` (its rows have a sample key: ``random_ordering``)."""
    return bool(getattr(view, "random_ordering", False))


def random_ordering_description(view: APIView) -> str:
    """Return what the schema says of ``ordering=random``, if ``view`` takes it."""
    if not offers_random(view):
        return ""
    return (
        " `random` lists the rows in a random order fixed by `seed`: the same seed gives the same order on "
        "every page, numbered or cursor (also with `q`, and in the exports), for a reproducible sample. It "
        "orders by itself: any other term given with it is ignored."
    )
