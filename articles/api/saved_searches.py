"""``/api/v1/saved-searches/``: a user's followed article-list queries, and the articles each matches.

Every user sees and edits their own saved searches only (staff too: the admin
shows everyone's). The changes are made by ``articles.saved_searches``. A search's
matches are served by the article list itself (``ArticleViewSet``'s filters,
serializer and paging) run with the saved query.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.filters import BaseFilterBackend
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.views import APIView

from articles import saved_searches
from articles.api.ordering import StrictOrderingFilter
from articles.api.pagination import ArchivePagination
from articles.api.params import QueryStringGuardMixin, parse_since
from articles.api.search_filters import ArticleFilterBackend, FullTextSearchFilter
from articles.api.views import ArticleViewSet
from articles.api.write_mixins import service_errors
from articles.api.write_serializers import TextField
from articles.models import SavedSearch

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

SINCE_PARAM = "since"
# What a client may add to a saved search's matches: the time, and how to page and shape them (not which
# articles, nor their order: the list's default, newest first, or best first with ``q`` on numbered pages).
MATCHES_PARAMETERS = frozenset({SINCE_PARAM, "page", "page_size", "page_mode", "cursor", "fields", "format"})
FEED_URL_NAME = "feed-saved-search-atom"
QUERY_DESCRIPTION = (
    "The article list's query string without `?` (e.g. `q=otters&publisher=guardian&language=en`): its filters "
    "and `q`, checked as the list checks them (a bad value is a 400 naming the parameter, an unknown parameter "
    "is refused). Saved normalised: keys sorted, blank values and paging, ordering, `fields` and `format` dropped."
)
MATCHES_DESCRIPTION = (
    "The articles the saved query matches, as the article list serves them (the same fields, order and paging; "
    "`rank` and `snippet` with `q`), among those you may read. With `since` (ISO 8601), only those published in "
    "the archive after it: compared with `published_at`, the archive's publication time (not `date`, the "
    "story's own), so an article is new once, when it becomes visible. Without `since`, every match. Besides "
    "`since`, only paging, `fields` and `format` may be given (another parameter is a 400): the saved query "
    "decides which articles, in the list's default order."
)


def owned_by(user: Any) -> QuerySet[SavedSearch]:
    """Return the saved searches of ``user`` (none for an anonymous one)."""
    if not getattr(user, "is_authenticated", False):
        return SavedSearch.objects.none()
    # Ordered here, not only by Meta: cursor paging reads the queryset's own ordering (which ends in the key).
    return SavedSearch.objects.filter(owner=user).order_by("name", "id")


class JsonBooleanField(serializers.BooleanField):
    """A boolean that is JSON's ``true`` or ``false``, as the schema says: ``0`` or ``"no"`` is a 400.

    An HTML form's values (the browsable API's) are read as DRF reads them.
    """

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(getattr(self.root, "initial_data", None), QueryDict):
            return bool(super().to_internal_value(data))
        self.fail("invalid", input=data)
        raise AssertionError("fail() raises")  # for the type checker


class SavedSearchSerializer(serializers.ModelSerializer[SavedSearch]):
    # Text only, as the editors' writes: DRF's CharField would take 0 as "0".
    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.CharField: TextField}
    email_digest = JsonBooleanField(
        required=False, help_text=str(SavedSearch._meta.get_field("email_digest").help_text) + " Default: true."
    )
    url = serializers.HyperlinkedIdentityField(view_name="api:savedsearch-detail", help_text="This saved search.")
    webhook_paused = JsonBooleanField(
        required=False,
        help_text="Whether webhook deliveries are paused (the archive pauses them when they keep failing). "
        "Send `false` to resume; `true` is refused.",
    )
    matches_url = serializers.SerializerMethodField(help_text="Its matching articles (`?since=` for new ones).")
    feed_url = serializers.SerializerMethodField(
        help_text="Its Atom feed (`.rss` for RSS), readable without logging in: keep the address private."
    )

    class Meta:
        model = SavedSearch
        fields = [
            "id",
            "url",
            "name",
            "query",
            "email_digest",
            "webhook_url",
            "webhook_secret",
            "webhook_paused",
            "webhook_paused_at",
            "feed_token",
            "matches_url",
            "feed_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["webhook_secret", "webhook_paused_at", "feed_token", "created_at", "updated_at"]
        extra_kwargs = {
            "query": {"help_text": QUERY_DESCRIPTION},
            "webhook_secret": {"help_text": "The HMAC-SHA256 key each webhook delivery is signed with."},
        }

    def get_matches_url(self, obj: SavedSearch) -> str:
        return self.absolute(reverse("api:savedsearch-matches", kwargs={"pk": obj.pk}))

    def get_feed_url(self, obj: SavedSearch) -> str:
        return self.absolute(reverse(FEED_URL_NAME, kwargs={"token": obj.feed_token}))

    def absolute(self, path: str) -> str:
        """Return ``path`` as an absolute URL on the requested host."""
        request: Request = self.context["request"]
        return request.build_absolute_uri(path)

    def validate_webhook_paused(self, value: bool) -> bool:
        if value:
            raise serializers.ValidationError("Only false (resume): the archive pauses deliveries that keep failing.")
        return value

    def create(self, validated_data: dict[str, Any]) -> SavedSearch:
        validated_data.pop("webhook_paused", None)
        with service_errors():
            return saved_searches.create_saved_search(owner=self.context["request"].user, **validated_data)

    def update(self, instance: SavedSearch, validated_data: dict[str, Any]) -> SavedSearch:
        with service_errors():
            return saved_searches.update_saved_search(saved_search=instance, **validated_data)


@extend_schema_view(
    list=extend_schema(summary="Your saved searches", description="Your saved searches, by name."),
    create=extend_schema(
        summary="Save a search",
        description="Follow an article-list query: its new matches are e-mailed to you (`email_digest`) and "
        "POSTed to `webhook_url` (signed with `webhook_secret`), and it has a feed (`feed_url`). The name must "
        "be new among yours (a 400 otherwise). A webhook whose host resolves to a private or loopback address "
        "is refused (400) unless the operator allows that host.",
    ),
    retrieve=extend_schema(summary="One of your saved searches"),
    update=extend_schema(summary="Replace a saved search", description="As `PATCH`, with every field."),
    partial_update=extend_schema(
        summary="Change a saved search",
        description="Change what is sent; `webhook_paused: false` resumes paused webhook deliveries.",
    ),
    destroy=extend_schema(summary="Delete a saved search", description="Its feed address stops answering."),
)
class SavedSearchViewSet(QueryStringGuardMixin, viewsets.ModelViewSet[SavedSearch]):
    """The requester's own saved searches (another user's id is a 404, also for staff)."""

    serializer_class = SavedSearchSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = ArchivePagination
    filter_backends: list[type[BaseFilterBackend]] = []

    def get_queryset(self) -> QuerySet[SavedSearch]:
        return owned_by(self.request.user)

    def perform_destroy(self, instance: SavedSearch) -> None:
        saved_searches.delete_saved_search(saved_search=instance)


class PublishedSinceFilter(BaseFilterBackend):
    """Narrow the articles (or search results) to those published in the archive after the view's ``since``."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> QuerySet[Any]:
        since = getattr(view, "since", None)
        # Also on the index's ArticleSearch, whose filter() takes the published_at range (see articles.search).
        return queryset if since is None else queryset.filter(published_at__gt=since)


