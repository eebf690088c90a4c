"""The OpenAPI schema and its documentation pages."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/schema/"
EXPECTED_PATHS = {
    "/api/v1/articles/",
    "/api/v1/articles/{id}/",
    "/api/v1/articles/{id}/source/",
    "/api/v1/articles/{id}/revisions/",
    "/api/v1/articles/{id}/revisions/{n}/diff/",
    "/api/v1/articles/facets/",
    "/api/v1/articles/withdrawn/",
    "/api/v1/articles/histogram/",
    "/api/v1/articles/top-terms/",
    "/api/v1/articles/export.ndjson",
    "/api/v1/articles/export.csv",
    "/api/v1/articles/export.jsonld",
    "/api/v1/articles/export.ninjs.ndjson",
    "/api/v1/articles/export.newsmlg2.xml",
    "/api/v1/articles/export.nitf.xml",
    "/api/v1/authors/",
    "/api/v1/authors/{id}/",
    "/api/v1/publishers/",
    "/api/v1/publishers/{id}/",
    "/api/v1/collections/",
    "/api/v1/collections/{id}/",
    "/api/v1/saved-searches/",
    "/api/v1/saved-searches/{id}/",
    "/api/v1/saved-searches/{id}/matches/",
    "/api/v1/saved-searches/{id}/deliveries/",
    "/api/v1/auth/token/",
}
# Every path answers GET only, except these (editors' writes, users' saved searches and the token endpoint).
WRITE_PATHS = {
    "/api/v1/articles/{id}/": {"get", "patch"},
    "/api/v1/authors/": {"get", "post"},
    "/api/v1/authors/{id}/": {"get", "patch", "delete"},
    "/api/v1/publishers/": {"get", "post"},
    "/api/v1/publishers/{id}/": {"get", "patch", "delete"},
    "/api/v1/saved-searches/": {"get", "post"},
    "/api/v1/saved-searches/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/auth/token/": {"post"},
}


def fetch_schema(client) -> dict:
    response = client.get(SCHEMA_URL, {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_served_as_yaml_by_default(api_client):
    response = api_client.get(SCHEMA_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_schema_is_valid_openapi_and_documents_every_endpoint(api_client):
    schema = fetch_schema(api_client)

    validate_schema(schema)  # raises on an invalid schema
    assert set(schema["paths"]) == EXPECTED_PATHS
    for path, operations in schema["paths"].items():
        assert set(operations) == WRITE_PATHS.get(path, {"get"}), path


def test_schema_documents_list_parameters(api_client):
    parameters = {p["name"]: p for p in fetch_schema(api_client)["paths"]["/api/v1/articles/"]["get"]["parameters"]}

    assert {"page", "page_size", "status"} <= set(parameters)
    assert parameters["status"]["schema"]["enum"] == ["draft", "published", "withdrawn"]


@pytest.mark.parametrize(("client_fixture", "documented"), [("api_client", False), ("staff_client", True)])
def test_schema_documents_the_requesters_own_shape(request, client_fixture, documented):
    components = fetch_schema(request.getfixturevalue(client_fixture))["components"]["schemas"]

    for name in ["ArticleList", "ArticleDetail"]:
        assert ("needs_review" in components[name]["properties"]) is documented


def test_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))

    assert out.read_text().startswith("openapi: 3.")


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_documentation_pages_point_at_the_schema(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # Swagger UI's set-up script (which names the schema) is a request of its own, for the CSP.
    script = api_client.get(f"{url}?script=").content if url.endswith("/docs/") else b""
    assert SCHEMA_URL.encode() in response.content + script
