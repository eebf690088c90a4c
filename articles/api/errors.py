"""Errors under ``/api/`` are JSON, whatever answers them: Django's last-resort handlers, and a catch-all route."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, views
from rest_framework.renderers import JSONRenderer

from articles.search_index import SearchIndexOutdated

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView as _ViewBase
else:
    _ViewBase = object

API_PREFIX = "/api/"
NOT_FOUND = "Not found."


def json_under_api(status: int, detail: str, page: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Return a Django error handler answering ``{"detail": detail}`` under /api/, and Django's ``page`` elsewhere."""

    def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": detail}, status=status)
        return page(request, *args, **kwargs)

    handler.__doc__ = f"Answer a {status}: JSON under /api/, Django's page elsewhere."
    return handler


# handler400 (a SuspiciousOperation, e.g. too many fields), handler403, handler404 (a URL nothing matches,
# such as /api/v1/authors/1.5/), handler500.
bad_request = json_under_api(400, "Bad request.", defaults.bad_request)
permission_denied = json_under_api(403, "Permission denied.", defaults.permission_denied)
not_found = json_under_api(404, NOT_FOUND, defaults.page_not_found)
server_error = json_under_api(500, "Server error.", defaults.server_error)


@csrf_exempt
def unmatched(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Answer an /api/ URL no route matches, whatever the method: a JSON 404 (with DEBUG on too)."""
    return JsonResponse({"detail": NOT_FOUND}, status=404)


class JsonErrorsMixin(_ViewBase):
    """DRF view mixin: errors in JSON even where the view renders something else (the docs' HTML, the schema's YAML)."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        if getattr(response, "exception", False):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class SearchUnavailable(exceptions.APIException):
    """The search index cannot answer until an operator rebuilds it."""

    status_code = 503
    default_detail = "Search is unavailable until the search index is rebuilt (manage.py rebuild_search_index)."
    default_code = "search_unavailable"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with an outdated search index answered as a JSON 503 rather than a 500."""
    if isinstance(exc, SearchIndexOutdated):
        exc = SearchUnavailable()
    return views.exception_handler(exc, context)
