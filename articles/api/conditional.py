"""Conditional requests on detail views: ``ETag`` and ``Last-Modified`` on reads, answered with 304 when
unchanged, and ``If-Match`` / ``If-Unmodified-Since`` on writes, refused with 412 when the object changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db.models import Model
from django.http import Http404, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from articles.api.bases import ReadOnlyViewSetBase

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    description=(
        "Save only if the object is still as read: the `ETag` of a GET of this URL (a list of tags, or `*` for "
        "any version). A stale tag gets 412 and saves nothing. Tags are compared strongly: a weak `W/` tag "
        "(the browsable API's HTML) never matches."
    ),
)
IF_UNMODIFIED_SINCE_PARAMETER = OpenApiParameter(
    "If-Unmodified-Since",
    str,
    location=OpenApiParameter.HEADER,
    description=(
        "An HTTP date, e.g. the `Last-Modified` of a GET: save only if the article has not changed since "
        "(to the second; 412 otherwise). Ignored when `If-Match` is sent."
    ),
)

_M = TypeVar("_M", bound=Model)

# The browsable API's pages hold more than the data (the user, a CSRF token): their tag is weak.
WEAK_MEDIA_TYPES = ("text/html",)


class PreconditionFailed(exceptions.APIException):
    """A write's ``If-Match`` or ``If-Unmodified-Since`` does not hold: the object changed since it was read."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The object has changed since the version your If-Match or If-Unmodified-Since names: nothing was "
        "saved. GET it again (its ETag is in the response), reapply your change and send it with the new ETag."
    )
    default_code = "precondition_failed"


def representation_etag(data: Any, media_type: str) -> str:
    """Return the ETag of the representation ``data`` rendered as ``media_type``.

    Hashing the serialized data itself means the tag changes with anything the
    client would see: the object, a renamed author in its byline, the fields it
    asked for, or what the requester may see (staff get more fields). JSON is
    rendered from the data alone, so its tag is strong (``If-Match`` compares
    strong tags only); an HTML page's is weak.
    """
    text = json.dumps(data, cls=JSONEncoder, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{media_type}\n{text}".encode()).hexdigest()[:32]
    weak = media_type.startswith(WEAK_MEDIA_TYPES)
    return f'W/"{digest}"' if weak else f'"{digest}"'


def representation_type(request: Request) -> str:
    """Return the accepted media type and the format's name: formats may share a type (ninjs is JSON too)."""
    format_name = getattr(getattr(request, "accepted_renderer", None), "format", "")
    return f"{request.accepted_media_type or ''}; format={format_name}"


def latest(*moments: dt.datetime | None) -> dt.datetime | None:
    """Return the latest of ``moments``, ignoring the missing ones."""
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def write_preconditions_hold(request: Request, *, etag: str | None, last_modified: int | None) -> bool:
    """Tell whether a write's preconditions hold for the current ``etag`` and ``last_modified`` (RFC 9110 §13.2.2).

    ``If-Match`` compares strong tags (``*``: any current representation); without it,
    ``If-Unmodified-Since`` is compared to ``last_modified``, and ignored where there is none.
    An ``If-None-Match`` that matches fails the write too.
    """
    meta = request.META
    if "HTTP_IF_MATCH" in meta:
        held = _if_match_holds(parse_etags(meta["HTTP_IF_MATCH"]), etag)
    else:
        since = parse_http_date_safe(meta.get("HTTP_IF_UNMODIFIED_SINCE", ""))
        held = since is None or last_modified is None or last_modified <= since
    if "HTTP_IF_NONE_MATCH" in meta:
        held = held and not _if_none_match_matches(parse_etags(meta["HTTP_IF_NONE_MATCH"]), etag)
    return held


def _if_match_holds(tags: list[str], etag: str | None) -> bool:
    """Strong comparison: weak tags never match, ``*`` matches any current representation."""
    if etag is None:
        return False
    return tags == ["*"] or (not etag.startswith("W/") and etag in tags)


def _if_none_match_matches(tags: list[str], etag: str | None) -> bool:
    """Weak comparison: ``W/"x"`` and ``"x"`` match, ``*`` matches any current representation."""
    if etag is None:
        return False
    return tags == ["*"] or etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in tags}


def validator_headers(etag: str | None, last_modified: int | None) -> dict[str, str]:
    """Return the ``ETag`` and ``Last-Modified`` response headers of these validators (those known)."""
    headers = {"ETag": etag} if etag else {}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


CONDITIONAL_WRITE_HEADERS = ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_NONE_MATCH")


class ConditionalRetrieveMixin(Generic[_M], ReadOnlyViewSetBase):
    """Viewset mixin: ``retrieve`` sends ``ETag`` and ``Last-Modified``, and honours
    ``If-None-Match`` / ``If-Modified-Since`` with a 304 (``If-None-Match`` wins when both are sent);
    writes call ``check_write_preconditions()`` to honour ``If-Match`` / ``If-Unmodified-Since``.
    """

    def get_last_modified(self, instance: _M) -> dt.datetime | None:
        """Return when what the representation shows last changed."""
        modified: dt.datetime | None = getattr(instance, "updated_at", None)
        return modified

    def validators(self, instance: _M, data: Any) -> tuple[str, int | None]:
        """Return the ETag and the Last-Modified timestamp (None when unknown) of ``instance`` shown as ``data``."""
        modified = self.get_last_modified(instance)
        etag = representation_etag(data, representation_type(self.request))
        return etag, int(modified.timestamp()) if modified else None

    # DRF's stubs say retrieve() returns a Response; a 304 is a plain HttpResponse, which DRF finalizes as well.
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        instance = self.get_object()
        data = self.get_serializer(instance).data
        etag, timestamp = self.validators(instance, data)
        headers = validator_headers(etag, timestamp)
        conditional = get_conditional_response(request._request, etag=etag, last_modified=timestamp)
        if conditional is not None:
            # 304 Not Modified, with the validators the client compares.
            for name, value in headers.items():
                conditional.headers[name] = value
            return conditional
        return Response(data, headers=headers)

    def current_validators(self) -> tuple[str | None, int | None]:
        """Return the validators a GET of this URL would send now (none if the requester may not read it)."""
        with self._acting_as("retrieve"):
            try:
                instance = self.get_object()
            except Http404:
                return None, None
            return self.validators(instance, self.get_serializer(instance).data)

    def check_write_preconditions(self) -> None:
        """Raise ``PreconditionFailed`` (412) unless the request's conditional headers hold for the object now.

        The write services call it with the row locked, so no other write can come between the check and the write.
        """
        if not any(name in self.request.META for name in CONDITIONAL_WRITE_HEADERS):
            return
        etag, last_modified = self.current_validators()
        if not write_preconditions_hold(self.request, etag=etag, last_modified=last_modified):
            raise PreconditionFailed()

    @contextmanager
    def _acting_as(self, action: str) -> Iterator[None]:
        # The read path (queryset, serializer, visibility) follows the action: borrow the read's for a moment,
        # so the tag compared is exactly the one a GET sends.
        previous, self.action = self.action, action
        try:
            yield
        finally:
            self.action = previous
