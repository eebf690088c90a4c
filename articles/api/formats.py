"""Standard news formats: an article's API representation as schema.org ``NewsArticle`` JSON-LD and IPTC ninjs 3.1.

The one source of each format: both functions map the API's article representation
(the dict ``ArticleDetailSerializer`` / ``ArticleExportSerializer`` give, with the
``FORMAT_FIELDS``), so the detail, the list and the export show the same values.
"""

from __future__ import annotations

from typing import Any

SCHEMA_ORG = "https://schema.org"
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
# The API fields the formats are built from.
FORMAT_FIELDS = [
    "id",
    "url",
    "title",
    "subtitle",
    "body",
    "word_count",
    "copyright_year",
    "language",
    "status",
    "published_at",
    "original_published_at",
    "original_updated_at",
    "created_at",
    "updated_at",
    "publisher",
    "authors",
    "source",
]
# ninjs pubStatus of each article status.
PUB_STATUS = {"published": "usable", "draft": "withheld", "withdrawn": "canceled"}


def without_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` without the keys whose value is unknown (None, "" or an empty list)."""
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def organisation(publisher: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the publisher as a schema.org ``Organization`` (None without one)."""
    if not publisher:
        return None
    return {"@type": "Organization", "@id": publisher["url"], "name": publisher["name"], "url": publisher["url"]}


def as_jsonld(article: dict[str, Any], *, context: bool = True) -> dict[str, Any]:
    """Return the article as a schema.org ``NewsArticle`` (with ``@context`` unless inside a larger document)."""
    publisher = organisation(article.get("publisher"))
    authors = [
        {"@type": "Person", "@id": author["url"], "name": author["name"], "url": author["url"]}
        for author in article.get("authors") or []
    ]
    source = article.get("source") or {}
    data = {
        "@context": SCHEMA_ORG if context else None,
        "@type": "NewsArticle",
        "@id": article["url"],
        "url": article["url"],
        "identifier": str(article["id"]),
        "headline": article["title"],
        "alternativeHeadline": article.get("subtitle"),
        "articleBody": article.get("body"),
        "wordCount": article.get("word_count"),
        "author": authors,
        "publisher": publisher,
        "copyrightHolder": publisher,
        "copyrightYear": article.get("copyright_year"),
        # The story's own dates when its source gives them, else its publication in the archive.
        "datePublished": article.get("original_published_at") or article.get("published_at"),
        "dateModified": article.get("original_updated_at"),
        "inLanguage": article.get("language"),
        "isBasedOn": source.get("raw_url"),
    }
    return without_empty(data)


def as_ninjs(article: dict[str, Any]) -> dict[str, Any]:
    """Return the article as an IPTC ninjs 3.1 news item of type ``text``."""
    publisher = article.get("publisher")
    authors = article.get("authors") or []
    body = article.get("body") or ""
    source = article.get("source") or {}
    headlines = [{"role": "main", "value": article["title"]}]
    if article.get("subtitle"):
        headlines.append({"role": "sub", "value": article["subtitle"]})
    data = {
        "uri": article["url"],
        "type": "text",
        "representationType": "full",
        "profile": "archive-text",
        "standard": {"name": "ninjs", "version": "3.1", "schema": NINJS_SCHEMA},
        "versionCreated": article.get("updated_at"),
        "firstCreated": article.get("created_at"),
        "contentCreated": article.get("original_published_at"),
        "pubStatus": PUB_STATUS.get(article.get("status", "published"), "usable"),
        "headlines": headlines,
        "bodies": [
            {
                "role": "main",
                "contentType": "text/plain",
                "value": body,
                "charCount": len(body),
                "wordCount": article.get("word_count") or 0,
            }
        ],
        "by": " and ".join(author["name"] for author in authors),
        "people": [{"name": author["name"], "rel": "author", "uri": author["url"]} for author in authors],
        "organisations": [{"name": publisher["name"], "rel": "publisher", "uri": publisher["url"]}]
        if publisher
        else [],
        "copyrightHolder": publisher["name"] if publisher else None,
        "copyrightNotice": copyright_notice(article),
        "language": article.get("language"),
        "altIds": [{"role": "archive-id", "value": str(article["id"])}]
        + ([{"role": "source-sha256", "value": source["sha256"]}] if source.get("sha256") else []),
        "infoSources": [{"role": "source", "uri": source["raw_url"]}] if source.get("raw_url") else [],
    }
    return without_empty(data)


def copyright_notice(article: dict[str, Any]) -> str | None:
    """Return "(c) YEAR PUBLISHER" when both are known."""
    publisher, year = article.get("publisher"), article.get("copyright_year")
    return f"\u00a9 {year} {publisher['name']}" if publisher and year else None
