"""Pagination styles of the API: numbered pages, and cursors for walking the whole archive."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.template import loader
from django.utils.functional import cached_property
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from articles import conf
from articles.api.cursors import InvalidCursor, Walkable, keyset_page
from articles.api.params import parse_bounded_int
from articles.counting import CappedCountPaginator

if TYPE_CHECKING:
    from django.core.paginator import Paginator, _SupportsPagination
    from rest_framework.views import APIView

_T = TypeVar("_T")
_Row = TypeVar("_Row")
Schema = dict[str, Any]

PAGE_MODES = ("page", "cursor")
CURSOR_PARAM = "cursor"
PAGE_MODE_PARAM = "page_mode"
_PAGE_NUMBER = re.compile(r"[0-9]{1,100}")


def paging_mode(request: Request) -> str:
    """Return ``"cursor"`` when the request asks for cursor paging, else ``"page"``; 400 on a bad mode."""
    params = request.query_params
    mode = params.get(PAGE_MODE_PARAM, "").strip()
    if mode and mode not in PAGE_MODES:
        raise exceptions.ValidationError({PAGE_MODE_PARAM: [f"Choose one of: {', '.join(PAGE_MODES)}."]})
    # An empty cursor= is no cursor, as an empty value of any parameter is no value: page_mode=cursor starts a
    # walk. A cursor is a cursor walk, whatever page or page_mode say (they are ignored).
    if params.get(CURSOR_PARAM, "").strip():
        return "cursor"
    return mode or "page"


def walks_by_cursor(request: Request, view: APIView | None) -> bool:
    """Return whether ``view`` answers ``request`` with a cursor page (only lists page at all)."""
    return getattr(view, "action", None) == "list" and paging_mode(request) == "cursor"


class PageSizeMixin:
    """A ``page_size`` of 1 to 100; anything else (0, or more than 100) is a 400, never quietly served otherwise."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = "Results per page, 1 to 100 (default 20); any other value is a 400."

    def get_page_size(self, request: Request) -> int:
        # Refused rather than clamped: a clamped size would leave the next links asking for it again.
        return parse_bounded_int(
            request.query_params,
            self.page_size_query_param,
            default=self.page_size,
            minimum=1,
            maximum=self.max_page_size,
            out_of_range=f"Enter a whole number from 1 to {self.max_page_size}: pages hold at most "
            f"{self.max_page_size} results.",
        )

    def page_size_schema(self) -> Schema:
        """Return the ``page_size`` query parameter as the schema documents it."""
        return {
            "name": self.page_size_query_param,
            "required": False,
            "in": "query",
            "description": self.page_size_query_description,
            "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": self.page_size},
        }


class ServedPagesPaginator(CappedCountPaginator[_T]):
    """Numbered pages up to ``max_page``, over a count capped high enough to cover every one of them."""

    def __init__(self, object_list: _SupportsPagination[_T], per_page: int, *args: Any, **kwargs: Any) -> None:
        self.max_page = conf.api_max_page()
        # Every servable row is counted, so the pages up to max_page are always known to exist.
        cap = max(conf.api_count_cap(), self.max_page * per_page)
        super().__init__(object_list, per_page, *args, cap=cap, **kwargs)

    @cached_property
    def num_pages(self) -> int:
        pages = max(1, math.ceil(self.count / self.per_page)) if self.count or self.allow_empty_first_page else 0
        return min(pages, self.max_page)


