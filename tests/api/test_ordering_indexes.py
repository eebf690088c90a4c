"""Issue 8: every ordering the list offers is served by an index, on numbered and cursor pages alike.

The plans are read with the planner told to avoid sequential scans and sorts
(PostgreSQL) or as SQLite chooses them: a full-table scan or a sort of every
row left in the plan means no index serves that ordering, which at a million
articles is a sort of a million rows per page. A sort of the rows that tie on
the first key ("Incremental Sort", SQLite's "RIGHT PART OF ORDER BY") is fine.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import ARTICLES_URL
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db

ORDERINGS = [
    "",
    *(
        f"{sign}{field}"
        for field in ("date", "published_at", "title", "created_at", "word_count")
        for sign in ("", "-")
    ),
]


@pytest.fixture
def archive():
    author = AuthorFactory()
    for n in range(30):
        ArticleFactory(body=" ".join(["word"] * (n % 7 + 1)), authors=[author])


def page_query(client, params: dict) -> str:
    """Return the SQL of the page query a list request runs (the second page, for cursors)."""
    if params.get("page_mode") == "cursor":
        url = client.get(ARTICLES_URL, {**params, "page_size": 5}).json()["next"]
        request = lambda: client.get(url)  # noqa: E731
    else:
        request = lambda: client.get(ARTICLES_URL, {**params, "page_size": 5})  # noqa: E731
    with CaptureQueriesContext(connection) as queries:
        assert request().status_code == 200
    (sql,) = [q["sql"] for q in queries if "articles_article" in q["sql"] and "ORDER BY" in q["sql"]][:1]
    return sql


def full_sorts_and_scans(sql: str) -> list[str]:
    """Return the plan lines that sort or scan the whole article table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = [row[0].strip().removeprefix("->  ") for row in cursor.fetchall()]
            return [line for line in plan if line.startswith(("Sort  (", "Seq Scan on articles_article "))]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = [str(row[-1]) for row in cursor.fetchall()]
        return [line for line in plan if line == "USE TEMP B-TREE FOR ORDER BY" or line == "SCAN articles_article"]


@pytest.mark.parametrize("mode", ["page", "cursor"])
@pytest.mark.parametrize("ordering", ORDERINGS)
def test_every_public_ordering_walks_an_index(api_client, archive, ordering, mode):
    params = {"page_mode": mode, **({"ordering": ordering} if ordering else {})}

    assert full_sorts_and_scans(page_query(api_client, params)) == []


@pytest.mark.parametrize("mode", ["page", "cursor"])
@pytest.mark.parametrize("ordering", ["", "-date", "-published_at"])
def test_staff_newest_first_walks_an_index(staff_client, archive, ordering, mode):
    # Staff see undated drafts too, listed last: an index of its own on PostgreSQL.
    params = {"page_mode": mode, **({"ordering": ordering} if ordering else {})}

    assert full_sorts_and_scans(page_query(staff_client, params)) == []
