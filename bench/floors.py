"""Floors: the same work done straight through the database driver, for comparison in the same run.

Two functions here are specific to the search engine (the embedded Tantivy index);
each is the one place to change when the engine changes:

- ``search_index_floor(conn, vendor, load, build_index)``: load the rows (``load()``)
  and build the search index of them, the cheapest way the engine allows.
- ``search_floor(conn, vendor, q, kind)``: the raw engine query of one search
  class (``kind`` is ``"ranked"``, ``"newest"`` or ``"facets"``).

Everything else is plain SQL that holds on both databases. ``conn`` is a DB-API
connection (psycopg 3 or sqlite3); queries use its paramstyle through ``sql()``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SEARCH_CONFIG = "english"
PAGE = 20
COUNT_CAP = 10_000
# Below this many matches a newest-first search reads its matches before their dates.
FEW_MATCHES = 2_000
FACET_SIZE = 10
LIST_COLUMNS = (
    "a.id, a.slug, a.title, a.subtitle, a.word_count, a.image_credit, a.copyright_year, a.published_at, "
    "a.created_at, a.updated_at, p.id, p.name, p.slug"
)
FROM_LIST = "articles_article a LEFT JOIN articles_publisher p ON p.id = a.publisher_id"
PUBLISHED = "a.status = 'published'"
_TERM = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


def sql(vendor: str, text: str) -> str:
    """Return ``text`` (written with ``%s`` placeholders) in the driver's paramstyle."""
    return text.replace("%s", "?") if vendor == "sqlite" else text


def run(conn, vendor: str, text: str, params: tuple | list = ()) -> list:
    """Run one query and fetch every row."""
    cursor = conn.cursor()
    try:
        cursor.execute(sql(vendor, text), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def split_terms(q: str) -> tuple[list[str], list[str]]:
    """Split a benchmark query into wanted and excluded terms (a phrase is one term)."""
    wanted, excluded = [], []
    for dash, phrase, dash2, word in _TERM.findall(q):
        (excluded if (dash or dash2) else wanted).append(phrase or word)
    return wanted, excluded


# --- Engine-specific: the search index (the embedded Tantivy index) ----------------------


def search_index_floor(conn, vendor: str, load: Callable[[], None], build_index: Callable[[], None]) -> None:
    """Load the rows and build the search index of them: the cheapest route the engine offers.

    The outbox triggers are dropped first (the floor pays for no queue), the rows are
    loaded, then ``build_index()`` builds the Tantivy index of them in one pass
    (``manage.py rebuild_search_index``: keyset batches, one large writer heap).
    """
    cursor = conn.cursor()
    if vendor == "postgresql":
        cursor.execute(
            "SELECT DISTINCT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
            ["%outbox%"],
        )
        for name, table in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}" ON {table}')
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%outbox%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}"')
    conn.commit()
    load()
    build_index()


# --- Engine-specific: search queries --------------------------------------------------


def search_floor(conn, vendor: str, q: str, kind: str) -> int:
    """Run the raw engine query of a search class on the app's index; return how many rows it produced.

    ``ranked``: the top 20 by relevance with an exact count, and the 20 bodies read
    for their snippets. ``newest``: the same, newest first by the date fast field.
    ``facets``: the count and the publisher, author and year aggregations. No
    Django, no serialisation: the index query, then the page's rows by id.
    """
    import tantivy

    from articles.search import compile_query, parse_query
    from articles.search_index import SCHEMA, searcher

    published = tantivy.Query.term_query(SCHEMA, "status", "published")
    text = compile_query(parse_query(q))
    query = tantivy.Query.boolean_query([(tantivy.Occur.Must, text), (tantivy.Occur.Must, published)])
    search = searcher()
    if kind == "facets":
        terms = {"size": FACET_SIZE}
        aggregations = {
            name: {"terms": {"field": name, **terms}} for name in ("publisher", "authors", "copyright_year")
        }
        buckets = search.aggregate(query, aggregations)
        return search.search(query, 1, count=True).count + len(buckets)
    if kind == "ranked":
        found = search.search(query, PAGE, count=True)
    else:
        found = search.search(query, PAGE, count=True, order_by_field="published_desc", order=tantivy.Order.Desc)
    ids = [search.doc(address)["id"][0] for _, address in found.hits]
    return (found.count or 0) + len(_bodies(conn, vendor, ids))


def _bodies(conn, vendor: str, ids: list[int]) -> list:
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    return run(conn, vendor, f"SELECT a.id, a.title, a.body FROM articles_article a WHERE a.id IN ({marks})", ids)


# --- Plain SQL: lists, pages, details, facets, export ------------------------------------


