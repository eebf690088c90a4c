"""Top-level URL configuration: the admin and the versioned API."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from articles.api import errors
from articles.feeds import ArticleAtomFeed, ArticleRssFeed, SavedSearchAtomFeed, SavedSearchRssFeed, WithdrawnAtomFeed

urlpatterns = [
    path("", RedirectView.as_view(url="/api/v1/", permanent=False)),
    path("admin/", admin.site.urls),
    # Log in and out of the browsable API (session auth); the token endpoint is in the API's own URLs.
    path("api/v1/auth/", include("rest_framework.urls")),
    path("api/v1/", include("articles.api.urls")),
    path("feeds/articles.atom", ArticleAtomFeed(), name="feed-articles-atom"),
    path("feeds/articles.rss", ArticleRssFeed(), name="feed-articles-rss"),
    path("feeds/withdrawn.atom", WithdrawnAtomFeed(), name="feed-withdrawn-atom"),
    # The token is the search's unguessable feed_token (a feed reader cannot log in).
    path("feeds/saved-searches/<slug:token>.atom", SavedSearchAtomFeed(), name="feed-saved-search-atom"),
    path("feeds/saved-searches/<slug:token>.rss", SavedSearchRssFeed(), name="feed-saved-search-rss"),
    # Last: any other /api/ URL ending in a slash is a JSON 404 (with DEBUG on too, where Django would show
    # its HTML page). Only those ending in a slash, so APPEND_SLASH still redirects /api/v1/articles.
    re_path(r"^api/(?:.*/)?$", errors.unmatched),
]

# Under /api/ Django's own error responses are JSON too, like every API response.
handler400 = "articles.api.errors.bad_request"
handler403 = "articles.api.errors.permission_denied"
handler404 = "articles.api.errors.not_found"
handler500 = "articles.api.errors.server_error"
