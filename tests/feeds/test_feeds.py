"""Atom and RSS feeds: published articles only, the API's filters and ``q``, a JSON 400 on a bad value."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from articles.feeds import FEED_SIZE
from articles.models import Article
from tests.api.helpers import make_article
from tests.factories import AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_URL = "/feeds/articles.atom"
RSS_URL = "/feeds/articles.rss"


def atom_titles(client, **params) -> list[str]:
    response = client.get(ATOM_URL, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]


def test_feed_lists_published_articles_only(client, admin_client):
    make_article(title="Out in the open")
    make_article(status=Article.Status.DRAFT, title="Still a draft")
    assert atom_titles(client) == ["Out in the open"]
    assert atom_titles(admin_client) == ["Out in the open"]  # a feed is public, even for staff


def test_rss_feed_has_the_same_items(client):
    """GIVEN a published article WHEN the RSS feed is read THEN it is an item with its link and author."""
    author = AuthorFactory(name="Ada Lambert")
    article = make_article(title="An RSS story", authors=[author])
    response = client.get(RSS_URL)
    assert response.status_code == 200
    item = ET.fromstring(response.content).find("channel/item")
    assert item.findtext("title") == "An RSS story"
    assert item.findtext("link").endswith(article.get_absolute_url())
    assert "Ada Lambert" in ET.tostring(item, encoding="unicode")


def test_feed_takes_the_list_filters(client):
    wanted, other = PublisherFactory(slug="the-courier"), PublisherFactory(slug="the-ledger")
    make_article(title="Courier story", publisher=wanted)
    make_article(title="Ledger story", publisher=other)
    assert atom_titles(client, publisher="the-courier") == ["Courier story"]


def test_feed_takes_a_search(client):
    make_article(title="Harbour dredging begins", body="The harbour will be dredged.")
    make_article(title="Football results", body="The home side won.")
    assert atom_titles(client, q="harbour") == ["Harbour dredging begins"]


def test_bad_filter_value_is_a_json_400(client):
    response = client.get(ATOM_URL, {"published_after": "not-a-date"})
    assert response.status_code == 400
    assert "published_after" in response.json()


def test_feed_is_bounded_and_its_queries_do_not_grow(client, django_assert_max_num_queries):
    for n in range(FEED_SIZE + 3):
        make_article(title=f"Story {n}", authors=[AuthorFactory()])
    with django_assert_max_num_queries(4):
        assert len(atom_titles(client)) == FEED_SIZE


def test_api_root_links_the_feeds(client):
    feeds = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()["feeds"]
    assert feeds["atom"].endswith(ATOM_URL)
    assert feeds["rss"].endswith(RSS_URL)
