"""What the API's mixins are mixed into, as the type checker sees it.

A view mixin reads ``self.request``, ``self.action`` and ``get_serializer()``; a
serializer mixin reads ``self.context``. At run time each mixin derives from
``object`` (so it adds nothing to the method order); to mypy it derives from the
class it is mixed into, so those attributes are checked instead of guessed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rest_framework import serializers, viewsets

    # Any model: the same mixins serve articles, authors and publishers.
    ViewSetBase = viewsets.GenericViewSet[Any]
    ReadOnlyViewSetBase = viewsets.ReadOnlyModelViewSet[Any]
    SerializerBase = serializers.Serializer[Any]
    # A serializer mixin that reads ``Meta`` or overrides the model serializer's build hooks.
    ModelSerializerBase = serializers.ModelSerializer[Any]
else:
    ViewSetBase = ReadOnlyViewSetBase = object
    SerializerBase = ModelSerializerBase = object
