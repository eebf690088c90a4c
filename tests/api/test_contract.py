"""Issue 10, item 8: every response under /api/ is JSON, whatever answers it (404, 405, 500), with DEBUG on or off."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from articles import search_index
from articles.search_index import SearchIndexOutdated

pytestmark = pytest.mark.django_db

UNMATCHED = ["/api/v1/nope/", "/api/v1/articles/0.5/source/", "/api/v1/authors/1.5/x/", "/api/v2/", "/api/"]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", UNMATCHED)
def test_an_unmatched_api_url_is_a_json_404(api_client, settings, debug, method, path):
    settings.DEBUG = debug

    response = getattr(api_client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_api_url_without_its_slash_still_redirects(api_client):
    response = api_client.get("/api/v1/articles")

    assert (response.status_code, response["Location"]) == (301, "/api/v1/articles/")


def test_outside_the_api_a_404_is_django_s_html_page(api_client):
    response = api_client.get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/", "/api/v1/schema/"])
def test_a_method_the_docs_do_not_take_is_a_json_405(api_client, path):
    response = api_client.post(path)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_a_server_error_under_the_api_is_json_and_elsewhere_html(monkeypatch):
    """GIVEN a view that fails unexpectedly, under /api/ and elsewhere (the site root)
    WHEN it is requested
    THEN the API answers a JSON 500, the rest Django's HTML page.
    """

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("articles.api.views.facet_counts", broken)
    monkeypatch.setattr("django.views.generic.RedirectView.get", broken)
    client = APIClient(raise_request_exception=False)

    api = client.get("/api/v1/articles/facets/")
    root = client.get("/")

    assert (api.status_code, api["Content-Type"], api.json()) == (500, "application/json", {"detail": "Server error."})
    assert (root.status_code, root["Content-Type"].split(";")[0]) == (500, "text/html")


@pytest.mark.parametrize("path", ["/api/v1/articles/", "/admin/login/"])
def test_a_suspicious_request_is_a_400_json_under_the_api(api_client, path):
    response = api_client.get(path, HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json() == {"detail": "Bad request."}
    else:
        assert response["Content-Type"].startswith("text/html")


def test_an_outdated_search_index_is_a_json_503(api_client, monkeypatch):
    """
    GIVEN a search index built with an older schema than this version's
    WHEN a client searches
    THEN the answer is a 503 naming the command that fixes it, not a 500
    """

    def outdated(*args, **kwargs):
        raise SearchIndexOutdated("The search index was built with an older schema.")

    monkeypatch.setattr(search_index, "searcher", outdated)

    response = api_client.get("/api/v1/articles/", {"q": "senate"})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "rebuild_search_index" in response.json()["detail"]
