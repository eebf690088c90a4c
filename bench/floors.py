"""Floors: the same work done straight through the database driver, for comparison in the same run.

Two functions here are specific to today's search engine; each is the one place to
change when the engine changes (e.g. to an embedded Tantivy index):

- ``search_index_floor(conn, vendor, load)``: load the rows (``load()``) and build
  the search index of them, the cheapest way the engine allows.
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


# --- Engine-specific: the search index ------------------------------------------------


def search_index_floor(conn, vendor: str, load: Callable[[], None]) -> None:
    """Load the rows and build today's search index of them: the cheapest route each engine offers.

    PostgreSQL: without the GIN index, COPY (the insert trigger computes the
    weighted tsvector of each row as it arrives), then build the GIN index once.
    SQLite: without the FTS5 triggers, insert, then one FTS5 'rebuild'.
    """
    cursor = conn.cursor()
    if vendor == "postgresql":
        cursor.execute("DROP INDEX IF EXISTS articles_article_search_vector_idx")
        conn.commit()
        load()
        cursor.execute("CREATE INDEX articles_article_search_vector_idx ON articles_article USING gin (search_vector)")
        conn.commit()
        return
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'articles_article_fts%'")
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP TRIGGER "{name}"')
    load()
    cursor.execute("INSERT INTO articles_article_fts(articles_article_fts) VALUES ('rebuild')")
    conn.commit()


# --- Engine-specific: search queries --------------------------------------------------


def search_floor(conn, vendor: str, q: str, kind: str) -> int:
    """Run the raw engine query of a search class; return how many rows it produced.

    ``ranked``: the top 20 by relevance, a snippet for each of those 20 only, and a
    count capped at COUNT_CAP. ``newest``: the same, newest first. ``facets``: the
    capped count and the largest publisher, author and year counts of the matches.
    """
    wanted, excluded = split_terms(q)
    if vendor == "postgresql":
        match, params = _pg_match(wanted, excluded)
        rank = "ts_rank(a.search_vector, " + _pg_tsquery(wanted) + ")"
        rank_params = [v for term in wanted for v in (SEARCH_CONFIG, term)]
    else:
        match, params = (
            "a.id IN (SELECT rowid FROM articles_article_fts WHERE articles_article_fts MATCH %s)",
            [_fts5(wanted, excluded)],
        )
        rank, rank_params = None, []
    where = f"{PUBLISHED} AND {match}"
    if kind == "facets":
        return _facets(conn, vendor, where, params)
    count = _capped_count(conn, vendor, where, params)
    if vendor == "postgresql":
        if kind == "ranked":
            page = f"SELECT a.id, {rank} AS r FROM articles_article a WHERE {where} ORDER BY r DESC, a.id DESC"
        elif count < FEW_MATCHES:
            # Few matches: read them first (the GIN index), then sort their dates. The planner's own
            # choice, walking the date index backwards and checking nearly every row, is the trap the
            # issue describes, not a floor. Many matches: that walk finds a page soon, so it is the floor.
            page = (
                f"WITH m AS MATERIALIZED (SELECT a.id, a.published_at FROM articles_article a WHERE {where}) "
                "SELECT id, 0 FROM m ORDER BY published_at DESC, id DESC"
            )
            rank_params = []
        else:
            page = f"SELECT a.id, 0 FROM articles_article a WHERE {where} ORDER BY a.published_at DESC, a.id DESC"
            rank_params = []
        ids = run(conn, vendor, f"{page} LIMIT {PAGE}", [*rank_params, *params])
        rows = _pg_snippets(conn, [row[0] for row in ids], wanted)
    else:
        rows = _sqlite_search(conn, wanted, excluded, kind)
    return count + len(rows)


def _pg_tsquery(terms: list[str]) -> str:
    return "(" + " && ".join("phraseto_tsquery(%s::regconfig, %s)" for _ in terms) + ")"


def _pg_match(wanted: list[str], excluded: list[str]) -> tuple[str, list]:
    tsquery = _pg_tsquery(wanted)
    if excluded:
        tsquery = f"({tsquery} && !!{_pg_tsquery(excluded)})"
    params = [v for term in [*wanted, *excluded] for v in (SEARCH_CONFIG, term)]
    return f"a.search_vector @@ {tsquery}", params


def _pg_snippets(conn, ids: list[int], wanted: list[str]) -> list:
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    return run(
        conn,
        "postgresql",
        f"SELECT a.id, a.title, ts_headline(%s::regconfig, a.body, {_pg_tsquery(wanted)}, "
        f"'MaxWords=32, MinWords=16, MaxFragments=2') FROM articles_article a WHERE a.id IN ({marks})",
        [SEARCH_CONFIG, *[v for term in wanted for v in (SEARCH_CONFIG, term)], *ids],
    )


def _fts5(wanted: list[str], excluded: list[str]) -> str:
    def quoted(terms: list[str]) -> str:
        return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)

    expression = quoted(wanted)
    return f"({expression}) NOT ({' OR '.join(quoted([t]) for t in excluded)})" if excluded else expression


def _sqlite_search(conn, wanted: list[str], excluded: list[str], kind: str) -> list:
    match = _fts5(wanted, excluded)
    order = "r DESC, f.id DESC" if kind == "ranked" else "a.published_at DESC, a.id DESC"
    ids = run(
        conn,
        "sqlite",
        "SELECT f.id, -bm25(articles_article_fts, 10.0, 4.0, 1.0) AS r FROM articles_article_fts f "
        f"JOIN articles_article a ON a.id = f.id WHERE articles_article_fts MATCH %s AND {PUBLISHED} "
        f"ORDER BY {order} LIMIT {PAGE}",
        [match],
    )
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    return run(
        conn,
        "sqlite",
        "SELECT f.id, f.title, snippet(articles_article_fts, 2, '[', ']', '…', 32) FROM articles_article_fts f "
        f"WHERE articles_article_fts MATCH %s AND f.rowid IN ({marks})",
        [match, *[row[0] for row in ids]],
    )


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
