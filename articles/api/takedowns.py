"""``/api/v1/articles/withdrawn/``: the articles withdrawn, deleted or reinstated since a time."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers

from articles import takedowns
from articles.api.pagination import KeysetCursorPagination
from articles.api.params import QueryStringGuardMixin, parse_since
from articles.api.querysets import can_see_unpublished
from articles.models import Takedown

SINCE_PARAM = "since"
DESCRIPTION = (
    "Each article taken out of the archive (`kind`: `withdrawn` or `deleted`) or put back in it "
    "(`reinstated`: published again after a withdrawal) after `since`, once, with its latest change, oldest "
    "first: delete your copy of a withdrawn or deleted article, fetch a reinstated one again. `since` (ISO 8601; "
    "optional: without it, from the beginning) compares with `at`. Paged by cursor: follow `next` to the end, "
    "then keep the last `at` as your next `since` (overlap it by a minute: a takedown committing as you read "
    "may carry a slightly earlier time; handling one twice is harmless). Anonymous clients see the articles "
    "that had been published; staff and editors see every one, with the `reason` and who (`by`)."
)


class TakedownSerializer(serializers.Serializer[Takedown]):
    id = serializers.IntegerField(source="article_id", help_text="The article's id (it may no longer exist).")
    kind = serializers.ChoiceField(choices=Takedown.Kind.choices)
    at = serializers.DateTimeField(help_text="When it was withdrawn, deleted or reinstated.")


class StaffTakedownSerializer(TakedownSerializer):
    reason = serializers.CharField(help_text="Why, as the editor gave it (staff and editors only).")
    by = serializers.CharField(source="user.username", default=None, allow_null=True, help_text="Who (staff only).")


@extend_schema(
    summary="Articles withdrawn or deleted since a time",
    description=DESCRIPTION,
    parameters=[
        OpenApiParameter(
            SINCE_PARAM, {"type": "string", "format": "date-time"}, description="Only changes after this moment."
        ),
        OpenApiParameter("cursor", str, description="The `next` link's cursor."),
    ],
    responses={200: StaffTakedownSerializer(many=True)},
)
class WithdrawnListView(QueryStringGuardMixin, generics.ListAPIView[Takedown]):
    """The articles withdrawn, deleted or reinstated after ``since``, oldest first, by cursor."""

    permission_classes = [permissions.AllowAny]
    pagination_class = KeysetCursorPagination

    def get_serializer_class(self) -> type[serializers.Serializer[Any]]:
        return StaffTakedownSerializer if can_see_unpublished(self.request.user) else TakedownSerializer

    def get_queryset(self) -> QuerySet[Takedown]:
        staff = can_see_unpublished(self.request.user)
        rows = takedowns.current(public_only=not staff)
        if staff:
            rows = rows.select_related("user")
        since = parse_since(self.request.query_params, SINCE_PARAM)
        return rows.filter(at__gt=since) if since else rows
