"""``?fields=``: responses limited to the fields a client names, and querysets that load no more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from articles.api.bases import SerializerBase, ViewSetBase
from articles.api.params import check_names, parse_name_list

FIELDS_PARAM = "fields"
FIELDS_DESCRIPTION = (
    "Comma-separated names of the fields to return (e.g. `id,title,url`; repeating `fields` works too), in that "
    "order; the others are left out, and not loaded where that saves work (the body, the byline, the publisher). "
    "Any field of the resource may be named, also one it leaves out by default (an article list's `body`, a "
    "detail's `excerpt`); `rank` and `snippet` are there only in search results (with `q`). Also shapes the "
    "answer to a write. An unknown name is a 400 listing the valid ones."
)
# Documented on each operation it shapes, with the names valid there, by ``schema.AutoSchema``.
# Serializer context key: show every field the requester may name (to list them, or to document them).
EVERY_FIELD = "every_field"


def every_field(context: Mapping[str, Any]) -> bool:
    """Return whether a serializer with ``context`` shows every field it has (to list or document them)."""
    return bool(context.get(EVERY_FIELD)) or getattr(context.get("view"), "swagger_fake_view", False)


class FieldSelectionMixin(SerializerBase):
    """Serializer mixin: keep only the fields in ``context["selected_fields"]``, in that order.

    Without a choice (None), every field but the ``Meta.on_request_fields``, which
    only a choice shows. A chosen field the representation lacks (a search-only one
    outside a search) is left out.
    """

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        selected = self.context.get("selected_fields")
        if every_field(self.context):
            return fields
        if selected is None:
            on_request = getattr(getattr(self, "Meta", None), "on_request_fields", ())
            return {name: field for name, field in fields.items() if name not in on_request}
        return {name: fields[name] for name in selected if name in fields}


class FieldSelectionViewMixin(ViewSetBase):
    """View mixin: read and check ``?fields=`` for the ``shaped_actions``, and pass the choice to serializers."""

    shaped_actions: frozenset[str] = frozenset({"list", "retrieve", "create", "partial_update"})

    def selected_fields(self) -> list[str] | None:
        """Return the fields the request asks for (None: the default ones), or raise a 400 naming unknown ones."""
        if not hasattr(self, "_selected_fields"):
            self._selected_fields = None
            shaped = self.action in self.shaped_actions
            if shaped and (names := parse_name_list(self.request.query_params, FIELDS_PARAM)):
                check_names(FIELDS_PARAM, names, self.available_fields())
                self._selected_fields = names
        return self._selected_fields

    def available_fields(self) -> list[str]:
        """Return the names of every field this requester may name (the same for a list and a detail)."""
        # Called while the choice is still None (so the context does not recurse into it).
        context = {**self.get_serializer_context(), EVERY_FIELD: True}
        serializer = self.get_serializer_class()(context=context)
        assert isinstance(serializer, serializers.Serializer), "fields are chosen among a serializer's"
        return list(serializer.fields)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "selected_fields": self.selected_fields()}
