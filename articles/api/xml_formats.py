"""Newsroom exchange formats: an article's API representation as an IPTC NewsML-G2 2.35 ``newsItem`` and as NITF 3.6.

Like ``formats.py`` (JSON-LD, ninjs) both map the dict ``ArticleDetailSerializer`` /
``ArticleExportSerializer`` give with ``FORMAT_FIELDS``, so the detail and the export
show the same values. lxml builds the trees, so text is always escaped; characters
XML 1.0 cannot carry (most control characters) are left out.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from articles.api.formats import PUB_STATUS, copyright_notice

G2_NS = "http://iptc.org/std/nar/2006-10-01/"
NITF_NS = "http://iptc.org/std/NITF/2006-10-18/"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
G2_VERSION = "2.35"
NITF_VERSION = "-//IPTC//DTD NITF 3.6//EN"
# The IPTC catalog that defines the ``ninat:`` and ``stat:`` schemes the items' QCodes use.
IPTC_CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"
# IANA-registered by IPTC (vnd.iptc.g2.*); NITF has no registered type: IPTC's own G2 examples label it so.
NEWSITEM_TYPE = "application/vnd.iptc.g2.newsitem+xml"
NEWSMESSAGE_TYPE = "application/vnd.iptc.g2.newsmessage+xml"
NITF_TYPE = "application/nitf+xml"
PROVIDER = "news-archive"
# What XML 1.0 cannot carry, even escaped (C0 controls but tab and newlines, surrogates, U+FFFE/U+FFFF).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def root(namespace: str, name: str) -> etree._Element:
    """Return a ``name`` element in ``namespace``, declared as the default namespace (no prefixes)."""
    # lxml-stubs type nsmap's keys as str, where lxml takes None for the default namespace.
    nsmap: Any = {None: namespace}
    return etree.Element(f"{{{namespace}}}{name}", nsmap=nsmap)


def xml_text(value: Any) -> str:
    """Return ``value`` as text XML can carry."""
    return NOT_XML.sub("", str(value))


def sub(parent: etree._Element, name: str, text: Any = None, /, **attributes: Any) -> etree._Element:
    """Append a ``name`` child to ``parent`` (in its namespace) with ``text`` and the given attributes."""
    namespace = etree.QName(parent).namespace
    child = etree.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name)
    for attribute, value in attributes.items():
        if value not in (None, ""):
            child.set(attribute, xml_text(value))
    if text not in (None, ""):
        child.text = xml_text(text)
    return child


def optional(parent: etree._Element, name: str, text: Any) -> None:
    """Append a ``name`` child with ``text`` only if the value is known."""
    if text not in (None, ""):
        sub(parent, name, text)


def paragraphs(body: str | None) -> list[str]:
    """Return the body's paragraphs: the blocks between blank lines, stripped, empty ones left out."""
    return [block.strip() for block in PARAGRAPH_BREAK.split(body or "") if block.strip()]


def g2_version(article: dict[str, Any]) -> int:
    """Return the item's NewsML-G2 version: the last change in the archive in Unix seconds, which only grows."""
    updated = article.get("updated_at")
    return max(1, int(dt.datetime.fromisoformat(updated).timestamp())) if updated else 1


def as_newsml_item(article: dict[str, Any], *, nitf: bool = False) -> etree._Element:
    """Return the article as a NewsML-G2 ``newsItem`` (``ninat:text``), its content XHTML (or with ``nitf``, NITF)."""
    language = article.get("language")
    item = root(G2_NS, "newsItem")
    item.set("guid", xml_text(article["url"]))
    item.set("version", str(g2_version(article)))
    item.set("standard", "NewsML-G2")
    item.set("standardversion", G2_VERSION)
    item.set("conformance", "power")
    if language:
        item.set(XML_LANG, xml_text(language))
    sub(item, "catalogRef", href=IPTC_CATALOG)
    rights(item, article)
    meta = sub(item, "itemMeta")
    sub(meta, "itemClass", qcode="ninat:text")
    sub(meta, "provider", literal=PROVIDER)
    sub(meta, "versionCreated", article.get("updated_at") or article.get("created_at"))
    optional(meta, "firstCreated", article.get("created_at"))
    sub(meta, "pubStatus", qcode=f"stat:{PUB_STATUS.get(article.get('status', 'published'), 'usable')}")
    content_meta(item, article)
    content_type = NITF_TYPE if nitf else "application/xhtml+xml"
    sub(sub(item, "contentSet"), "inlineXML", contenttype=content_type).append(
        as_nitf(article) if nitf else xhtml(article)
    )
    return item


def rights(item: etree._Element, article: dict[str, Any]) -> None:
    """Add the copyright holder (the publisher) and notice, when there is a publisher."""
    publisher = article.get("publisher")
    if not publisher:
        return
    info = sub(item, "rightsInfo")
    sub(sub(info, "copyrightHolder", uri=publisher["url"]), "name", publisher["name"])
    sub(info, "copyrightNotice", copyright_notice(article))


