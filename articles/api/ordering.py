"""``?ordering=``: a strict variant of DRF's ordering filter, always ending in a unique tiebreaker."""

from __future__ import annotations

from django.db.models import F, OrderBy, QuerySet
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from articles.api.pagination import walks_by_cursor
from articles.api.querysets import can_see_unpublished
from articles.api.searching import is_searching

RELEVANCE_TERMS = {"relevance": "-rank", "rank": "rank", "-rank": "-rank"}
# Columns that may hold NULLs in what staff see (drafts have no publication date, and may have no date).
NULLABLE = frozenset({"published_at", "date"})


class StrictOrderingFilter(OrderingFilter):
    """Order by the view's ``ordering_fields`` (each may start with ``-``); an unknown field is a 400.

    DRF's ``OrderingFilter`` drops unknown fields silently. ``relevance`` (best
    first; also ``rank``/``-rank``) is offered with a search. NULLs sort last
    either way, on every database, and ``-id`` always ends the ordering, so
    equal values keep a stable order across pages.
    """

    ordering_description = "Comma-separated fields to order by; prefix with `-` for descending."

    def get_ordering(self, request: Request, queryset: QuerySet, view) -> list[str | OrderBy] | None:
        raw = request.query_params.get(self.ordering_param, "")
        terms = [term.strip() for term in raw.split(",") if term.strip()]
        if not terms:
            return None
        allowed = set(self.allowed_fields(view))
        searching = is_searching(queryset)
        staff = can_see_unpublished(request.user)
        ordering: list[str | OrderBy] = []
        for term in terms:
            if term in RELEVANCE_TERMS:
                # Relevance orders numbered pages of a search; anywhere else (no q, cursor pages) it is
                # no order at all and leaves the default (newest first), as the schema says.
                if searching and not walks_by_cursor(request, view):
                    ordering.append(RELEVANCE_TERMS[term])
            elif term.lstrip("-") in allowed and term.count("-") <= 1:
                ordering.append(self.term_expression(term, staff))
            else:
                choices = ", ".join([*sorted(allowed), *(["relevance"] if searching else [])])
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

    def schema_terms(self, view) -> list[str]:
        """Return every term ``ordering`` takes on ``view``: each field either way, and the relevance terms."""
        fields = [term for name in self.allowed_fields(view) for term in (name, f"-{name}")]
        return fields + (list(RELEVANCE_TERMS) if getattr(view, "searchable", False) else [])

    def allowed_fields(self, view) -> list[str]:
        return [name for name, _label in self.get_valid_fields(None, view)]

    @staticmethod
    def term_expression(term: str, staff: bool) -> str | OrderBy:
        name = term.lstrip("-")
        if name in NULLABLE and staff:
            # Only staff see undated drafts; for everybody else the plain term keeps the index usable.
            return F(name).desc(nulls_last=True) if term.startswith("-") else F(name).asc(nulls_last=True)
        return term

    def get_template_context(self, request: Request, queryset: QuerySet, view) -> dict:
        # The browsable API's form gets the unsearched queryset: never refuse the ordering here.
        raw = request.query_params.get(self.ordering_param, "").split(",")[0].strip()
        options = []
        for key in self.allowed_fields(view):
            options += [(key, f"{key} - ascending"), (f"-{key}", f"{key} - descending")]
        return {"request": request, "current": raw or None, "param": self.ordering_param, "options": options}

    def get_schema_operation_parameters(self, view) -> list[dict]:
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
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": self.schema_terms(view)}},
                "style": "form",
                "explode": False,
            }
        ]
