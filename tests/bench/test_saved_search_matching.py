"""The saved-search benchmark's queries: the same for the same seed, a mix of kinds, all valid list queries."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from articles.api.search_filters import SavedQueryParser
from bench.saved_search_matching import Pools, saved_queries

POOLS = Pools(
    publishers=["daily-news", "evening-post"], authors=["jane-doe"], first_day="2024-01-01", last_day="2025-06-30"
)


def test_queries_are_reproducible_and_mixed():
    queries = saved_queries(2000, seed=7, articles=1000, pools=POOLS)

    assert queries == saved_queries(2000, seed=7, articles=1000, pools=POOLS)
    texts = [QueryDict(q).get("q", "") for q in queries]
    assert any('"' in t for t in texts) and any(" -" in t for t in texts) and any(" OR " in t for t in texts)
    assert any(not t for t in texts), "some follow a publisher or an author only"
    assert sum("publisher=" in q for q in queries) > 300
    assert sum("language=" in q for q in queries) > 150


@pytest.mark.django_db
def test_queries_pass_the_article_lists_validation():
    parser = SavedQueryParser(None)
    for query in saved_queries(300, seed=3, articles=1000, pools=POOLS):
        parser.parse(query)  # SavedQueryError otherwise
