"""Read-only API views: articles, authors and publishers."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from articles.api import querysets
from articles.api.filters import ArticleFilter
from articles.api.renderers import PlainTextRenderer
from articles.api.serializers import (
    ArticleDetailSerializer,
    ArticleListSerializer,
    AuthorDetailSerializer,
    AuthorListSerializer,
    PublisherSerializer,
)
from articles.models import Article, Author, Publisher


class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """Articles, newest first: published ones for everybody, every status for staff."""

    filterset_class = ArticleFilter
    serializer_class = ArticleDetailSerializer
    serializer_classes = {"list": ArticleListSerializer}
    queryset_for_action = {
        "list": querysets.article_list_queryset,
        "source": querysets.article_source_queryset,
    }

    def get_queryset(self) -> QuerySet[Article]:
        build = self.queryset_for_action.get(self.action, querysets.article_detail_queryset)
        return build(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        return self.serializer_classes.get(self.action, self.serializer_class)

    @extend_schema(
        filters=False,
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The raw source text.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PlainTextRenderer], filterset_class=None)
    def source(self, request: Request, pk: str | None = None) -> Response:
        """Return the article's source text exactly as it was imported."""
        return Response(self.get_object().raw_text)


class AuthorViewSet(viewsets.ReadOnlyModelViewSet):
    """Authors, each with the number of their articles the requester may read."""

    serializer_class = AuthorDetailSerializer
    serializer_classes = {"list": AuthorListSerializer}

    def get_queryset(self) -> QuerySet[Author]:
        return querysets.authors_with_counts(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        return self.serializer_classes.get(self.action, self.serializer_class)


class PublisherViewSet(viewsets.ReadOnlyModelViewSet):
    """Publishers, each with the number of their articles the requester may read."""

    serializer_class = PublisherSerializer

    def get_queryset(self) -> QuerySet[Publisher]:
        return querysets.publishers_with_counts(self.request.user)
