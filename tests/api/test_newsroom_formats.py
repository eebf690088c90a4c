"""Newsroom exchange formats: articles as IPTC NewsML-G2 and NITF 3.6, validated against IPTC's XML Schemas."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from articles.api import export
from articles.api.formats import FORMAT_FIELDS
from articles.api.xml_formats import as_newsml_item, as_nitf, to_bytes
from tests.api.helpers import ARTICLES_URL
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

# IPTC's schemas, copied verbatim from github.com/iptc/newsml-g2 (see schemas/README.md).
SCHEMAS = Path(__file__).parent / "schemas"
NEWSML_G2 = etree.XMLSchema(etree.parse(str(SCHEMAS / "newsml-g2" / "NewsML-G2_2.35-spec-All-Power.xsd")))
NITF = etree.XMLSchema(etree.parse(str(SCHEMAS / "nitf" / "nitf-3-6.xsd")))
G2 = "{http://iptc.org/std/nar/2006-10-01/}"
NITF_NS = "{http://iptc.org/std/NITF/2006-10-18/}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NEWSITEM_TYPE = "application/vnd.iptc.g2.newsitem+xml"
NEWSMESSAGE_TYPE = "application/vnd.iptc.g2.newsmessage+xml"
NITF_TYPE = "application/nitf+xml"
NEWSML_EXPORT = f"{ARTICLES_URL}export.newsmlg2.xml"
NITF_EXPORT = f"{ARTICLES_URL}export.nitf.xml"
MARKUP_BODY = "Prices <b>rose</b> & fell.\n\nA second <p>paragraph</p>."


def valid(schema: etree.XMLSchema, content: bytes) -> etree._Element:
    """Parse ``content`` and assert it validates against ``schema``; return its root."""
    root = etree.fromstring(content)
    assert schema.validate(root), schema.error_log
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    """Return the text of each element at ``path``."""
    return [element.text for element in root.iterfind(path)]


@pytest.fixture
def article():
    """A published article with two authors, a publisher, a language, a subtitle and markup in its text."""
    return ArticleFactory(
        title="Markets <b>& more</b>",
        subtitle="Sub & title",
        body=MARKUP_BODY,
        authors=[AuthorFactory(name="Kyle Shiver"), AuthorFactory(name="Ann Ames")],
        publisher=PublisherFactory(name="Blaze Media LLC"),
        language="en",
        copyright_year=2024,
        original_published_at=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC),
    )


@pytest.fixture
def detail(api_client, article) -> dict:
    response = api_client.get(f"{ARTICLES_URL}{article.pk}/", {"fields": ",".join(FORMAT_FIELDS)})
    assert response.status_code == 200
    return response.json()


NEWSML_WAYS = [{"format": "newsmlg2"}, {"HTTP_ACCEPT": NEWSITEM_TYPE}]
NITF_WAYS = [{"format": "nitf"}, {"HTTP_ACCEPT": NITF_TYPE}]


def get(client, url: str, way: dict, **params):
    """GET ``url`` in the format ``way`` asks for (``format`` parameter or ``Accept``), with ``params``."""
    headers = {key: value for key, value in way.items() if key.startswith("HTTP_")}
    query = {key: value for key, value in way.items() if not key.startswith("HTTP_")}
    return client.get(url, {**query, **params}, **headers)


@pytest.mark.parametrize("way", NEWSML_WAYS)
def test_detail_as_newsml_g2_validates_and_carries_the_article(api_client, detail, way):
    response = get(api_client, f"{ARTICLES_URL}{detail['id']}/", way)

    assert response.status_code == 200
    assert response["Content-Type"] == NEWSITEM_TYPE
    item = valid(NEWSML_G2, response.content)
    assert item.tag == f"{G2}newsItem"
    assert item.get("guid") == detail["url"]
    assert int(item.get("version")) >= 1
    assert item.get(XML_LANG) == "en"
    assert texts(item, f"{G2}contentMeta/{G2}headline") == [detail["title"], "Sub & title"]
    assert texts(item, f"{G2}contentMeta/{G2}creator/{G2}name") == ["Kyle Shiver", "Ann Ames"]
    assert texts(item, f"{G2}contentMeta/{G2}by") == ["Kyle Shiver and Ann Ames"]
    assert texts(item, f"{G2}rightsInfo/{G2}copyrightHolder/{G2}name") == ["Blaze Media LLC"]
    assert texts(item, f"{G2}itemMeta/{G2}versionCreated") == [detail["updated_at"]]
    assert texts(item, f"{G2}contentMeta/{G2}contentCreated") == ["2024-03-01T12:00:00Z"]
    assert item.find(f"{G2}itemMeta/{G2}pubStatus").get("qcode") == "stat:usable"
    html = item.find(f"{G2}contentSet/{G2}inlineXML/{XHTML}html")
    # The markup in the text is text: escaped, not elements.
    assert texts(html, f"{XHTML}body/{XHTML}p") == ["Prices <b>rose</b> & fell.", "A second <p>paragraph</p>."]
    assert b"&lt;b&gt;rose&lt;/b&gt; &amp; fell" in response.content


@pytest.mark.parametrize("way", NITF_WAYS)
def test_detail_as_nitf_validates_and_carries_the_article(api_client, detail, way):
    response = get(api_client, f"{ARTICLES_URL}{detail['id']}/", way)

    assert response.status_code == 200
    assert response["Content-Type"] == NITF_TYPE
    nitf = valid(NITF, response.content)
    assert nitf.get(XML_LANG) == "en"
    assert nitf.find(f"{NITF_NS}head/{NITF_NS}docdata/{NITF_NS}doc-id").get("id-string") == detail["url"]
    assert nitf.find(f"{NITF_NS}head/{NITF_NS}docdata").get("management-status") == "usable"
    copyright_ = nitf.find(f"{NITF_NS}head/{NITF_NS}docdata/{NITF_NS}doc.copyright")
    assert (copyright_.get("holder"), copyright_.get("year")) == ("Blaze Media LLC", "2024")
    head = f"{NITF_NS}body/{NITF_NS}body.head/"
    assert texts(nitf, f"{head}{NITF_NS}hedline/{NITF_NS}hl1") == [detail["title"]]
    assert texts(nitf, f"{head}{NITF_NS}hedline/{NITF_NS}hl2") == ["Sub & title"]
    assert texts(nitf, f"{head}{NITF_NS}byline/{NITF_NS}person") == ["Kyle Shiver", "Ann Ames"]
    paragraphs = texts(nitf, f"{NITF_NS}body/{NITF_NS}body.content/{NITF_NS}p")
    assert paragraphs == ["Prices <b>rose</b> & fell.", "A second <p>paragraph</p>."]


def test_the_schemas_refuse_what_they_should(detail):
    # The validators are not vacuous: an item without its itemMeta, a NITF document without a body, fail.
    item = as_newsml_item(detail)
    item.remove(item.find(f"{G2}itemMeta"))
    nitf = as_nitf(detail)
    nitf.remove(nitf.find(f"{NITF_NS}body"))

    assert not NEWSML_G2.validate(etree.fromstring(to_bytes(item)))
    assert not NITF.validate(etree.fromstring(to_bytes(nitf)))


@pytest.mark.parametrize(
    ("status", "qcode", "management"),
    [("draft", "stat:withheld", "withheld"), ("withdrawn", "stat:canceled", "canceled")],
)
def test_staff_see_the_status_as_the_formats_say_it(staff_client, status, qcode, management):
    article = ArticleFactory(status=status, published_at=None, language="")
    url = f"{ARTICLES_URL}{article.pk}/"

    item = valid(NEWSML_G2, staff_client.get(url, {"format": "newsmlg2"}).content)
    nitf = valid(NITF, staff_client.get(url, {"format": "nitf"}).content)

    assert item.find(f"{G2}itemMeta/{G2}pubStatus").get("qcode") == qcode
    assert nitf.find(f"{NITF_NS}head/{NITF_NS}docdata").get("management-status") == management
    assert item.get(XML_LANG) is None


def test_text_xml_cannot_carry_is_left_out(api_client):
    article = ArticleFactory(title="Bell\x07 rings", body="Line\x0bfeed \ufffe here.")

    for fmt, schema in (("newsmlg2", NEWSML_G2), ("nitf", NITF)):
        response = api_client.get(f"{ARTICLES_URL}{article.pk}/", {"format": fmt})
        assert response.status_code == 200
        text = valid(schema, response.content).xpath("string(.)")
        assert "Bell rings" in text
        assert "Linefeed  here." in text


ALL_WAYS = [*NEWSML_WAYS, *NITF_WAYS]


@pytest.mark.parametrize("way", ALL_WAYS)
def test_drafts_are_a_json_404_for_anonymous_users(api_client, way):
    draft = ArticleFactory(status="draft", published_at=None)

    response = get(api_client, f"{ARTICLES_URL}{draft.pk}/", way)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize("way", ALL_WAYS)
def test_fields_with_an_xml_format_is_a_json_400(api_client, article, way):
    response = get(api_client, f"{ARTICLES_URL}{article.pk}/", way, fields="id,title")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "fields" in response.json()


@pytest.mark.parametrize("fmt", ["newsmlg2", "nitf"])
def test_the_list_has_no_xml_format(api_client, article, fmt):
    response = api_client.get(ARTICLES_URL, {"format": fmt})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("fmt", ["newsmlg2", "nitf"])
def test_an_xml_format_has_an_etag_of_its_own(api_client, article, fmt):
    url = f"{ARTICLES_URL}{article.pk}/"
    response = api_client.get(url, {"format": fmt})

    again = api_client.get(url, {"format": fmt}, HTTP_IF_NONE_MATCH=response["ETag"])

    assert response["ETag"] != api_client.get(url)["ETag"]
    assert again.status_code == 304


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_newsml_export_is_a_valid_news_message_of_published_items(api_client, detail):
    """GIVEN a published article and a draft WHEN the NewsML-G2 export is read THEN it is one newsMessage, valid,
    whose itemSet holds the published article's item, the same as its detail."""
    ArticleFactory(status="draft", published_at=None)

    response = api_client.get(NEWSML_EXPORT)

    assert response["Content-Type"] == NEWSMESSAGE_TYPE
    assert response["Content-Disposition"].endswith('.newsmlg2.xml"')
    message = valid(NEWSML_G2, body(response))
    assert message.tag == f"{G2}newsMessage"
    [item] = message.iterfind(f"{G2}itemSet/{G2}newsItem")
    assert etree.tostring(item, with_tail=False) == etree.tostring(as_newsml_item(detail))


