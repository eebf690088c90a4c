"""The OpenAPI schema's shared parts: error responses, anonymous access, and the API's overview text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import ResolvedComponent, build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import permissions, serializers
from rest_framework.settings import api_settings

from articles.api.format_schemas import FORMAT_SCHEMAS, FormatSchema
from articles.api.renderers import StandardFormatRenderer
from articles.api.shaping import FIELDS_DESCRIPTION, FIELDS_PARAM, FieldSelectionMixin, FieldSelectionViewMixin

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest
    from django_filters import Filter, FilterSet
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.plumbing import ComponentRegistry

# An OpenAPI object (an operation, a parameter, a schema), as drf-spectacular builds them.
Schema = dict[str, Any]

MAX_ID = 2**63 - 1
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: a bad query parameter or request body. Each offending parameter or field names "
    "its problems; a malformed body gets a `detail` message instead.",
    "401": "Not authenticated, or the credentials sent are wrong (an unknown token, say). "
    "The `WWW-Authenticate` header names the scheme to use: `Token`.",
    "403": "Authenticated, but without the permission this needs (or a session request without its CSRF token).",
    "404": "No such object among those the requester may see, or a page number past the last page.",
    "409": "Refused because of the archive's current state: deleting an author articles still credit, a slug "
    "another author or publisher has, an author or publisher id nobody has.",
    "412": "The object changed since the version named by `If-Match` or `If-Unmodified-Since`: nothing was saved. "
    "GET it again and reapply the change with the new `ETag`.",
    "415": "The request body's `Content-Type` is not one this operation reads (JSON, form or multipart).",
    "429": "Too many requests: wait the number of seconds in the `Retry-After` header.",
}
ERROR_HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "The scheme to use: `Token`."}},
    "429": {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 0},
            "description": "Seconds to wait before the next request.",
        }
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, in a sentence."}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Each invalid parameter or field (`non_field_errors` for the request as a whole) with its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with the error responses every operation can give and anonymous reads marked."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> Schema | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.setdefault("parameters", [])
        if isinstance(self.view, FieldSelectionViewMixin) and self.view.action in self.view.shaped_actions:
            parameters.append(self.fields_parameter(self.view))
        for parameter in parameters:
            if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                # Ids are positive 64-bit integers; any other is a 404.
                parameter["schema"].update(minimum=1, maximum=MAX_ID)
        if not parameters:
            del operation["parameters"]
        for code in self.error_codes(operation):
            operation["responses"].setdefault(code, self.error_response(code))
        if self.standard_renderers() and "200" in operation["responses"]:
            self.document_formats(operation)
        return operation

    def standard_renderers(self) -> list[StandardFormatRenderer]:
        """Return the standard formats this operation also answers in."""
        return [renderer for renderer in self.view.get_renderers() if isinstance(renderer, StandardFormatRenderer)]

    def document_formats(self, operation: Schema) -> None:
        """Document the standard formats of a read: each one's shape under its media type, and how to ask."""
        content = operation["responses"]["200"]["content"]
        renderers = self.standard_renderers()
        own = {r.media_type for r in self.view.get_renderers() if not isinstance(r, StandardFormatRenderer)}
        ways = []
        for renderer in renderers:
            documented = FORMAT_SCHEMAS[renderer.format]
            schema = self.format_schema(documented)
            # ninjs is JSON too: that media type is then either shape.
            shared = content[renderer.media_type]["schema"] if renderer.media_type in own else None
            content[renderer.media_type] = {"schema": {"anyOf": [shared, schema]} if shared else schema}
            ways.append(documented.how)
        formats = f"Also as {'; '.join(ways)}. These formats have fixed fields: `fields` is refused with them (400)."
        operation["description"] = f"{operation.get('description', '')}\n\n{formats} Errors stay JSON.".strip()
        # Said in the description rather than as a parameter: OpenAPI cannot say that `format` and `fields`
        # exclude each other, so a client (or schemathesis) would take the pair for a valid request.
        format_name = api_settings.URL_FORMAT_OVERRIDE
        operation["parameters"] = [p for p in operation.get("parameters", []) if p["name"] != format_name]

    def format_schema(self, documented: FormatSchema) -> Schema:
        """Return the schema of a format's answer: an item, or on a list a page of them."""
        item = self._component(documented.name, documented.item)
        if not self._is_list_view():
            return item
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]
        page: Schema = paginator.get_paginated_response_schema(build_array_type(item))
        page["properties"] = {**documented.page_properties, **page["properties"]}
        page["required"] = [*documented.page_properties, *page.get("required", [])]
        return page

    def fields_parameter(self, view: FieldSelectionViewMixin) -> Schema:
        """Return ``?fields=``: comma-separated names, each one of the fields this requester may name."""
        # "": an empty fields= is no choice (every field), as any empty parameter is no value.
        names = {"type": "string", "enum": [*view.available_fields(), ""]}
        return {
            "in": "query",
            "name": FIELDS_PARAM,
            "description": FIELDS_DESCRIPTION,
            "schema": {"type": "array", "items": names},
            "style": "form",
            "explode": False,
        }

    def error_codes(self, operation: Schema) -> list[str]:
        """Return the error statuses this operation can answer with."""
        # Any request can carry a bad token or come too often.
        codes = ["401", "429"]
        has_query = any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))
        if self.method not in permissions.SAFE_METHODS:
            codes.append("403")
        if self.method in {"POST", "PUT", "PATCH"} or has_query:
            codes.append("400")
        if self.method in {"POST", "PUT", "PATCH"}:
            codes.append("415")
        # (drf-spectacular leaves _get_paginator, _map_basic_serializer, _map_serializer_field and
        # resolve_filter_field unannotated, hence the ignores on calling them.)
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):  # type: ignore[no-untyped-call]
            codes.append("404")
        creates = self.method == "POST" and hasattr(self.view, "editable_model")
        if self.method in {"DELETE", "PUT", "PATCH"} or creates:
            codes.append("409")
        if self.method == "PATCH" and any(p.get("name") == "If-Match" for p in operation.get("parameters", [])):
            codes.append("412")
        return sorted(codes)

    def error_response(self, code: str) -> Schema:
        """Return the response object of an error, in each media type the view renders."""
        # Errors are JSON in the standard formats too (views.ArticleViewSet.finalize_response).
        formats = {renderer.media_type for renderer in self.standard_renderers()}
        media_types = [media_type for media_type in self.map_renderers("media_type") if media_type not in formats]
        if "application/json" not in media_types:
            # Errors raised before the view is reached (an id the URL cannot route) are JSON.
            media_types.append("application/json")
        # Non-JSON views (the raw source) answer their own errors with the bare message.
        content = {
            media_type: {
                "schema": self._error_ref(code) if "json" in media_type else build_basic_type(OpenApiTypes.STR)
            }
            for media_type in media_types
        }
        response: Schema = {"description": ERROR_DESCRIPTIONS[code], "content": content}
        if code in ERROR_HEADERS:
            response["headers"] = ERROR_HEADERS[code]
        return response

    def _error_ref(self, code: str) -> Schema:
        error = self._component("Error", ERROR_SCHEMA)
        if code != "400":
            return error
        return {"anyOf": [self._component("ValidationError", VALIDATION_ERROR_SCHEMA), error]}

    def _map_basic_serializer(self, serializer: serializers.BaseSerializer[Any], direction: str) -> Schema:
        schema: Schema = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]
        # Fields a response carries only sometimes (``rank`` and ``snippet`` only with ``q``, the ones shown
        # only when ``fields`` names them) are not required.
        meta = getattr(serializer, "Meta", None)
        optional = {*getattr(meta, "search_only_fields", ()), *getattr(meta, "on_request_fields", ())}
        if direction == "response" and isinstance(serializer, FieldSelectionMixin):
            # ?fields= may leave any of them out.
            schema.pop("required", None)
        elif direction == "response" and optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def map_parsers(self) -> list[str]:
        # The contract is JSON bodies. Form and multipart bodies are read too, for the browsable API's
        # HTML forms, with HTML-form rules (an empty input is "not given"), so they are not documented.
        return [media_type for media_type in super().map_parsers() if "json" in media_type]

    def _map_serializer_field(
        self, field: serializers.Field[Any, Any, Any, Any], direction: str, bypass_extensions: bool = False
    ) -> Schema:
        schema: Schema = super()._map_serializer_field(  # type: ignore[no-untyped-call]
            field, direction, bypass_extensions
        )
        if isinstance(field, serializers.PrimaryKeyRelatedField) and not field.read_only:
            schema.update(minimum=1, maximum=MAX_ID)
        if isinstance(field, serializers.SlugField) and not field.read_only:
            schema["pattern"] = r"^[-a-zA-Z0-9_]+$"
        trimmed = isinstance(field, serializers.CharField) and field.trim_whitespace and not field.allow_blank
        if trimmed and not field.read_only and "pattern" not in schema:
            # Surrounding whitespace is trimmed first: only white space is blank.
            schema["pattern"] = r"\S"
        return schema

    def _component(self, name: str, schema: Schema) -> Schema:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return component.ref

    def get_auth(self) -> list[Schema]:
        auths = super().get_auth()
        # Reads are open to anonymous clients (DjangoModelPermissionsOrAnonReadOnly), as are
        # views with no permission to check (the token endpoint): say so with the empty requirement.
        view_permissions = self.view.get_permissions()
        anonymous_reads = all(not getattr(p, "authenticated_users_only", True) for p in view_permissions)
        if {} not in auths and (not view_permissions or (anonymous_reads and self.method in permissions.SAFE_METHODS)):
            auths.append({})
        return auths


