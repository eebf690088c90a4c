"""Full-text search in the API: ``?q=`` on the article list, facets and export, answered by the index."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from articles.api.filters import ArticleFilter
from articles.api.pagination import walks_by_cursor
from articles.api.querysets import Requester, can_see_unpublished, newest_first
from articles.models import Article
from articles.search import SYNTAX_HELP, ArticleSearch, Query, SearchFilters, SearchQueryError, parse_query, search

if TYPE_CHECKING:
    from rest_framework.views import APIView

SEARCH_PARAM = "q"
SEARCH_DESCRIPTION = (
    "Full-text search over titles, subtitles and bodies. Results then carry `rank` (higher is better) and "
    "`snippet` (HTML: the body around the matches, matches in `<mark>`), and are ordered by relevance "
    "unless `ordering` says otherwise (cursor pages keep newest first). Syntax:\n\n" + SYNTAX_HELP
)
# Where ArticleFilterBackend leaves the validated filters for the search.
FILTERS_ATTRIBUTE = "_article_filters"
# ArticleFilter's filters that SearchFilters leaves to the database (the index has no such field).
UNINDEXED_FILTERS = ("changed_since", "has_duplicate_of")
# Distinct parameter values a SavedQueryParser remembers (bounded: a pass may meet any number).
SAVED_VALUES_KEPT = 4096


class SavedQueryError(ValueError):
    """A saved article-list query the API would refuse (a 400); the message is the API's errors, as JSON."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(json.dumps(errors, sort_keys=True))
        # Parameter -> the API's messages for it.
        self.errors = errors


def search_query(request: Request) -> Query | None:
    """Return the parsed ``q`` of ``request`` (None when absent or blank); a query that cannot run is a 400."""
    try:
        return _parsed(request.query_params.get(SEARCH_PARAM, ""))
    except SearchQueryError as exc:
        raise exceptions.ValidationError({SEARCH_PARAM: [str(exc)]}) from None


def _parsed(text: str) -> Query | None:
    """Return ``text`` parsed (None when blank); raise ``SearchQueryError`` for a query that cannot run."""
    return parse_query(text) if text.strip() else None


def is_searching(queryset: Any) -> bool:
    """Return whether ``queryset`` holds search results (it has a ``rank`` to order by)."""
    return isinstance(queryset, ArticleSearch)