def content_meta(item: etree._Element, article: dict[str, Any]) -> None:
    """Add ``contentMeta``: the story's dates, its creators, language, headlines and byline."""
    meta = sub(item, "contentMeta")
    optional(meta, "contentCreated", article.get("original_published_at") or article.get("published_at"))
    optional(meta, "contentModified", article.get("original_updated_at"))
    authors = article.get("authors") or []
    for author in authors:
        sub(sub(meta, "creator", uri=author["url"]), "name", author["name"])
    if article.get("language"):
        sub(meta, "language", tag=article["language"])
    sub(meta, "headline", article["title"])
    # The subtitle is the second headline: IPTC defines no headline role code for it.
    optional(meta, "headline", article.get("subtitle"))
    optional(meta, "by", " and ".join(author["name"] for author in authors))


def xhtml(article: dict[str, Any]) -> etree._Element:
    """Return the article as an XHTML document: its title, subtitle and body paragraphs."""
    html = root(XHTML_NS, "html")
    sub(sub(html, "head"), "title", article["title"])
    body = sub(html, "body")
    sub(body, "h1", article["title"])
    optional(body, "h2", article.get("subtitle"))
    for paragraph in paragraphs(article.get("body")):
        sub(body, "p", paragraph)
    return html


def as_nitf(article: dict[str, Any]) -> etree._Element:
    """Return the article as an NITF 3.6 document (``head``, ``body.head`` and ``body.content``)."""
    nitf = root(NITF_NS, "nitf")
    nitf.set("version", NITF_VERSION)
    if article.get("language"):
        nitf.set(XML_LANG, xml_text(article["language"]))
    nitf_head(nitf, article)
    body = sub(nitf, "body")
    head = sub(body, "body.head")
    hedline = sub(head, "hedline")
    sub(hedline, "hl1", article["title"])
    optional(hedline, "hl2", article.get("subtitle"))
    authors = article.get("authors") or []
    if authors:
        byline = sub(head, "byline")
        for position, author in enumerate(authors):
            person = sub(byline, "person", author["name"])
            if position < len(authors) - 1:
                person.tail = " and "
    publisher = article.get("publisher")
    if publisher:
        sub(sub(head, "distributor"), "org", publisher["name"])
    content = sub(body, "body.content")
    for paragraph in paragraphs(article.get("body")):
        sub(content, "p", paragraph)
    return nitf


def nitf_head(nitf: etree._Element, article: dict[str, Any]) -> None:
    """Add NITF's ``head``: title, document id, status, dates, copyright and publication."""
    head = sub(nitf, "head")
    sub(head, "title", article["title"])
    docdata = sub(
        head, "docdata", **{"management-status": PUB_STATUS.get(article.get("status", "published"), "usable")}
    )
    sub(docdata, "doc-id", **{"id-string": article["url"]})
    for name, date in (
        ("date.issue", article.get("original_published_at") or article.get("published_at")),
        ("date.release", article.get("published_at")),
    ):
        if date:
            sub(docdata, name, norm=date)
    publisher = article.get("publisher")
    if publisher:
        sub(docdata, "doc.copyright", year=article.get("copyright_year"), holder=publisher["name"])
        sub(head, "pubdata", type="web", name=publisher["name"], **{"ex-ref": publisher["url"]})


def to_bytes(element: etree._Element, *, declaration: bool = True) -> bytes:
    """Return ``element`` serialized as UTF-8 XML (with the XML declaration unless part of a larger document)."""
    return (XML_DECLARATION if declaration else b"") + etree.tostring(element, encoding="UTF-8", xml_declaration=False)


def news_message(items: Iterable[etree._Element], *, sent: dt.datetime) -> Iterator[bytes]:
    """Yield a NewsML-G2 ``newsMessage``: a header, then ``items`` in its ``itemSet``, one item at a time."""
    yield XML_DECLARATION
    yield f'<newsMessage xmlns="{G2_NS}"><header><sent>{sent.isoformat()}</sent></header><itemSet>\n'.encode()
    empty = True
    for item in items:
        empty = False
        yield to_bytes(item, declaration=False) + b"\n"
    if empty:
        # An itemSet holds at least one item: no match is an empty package, so the message still validates.
        yield to_bytes(empty_package(sent), declaration=False) + b"\n"
    yield b"</itemSet></newsMessage>\n"


def empty_package(sent: dt.datetime) -> etree._Element:
    """Return a NewsML-G2 ``packageItem`` with no groups: an export that matched no article."""
    package = root(G2_NS, "packageItem")
    for name, value in (
        ("guid", f"urn:uuid:{uuid.uuid4()}"),
        ("version", "1"),
        ("standard", "NewsML-G2"),
        ("standardversion", G2_VERSION),
        ("conformance", "power"),
    ):
        package.set(name, value)
    sub(package, "catalogRef", href=IPTC_CATALOG)
    meta = sub(package, "itemMeta")
    sub(meta, "itemClass", qcode="ninat:composite")
    sub(meta, "provider", literal=PROVIDER)
    sub(meta, "versionCreated", sent.isoformat())
    sub(meta, "title", "No matching articles")
    return package


def as_nitf_item(article: dict[str, Any]) -> etree._Element:
    """Return the article as a NewsML-G2 ``newsItem`` carrying its NITF document, as IPTC's G2 guidelines convey it."""
    return as_newsml_item(article, nitf=True)