# DRF's stubs type page_size, page_size_query_param and max_page_size optional; PageSizeMixin always sets them.
class PageNumberPagination(PageSizeMixin, pagination.PageNumberPagination):  # type: ignore[misc]
    """Numbered pages with a client-chosen ``page_size`` of at most 100, up to ``ARCHIVE_API_MAX_PAGE``.

    A page that is not a whole number of 1 or more (or ``last``) is a 400, and
    so is one past the deepest page served (cursor paging goes on from there);
    a page past the end is a 404. The count is exact up to ``ARCHIVE_API_COUNT_CAP``.
    """

    django_paginator_class = ServedPagesPaginator

    @property
    def page_query_description(self) -> str:  # type: ignore[override]  # a plain attribute in DRF's stubs
        deepest, cap = conf.api_max_page(), conf.api_count_cap()
        return (
            f"A page number, 1 to {deepest} (or `last`: the last page served). Numbered pages carry a `count`, "
            f"exact up to {cap:,} (see `count_is_exact`). Past page {deepest} the answer is a 400 "
            "pointing to cursor paging (`page_mode=cursor`), which is as fast at any depth."
        )

    def page_schema(self) -> Schema:
        """Return the ``page`` query parameter as the schema documents it: a number from 1, or ``last``."""
        number = {"type": "integer", "minimum": 1, "maximum": conf.api_max_page()}
        return {
            "name": self.page_query_param,
            "required": False,
            "in": "query",
            "description": self.page_query_description,
            "schema": {"oneOf": [number, {"type": "string", "enum": list(self.last_page_strings)}]},
        }

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int | str:
        raw = request.query_params.get(self.page_query_param, "").strip()
        if not raw or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        deepest = paginator.max_page if isinstance(paginator, ServedPagesPaginator) else conf.api_max_page()
        return self.checked_number(raw, deepest)

    def checked_number(self, raw: str, deepest: int) -> int:
        """Return the page number ``raw`` names, or raise a 400 unless it is a whole number from 1 to ``deepest``."""
        if not _PAGE_NUMBER.fullmatch(raw) or int(raw) < 1:
            raise exceptions.ValidationError({self.page_query_param: ["Enter a page number: 1 or more, or 'last'."]})
        if int(raw) > deepest:
            raise exceptions.ValidationError({self.page_query_param: [too_deep_message(deepest)]})
        return int(raw)

    def check_ignored_page(self, request: Request) -> None:
        """Raise a 400 for a ``page`` the schema refuses, also where cursor paging ignores the page."""
        raw = request.query_params.get(self.page_query_param, "").strip()
        if raw and raw not in self.last_page_strings:
            self.checked_number(raw, conf.api_max_page())

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None, "get_paginated_response follows paginate_queryset"
        paginator = self.page.paginator
        assert isinstance(paginator, CappedCountPaginator)
        return Response(
            {
                "count": paginator.count,
                "count_is_exact": paginator.count_is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


def too_deep_message(deepest: int) -> str:
    """Return the message of a 400 for a page past the deepest numbered page."""
    return (
        f"Numbered pages stop at page {deepest}. To go further, page by cursor: ask for page_mode=cursor "
        "with the same filters and ordering, then follow the next links."
    )


class KeysetCursorPagination(PageSizeMixin, pagination.BasePagination):
    """Cursor paging over the queryset's own ordering (which must end in ``id``): no count, no OFFSET.

    Every page costs the same however deep the walk goes, and rows added or
    removed meanwhile never make a row appear twice or be skipped.
    """

    def get_paginated_response_schema(self, schema: Schema) -> Schema:
        """Describe the page as served: ``next`` and ``previous`` links around ``results``."""
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    cursor_query_param = CURSOR_PARAM
    template = "rest_framework/pagination/previous_and_next.html"

    # Also the index's ArticleSearch (a search walked by cursor), which DRF's types do not foresee.
    def paginate_queryset(
        self, queryset: Walkable | Sequence[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        if isinstance(queryset, Sequence):
            raise TypeError("Cursor paging walks an ordering (a queryset or search results), not a list.")
        self.request = request
        token = request.query_params.get(self.cursor_query_param, "").strip()
        try:
            size = self.get_page_size(request)
            # A result set that walks itself (a random order: two ranges of one index) says so, as counts do.
            walk = getattr(queryset, "keyset_page", None)
            self.page = walk(token or None, size) if callable(walk) else keyset_page(queryset, token or None, size)
        except InvalidCursor as exc:
            # As DRF's own cursor paging: a cursor is a page's address, and this one leads to no page.
            raise exceptions.NotFound(str(exc)) from None
        except ImproperlyConfigured as exc:
            raise exceptions.ValidationError({"ordering": [str(exc)]}) from None
        self.display_page_controls = bool(self.page.next_cursor or self.page.previous_cursor)
        return self.page.rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), PAGE_MODE_PARAM)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        return self._link(self.page.next_cursor)

    def get_previous_link(self) -> str | None:
        return self._link(self.page.previous_cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def to_html(self) -> str:
        context = {"previous_url": self.get_previous_link(), "next_url": self.get_next_link()}
        return loader.get_template(self.template).render(context)


class ArchivePagination(pagination.BasePagination):
    """Numbered pages by default; cursor pages when ``cursor`` is given (empty to start) or ``page_mode=cursor``."""

    def __init__(self) -> None:
        self.numbered = PageNumberPagination()
        self.keyset = KeysetCursorPagination()
        self.active: pagination.BasePagination = self.numbered

    @property
    def display_page_controls(self) -> bool:  # type: ignore[override]  # a plain attribute in DRF's stubs
        return self.active.display_page_controls

    def paginate_queryset(
        self, queryset: QuerySet[Model, _Row] | Sequence[_Row], request: Request, view: APIView | None = None
    ) -> list[_Row] | None:
        self.active = self.keyset if paging_mode(request) == "cursor" else self.numbered
        if self.active is self.keyset:
            # Ignored, but as the schema says it: a page no numbered paging takes is a 400 here too.
            self.numbered.check_ignored_page(request)
        return self.active.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return self.active.get_paginated_response(data)

    def to_html(self) -> str:
        return self.active.to_html()

    def get_results(self, data: dict[str, Any]) -> Any:
        return data["results"]

    def get_schema_operation_parameters(self, view: APIView) -> list[Schema]:
        return [
            self.numbered.page_schema(),
            self.numbered.page_size_schema(),
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": (
                    "Cursor paging, for walking the whole result set: start with `page_mode=cursor`, then "
                    "follow `next` (whose `cursor` is opaque: never build one). Pages carry no `count`, cost "
                    "the same at any depth, and never repeat or skip a row when rows are added meanwhile. The "
                    "walk keeps the request's `ordering` (newest first by default, also with `q`: relevance "
                    "order is for numbered pages). An empty `cursor=` is no cursor; with a cursor, `page` and "
                    "`page_mode` are ignored (a `page` the schema refuses is a 400 all the same). An invalid cursor, "
                    "or one made for another ordering, is a 404."
                ),
                "schema": {"type": "string"},
            },
            {
                "name": PAGE_MODE_PARAM,
                "required": False,
                "in": "query",
                "description": "`cursor` starts cursor paging; `page` (numbered pages) is the default.",
                "schema": {"type": "string", "enum": list(PAGE_MODES)},
            },
        ]

    def get_paginated_response_schema(self, schema: Schema) -> Schema:
        numbered = self.numbered.get_paginated_response_schema(schema)
        numbered["required"] = ["results"]
        properties = numbered["properties"]
        properties["count"]["description"] = (
            f"Matching rows (numbered pages only): exact up to {conf.api_count_cap():,}, "
            "and that cap when there are more (then `count_is_exact` is false)."
        )
        properties = {
            "count": properties.pop("count"),
            "count_is_exact": {
                "type": "boolean",
                "description": "Numbered pages only: whether `count` is the exact total (false: at least `count`).",
                "example": True,
            },
            **properties,
        }
        numbered["properties"] = properties
        return numbered
