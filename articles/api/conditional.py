"""Conditional GET on detail views: ``ETag`` and ``Last-Modified``, answered with 304 when unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.db.models import Model
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder


def representation_etag(data, media_type: str) -> str:
    """Return a weak ETag for the representation ``data`` rendered as ``media_type``.

    Hashing the serialized data itself means the tag changes with anything the
    client would see: the object, a renamed author in its byline, the fields it
    asked for, or what the requester may see (staff get more fields).
    """
    text = json.dumps(data, cls=JSONEncoder, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{media_type}\n{text}".encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def latest(*moments: dt.datetime | None) -> dt.datetime | None:
    """Return the latest of ``moments``, ignoring the missing ones."""
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


class ConditionalRetrieveMixin:
    """Viewset mixin: ``retrieve`` sends ``ETag`` and ``Last-Modified``, and honours
    ``If-None-Match`` / ``If-Modified-Since`` with a 304 (``If-None-Match`` wins when both are sent).
    """

    def get_last_modified(self, instance: Model) -> dt.datetime | None:
        """Return when what the representation shows last changed."""
        return getattr(instance, "updated_at", None)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        instance = self.get_object()
        data = self.get_serializer(instance).data
        etag = representation_etag(data, request.accepted_media_type or "")
        modified = self.get_last_modified(instance)
        timestamp = int(modified.timestamp()) if modified else None
        headers = {"ETag": etag, **({"Last-Modified": http_date(timestamp)} if timestamp is not None else {})}
        conditional = get_conditional_response(request._request, etag=etag, last_modified=timestamp)
        if conditional is not None:
            # 304 Not Modified (or 412 for a failed If-Match), with the validators the client compares.
            for name, value in headers.items():
                conditional.headers[name] = value
            return conditional
        return Response(data, headers=headers)