def test_nitf_export_carries_a_valid_nitf_document_per_article(api_client, detail):
    """GIVEN two published articles WHEN the NITF export is read THEN it is a valid newsMessage whose items each
    carry a valid NITF document in their inlineXML, the same as the article's NITF detail."""
    ArticleFactory()

    message = valid(NEWSML_G2, body(api_client.get(NITF_EXPORT)))

    inline = list(message.iterfind(f"{G2}itemSet/{G2}newsItem/{G2}contentSet/{G2}inlineXML"))
    assert [element.get("contenttype") for element in inline] == [NITF_TYPE] * 2
    documents = [valid(NITF, etree.tostring(element[0])) for element in inline]
    ours = [
        d
        for d in documents
        if d.find(f"{NITF_NS}head/{NITF_NS}docdata/{NITF_NS}doc-id").get("id-string") == detail["url"]
    ]
    assert [etree.tostring(d) for d in ours] == [etree.tostring(as_nitf(detail))]


def test_an_empty_export_is_still_a_valid_message(api_client):
    message = valid(NEWSML_G2, body(api_client.get(NEWSML_EXPORT)))

    # An itemSet cannot be empty: no match is one packageItem without groups.
    [package] = message.iterfind(f"{G2}itemSet/*")
    assert package.tag == f"{G2}packageItem"
    assert package.find(f"{G2}groupSet") is None


