"""Renderers for the API's non-JSON responses: plain text, and articles in the standard news formats."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework import renderers

from articles.api.export import JSONLD_TYPE
from articles.api.formats import SCHEMA_ORG, as_jsonld, as_ninjs
from articles.api.xml_formats import NEWSITEM_TYPE, NITF_TYPE, as_newsml_item, as_nitf, to_bytes

# The JSON-LD context of a list page: schema.org, with the page's own keys left out of the data (null terms)
# and ``results`` read as ``@graph``, so to a JSON-LD processor a page is what the export is, a graph of articles.
PAGE_CONTEXT = [
    SCHEMA_ORG,
    {"count": None, "count_is_exact": None, "next": None, "previous": None, "results": "@graph"},
]


class PlainTextRenderer(renderers.BaseRenderer):
    """Render a string as UTF-8 plain text (errors as their message)."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        if isinstance(data, str):
            return data.encode(self.charset)
        # Error responses carry {"detail": "..."}; say just the message.
        if isinstance(data, dict) and set(data) == {"detail"}:
            return str(data["detail"]).encode(self.charset)
        return json.dumps(data, ensure_ascii=False).encode(self.charset)


class StandardFormatRenderer(renderers.JSONRenderer):
    """Render an article's representation, or a page of them, in a standard news format (errors as they are)."""

    # Whether only an article's detail answers in the format (not a list page).
    detail_only = False

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if isinstance(data, dict) and not getattr(response, "exception", False):
            data = self.page(data) if is_page(data) else self.item(data)
        return super().render(data, accepted_media_type, renderer_context)

    def item(self, article: dict[str, Any]) -> dict[str, Any]:
        """Return one article in the format."""
        raise NotImplementedError

    def page(self, page: dict[str, Any]) -> dict[str, Any]:
        """Return a list page, its links and counts kept, with its articles in the format."""
        return {**page, "results": [self.item(article) for article in page["results"]]}


def is_page(data: dict[str, Any]) -> bool:
    """Return whether ``data`` is a list page (an article has no ``results``)."""
    return isinstance(data.get("results"), list)


class JsonLdRenderer(StandardFormatRenderer):
    """An article as a schema.org ``NewsArticle``; a list page as a JSON-LD graph of them, paging kept."""

    media_type = JSONLD_TYPE
    format = "jsonld"

    def item(self, article: dict[str, Any]) -> dict[str, Any]:
        return as_jsonld(article)

    def page(self, page: dict[str, Any]) -> dict[str, Any]:
        results = [as_jsonld(article, context=False) for article in page["results"]]
        return {"@context": PAGE_CONTEXT, **page, "results": results}


class NinjsRenderer(StandardFormatRenderer):
    """An article as an IPTC ninjs 3.1 news item; a list page with ninjs items (``?format=ninjs``)."""

    # IPTC registers no media type of its own for ninjs: it is JSON.
    media_type = "application/json"
    format = "ninjs"

    def item(self, article: dict[str, Any]) -> dict[str, Any]:
        return as_ninjs(article)


class XmlFormatRenderer(StandardFormatRenderer):
    """An article's detail as an XML document of a newsroom exchange format (errors stay JSON: the view's)."""

    detail_only = True
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if not isinstance(data, dict) or getattr(response, "exception", False) or is_page(data):
            return super().render(data, accepted_media_type, renderer_context)
        return to_bytes(self.element(data))

    def element(self, article: dict[str, Any]) -> Any:
        """Return the article as the format's root element."""
        raise NotImplementedError


class NewsMLG2Renderer(XmlFormatRenderer):
    """An article as an IPTC NewsML-G2 2.35 ``newsItem`` (``?format=newsmlg2`` or its IANA-registered type)."""

    media_type = NEWSITEM_TYPE
    format = "newsmlg2"

    def element(self, article: dict[str, Any]) -> Any:
        return as_newsml_item(article)


class NitfRenderer(XmlFormatRenderer):
    """An article as an IPTC NITF 3.6 document (``?format=nitf``)."""

    media_type = NITF_TYPE
    format = "nitf"

    def element(self, article: dict[str, Any]) -> Any:
        return as_nitf(article)
