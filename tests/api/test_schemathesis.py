"""The whole API against its own OpenAPI schema, with schemathesis: what ``schemathesis run --checks all`` does.

Schemathesis' engine runs every phase (examples, coverage, fuzzing, stateful) of
every operation in the schema, through the WSGI application into the test
database, anonymously and with an editor's token, each with the schema that
requester gets. Examples are bounded and deterministic. Every check is on: no
5xx, no undocumented status, header or media type, no response off its schema,
every schema-valid request accepted and every invalid one rejected, no
resource still served after its DELETE. The run must report no failure.
"""

from __future__ import annotations

import threading

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from rest_framework.authtoken.models import Token
from schemathesis.engine import events

from articles import webhook_targets
from articles.models import Article, Delivery
from tests.api.helpers import make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory, SavedSearchFactory

# Committed data: the engine sends requests from its own threads, each with its own connection.
# Fresh sequences: the coverage phase tries the smallest ids (1, 2), which then name real rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, reset_sequences=True)

SCHEMA_URL = "/api/v1/schema/?format=json"
# Bounded and repeatable: the same examples on every run, none remembered between runs.
# No NUL bytes in generated strings: PostgreSQL cannot hold them, so the API refuses any parameter with
# one (a 400, on every parameter, which a schema cannot say for each string); tests/api/test_fuzz.py sends them.
SETTINGS = {
    "generation": {"deterministic": True, "database": "none", "max-examples": 8, "allow-x00": False},
    "phases": {"stateful": {"max-steps": 12}},
    "workers": 1,
    "seed": 10,
    # Nothing carried over between runs (nor written into the checkout).
    "cache": {"enabled": False},
    # A well-formed If-Match naming another version is refused with 412, as the schema documents: the
    # object's state refuses it (like 409), not the request's form.
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
        }
    },
    # A ``q`` of only exclusions (``-id``) is a 400 wherever ``q`` is taken, which its schema (a string) cannot
    # say; the examples generated for top-terms send one.
    "operations": [
        {
            "include-path": "/api/v1/articles/top-terms/",
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]
                }
            },
        },
        # A saved search's body is checked beyond what its schema can say: its ``query`` is an article-list
        # query string (an unknown parameter or a bad filter value is a 400), its name must be new among the
        # owner's, and its ``webhook_url`` a URL Django's validator takes whose host resolves to a public
        # address. Generated bodies are mostly refused for one of these, with a 400 naming the field.
        {
            "include-path": ["/api/v1/saved-searches/", "/api/v1/saved-searches/{id}/"],
            "include-method": ["POST", "PUT", "PATCH"],
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]
                }
            },
        },
    ],
}


def strict_headers(app):
    """Wrap a WSGI app to refuse headers that are not exactly ``str``, as wsgiref and gunicorn do.

    The engine sends requests from its own threads: once a response is read, the thread's database
    connection is closed, or it would outlive the test and keep PostgreSQL from dropping the test database.
    """

    def application(environ, start_response):
        def checked_start_response(status, headers, exc_info=None):
            for name, value in headers:
                assert type(name) is str and type(value) is str, f"header {name!r}: {type(value).__name__}"
            return start_response(status, headers, exc_info)

        result = app(environ, checked_start_response)
        try:
            yield from result
        finally:
            if hasattr(result, "close"):
                result.close()
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()

    return application


@pytest.fixture(autouse=True)
def _wsgi_transport_without_socket_options(monkeypatch):
    """Work around schemathesis 4.32.5 handing its WSGI transport socket options outside a requests session.

    It drops them (``max_redirects``, ``verify``, ``cert``, ``proxies``) only when a requests session is
    given; the checks that re-send a request (after a write) give none, and werkzeug refuses them.
    """
    from schemathesis.transport.wsgi import WSGITransport

    send = WSGITransport.send

    def send_without_socket_options(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_without_socket_options)


@pytest.fixture(autouse=True)
def _webhook_hosts_resolve_to_a_public_address(monkeypatch):
    """Answer the saved searches' webhook checks without DNS: every host is one public address."""

    def getaddrinfo(host, port, *args, **kwargs):
        return [(webhook_targets.socket.AF_INET, webhook_targets.socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(webhook_targets.socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def wsgi_app(settings):
    """The project's WSGI application, talking to the test database, with no rate limits."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }
    return strict_headers(WSGIHandler())


@pytest.fixture
def archive(wsgi_app) -> None:
    """A small archive of every status, an author and a publisher nothing credits (so a DELETE can succeed), and
    another user's saved search (whose id is a 404 to the requester)."""
    publishers = PublisherFactory.create_batch(2)
    authors = AuthorFactory.create_batch(3)
    ArticleFactory(publisher=publishers[0], authors=authors[:2])
    ArticleFactory(publisher=publishers[1], authors=[authors[2]], image_credit="Photo by Somebody")
    make_article(Article.Status.DRAFT, publisher=None)
    make_article(Article.Status.WITHDRAWN)
    AuthorFactory(), PublisherFactory()
    SavedSearchFactory(query="q=story")


def run_schemathesis(app, headers: dict[str, str]) -> list[str]:
    """Run every phase with every check, as ``headers`` identify the client; return the distinct failures."""
    config = schemathesis.Config.from_dict({**SETTINGS, "headers": headers})
    config.projects.default.checks.update(included_check_names=["all"])
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, app, config=config, headers=headers)
    problems: dict[str, str] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            problems[repr(event)] = f"error: {getattr(event, 'label', '')} {getattr(event, 'info', event)}"
        recorder = getattr(event, "recorder", None)
        for failure in getattr(event, "failures", []):
            problems.setdefault(f"{failure.operation}: {failure.title}", failure.message)
        for case_id, nodes in getattr(recorder, "checks", {}).items():
            for info in (node.failure_info for node in nodes if node.failure_info is not None):
                response = recorder.interactions[case_id].response if case_id in recorder.interactions else None
                answer = f"{response.status_code} {response.content[:300]!r}" if response is not None else ""
                key = f"{info.failure.operation}: {info.failure.title}"
                problems.setdefault(key, f"{info.failure.message}\n    {info.code_sample}\n    -> {answer}")
    return [f"{key}\n    {detail}" for key, detail in problems.items()]


def test_every_operation_anonymously(wsgi_app, archive):
    failures = run_schemathesis(wsgi_app, headers={})
    assert not failures, "\n".join(failures)


def test_every_operation_as_an_editor(wsgi_app, archive, editor):
    token = Token.objects.create(user=editor).key
    # A saved search of the editor's with a delivery: its deliveries list answers 200 (the others' 404).
    search = SavedSearchFactory(owner=editor)
    Delivery.objects.create(saved_search=search, kind=Delivery.Kind.WEBHOOK, trigger="import", article_ids=[1])
    failures = run_schemathesis(wsgi_app, headers={"Authorization": f"Token {token}"})
    assert not failures, "\n".join(failures)