def or_empty(schema: Schema) -> Schema:
    """Return ``schema``, or an empty value (which the API reads as "not given")."""
    if schema.get("type") == "array":
        return schema
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


class FilterExtension(DjangoFilterExtension):
    """django-filter's query parameters, each described by its filter's ``help_text``.

    drf-spectacular drops the help text of a filter whose type comes from
    ``@extend_schema_field``; every filter is documented here all the same.
    """

    priority = 1

    def resolve_filter_field(
        self,
        auto_schema: openapi.AutoSchema,
        model: type[Model],
        filterset_class: type[FilterSet],
        field_name: str,
        filter_field: Filter,
    ) -> list[Schema]:
        parameters: list[Schema] = super().resolve_filter_field(  # type: ignore[no-untyped-call]
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
            if hasattr(filter_field, "openapi_schema"):
                # What the filter really accepts, which drf-spectacular cannot see through a filter method,
                # or nothing: an empty value is no filter (the browsable API's filter form sends them all).
                parameter["schema"] = or_empty(filter_field.openapi_schema())
            elif max_length := filter_field.extra.get("max_length"):
                parameter["schema"]["maxLength"] = max_length
        return parameters


def document_api(result: Schema, generator: SchemaGenerator, request: HttpRequest | None, public: bool) -> Schema:
    """Postprocessing hook: the overview (auth, search, paging, errors, rate limits) and tag descriptions."""
    result["info"]["description"] = overview()
    result["tags"] = [
        {"name": "articles", "description": "News articles: read by everybody, edited by editors."},
        {"name": "authors", "description": "People credited with articles."},
        {"name": "publishers", "description": "Organisations holding the copyright of articles."},
        {
            "name": "collections",
            "description": "Named sets of publishers (e.g. national papers), curated by editors in the admin: "
            "read-only here. `collection=<slug>` filters articles wherever `publisher` does.",
        },
        {
            "name": "saved-searches",
            "description": "Your followed article-list queries: their matches, a feed, an e-mail digest and a "
            "webhook of new ones. Only yours: another user's id is a 404.",
        },
        {"name": "auth", "description": "API tokens."},
    ]
    return result


def overview() -> str:
    """Return the API's description: how to authenticate, search, page, and read errors."""
    from articles import conf
    from articles.search import SYNTAX_HELP

    rates = api_settings.DEFAULT_THROTTLE_RATES
    return OVERVIEW.format(
        search_syntax=SYNTAX_HELP,
        anon_rate=rates.get("anon") or "unlimited",
        user_rate=rates.get("user") or "unlimited",
        auth_rate=rates.get("auth") or "unlimited",
        count_cap=f"{conf.api_count_cap():,}",
        max_page=conf.api_max_page(),
    )


OVERVIEW = """\
The archive's articles, authors and publishers, with the raw source each article was imported from.

## Authentication

- **Anonymous** clients read published articles, and the authors and publishers published articles
  credit. Drafts and withdrawn articles, and people credited only on them, are for staff and editors only.
- **Token**: `POST /api/v1/auth/token/` with `username` and `password` returns `{{"token": "<key>"}}`
  (the same token each time). Send it on every request as `Authorization: Token <key>`.
- **Session**: log in to the browsable API at `/api/v1/auth/login/`. Writes made with a session need
  its CSRF token (`X-CSRFToken` header), as Django does everywhere.

Writes need the model permission for what they do (`change_article`, `add_author`, `delete_publisher`, ...);
the **Editors** group has every one an editor needs. Without credentials a write gets **401**
(with `WWW-Authenticate: Token`); with credentials but without the permission, **403**.
Articles are created by the importer only: they can be edited (`PATCH`) but not created or deleted
through the API.

## Searching

`q` on `/api/v1/articles/` searches titles, subtitles and bodies:

{search_syntax}

With `q`, results carry `rank` and a `snippet` of the body with matches in `<mark>`, best match first
unless another `ordering` is asked for; without `q`, newest first.

## Paging

List endpoints answer one page at a time, as `{{"count", "count_is_exact", "next", "previous", "results"}}`.
`page` (from 1) and `page_size` (default 20, at most 100) choose a page; a page past the last is a 404.
`count` is exact up to {count_cap} matches; with more, it is {count_cap} and `count_is_exact` is false.
Numbered pages stop at page {max_page}: the last page served has no `next`, and a deeper `page` is a 400
that points to cursor paging (`page_mode=cursor`).
To walk a whole result set, follow the `next` links. Where a list offers `cursor` paging, its `next`
and `previous` links carry an opaque `cursor`: it stays fast and stable at any depth; do not build
cursors by hand.

## Errors

Errors are JSON (the raw-source endpoint answers in plain text):

| Status | Body | When |
|---|---|---|
| 400 | `{{"<parameter or field>": ["message", ...]}}` | A bad query parameter or request body. |
| 401 | `{{"detail": "..."}}` | No or wrong credentials for a request that needs them. |
| 403 | `{{"detail": "..."}}` | Authenticated without the needed permission. |
| 404 | `{{"detail": "..."}}` | No such object (for this requester) or page. |
| 409 | `{{"detail": "..."}}` | Deleting an author or publisher that articles still credit. |
| 412 | `{{"detail": "..."}}` | A `PATCH` whose `If-Match` or `If-Unmodified-Since` fails: the object changed. |
| 429 | `{{"detail": "..."}}` | Rate limit reached; `Retry-After` says how many seconds to wait. |

## Rate limits

Anonymous clients: {anon_rate} per address. Authenticated users: {user_rate} each.
Token requests (`/api/v1/auth/token/`): {auth_rate} per address.
"""