def matches_params(saved_search: SavedSearch, client: QueryDict) -> _ImmutableQueryDict:
    """Return the saved query with the client's paging and presentation parameters: what the list is run with."""
    if unknown := sorted(set(client) - MATCHES_PARAMETERS):
        raise exceptions.ValidationError(
            {name: ["The saved search's query decides which articles: change it instead."] for name in unknown}
        )
    params = QueryDict(saved_search.query, mutable=True)
    for name in (MATCHES_PARAMETERS - {SINCE_PARAM}) & set(client):
        params.setlist(name, client.getlist(name))
    # Immutable, as a request's own query string.
    return QueryDict(params.urlencode())


@extend_schema(
    summary="A saved search's matches",
    description=MATCHES_DESCRIPTION,
    filters=False,
    parameters=[
        OpenApiParameter(
            SINCE_PARAM,
            {"type": "string", "format": "date-time"},
            description="Only articles published in the archive (`published_at`) after this moment.",
        ),
        OpenApiParameter("id", {"type": "integer"}, OpenApiParameter.PATH, description="The saved search."),
    ],
)
class SavedSearchMatchesViewSet(ArticleViewSet):
    """The article list, run with one of the requester's saved queries (and ``since``) instead of the client's."""

    permission_classes = [permissions.IsAuthenticated]
    # The list's backends, ``since`` after its filters and search and before its ordering (a random order
    # is built by the ordering, over what it is given).
    filter_backends = [ArticleFilterBackend, FullTextSearchFilter, PublishedSinceFilter, StrictOrderingFilter]
    since: dt.datetime | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        saved_search = get_object_or_404(owned_by(request.user), pk=kwargs["pk"])
        self.since = parse_since(request.query_params, SINCE_PARAM)
        # The list reads its filters from the query string; the page's own links keep the client's.
        request._request.GET = matches_params(saved_search, request.query_params)
