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


# The article detail and list in the standard formats, by ?format= and by Accept.
JSONLD_WAYS = [{"params": {"format": "jsonld"}}, {"params": {}, "HTTP_ACCEPT": "application/ld+json"}]
ALL_WAYS = [*JSONLD_WAYS, {"params": {"format": "ninjs"}}]


def get(client, url: str, way: dict, **params):
    """GET ``url`` in the standard format ``way`` asks for (``?format=`` or ``Accept``), with ``params`` too."""
    headers = {key: value for key, value in way.items() if key != "params"}
    return client.get(url, {**way["params"], **params}, **headers)


@pytest.fixture
def article_url(detail) -> str:
    return f"{ARTICLES_URL}{detail['id']}/"


@pytest.mark.parametrize("way", JSONLD_WAYS)
def test_detail_in_jsonld_is_the_article_as_a_news_article(api_client, detail, article_url, way):
    response = get(api_client, article_url, way)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    check_news_article(response.json())
    assert response.json() == as_jsonld(detail)


def test_detail_in_ninjs_validates_against_the_published_schema(api_client, detail, article_url):
    response = api_client.get(article_url, {"format": "ninjs"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    NINJS.validate(response.json())
    assert response.json() == as_ninjs(detail)


@pytest.mark.parametrize(("suffix", "build"), [("jsonld", as_jsonld), ("ninjs", as_ninjs)])
def test_detail_suffix_gives_the_format_too(api_client, detail, suffix, build):
    response = api_client.get(f"{ARTICLES_URL}{detail['id']}.{suffix}")

    assert response.json() == build(detail)


@pytest.mark.parametrize("way", JSONLD_WAYS)
def test_list_in_jsonld_is_a_graph_of_news_articles_with_its_paging(api_client, detail, way):
    """GIVEN two published articles WHEN the list is read as JSON-LD a page at a time THEN each page is a graph
    of NewsArticles keeping count and links, and its next link leads to the next page in JSON-LD too."""
    ArticleFactory()

    first = get(api_client, ARTICLES_URL, way, page_size=1)
    second = get(api_client, first.json()["next"], way)

    assert first["Content-Type"] == "application/ld+json"
    page = first.json()
    assert page["@context"][0] == "https://schema.org"
    assert page["@context"][1]["results"] == "@graph"
    assert (page["count"], page["previous"]) == (2, None)
    items = {item["@id"]: item for item in [*page["results"], *second.json()["results"]]}
    for item in items.values():
        check_news_article({"@context": "https://schema.org", **item})
    assert items[detail["url"]] == {k: v for k, v in as_jsonld(detail).items() if k != "@context"}


def test_list_in_ninjs_has_ninjs_items_and_cursor_paging(api_client, detail):
    ArticleFactory()

    first = api_client.get(ARTICLES_URL, {"format": "ninjs", "page_mode": "cursor", "page_size": 1})
    second = api_client.get(first.json()["next"])

    assert set(first.json()) == {"next", "previous", "results"}
    items = {item["uri"]: item for item in [*first.json()["results"], *second.json()["results"]]}
    for item in items.values():
        NINJS.validate(item)
    assert len(items) == 2
    assert items[detail["url"]] == as_ninjs(detail)


@pytest.mark.parametrize("way", ALL_WAYS)
def test_filters_search_and_ordering_apply_in_the_formats(api_client, way):
    ArticleFactory(title="Harbour news", body="The harbour opened.", word_count=3)
    ArticleFactory(title="Harbour works", body="The harbour closed for works today.", word_count=6)
    ArticleFactory(title="Elsewhere", body="Nothing at the port.")

    response = get(api_client, ARTICLES_URL, way, q="harbour", ordering="-word_count", min_words=2)

    titles = [
        item.get("headline") or item.get("headlines", [{}])[0].get("value") for item in response.json()["results"]
    ]
    assert titles == ["Harbour works", "Harbour news"]


@pytest.mark.parametrize("way", ALL_WAYS)
@pytest.mark.parametrize("on_detail", [False, True])
def test_fields_with_a_format_is_a_json_400(api_client, detail, way, on_detail):
    url = f"{ARTICLES_URL}{detail['id']}/" if on_detail else ARTICLES_URL

    response = get(api_client, url, way, fields="id,title")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "fields" in response.json()


@pytest.mark.parametrize("way", ALL_WAYS)
def test_drafts_stay_hidden_from_anonymous_users_in_the_formats(api_client, staff_client, way):
    """GIVEN a draft WHEN an anonymous user asks for it in a format THEN it is a JSON 404 and not in the list;
    staff get it."""
    draft = ArticleFactory(status="draft", published_at=None)
    url = f"{ARTICLES_URL}{draft.pk}/"

    hidden = get(api_client, url, way)
    listed = get(api_client, ARTICLES_URL, way)

    assert hidden.status_code == 404
    assert hidden["Content-Type"] == "application/json"
    assert "detail" in hidden.json()
    assert listed.json()["results"] == []
    assert get(staff_client, url, way).status_code == 200


@pytest.mark.parametrize("way", ALL_WAYS)
def test_bad_values_in_the_formats_are_json_400s(api_client, way):
    response = get(api_client, ARTICLES_URL, way, page_size=0)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "page_size" in response.json()


@pytest.mark.parametrize("fmt", ["jsonld", "ninjs"])
def test_a_format_has_an_etag_of_its_own(api_client, detail, article_url, fmt):
    plain = api_client.get(article_url, {"fields": ",".join(FORMAT_FIELDS)})

    response = api_client.get(article_url, {"format": fmt})
    again = api_client.get(article_url, {"format": fmt}, HTTP_IF_NONE_MATCH=response["ETag"])

    assert response["ETag"] != plain["ETag"]
    assert again.status_code == 304


def test_other_actions_have_no_standard_format(api_client):
    assert api_client.get(f"{ARTICLES_URL}facets/", {"format": "jsonld"}).status_code == 404
    assert api_client.get(f"{ARTICLES_URL}facets/", HTTP_ACCEPT="application/ld+json").status_code == 406


@pytest.mark.parametrize("params", [{"format": "jsonld"}, {"format": "ninjs"}, {}])
def test_list_queries_are_the_plain_lists(api_client, django_assert_num_queries, params):
    # COUNT for the paginator, the page with its publishers joined, the bylines with their authors.
    ArticleFactory.create_batch(3, authors=[AuthorFactory(), AuthorFactory()])

    with django_assert_num_queries(3):
        response = api_client.get(ARTICLES_URL, params)

    assert len(response.json()["results"]) == 3


def test_the_schema_documents_the_formats_on_list_and_detail(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    for path in (ARTICLES_URL, f"{ARTICLES_URL}{{id}}/"):
        responses = schema["paths"][path]["get"]["responses"]
        content = responses["200"]["content"]
        assert "#/components/schemas/NewsArticle" in json.dumps(content["application/ld+json"])
        assert "#/components/schemas/NinjsItem" in json.dumps(content["application/json"])
        assert list(responses["400"]["content"]) == ["application/json"]
    assert "application/ld+json" not in json.dumps(schema["paths"][f"{ARTICLES_URL}facets/"])
