"""Issue 10, item 8: a Content-Security-Policy on every page, and API docs that need nothing from the internet."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

PAGES = ["/api/v1/", "/api/v1/articles/?format=json", "/api/v1/docs/", "/api/v1/redoc/", "/admin/login/", "/nope/"]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_policy(api_client, path):
    directives = policy(api_client.get(path, HTTP_ACCEPT="text/html"))

    assert directives["default-src"] == ["'self'"]
    # Scripts only from this server: no inline script, no eval, no CDN.
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_load_only_this_server_s_files_and_run_no_inline_script(api_client, path):
    html = api_client.get(path).content.decode()

    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html), "an asset from another host"
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html
    assert all(tag.startswith("<script src=") for tag in re.findall(r"<script[^>]*>", html))
    for url in re.findall(r"""(?:src|href)=["']?([^"' >]+)""", html):
        # This server's static files (collected for production, found by the finders here), or its own views.
        if url.startswith(settings.STATIC_URL):
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url
        else:
            assert api_client.get(url).status_code == 200, url


def test_swagger_ui_s_set_up_script_is_its_own_request(api_client):
    response = api_client.get("/api/v1/docs/?script=")

    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in response.content.decode()
