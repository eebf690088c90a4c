"""Renderers for the API's non-JSON responses."""

from __future__ import annotations

import json

from rest_framework import renderers


class PlainTextRenderer(renderers.BaseRenderer):
    """Render a string as UTF-8 plain text (errors as their message)."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, str):
            return data.encode(self.charset)
        # Error responses carry {"detail": "..."}; say just the message.
        if isinstance(data, dict) and set(data) == {"detail"}:
            return str(data["detail"]).encode(self.charset)
        return json.dumps(data, ensure_ascii=False).encode(self.charset)
