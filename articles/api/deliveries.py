"""``/api/v1/saved-searches/{id}/deliveries/``: a saved search's e-mail digests and webhook posts, newest first."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers

from articles.api.pagination import ArchivePagination
from articles.api.params import QueryStringGuardMixin
from articles.models import Delivery, SavedSearch

DESCRIPTION = (
    "What the archive sent for this saved search, newest first: each e-mail digest (`kind`: `email`) and each "
    "webhook POST (`webhook`) of new matches (`event`: `matches`) or of articles withdrawn since "
    "(`withdrawn`), with its `status` (`pending`, `failed`: to be retried at `next_attempt_at`, `delivered`, "
    "`abandoned`: after the last attempt, which pauses the webhook), `attempts`, the last error and HTTP "
    "status. `uid` is the id sent in the payload and the `X-Archive-Delivery` header. The owner's only: "
    "another user's search is a 404."
)


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    class Meta:
        model = Delivery
        fields = [
            "uid",
            "kind",
            "event",
            "status",
            "attempts",
            "article_ids",
            "matched",
            "last_error",
            "response_status",
            "created_at",
            "delivered_at",
            "next_attempt_at",
        ]
        read_only_fields = fields

    article_ids = serializers.ListField(child=serializers.IntegerField(), help_text="The articles it delivers.")


@extend_schema(
    summary="A saved search's deliveries",
    description=DESCRIPTION,
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The saved search's id.")],
)
class DeliveryListView(QueryStringGuardMixin, generics.ListAPIView[Delivery]):
    """The deliveries of one of the user's saved searches, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = DeliverySerializer
    pagination_class = ArchivePagination
    queryset = Delivery.objects.none()  # for the schema; get_queryset() reads the search's

    def get_queryset(self) -> QuerySet[Delivery]:
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        search = get_object_or_404(SavedSearch.objects.filter(owner_id=self.request.user.pk), pk=self.kwargs["pk"])
        return search.deliveries.order_by("-created_at", "-id")
