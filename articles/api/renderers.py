"""Renderers for the API's non-JSON responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework import renderers


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
