"""Full-text search in the API: ``?q=`` on the article list, facets and export."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from articles.api.pagination import walks_by_cursor
from articles.api.querysets import newest_first
from articles.search import SYNTAX_HELP, Query, SearchQueryError, matching, parse_query, search

SEARCH_PARAM = "q"
SEARCH_DESCRIPTION = (
    "Full-text search over titles, subtitles and bodies. Results then carry `rank` (higher is better) and "
    "`snippet` (HTML: the body around the matches, matches in `<mark>`), and are ordered by relevance "
    "unless `ordering` says otherwise (cursor pages keep newest first). Syntax:\n\n" + SYNTAX_HELP
)


def search_query(request: Request) -> Query | None:
    """Return the parsed ``q`` of ``request`` (None when absent or blank); a query that cannot run is a 400."""
    text = request.query_params.get(SEARCH_PARAM, "")
    if not text.strip():
        return None
    try:
        return parse_query(text)
    except SearchQueryError as exc:
        raise exceptions.ValidationError({SEARCH_PARAM: [str(exc)]}) from None


def is_searching(queryset: QuerySet) -> bool:
    """Return whether ``queryset`` holds search results (it has a ``rank`` to order by)."""
    return "rank" in queryset.query.annotations


class FullTextSearchFilter(BaseFilterBackend):
    """Narrow the articles to those matching ``q``, with ``rank`` and ``snippet``, best first."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view) -> QuerySet:
        query = search_query(request)
        if query is None:
            return queryset
        if not getattr(view, "search_ranks", True):
            # Counts and facets need the matching set only: no rank, no snippet.
            return matching(queryset, query)
        results = search(queryset, query)
        if walks_by_cursor(request, view):
            # A relevance order cannot be walked by cursor (ranks are neither unique nor indexed).
            return results
        return results.order_by("-rank", *newest_first(request.user))

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": SEARCH_PARAM,
                "required": False,
                "in": "query",
                "description": SEARCH_DESCRIPTION,
                "schema": {"type": "string", "maxLength": 1000},
            }
        ]
