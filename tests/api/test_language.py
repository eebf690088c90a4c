"""An article's language in the API: shown, filtered on (with and without ``q``), corrected by editors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from tests.api.helpers import ARTICLES_URL, ids
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles() -> dict[str, Article]:
    return {
        "en": ArticleFactory(language="en", body="The runners crossed the bridge."),
        "es": ArticleFactory(language="es", body="Los corredores cruzaron el puente corriendo."),
        "unknown": ArticleFactory(language="", body="Ok corriendo."),
    }


def found(client, **params) -> set[int]:
    response = client.get(ARTICLES_URL, {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    return set(ids(response))


def test_list_and_detail_show_the_language(api_client, articles):
    listed = {item["id"]: item["language"] for item in api_client.get(ARTICLES_URL).json()["results"]}
    detail = api_client.get(f"{ARTICLES_URL}{articles['es'].pk}/").json()

    assert listed == {articles["en"].pk: "en", articles["es"].pk: "es", articles["unknown"].pk: ""}
    assert detail["language"] == "es"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"language": "es"}, {"es"}),
        ({"language": "en"}, {"en"}),
        ({"language": "und"}, {"unknown"}),
        ({"language": "fr"}, set()),
        # Through the index: the Spanish article by its Spanish stem, the unknown one by its English one.
        ({"language": "es", "q": "correr"}, {"es"}),
        ({"language": "und", "q": "corriendo"}, {"unknown"}),
        ({"q": "correr"}, {"es"}),
    ],
)
def test_language_filter(api_client, articles, params, expected):
    assert found(api_client, **params) == {articles[name].pk for name in expected}


@pytest.mark.parametrize("value", ["english", "ES", "e", "xx", "e1", "es,en"])
def test_a_malformed_or_unknown_language_is_a_400(api_client, articles, value):
    for params in ({"language": value}, {"language": value, "q": "corriendo"}):
        response = api_client.get(ARTICLES_URL, params)

        assert response.status_code == 400
        assert "language" in response.json()


def test_the_language_filter_costs_no_extra_query(api_client, articles):
    api_client.get(ARTICLES_URL)  # warm caches (compiled serializers)
    with CaptureQueriesContext(connection) as unfiltered:
        api_client.get(ARTICLES_URL)
    with CaptureQueriesContext(connection) as filtered:
        response = api_client.get(ARTICLES_URL, {"language": "es"})

    assert ids(response) == [articles["es"].pk]
    assert len(filtered) == len(unfiltered)


def test_an_editor_corrects_the_language(editor_client, articles):
    """GIVEN an article whose language the detector could not tell
    WHEN an editor sets it to Spanish
    THEN the API shows it, and search stems it in Spanish from then on.
    """
    article = articles["unknown"]
    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"language": "es"})

    assert response.status_code == 200, response.content
    assert response.json()["language"] == "es"
    assert found(editor_client, q="correr") == {articles["es"].pk, article.pk}
    history = article.history.order_by("-history_id").first()
    assert (history.language, history.history_user.username) == ("es", "editor")


@pytest.mark.parametrize("value", ["spanish", "xx", 1, None])
def test_an_invalid_language_is_refused(editor_client, articles, value):
    article = articles["en"]
    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"language": value}, format="json")

    assert response.status_code == 400
    assert "language" in response.json()
    article.refresh_from_db()
    assert article.language == "en"


def test_the_schema_documents_the_language(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}

    assert "und" in parameters["language"]["schema"]["enum"]
    assert "es" in parameters["language"]["schema"]["enum"]
    assert "language" in schema["components"]["schemas"]["ArticleList"]["properties"]
    assert "languages" in schema["components"]["schemas"]["Facets"]["properties"]