def _capped_count(conn, vendor: str, where: str, params: list) -> int:
    inner = f"SELECT 1 FROM articles_article a WHERE {where} LIMIT {COUNT_CAP + 1}"
    return run(conn, vendor, f"SELECT count(*) FROM ({inner}) capped", params)[0][0]


def _facets(conn, vendor: str, where: str, params: list) -> int:
    total = _capped_count(conn, vendor, where, params)
    queries = (
        f"SELECT p.slug, p.name, count(*) AS n FROM articles_article a JOIN articles_publisher p "
        f"ON p.id = a.publisher_id WHERE {where} GROUP BY p.id, p.slug, p.name "
        f"ORDER BY n DESC, p.name LIMIT {FACET_SIZE}",
        f"SELECT au.slug, au.name, count(*) AS n FROM articles_articleauthor ab JOIN articles_article a "
        f"ON a.id = ab.article_id JOIN articles_author au ON au.id = ab.author_id WHERE {where} "
        f"GROUP BY au.id, au.slug, au.name ORDER BY n DESC, au.name LIMIT {FACET_SIZE}",
        f"SELECT a.copyright_year, count(*) AS n FROM articles_article a WHERE {where} "
        f"AND a.copyright_year IS NOT NULL GROUP BY a.copyright_year ORDER BY n DESC LIMIT {FACET_SIZE}",
    )
    return total + sum(len(run(conn, vendor, query, params)) for query in queries)


def facets_floor(conn, vendor: str) -> int:
    """The facets of every published article, in plain SQL."""
    return _facets(conn, vendor, PUBLISHED, [])


def list_floor(conn, vendor: str, *, where: str = "", params: tuple = (), offset: int = 0, after=None) -> int:
    """One list page (newest first) with its bylines and a capped count; keyset when ``after`` is given."""
    condition = PUBLISHED + (f" AND {where}" if where else "")
    page_params = list(params)
    if after is not None:
        condition += " AND (a.published_at < %s OR (a.published_at = %s AND a.id < %s))"
        page_params += [after[0], after[0], after[1]]
    rows = run(
        conn,
        vendor,
        f"SELECT {LIST_COLUMNS} FROM {FROM_LIST} WHERE {condition} "
        f"ORDER BY a.published_at DESC, a.id DESC LIMIT {PAGE} OFFSET {offset}",
        page_params,
    )
    count = (
        0
        if after is not None
        else _capped_count(conn, vendor, PUBLISHED + (f" AND {where}" if where else ""), list(params))
    )
    return count + len(rows) + len(_bylines(conn, vendor, [row[0] for row in rows]))


def _bylines(conn, vendor: str, ids: list[int]) -> list:
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    return run(
        conn,
        vendor,
        "SELECT ab.article_id, au.id, au.name, au.slug FROM articles_articleauthor ab JOIN articles_author au "
        f"ON au.id = ab.author_id WHERE ab.article_id IN ({marks}) ORDER BY ab.article_id, ab.position",
        ids,
    )


def page_position(conn, vendor: str, offset: int) -> tuple | None:
    """Return ``(published_at, id)`` of the published article at ``offset`` newest first (for keyset pages)."""
    rows = run(
        conn,
        vendor,
        f"SELECT a.published_at, a.id FROM articles_article a WHERE {PUBLISHED} "
        f"ORDER BY a.published_at DESC, a.id DESC LIMIT 1 OFFSET {offset}",
    )
    return tuple(rows[0]) if rows else None


def detail_floor(conn, vendor: str, article_id: int) -> int:
    """One article with its publisher and byline."""
    rows = run(
        conn,
        vendor,
        f"SELECT {LIST_COLUMNS}, a.body, a.source_key, a.content_sha256 FROM {FROM_LIST} "
        f"WHERE a.id = %s AND {PUBLISHED}",
        [article_id],
    )
    return len(rows) + len(_bylines(conn, vendor, [article_id]))


def export_floor(conn, vendor: str, limit: int, on_row: Callable[[tuple], None]) -> int:
    """Stream ``limit`` published articles (newest first) through the driver, handing each row to ``on_row``."""
    query = sql(
        vendor,
        f"SELECT {LIST_COLUMNS}, a.body, a.source_key FROM {FROM_LIST} WHERE {PUBLISHED} "
        f"ORDER BY a.published_at DESC, a.id DESC LIMIT {int(limit)}",
    )
    if vendor != "postgresql":
        return _stream(conn.cursor(), query, on_row)
    # A server-side cursor, as a real export would use: it lives in a transaction.
    with conn.transaction():
        return _stream(conn.cursor("bench_export"), query, on_row)


def _stream(cursor, query: str, on_row: Callable[[tuple], None]) -> int:
    rows = 0
    try:
        cursor.execute(query)
        while batch := cursor.fetchmany(500):
            for row in batch:
                on_row(row)
            rows += len(batch)
    finally:
        cursor.close()
    return rows
