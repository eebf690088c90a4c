"""Top-level URL configuration: the admin and the versioned API."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/api/v1/", permanent=False)),
    path("admin/", admin.site.urls),
    # Log in and out of the browsable API (session auth); the token endpoint is in the API's own URLs.
    path("api/v1/auth/", include("rest_framework.urls")),
    path("api/v1/", include("articles.api.urls")),
]

# Under /api/ even a URL nothing matches gets a JSON error, like every API response.
handler404 = "articles.api.errors.not_found"
handler500 = "articles.api.errors.server_error"