@pytest.mark.parametrize("url", [NEWSML_EXPORT, NITF_EXPORT])
@pytest.mark.parametrize("params", [{"fields": "id"}, {"published_after": "yesterday"}, {"ordering": "bogus"}])
def test_bad_export_parameters_are_a_json_400_before_streaming(api_client, url, params):
    response = api_client.get(url, params, HTTP_ACCEPT=NEWSMESSAGE_TYPE)

    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", [NEWSML_EXPORT, NITF_EXPORT])
def test_xml_exports_stream_in_chunks_with_the_export_queries(api_client, django_assert_num_queries, monkeypatch, url):
    """GIVEN 25 articles with bylines and a chunk size of 10 WHEN an XML export is read THEN nothing is read until
    the body streams, then one query starts the cursor and each chunk of 10 fetches its bylines in one query."""
    monkeypatch.setattr(export, "EXPORT_CHUNK_SIZE", 10)
    monkeypatch.setattr(export, "FLUSH_BYTES", 1000)
    for _ in range(25):
        ArticleFactory(authors=[AuthorFactory()])

    with django_assert_num_queries(0):
        response = api_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        pieces = list(response.streaming_content)

    assert len([q for q in queries if "SAVEPOINT" not in q["sql"]]) == 4
    assert len(pieces) > 3
    message = valid(NEWSML_G2, b"".join(pieces))
    assert len(message.findall(f"{G2}itemSet/{G2}newsItem")) == 25


def test_the_schema_documents_the_xml_formats(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    detail = schema["paths"][f"{ARTICLES_URL}{{id}}/"]["get"]["responses"]
    assert {NEWSITEM_TYPE, NITF_TYPE} <= set(detail["200"]["content"])
    assert list(detail["404"]["content"]) == ["application/json"]
    assert NEWSITEM_TYPE not in json.dumps(schema["paths"][ARTICLES_URL])
    for url in (NEWSML_EXPORT, NITF_EXPORT):
        assert list(schema["paths"][url]["get"]["responses"]["200"]["content"]) == [NEWSMESSAGE_TYPE]
