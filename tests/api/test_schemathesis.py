"""Property-based tests of the whole API against its own OpenAPI schema, with schemathesis.

Every operation in the schema gets a bounded, deterministic set of generated
requests (valid and invalid ones), sent through the WSGI application into the
test database, anonymously and with an editor's token. No response may be a
5xx, use an undocumented status or media type, or break its documented schema.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from articles.models import Article
from tests.api.helpers import make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

SCHEMA_URL = "/api/v1/schema/?format=json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CONFIG = schemathesis.Config.from_dict({"generation": {"deterministic": True, "database": "none"}})
# Bounded and repeatable: the same examples on every run, none remembered between runs.
SETTINGS = hypothesis.settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def strict_headers(app):
    """Wrap a WSGI app to refuse headers that are not exactly ``str``, as wsgiref and gunicorn do."""

    def application(environ, start_response):
        def checked_start_response(status, headers, exc_info=None):
            for name, value in headers:
                assert type(name) is str and type(value) is str, f"header {name!r}: {type(value).__name__}"
            return start_response(status, headers, exc_info)

        return app(environ, checked_start_response)

    return application


@pytest.fixture
def wsgi_app(db, settings):
    """The project's WSGI application, talking to the test database, with no rate limits."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }
    # Django closes the connection around each request; inside a test's transaction that
    # would lose the test data (the test client disconnects these signals the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield strict_headers(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def archive(wsgi_app) -> dict[str, list[int]]:
    """A small archive of every status, with ids the generated requests are steered to."""
    publishers = PublisherFactory.create_batch(2)
    authors = AuthorFactory.create_batch(3)
    articles = [
        ArticleFactory(publisher=publishers[0], authors=authors[:2]),
        ArticleFactory(publisher=publishers[1], authors=[authors[2]], image_credit="Photo by Somebody"),
        make_article(Article.Status.DRAFT, publisher=None),
        make_article(Article.Status.WITHDRAWN),
    ]
    # An author and a publisher nothing credits, so a DELETE can succeed.
    spare_author, spare_publisher = AuthorFactory(), PublisherFactory()
    return {
        "articles": [a.pk for a in articles],
        "authors": [a.pk for a in [*authors, spare_author]],
        "publishers": [p.pk for p in [*publishers, spare_publisher]],
    }


@pytest.fixture
def api_schema(wsgi_app, archive):
    """The schema as an anonymous client gets it, every operation to be sent through ``wsgi_app``."""
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app, config=CONFIG)


def steer_to_existing(case, archive: dict[str, list[int]]) -> None:
    """Point a generated integer id at an existing object half the time, so writes reach real rows."""
    pk = (case.path_parameters or {}).get("id")
    if not isinstance(pk, int) or isinstance(pk, bool) or pk % 2:
        return
    ids = archive[case.path.split("/")[3]]
    case.path_parameters["id"] = ids[(pk // 2) % len(ids)]


def exercise(operation, archive: dict[str, list[int]], headers: dict[str, str]) -> None:
    """Send one operation its generated requests, valid and invalid, and check every response."""
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @SETTINGS
    @hypothesis.given(case=strategy)
    def run(case) -> None:
        steer_to_existing(case, archive)
        case.call_and_validate(checks=CHECKS, headers=headers)

    run()


def operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_every_operation_anonymously(api_schema, archive, subtests):
    for operation in operations(api_schema):
        with subtests.test(msg=operation.label):
            exercise(operation, archive, headers={})


def test_every_operation_as_an_editor(api_schema, archive, editor, subtests):
    headers = {"Authorization": f"Token {Token.objects.create(user=editor).key}"}
    for operation in operations(api_schema):
        with subtests.test(msg=operation.label):
            exercise(operation, archive, headers=headers)
