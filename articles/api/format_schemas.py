"""The OpenAPI description of the standard formats the article reads are also rendered in (``renderers.py``)."""

from __future__ import annotations

from typing import Any, NamedTuple

from articles.api.formats import NINJS_SCHEMA

Schema = dict[str, Any]

TEXT: Schema = {"type": "string"}
URI: Schema = {"type": "string", "format": "uri"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
COUNT: Schema = {"type": "integer", "minimum": 0}


def obj(properties: dict[str, Schema], *required: str, description: str = "") -> Schema:
    """Return an object schema with ``properties``, the ``required`` ones required."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def array(items: Schema) -> Schema:
    """Return an array schema of ``items``."""
    return {"type": "array", "items": items}


def exactly(value: str) -> Schema:
    """Return a string schema of one value (a pattern: drf-spectacular turns enums into components named by key)."""
    return {"type": "string", "pattern": f"^{value}$"}


def thing(kind: str) -> Schema:
    """Return a schema.org ``kind`` (Person, Organization) as the archive writes it: its API URL as ``@id``."""
    return obj({"@type": exactly(kind), "@id": URI, "name": TEXT, "url": URI}, "@type", "@id")


ORGANIZATION = thing("Organization")
NEWS_ARTICLE = obj(
    {
        "@context": {**URI, "description": "`https://schema.org` (on a detail; a list page has one for all)."},
        "@type": exactly("NewsArticle"),
        "@id": URI,
        "url": URI,
        "identifier": TEXT,
        "headline": TEXT,
        "alternativeHeadline": TEXT,
        "articleBody": TEXT,
        "wordCount": COUNT,
        "author": array(thing("Person")),
        "publisher": ORGANIZATION,
        "copyrightHolder": ORGANIZATION,
        "copyrightYear": {"type": "integer"},
        "datePublished": DATE_TIME,
        "dateModified": DATE_TIME,
        "inLanguage": TEXT,
        "isBasedOn": URI,
    },
    "@type",
    "@id",
    "url",
    "identifier",
    description="A schema.org `NewsArticle` (https://schema.org/NewsArticle); unknown values are left out.",
)
ROLE_VALUE = obj({"role": TEXT, "value": TEXT})
NAMED = obj({"name": TEXT, "rel": TEXT, "uri": URI})
NINJS_ITEM = obj(
    {
        "uri": URI,
        "type": exactly("text"),
        "representationType": TEXT,
        "profile": TEXT,
        "standard": obj({"name": TEXT, "version": TEXT, "schema": TEXT}),
        "versionCreated": DATE_TIME,
        "firstCreated": DATE_TIME,
        "contentCreated": DATE_TIME,
        "pubStatus": {"type": "string", "pattern": "^(usable|withheld|canceled)$"},
        "headlines": array(ROLE_VALUE),
        "bodies": array(
            obj({"role": TEXT, "contentType": TEXT, "value": TEXT, "charCount": COUNT, "wordCount": COUNT})
        ),
        "by": TEXT,
        "people": array(NAMED),
        "organisations": array(NAMED),
        "copyrightHolder": TEXT,
        "copyrightNotice": TEXT,
        "language": TEXT,
        "altIds": array(ROLE_VALUE),
        "infoSources": array(obj({"role": TEXT, "uri": URI})),
    },
    "uri",
    "type",
    description=f"An IPTC ninjs 3.1 news item ({NINJS_SCHEMA.removesuffix('#')}); unknown values are left out.",
)
JSONLD_PAGE_CONTEXT = {
    "type": "array",
    "items": {"anyOf": [TEXT, {"type": "object"}]},
    "description": "schema.org, with `results` read as the `@graph` and the paging keys left out of the data: "
    "to a JSON-LD processor the page is a graph of its `NewsArticle`s.",
}


class FormatSchema(NamedTuple):
    """How the schema documents a standard format: its item's component, and what its list pages add."""

    name: str
    item: Schema
    page_properties: dict[str, Schema]
    how: str


# By the renderer's ``format``.
FORMAT_SCHEMAS = {
    "jsonld": FormatSchema(
        "NewsArticle",
        NEWS_ARTICLE,
        {"@context": JSONLD_PAGE_CONTEXT},
        "schema.org JSON-LD `NewsArticle`s with `?format=jsonld` or `Accept: application/ld+json`",
    ),
    "ninjs": FormatSchema("NinjsItem", NINJS_ITEM, {}, "IPTC ninjs 3.1 news items (JSON) with `?format=ninjs`"),
    # XML documents: OpenAPI describes them as text; their XML Schemas are IPTC's.
    "newsmlg2": FormatSchema(
        "NewsMLG2NewsItem",
        {
            "type": "string",
            "description": "An IPTC NewsML-G2 2.35 `newsItem` (XML, https://iptc.org/std/NewsML-G2/): "
            "`itemMeta`, `contentMeta` and the body as XHTML in `contentSet/inlineXML`.",
        },
        {},
        "an IPTC NewsML-G2 2.35 `newsItem` (XML) with `?format=newsmlg2` or "
        "`Accept: application/vnd.iptc.g2.newsitem+xml` (detail only)",
    ),
    "nitf": FormatSchema(
        "NitfDocument",
        {
            "type": "string",
            "description": "An IPTC NITF 3.6 document (XML, https://iptc.org/std/NITF/): `head`, "
            "`body.head` and the body's paragraphs in `body.content`.",
        },
        {},
        "an IPTC NITF 3.6 document (XML) with `?format=nitf` or `Accept: application/nitf+xml` (detail only)",
    ),
}
