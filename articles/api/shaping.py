"""``?fields=``: responses limited to the fields a client names, and querysets that load no more."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers

from articles.api.params import check_names, parse_name_list

FIELDS_PARAM = "fields"
FIELDS_DESCRIPTION = (
    "Comma-separated names of the fields to return (e.g. `id,title,url`); the others are left out, and "
    "not loaded where that saves work (the body, the byline, the publisher). An unknown name is a 400 "
    "listing the valid ones."
)

FIELDS_PARAMETER = OpenApiParameter(FIELDS_PARAM, str, description=FIELDS_DESCRIPTION)


class FieldSelectionMixin:
    """Serializer mixin: keep only the fields in ``context["selected_fields"]`` (all when it is None), in that order."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        selected = self.context.get("selected_fields")
        if selected is None:
            return fields
        return {name: fields[name] for name in selected if name in fields}


class FieldSelectionViewMixin:
    """View mixin: read and check ``?fields=`` for the ``shaped_actions``, and pass the choice to serializers."""

    shaped_actions: frozenset[str] = frozenset({"list", "retrieve"})

    def selected_fields(self) -> list[str] | None:
        """Return the fields the request asks for (None: all), or raise a 400 naming the unknown ones."""
        if not hasattr(self, "_selected_fields"):
            self._selected_fields = None
            shaped = self.request.method in permissions.SAFE_METHODS and self.action in self.shaped_actions
            if shaped and (names := parse_name_list(self.request.query_params, FIELDS_PARAM)):
                check_names(FIELDS_PARAM, names, self.available_fields())
                self._selected_fields = names
        return self._selected_fields

    def available_fields(self) -> list[str]:
        """Return the names of every field the serializer would show this requester."""
        # Called while the choice is still None, so this context shows every field.
        return list(self.get_serializer_class()(context=self.get_serializer_context()).fields)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "selected_fields": self.selected_fields()}
