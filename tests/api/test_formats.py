"""Standard formats: articles as schema.org NewsArticle JSON-LD and IPTC ninjs 3.1, checked against their shapes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from articles.api.formats import FORMAT_FIELDS, as_jsonld, as_ninjs
from tests.api.helpers import ARTICLES_URL
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

# The published ninjs 3.1 schema, copied from github.com/iptc/newsinjson (specification/ninjs-schema_3.1.json).
NINJS_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "ninjs-3.1.json").read_text())
NINJS = jsonschema.Draft202012Validator(NINJS_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
# schema.org's expected types of the NewsArticle properties the archive writes (text, URL, number, date, thing).
JSONLD_SHAPES = {
    "@context": str,
    "@type": str,
    "@id": str,
    "url": str,
    "identifier": str,
    "headline": str,
    "alternativeHeadline": str,
    "articleBody": str,
    "wordCount": int,
    "author": list,
    "publisher": dict,
    "copyrightHolder": dict,
    "copyrightYear": int,
    "datePublished": str,
    "dateModified": str,
    "inLanguage": str,
    "isBasedOn": str,
}


def check_thing(thing: dict, kind: str) -> None:
    """Assert ``thing`` is a schema.org ``kind`` (Person, Organization) with a name and a URL."""
    assert thing["@type"] == kind
    assert isinstance(thing["name"], str) and thing["name"]
    assert thing["url"].startswith("http")


def check_news_article(data: dict) -> None:
    """Assert ``data`` has the shape schema.org gives a NewsArticle's properties."""
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    unknown = set(data) - set(JSONLD_SHAPES)
    assert not unknown, f"not NewsArticle properties: {unknown}"
    for key, value in data.items():
        assert isinstance(value, JSONLD_SHAPES[key]), key
    for key in ("datePublished", "dateModified"):
        if key in data:
            dt.datetime.fromisoformat(data[key])
    for author in data.get("author", []):
        check_thing(author, "Person")
    for key in ("publisher", "copyrightHolder"):
        if key in data:
            check_thing(data[key], "Organization")


@pytest.fixture
def detail(api_client) -> dict:
    """The API detail of an article with two authors, a publisher, a language and both original dates."""
    article = ArticleFactory(
        authors=[AuthorFactory(name="Kyle Shiver"), AuthorFactory(name="Ann Ames")],
        publisher=PublisherFactory(name="Blaze Media LLC"),
        language="en",
        original_published_at=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC),
        original_updated_at=dt.datetime(2024, 3, 2, 9, tzinfo=dt.UTC),
    )
    response = api_client.get(f"{ARTICLES_URL}{article.pk}/", {"fields": ",".join(FORMAT_FIELDS)})
    assert response.status_code == 200
    return response.json()


def test_jsonld_is_a_news_article(detail):
    data = as_jsonld(detail)

    check_news_article(data)
    assert data["headline"] == detail["title"]
    assert data["articleBody"] == detail["body"]
    assert [a["name"] for a in data["author"]] == ["Kyle Shiver", "Ann Ames"]
    assert data["author"][0]["url"] == detail["authors"][0]["url"]
    assert data["publisher"]["name"] == "Blaze Media LLC"
    assert data["datePublished"] == "2024-03-01T12:00:00Z"
    assert data["dateModified"] == "2024-03-02T09:00:00Z"
    assert data["inLanguage"] == "en"
    assert data["isBasedOn"].endswith(f"/articles/{detail['id']}/source/")


def test_jsonld_leaves_out_what_is_unknown(api_client):
    article = ArticleFactory(publisher=None, language="", subtitle="")
    detail = api_client.get(f"{ARTICLES_URL}{article.pk}/", {"fields": ",".join(FORMAT_FIELDS)}).json()

    data = as_jsonld(detail)

    check_news_article(data)
    assert not {"publisher", "copyrightHolder", "inLanguage", "alternativeHeadline", "dateModified"} & set(data)
    # No original date: the archive's publication stands for it.
    assert data["datePublished"] == detail["published_at"]


def test_ninjs_validates_against_the_published_schema(detail):
    data = as_ninjs(detail)

    NINJS.validate(data)
    assert data["uri"] == detail["url"]
    assert data["type"] == "text"
    assert data["headlines"][0] == {"role": "main", "value": detail["title"]}
    assert data["bodies"][0]["contentType"] == "text/plain"
    assert data["bodies"][0]["value"] == detail["body"]
    assert data["by"] == "Kyle Shiver and Ann Ames"
    assert data["copyrightHolder"] == "Blaze Media LLC"
    assert data["language"] == "en"
    assert data["versionCreated"] == detail["updated_at"]
    assert data["contentCreated"] == "2024-03-01T12:00:00Z"


def test_the_ninjs_schema_refuses_what_it_should():
    # The checker is not vacuous: a property ninjs does not define, or no uri, fails.
    assert not NINJS.is_valid({"uri": "http://example.com/1", "authors": []})
    assert not NINJS.is_valid({"type": "text"})


def test_exports_stream_the_formats_of_published_articles_only(api_client, detail):
    """GIVEN a published article and a draft WHEN both standard exports are read THEN each shows the published one."""
    ArticleFactory(status="draft", published_at=None)

    graph = api_client.get(f"{ARTICLES_URL}export.jsonld")
    ninjs = api_client.get(f"{ARTICLES_URL}export.ninjs.ndjson")

    assert graph["Content-Type"] == "application/ld+json"
    document = json.loads(b"".join(graph.streaming_content))
    assert document["@context"] == "https://schema.org"
    [item] = document["@graph"]
    check_news_article({"@context": "https://schema.org", **item})
    assert item == {k: v for k, v in as_jsonld(detail).items() if k != "@context"}
    [line] = b"".join(ninjs.streaming_content).decode().splitlines()
    NINJS.validate(json.loads(line))
    assert json.loads(line) == as_ninjs(detail)


def test_standard_exports_refuse_fields(api_client):
    response = api_client.get(f"{ARTICLES_URL}export.ninjs.ndjson", {"fields": "id"})

    assert response.status_code == 400
    assert "fields" in response.json()
