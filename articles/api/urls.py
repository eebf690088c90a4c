"""URLs of the versioned API (mounted at /api/v1/)."""

from typing import Any

from django.urls import include, path, reverse
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import APIRootView, DefaultRouter

from articles.api import deliveries, revisions, saved_searches, takedowns, views
from articles.api.auth import ObtainTokenView
from articles.api.errors import JsonErrorsMixin

app_name = "api"


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON with ``?format=json``); its errors in JSON."""


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI from this server's static files, its set-up script a request of its own (no inline script)."""


class RedocView(JsonErrorsMixin, SpectacularRedocView):
    """Redoc from this server's static files, without the web fonts drf-spectacular's page loads from Google."""

    template_name = "api/redoc.html"


class ArchiveRootView(APIRootView):
    """The API's entry points, and beside them the Atom and RSS feeds (which take the list's filters)."""

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data["feeds"] = {
            name: request.build_absolute_uri(reverse(f"feed-articles-{name}")) for name in ("atom", "rss")
        }
        return response


class ArchiveRouter(DefaultRouter):
    """The default router, with the root view that links the feeds."""

    APIRootView = ArchiveRootView


router = ArchiveRouter()
router.register("articles", views.ArticleViewSet, basename="article")
router.register("authors", views.AuthorViewSet, basename="author")
router.register("publishers", views.PublisherViewSet, basename="publisher")
router.register("collections", views.CollectionViewSet, basename="collection")
router.register("saved-searches", saved_searches.SavedSearchViewSet, basename="savedsearch")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="api:schema"), name="redoc"),
    # Before the router, whose detail route would otherwise see "export.csv" as an id.
    path(
        "articles/export.ndjson",
        views.ArticleViewSet.as_view({"get": "export_ndjson"}),
        name="article-export-ndjson",
    ),
    path("articles/withdrawn/", takedowns.WithdrawnListView.as_view(), name="article-withdrawn"),
    path("saved-searches/<int:pk>/deliveries/", deliveries.DeliveryListView.as_view(), name="savedsearch-deliveries"),
    path("articles/export.csv", views.ArticleViewSet.as_view({"get": "export_csv"}), name="article-export-csv"),
    path(
        "articles/<int:pk>/revisions/",
        revisions.ArticleRevisionViewSet.as_view({"get": "list_revisions"}),
        name="article-revisions",
    ),
    path(
        "articles/<int:pk>/revisions/<int:n>/diff/",
        revisions.ArticleRevisionViewSet.as_view({"get": "diff"}),
        name="article-revision-diff",
    ),
    path(
        "articles/export.jsonld",
        views.ArticleViewSet.as_view({"get": "export_jsonld"}),
        name="article-export-jsonld",
    ),
    path(
        "articles/export.ninjs.ndjson",
        views.ArticleViewSet.as_view({"get": "export_ninjs"}),
        name="article-export-ninjs",
    ),
    path(
        "articles/export.newsmlg2.xml",
        views.ArticleViewSet.as_view({"get": "export_newsmlg2"}),
        name="article-export-newsmlg2",
    ),
    path("articles/export.nitf.xml", views.ArticleViewSet.as_view({"get": "export_nitf"}), name="article-export-nitf"),
    path(
        "saved-searches/<int:pk>/matches/",
        saved_searches.SavedSearchMatchesViewSet.as_view({"get": "list"}),
        name="savedsearch-matches",
    ),
    path("", include(router.urls)),
]
