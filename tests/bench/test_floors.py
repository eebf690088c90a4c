"""The benchmark's floors run on both databases and find what the API finds, so they cannot rot unnoticed."""

from __future__ import annotations

import pytest
from django.db import connection

from articles import search_index
from bench import floors
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("q", "wanted", "excluded"),
    [
        ("stock", ["stock"], []),
        ('"stock market"', ["stock market"], []),
        ("repa -bibota", ["repa"], ["bibota"]),
        ('repa -"stock market"', ["repa"], ["stock market"]),
    ],
)
def test_split_terms(q, wanted, excluded):
    assert floors.split_terms(q) == (wanted, excluded)


@pytest.fixture
def articles():
    ArticleFactory(body="The stock market fell.\n\nRepa and bibota.")
    ArticleFactory(body="The market for stock fell.\n\nRepa only.")
    ArticleFactory(body="Nothing to see.", status="draft", published_at=None)
    search_index.sync_pending()  # the raw engine floor reads the index as it is, without the API's drain


def raw():
    connection.ensure_connection()
    return connection.connection, connection.vendor


@pytest.mark.parametrize(
    ("q", "kind", "rows"),
    [
        # A capped count plus the page's rows: 1 + 1, 2 + 2, 1 + 1.
        ('"stock market"', "ranked", 2),
        ("repa", "newest", 4),
        ("repa -bibota", "ranked", 2),
    ],
)
def test_search_floor_counts_the_matches_and_pages_them(articles, q, kind, rows):
    conn, vendor = raw()
    assert floors.search_floor(conn, vendor, q, kind) == rows


def test_search_floor_facets_and_plain_sql_floors_run(articles):
    conn, vendor = raw()
    # Count 2, then one publisher row each, no authors (factories add none), one year.
    assert floors.search_floor(conn, vendor, "repa", "facets") == 2 + 2 + 0 + 1
    assert floors.facets_floor(conn, vendor) == 2 + 2 + 0 + 1
    assert floors.list_floor(conn, vendor) == 2 + 2
    position = floors.page_position(conn, vendor, 0)
    assert floors.list_floor(conn, vendor, after=position) == 1
    article_id = position[1]
    assert floors.detail_floor(conn, vendor, article_id) == 1
    assert floors.export_floor(conn, vendor, 10, lambda row: None) == 2
