"""What the OpenAPI schema tells a client: auth, writes, errors, filters, search, paging; and the docs pages."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders

from articles.api.filters import ArticleFilter

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/schema/"
ERROR = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR = {"anyOf": [{"$ref": "#/components/schemas/ValidationError"}, ERROR]}


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get(SCHEMA_URL, {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    """Yield (method, path, operation) for every operation."""
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


# --- Authentication -------------------------------------------------------------


def test_security_schemes_are_token_and_session(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert (schemes["tokenAuth"]["in"], schemes["tokenAuth"]["name"]) == ("header", "Authorization")
    assert "Token" in schemes["tokenAuth"]["description"]
    assert (schemes["cookieAuth"]["in"], schemes["cookieAuth"]["name"]) == ("cookie", "sessionid")


def test_reads_are_open_and_writes_need_credentials(schema):
    """Reads are open but for saved searches, each user's own; writes need credentials."""
    for method, path, operation in operations(schema):
        anonymous_allowed = {} in operation["security"]
        if path == "/api/v1/auth/token/":
            assert operation["security"] == [{}]
        elif method == "get" and not path.startswith("/api/v1/saved-searches/"):
            assert anonymous_allowed, f"{method} {path}"
        else:
            assert not anonymous_allowed, f"{method} {path}"
            assert {"tokenAuth": []} in operation["security"]


def test_token_endpoint_is_documented(schema):
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    request = schema["components"]["schemas"]["AuthToken"]

    assert operation["requestBody"]["required"] is True
    assert {"username", "password"} <= set(request["required"])
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Token"
    }
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == VALIDATION_ERROR
    assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]
    assert "API_THROTTLE_AUTH" in operation["description"]


# --- Writes ---------------------------------------------------------------------


def test_article_patch_documents_the_editable_fields(schema):
    operation = schema["paths"]["/api/v1/articles/{id}/"]["patch"]
    request = schema["components"]["schemas"]["PatchedArticleWrite"]

    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PatchedArticleWrite"
    }
    assert set(request["properties"]) == {
        "title",
        "subtitle",
        "body",
        "language",
        "status",
        "published_at",
        "original_published_at",
        "original_updated_at",
        "embargo_until",
        "authors",
        "publisher",
    }
    assert "required" not in request
    assert request["properties"]["authors"]["type"] == "array"
    assert request["properties"]["authors"]["items"]["type"] == "integer"
    assert "byline order" in request["properties"]["authors"]["description"]
    assert request["properties"]["publisher"]["nullable"] is True
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ArticleDetail"
    }


@pytest.mark.parametrize(("kind", "detail"), [("authors", "AuthorDetail"), ("publishers", "Publisher")])
def test_author_and_publisher_writes_answer_the_detail_shape(schema, kind, detail):
    create = schema["paths"][f"/api/v1/{kind}/"]["post"]
    update = schema["paths"][f"/api/v1/{kind}/{{id}}/"]["patch"]
    delete = schema["paths"][f"/api/v1/{kind}/{{id}}/"]["delete"]

    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{detail}"
    }
    assert update["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{detail}"
    }
    assert "content" not in delete["responses"]["204"]
    assert delete["responses"]["409"]["content"]["application/json"]["schema"] == ERROR


# --- Errors ---------------------------------------------------------------------


def test_error_components(schema):
    components = schema["components"]["schemas"]

    assert components["Error"]["required"] == ["detail"]
    assert components["ValidationError"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_every_operation_documents_its_errors(schema):
    """GIVEN the schema's operations
    WHEN their responses are read
    THEN each documents 401 and 429 (with their headers), writes 403, bodies 400 and 415,
    deletes 409, detail paths 404 — every one with an error body.
    """
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        expected = {"401", "429"}
        if method != "get":
            expected.add("403")
        if method in {"post", "patch"}:
            expected |= {"400", "415"}
        if method == "delete":
            expected.add("409")
        if "{id}" in path:
            expected.add("404")
        assert expected <= set(responses), f"{method} {path}: {sorted(expected - set(responses))}"
        assert "Retry-After" in responses["429"]["headers"]
        assert "WWW-Authenticate" in responses["401"]["headers"]
        for code in expected:
            assert responses[code]["content"]["application/json"]["schema"] in (ERROR, VALIDATION_ERROR), code


def test_list_filters_document_a_400(schema):
    assert "400" in schema["paths"]["/api/v1/articles/"]["get"]["responses"]


def test_the_raw_source_documents_its_plain_text_errors(schema):
    responses = schema["paths"]["/api/v1/articles/{id}/source/"]["get"]["responses"]

    assert responses["404"]["content"]["text/plain"]["schema"] == {"type": "string"}
    assert responses["404"]["content"]["application/json"]["schema"] == ERROR


# --- Filters, search and paging -------------------------------------------------


def test_every_article_filter_is_a_documented_parameter(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}

    for name in ArticleFilter.base_filters:
        assert name in parameters, name
        assert parameters[name].get("description"), f"{name} has no description"
        assert parameters[name]["in"] == "query"


def test_every_parameter_of_every_operation_is_described(schema):
    for method, path, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), f"{method} {path} {parameter['name']}"


def test_paging_parameters_are_documented(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}

    for name in ["page", "page_size", "cursor"]:
        assert parameters[name].get("description"), name


def test_overview_explains_auth_search_paging_errors_and_rates(schema):
    description = schema["info"]["description"]

    for text in [
        "Authorization: Token <key>",
        "/api/v1/auth/token/",
        "/api/v1/auth/login/",
        "Editors",
        '"county jail"',
        "OR",
        "-jail",
        "page_size",
        "cursor",
        "| 409 |",
        "Retry-After",
        "120/min",
        "10/min",
    ]:
        assert text in description, text


# --- Documentation pages --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "asset"),
    [
        ("/api/v1/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/v1/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ],
)
def test_documentation_pages_load_their_assets_from_this_server(api_client, url, asset):
    response = api_client.get(url)

    assert response.status_code == 200
    assert f"/static/{asset}".encode() in response.content
    assert b"cdn.jsdelivr.net" not in response.content
    assert finders.find(asset) is not None
