"""Hyperlink fields that reverse a URL once per request and view, not once per object."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param

if TYPE_CHECKING:
    from django.db.models import Model
    from rest_framework.request import Request

    _FieldBase = serializers.HyperlinkedRelatedField[Any]
else:
    _FieldBase = object

# Stands for the primary key in the reversed URL; the only part that varies per object.
_PLACEHOLDER = "987654321987654321"
# Serializer context key: links name the resources themselves, in no format (the standard formats' identifiers).
CANONICAL_LINKS = "canonical_links"


class CachedReverseMixin(_FieldBase):
    """Build each object's URL from a template reversed once per request, view name and format.

    A list page links every article, publisher and author: reversing each of
    those URLs was most of the time DRF spent serializing a page.
    """

    def get_url(self, obj: Model, view_name: str, request: Request, format: str | None) -> str | None:
        if hasattr(obj, "pk") and obj.pk in (None, ""):
            return None
        template = self._template(view_name, request, self._link_format(format))
        return template.replace(_PLACEHOLDER, str(getattr(obj, self.lookup_field)))

    def compiled(self) -> Callable[[Model], str | None]:
        """Return a function from the linked object to its URL, for this field's request (see ``compiled.py``)."""
        request = self.context.get("request")
        format = self.context.get("format")
        if format and self.format and self.format != format:
            format = self.format
        assert self.view_name is not None, "DRF's hyperlinked fields require a view name"
        head, _, tail = self._template(self.view_name, request, self._link_format(format)).partition(_PLACEHOLDER)
        return lambda obj: None if obj.pk is None or obj.pk == "" else f"{head}{obj.pk}{tail}"

    def _link_format(self, format: str | None) -> str | None:
        # DRF's links keep the request's format (a suffix, ``?format=``); canonical ones keep none.
        return None if self.context.get(CANONICAL_LINKS) else format

    def _template(self, view_name: str, request: Request | None, format: str | None) -> str:
        templates: dict[tuple[str, str | None, bool], str] | None = getattr(request, "_archive_url_templates", None)
        if templates is None:
            templates = {}
            if request is not None:
                request._archive_url_templates = templates  # type: ignore[attr-defined]  # a per-request cache
        canonical = bool(self.context.get(CANONICAL_LINKS))
        key = (view_name, format, canonical)
        if key not in templates:
            kwargs = {self.lookup_url_kwarg: _PLACEHOLDER}
            url = self.reverse(view_name, kwargs=kwargs, request=request, format=format)
            templates[key] = remove_query_param(url, api_settings.URL_FORMAT_OVERRIDE) if canonical else url
        return templates[key]


class IdentityLinkField(CachedReverseMixin, serializers.HyperlinkedIdentityField):
    """The URL of the object itself."""


class RelatedLinkField(CachedReverseMixin, serializers.HyperlinkedRelatedField[Any]):
    """The URL of a related object."""