class ArticleFilterBackend(DjangoFilterBackend):
    """django-filter's backend, which also keeps the validated values, so a search can apply them in the index."""

    # types-django-filter types the request as Django's HttpRequest; DRF hands backends its own Request.
    def filter_queryset(  # type: ignore[override]
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            # types-django-filter says a dict; django-filter returns DRF's ValidationError.
            raise utils.translate_validation(filterset.errors)  # type: ignore[misc]
        setattr(request, FILTERS_ATTRIBUTE, filterset.form.cleaned_data)
        filtered: QuerySet[Any] = filterset.qs
        return filtered


def public_filters(statuses: list[str]) -> dict[str, Any]:
    """Return ``models.publicly_visible()`` as ``SearchFilters`` fields, within the ``statuses`` asked (if any)."""
    public = [s for s in statuses or [Article.Status.PUBLISHED] if s == Article.Status.PUBLISHED] or ["-"]
    return {"statuses": tuple(public), "embargo_ended_by": timezone.now()}


def search_filters(request: Request) -> SearchFilters:
    """Return the request's article filters (and what the requester may see) as index conditions."""
    return filters_for(getattr(request, FILTERS_ATTRIBUTE, {}), user=request.user)


def filters_for(data: Mapping[str, Any], *, user: Requester) -> SearchFilters:
    """Return validated ``ArticleFilter`` data as index conditions, within what ``user`` may see."""
    statuses = [data["status"]] if data.get("status") else []
    staff = can_see_unpublished(user)
    visibility: dict[str, Any] = {"statuses": tuple(statuses)} if staff else public_filters(statuses)
    return SearchFilters(
        **visibility,
        # The review flag is staff-only: ArticleFilter ignores it for others, and so does the index.
        needs_review=data.get("needs_review") if staff else None,
        # ArticleFilter applies both, so an article's publisher must be in both.
        publisher_ids=_ids(_both(data.get("publisher"), data.get("collection"))),
        author_ids=_ids(data.get("author")),
        published=(data.get("published_after"), data.get("published_before")),
        created=(data.get("created_after"), data.get("created_before")),
        copyright_years=_bounds(data, "copyright_year", "copyright_year_min", "copyright_year_max"),
        word_counts=(data.get("min_words"), data.get("max_words")),
        has_image_credit=data.get("has_image_credit"),
        source_key=data.get("source") or None,
        languages=(data["language"],) if data.get("language") else (),
    )


class SavedQuery(NamedTuple):
    """An article-list query string as index conditions: the text, the filters, and the filters the index lacks."""

    query: Query | None
    filters: SearchFilters
    # Validated values of UNINDEXED_FILTERS that are set: the database must answer them.
    unindexed: dict[str, Any]


def saved_query(query_string: str, *, user: Requester) -> SavedQuery:
    """Return what the article list given ``query_string`` (without "?") as ``user`` looks for.

    The same ``ArticleFilter`` validation as the API's; raise ``SavedQueryError`` where the API answers 400.
    """
    return SavedQueryParser(user).parse(query_string)


class SavedQueryParser:
    """Turns saved query strings into ``SavedQuery`` for one requester, its ``ArticleFilter`` form built once.

    The form (its fields, and the querysets of the slugs ``user`` may name) is the API's. Its
    fields are validated one parameter at a time, each distinct value once (ArticleFilter has no
    validation across fields, so the cleaned data are the same): what many saved queries share
    (a language, a publisher, a date) costs one validation, and one slug look-up.
    """

    def __init__(self, user: Requester) -> None:
        self.user = user
        request = HttpRequest()
        # ArticleFilter reads only the requester from its request (visible slugs, the staff-only review flag).
        request.user = user if user is not None else AnonymousUser()
        self.form_class = ArticleFilter(queryset=Article.objects.none(), request=request).get_form_class()
        self._empty = self._cleaned(QueryDict())
        # Its fields, copied once: a parameter's value is cleaned by its own field, as the form would.
        self._form = self.form_class()
        self._values: dict[tuple[str, tuple[str, ...]], Any] = {}

    def parse(self, query_string: str) -> SavedQuery:
        """Return ``query_string`` as index conditions; raise ``SavedQueryError`` where the API answers 400."""
        params = QueryDict(query_string)
        data = dict(self._empty)
        errors: dict[str, list[str]] = {}
        for name in sorted(params.keys() & data.keys()):
            try:
                data[name] = self._value(name, tuple(params.getlist(name)))
            except SavedQueryError as exc:
                errors |= exc.errors
        try:
            query = _parsed(params.get(SEARCH_PARAM, ""))
        except SearchQueryError as exc:
            errors[SEARCH_PARAM] = [str(exc)]
        if errors:
            # Every refused parameter at once, as the API's 400 names them.
            raise SavedQueryError(errors)
        unindexed = {name: data[name] for name in UNINDEXED_FILTERS if data.get(name) is not None}
        return SavedQuery(query, filters_for(data, user=self.user), unindexed)

    def _value(self, name: str, values: tuple[str, ...]) -> Any:
        """Return the cleaned value of parameter ``name`` given ``values``; raise ``SavedQueryError`` if refused."""
        key = (name, values)
        if key not in self._values:
            if len(self._values) >= SAVED_VALUES_KEPT:
                self._values.clear()
            params = QueryDict(mutable=True)
            params.setlist(name, list(values))
            try:
                self._values[key] = self._field_value(name, params)
            except SavedQueryError as exc:
                self._values[key] = exc
        value = self._values[key]
        if isinstance(value, SavedQueryError):
            raise value
        return value

    def _field_value(self, name: str, params: QueryDict) -> Any:
        """Return parameter ``name`` of ``params`` cleaned by its form field (what the form's validation does for it).

        ArticleFilter's form has no ``clean()`` nor ``clean_<name>()`` of its own, so the field
        decides alone: the same value or the same messages, without copying every field for one.
        """
        field = self._form.fields[name]
        try:
            return field.clean(field.widget.value_from_datadict(params, {}, self._form.add_prefix(name)))
        except ValidationError as exc:
            raise SavedQueryError({name: [str(message) for message in exc.messages]}) from None

    def _cleaned(self, params: QueryDict) -> dict[str, Any]:
        form = self.form_class(params)
        if not form.is_valid():
            errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
            raise SavedQueryError(errors)
        cleaned: dict[str, Any] = form.cleaned_data
        return cleaned


def _ids(ids: frozenset[int] | None) -> tuple[int, ...] | None:
    return None if ids is None else tuple(sorted(ids))


def _both(ids: frozenset[int] | None, more: frozenset[int] | None) -> frozenset[int] | None:
    return ids if more is None else more if ids is None else ids & more


def _bounds(data: Mapping[str, Any], exact: str, low: str, high: str) -> tuple[int | None, int | None]:
    lows = [v for v in (data.get(exact), data.get(low)) if v is not None]
    highs = [v for v in (data.get(exact), data.get(high)) if v is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


class FullTextSearchFilter(BaseFilterBackend):
    """Narrow the articles to those matching ``q``, with ``rank`` and ``snippet``, best first.

    A view with ``search_without_q`` (the facets) always goes through the index,
    matching every article when ``q`` is absent.
    """

    # DRF's stubs let a backend return only a queryset; this one returns the index's ArticleSearch, which
    # stands in for one in the backends, paginators and serializers after it (see ``articles.search``).
    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> QuerySet[Any]:
        query = search_query(request)
        if query is None and not getattr(view, "search_without_q", False):
            return queryset
        results = search(queryset, query, filters=search_filters(request), snippets=getattr(view, "search_ranks", True))
        if walks_by_cursor(request, view):
            # A relevance order cannot be walked by cursor (ranks are neither unique nor indexed).
            return results.order_by(*newest_first(request.user))  # type: ignore[return-value]  # as above
        return results.order_by("-rank", *newest_first(request.user))  # type: ignore[return-value]  # as above

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": SEARCH_PARAM,
                "required": False,
                "in": "query",
                "description": SEARCH_DESCRIPTION,
                "schema": {"type": "string", "maxLength": 1000},
            }
        ]
