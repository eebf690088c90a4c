"""Full-text search over articles' titles, subtitles and bodies, on PostgreSQL and SQLite.

Query syntax
------------
Queries use web-search syntax:

- ``county jail``: articles containing every word, in any order and any field.
  Words are stemmed, so ``detainer`` also finds ``detainers``.
- ``"county jail"``: the words next to each other, in this order (a phrase).
  An unclosed quote runs to the end of the query.
- ``jail OR prison``: either term. ``OR`` (in capitals) binds tighter than the
  implicit AND: ``county jail OR prison`` means county AND (jail OR prison).
- ``-jail`` or ``-"county jail"``: articles without the word or phrase.
  A query needs at least one term to search for besides its exclusions.
- ``AND`` is optional: terms must all match anyway. Anything else is plain
  text: punctuation such as ``*``, ``^``, ``:`` or ``(`` and words such as
  ``NOT`` or ``NEAR`` have no special meaning, and there is no prefix search.

Relevance (``rank``, higher is better) puts a match in the title above one in
the subtitle, above one in the body. A query with nothing searchable in it
(empty, or only operators and punctuation) matches no article. A query longer
than 1000 characters or with more than 32 terms is refused.


How it works
------------
``parse_query()`` turns the text into a ``Query`` (a conjunction of OR-groups of
terms, minus excluded terms) without touching the database, raising
``SearchQueryError`` (a ``ValueError``; the API answers 400) for what it refuses.
The query is then compiled per backend, every term passed as a parameter:

- PostgreSQL: each term becomes ``phraseto_tsquery(config, term)``, combined with
  ``&&``, ``||`` and ``!!``, and matched against ``articles_article.search_vector``,
  a GIN-indexed ``tsvector`` column weighted title 'A', subtitle 'B', body 'C';
  ``rank`` is ``ts_rank()``. The column is not a model field: migration 0002 adds
  it with triggers that compute it on every INSERT and on every UPDATE that
  changes the text, so imports (``bulk_create`` too), admin and API edits and
  ``QuerySet.update()`` keep it right without any Python work. The triggers use
  the text-search configuration ``settings.ARCHIVE_SEARCH_CONFIG`` named at
  migrate time; after changing the setting run ``rebuild_search_index()``.
  Stop words ("the", "and") are not indexed, so a query of stop words only
  matches nothing, and accents are not folded.
- SQLite: each term becomes an FTS5 string (``"..."``, so user input can never
  reach FTS5's own syntax: column filters, NEAR, ``*``, ``^``), searched in
  ``articles_article_fts``, an external content FTS5 table over the same three
  columns (plus an UNINDEXED copy of the id) with the ``porter unicode61
  remove_diacritics 2`` tokenizer, kept in sync by triggers on
  ``articles_article``. ``matching()`` filters on ``id IN (SELECT rowid ...
  MATCH ...)``; ``search()`` joins the FTS table, since ``bm25()`` and
  ``snippet()`` only work there, on the id copy rather than the rowid so that
  SQLite's planner always reads the index first instead of probing it once per
  candidate article. ``rank`` is ``-bm25()`` with column weights 10, 4 and 1.
  SQLite drops a table's triggers when Django rebuilds the table for a later
  schema change, so ``repair_search_index()`` runs after every ``migrate``.

``snippet`` is a fragment of the body with matched terms in ``<mark>`` elements
and everything else HTML-escaped: the database marks matches with control
characters (and, on PostgreSQL, ``ts_headline()`` sees ``<``/``>`` as control
characters too, since it would drop anything that looks like a tag) and
``SnippetField`` escapes the text and turns the markers into ``<mark>`` as the
value is read, so the annotation is safe to render as it arrives.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections
from django.db.models import BooleanField, Expression, F, FloatField, Func, Lookup, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL

from articles.models import Article, ArticleSearchIndex

SYNTAX_HELP = __doc__.partition("------------\n")[2].partition("\n\n\nHow it works")[0].strip()

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
# The ordering the API uses for relevance: best first, newest id breaking ties.
RELEVANCE_ORDERING = ("-rank", "-id")

TABLE = Article._meta.db_table
VECTOR_COLUMN = "search_vector"
FTS_TABLE = ArticleSearchIndex._meta.db_table
# Relative weights of title, subtitle and body in SQLite's bm25(); PostgreSQL's
# ts_rank() weights 'A', 'B', 'C' as 1.0, 0.4, 0.2.
FTS_WEIGHTS = (10.0, 4.0, 1.0)
SNIPPET_WORDS = 32

# Markers the database puts in a snippet; SnippetField turns them into HTML.
_MARK, _END_MARK, _LT, _GT = "\x02", "\x03", "\x04", "\x05"
_MARKERS = re.compile(f"([{_MARK}{_END_MARK}{_LT}{_GT}])")
_HEADLINE_OPTIONS = (
    f'StartSel="{_MARK}", StopSel="{_END_MARK}", MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
# A bare word or a quoted phrase, each with optional leading dashes (exclusion).
_TOKEN = re.compile(r'(-*)(?:"([^"]*)"?|([^\s"]+))')
_SPACE = re.compile(r"\s+")
_CONFIG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


class SearchQueryError(ValueError):
    """A search query that cannot be run; the message says why."""


@dataclass(frozen=True)
class Term:
    """A word or a phrase to look for; a phrase's words must be adjacent and in order."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed query: every group must match (a group matches when any of its terms does), no excluded term may."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether the query has nothing to search for."""
        return not self.groups


def parse_query(q: str) -> Query:
    """Parse web-search syntax into a ``Query``; raise ``SearchQueryError`` for a query that cannot run."""
    if not isinstance(q, str):
        raise SearchQueryError("The search query must be text.")
    if len(q) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"The search query is too long: {len(q)} characters, the limit is {MAX_QUERY_CHARS}.")
    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    extend_group = after_term = False
    for match in _TOKEN.finditer(_clean(q)):
        dashes, phrase, word = match.groups()
        if phrase is None and not dashes and word in ("OR", "AND"):
            # OR joins the next term to the previous one's group; AND is what
            # adjacent terms mean anyway. Neither means anything without a term before it.
            extend_group = word == "OR" and after_term
            continue
        term = Term(" ".join((phrase if phrase is not None else word).split()), phrase=phrase is not None)
        if not any(char.isalnum() for char in term.text):
            continue  # Nothing any tokenizer would index, e.g. "*" or a lone "-".
        if dashes:
            excluded.append(term)
            extend_group = after_term = False
        elif extend_group:
            groups[-1] += (term,)
            extend_group = False
        else:
            groups.append((term,))
            after_term = True
    if sum(map(len, groups)) + len(excluded) > MAX_TERMS:
        raise SearchQueryError(f"The search query has too many terms; the limit is {MAX_TERMS}.")
    if excluded and not groups:
        raise SearchQueryError("The search query only excludes terms; add at least one term to search for.")
    return Query(groups=tuple(groups), excluded=tuple(excluded))


def _clean(q: str) -> str:
    """Return ``q`` in NFC with control characters and lone surrogates turned into spaces."""
    # Neither database accepts some of them (NUL, surrogates), and none is searchable.
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in q)
    return unicodedata.normalize("NFC", text)


def to_fts5(query: Query) -> str:
    """Compile ``query`` into an FTS5 MATCH expression in which every term is an FTS5 string."""

    def any_of(terms: tuple[Term, ...]) -> str:
        return "(" + " OR ".join('"' + term.text.replace('"', '""') + '"' for term in terms) + ")"

    expression = " AND ".join(any_of(group) for group in query.groups)
    if query.excluded:
        expression = f"({expression}) NOT {any_of(query.excluded)}"
    return expression


def matching(queryset: QuerySet[Article], q: str | Query) -> QuerySet[Article]:
    """Filter ``queryset`` to the articles matching ``q``, without ranking (for counts and facets)."""
    query = _as_query(q)
    if query.is_empty:
        return queryset.none()
    vendor = _vendor(queryset)
    if vendor == "postgresql":
        return queryset.filter(_PgMatch(query, _search_config()))
    return queryset.filter(pk__in=RawSQL(_FTS_SEARCH, [to_fts5(query)]))  # noqa: S611 - constant SQL, query as a parameter


def search(queryset: QuerySet[Article], q: str | Query) -> QuerySet[Article]:
    """Filter ``queryset`` to the articles matching ``q``, annotated with ``rank`` and ``snippet``.

    ``rank`` is a float, higher for better matches on both databases; order by
    ``RELEVANCE_ORDERING`` for relevance. ``snippet`` is safe HTML. The result
    is one query however many articles match, and composes with other filters,
    ``select_related()``, ``prefetch_related()``, ``values()`` and aggregates.
    """
    query = _as_query(q)
    if query.is_empty:
        return queryset.none().annotate(rank=Value(0.0, FloatField()), snippet=Value("", SnippetField()))
    if _vendor(queryset) == "postgresql":
        config = _search_config()
        return matching(queryset, query).annotate(rank=_PgRank(query, config), snippet=_PgHeadline(query, config))
    # bm25() and snippet() need the FTS table in the query itself: join it. A
    # lookup, not a bare expression, makes that an INNER JOIN, as FTS5 cannot
    # evaluate MATCH on the null side of a LEFT JOIN.
    fts = F("search_index__fts")
    return queryset.filter(search_index__fts__fts5_match=to_fts5(query)).annotate(
        rank=_Bm25(fts, *(Value(weight) for weight in FTS_WEIGHTS)),
        snippet=_Fts5Snippet(fts, Value(2), Value(_MARK), Value(_END_MARK), Value("…"), Value(SNIPPET_WORDS)),
    )


def _as_query(q: str | Query) -> Query:
    return q if isinstance(q, Query) else parse_query(q)


def _vendor(queryset: QuerySet) -> str:
    vendor = connections[queryset.db].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotSupportedError(f"Full-text search supports PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _search_config() -> str:
    config = settings.ARCHIVE_SEARCH_CONFIG
    if not _CONFIG_NAME.fullmatch(config):
        raise ImproperlyConfigured(f"ARCHIVE_SEARCH_CONFIG is not a text-search configuration name: {config!r}.")
    return config


# --- Snippets ----------------------------------------------------------------


def render_snippet(raw: str | None) -> str:
    """Turn a database snippet with match markers into HTML: ``<mark>`` around matches, the rest escaped."""
    if not raw:
        return ""
    parts: list[str] = []
    marking = False
    for piece in _MARKERS.split(raw):
        if piece in (_MARK, _END_MARK):
            # Only balanced marks, even if the body itself contains a marker character.
            if marking == (piece == _END_MARK):
                parts.append("</mark>" if marking else "<mark>")
                marking = not marking
        elif piece == _LT:
            parts.append("&lt;")
        elif piece == _GT:
            parts.append("&gt;")
        else:
            parts.append(html.escape(_SPACE.sub(" ", piece)))
    if marking:
        parts.append("</mark>")
    return "".join(parts).strip()


class SnippetField(TextField):
    """A snippet read from the database, rendered to safe HTML by ``render_snippet()``."""

    def from_db_value(self, value, expression, connection) -> str:
        return render_snippet(value)


# --- SQLite: FTS5 --------------------------------------------------------------


@ArticleSearchIndex._meta.get_field("fts").register_lookup
class _Fts5Match(Lookup):
    lookup_name = "fts5_match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class _Bm25(Func):
    # bm25() is lower for better matches; negate it so higher is better everywhere.
    function = "bm25"
    template = "(-%(function)s(%(expressions)s))"
    output_field = FloatField()


class _Fts5Snippet(Func):
    function = "snippet"
    output_field = SnippetField()


# --- PostgreSQL: the search_vector column ------------------------------------------


class _PgTextSearch(Expression):
    """An expression over the article table's ``search_vector`` column, which no model field maps.

    The column is reached through the table alias of the query's ``pk`` column,
    so the SQL stays right when the queryset becomes a subquery.
    """

    def __init__(self, query: Query, config: str, *, output_field) -> None:
        super().__init__(output_field=output_field)
        self.query = query
        self.config = config
        self.pk = F("pk")
        self.body = F("body")

    def get_source_expressions(self) -> list:
        return [self.pk, self.body]

    def set_source_expressions(self, exprs) -> None:
        self.pk, self.body = exprs

    def _vector(self, compiler, connection) -> str:
        return f"{compiler.quote_name_unless_alias(self.pk.alias)}.{connection.ops.quote_name(VECTOR_COLUMN)}"

    def _tsquery(self, groups: tuple[tuple[Term, ...], ...]) -> tuple[str, list]:
        """Compile AND-ed OR-groups of terms into a tsquery expression."""
        sql = " && ".join(
            "(" + " || ".join("phraseto_tsquery(%s::regconfig, %s)" for _ in group) + ")" for group in groups
        )
        return f"({sql})", [value for group in groups for term in group for value in (self.config, term.text)]

    def as_sql(self, compiler, connection):
        raise NotSupportedError("This expression needs PostgreSQL.")


class _PgMatch(_PgTextSearch):
    def __init__(self, query: Query, config: str) -> None:
        super().__init__(query, config, output_field=BooleanField())

    def as_postgresql(self, compiler, connection):
        vector = self._vector(compiler, connection)
        wanted, params = self._tsquery(self.query.groups)
        if not self.query.excluded:
            return f"({vector} @@ {wanted})", params
        unwanted, unwanted_params = self._tsquery((self.query.excluded,))
        # One tsquery, so that each row's (large, toasted) vector is read once. The
        # numnode() guard, evaluated once per query, keeps wanted terms that are all
        # stop words from leaving "!!unwanted" alone, which would match nearly everything.
        sql = f"(numnode({wanted}) > 0 AND {vector} @@ ({wanted} && !!{unwanted}))"
        return sql, [*params, *params, *unwanted_params]


class _PgRank(_PgTextSearch):
    def __init__(self, query: Query, config: str) -> None:
        super().__init__(query, config, output_field=FloatField())

    def as_postgresql(self, compiler, connection):
        wanted, params = self._tsquery(self.query.groups)
        return f"ts_rank({self._vector(compiler, connection)}, {wanted})", params


class _PgHeadline(_PgTextSearch):
    def __init__(self, query: Query, config: str) -> None:
        super().__init__(query, config, output_field=SnippetField())

    def as_postgresql(self, compiler, connection):
        body, body_params = compiler.compile(self.body)
        wanted, params = self._tsquery(self.query.groups)
        # ts_headline() drops whatever looks like an HTML tag: hide < and > as
        # markers (and drop marker characters from the body) for SnippetField.
        sql = f"ts_headline(%s::regconfig, translate({body}, %s, %s), {wanted}, %s)"
        hidden = (f"<>{_MARK}{_END_MARK}{_LT}{_GT}", f"{_LT}{_GT}")
        return sql, [self.config, *body_params, *hidden, *params, _HEADLINE_OPTIONS]


# --- The index: installed by migration 0002, kept by triggers ------------------------

# The statements below are built from this module's constants and a configuration
# name checked against _CONFIG_NAME: no user input ever reaches them (hence noqa: S608).
_FTS_COLUMNS = "title, subtitle, body, id"
_FTS_SEARCH = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
_FTS_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"  # noqa: S608
_FTS_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"""
        CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON {TABLE} BEGIN
            INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS}) VALUES (new.id, new.title, new.subtitle, new.body, new.id);
        END""",  # noqa: S608
    f"{FTS_TABLE}_delete": f"""
        CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON {TABLE} BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_FTS_COLUMNS})
            VALUES ('delete', old.id, old.title, old.subtitle, old.body, old.id);
        END""",  # noqa: S608
    f"{FTS_TABLE}_update": f"""
        CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF {_FTS_COLUMNS} ON {TABLE}
        WHEN old.id IS NOT new.id OR old.title IS NOT new.title
            OR old.subtitle IS NOT new.subtitle OR old.body IS NOT new.body
        BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_FTS_COLUMNS})
            VALUES ('delete', old.id, old.title, old.subtitle, old.body, old.id);
            INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS}) VALUES (new.id, new.title, new.subtitle, new.body, new.id);
        END""",  # noqa: S608
}
_PG_FUNCTION = f"{TABLE}_search_vector"
_PG_INDEX = f"{TABLE}_search_vector_idx"


def _pg_vector_sql(config: str, row: str = "") -> str:
    """Return the SQL computing an article's weighted search vector from ``row``'s columns."""
    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({row}{column}, '')), '{weight}')"
        for column, weight in (("title", "A"), ("subtitle", "B"), ("body", "C"))
    )


def _pg_fill_sql(config: str) -> str:
    return f"UPDATE {TABLE} SET {VECTOR_COLUMN} = {_pg_vector_sql(config)}"  # noqa: S608


def _pg_function_sql(config: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.{VECTOR_COLUMN} := {_pg_vector_sql(config, "NEW.")};
            RETURN NEW;
        END
        $$"""


def install_search_index(schema_editor) -> None:
    """Create the search index and its triggers on the schema editor's database, and fill it."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        config = _search_config()
        statements = [
            f"ALTER TABLE {TABLE} ADD COLUMN {VECTOR_COLUMN} tsvector",
            _pg_function_sql(config),
            f"CREATE TRIGGER {_PG_FUNCTION}_insert BEFORE INSERT ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
            # Only when the text changed: saving an article's status recomputes nothing.
            f"CREATE TRIGGER {_PG_FUNCTION}_update BEFORE UPDATE OF title, subtitle, body ON {TABLE} "
            "FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.subtitle IS DISTINCT FROM NEW.subtitle "
            f"OR OLD.body IS DISTINCT FROM NEW.body) EXECUTE FUNCTION {_PG_FUNCTION}()",
            _pg_fill_sql(config),
            f"CREATE INDEX {_PG_INDEX} ON {TABLE} USING gin ({VECTOR_COLUMN})",
        ]
    elif vendor == "sqlite":
        statements = [
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, subtitle, body, id UNINDEXED, content='{TABLE}', "
            "content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')",
            *_FTS_TRIGGERS.values(),
            _FTS_REBUILD,
        ]
    else:
        raise NotSupportedError(f"Full-text search supports PostgreSQL and SQLite, not {vendor}.")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall_search_index(schema_editor) -> None:
    """Drop the search index and its triggers."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [
            f"DROP TRIGGER IF EXISTS {_PG_FUNCTION}_insert ON {TABLE}",
            f"DROP TRIGGER IF EXISTS {_PG_FUNCTION}_update ON {TABLE}",
            f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()",
            f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {VECTOR_COLUMN}",  # Drops the index too.
        ]
    elif vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in _FTS_TRIGGERS]
        statements.append(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    else:
        statements = []
    for statement in statements:
        schema_editor.execute(statement, params=None)


def rebuild_search_index(using: str = DEFAULT_DB_ALIAS) -> None:
    """Recompute every article's index entry, on PostgreSQL with the current ``ARCHIVE_SEARCH_CONFIG``."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            config = _search_config()
            cursor.execute(_pg_function_sql(config))
            cursor.execute(_pg_fill_sql(config))
        elif connection.vendor == "sqlite":
            cursor.execute(_FTS_REBUILD)


def repair_search_index(using: str = DEFAULT_DB_ALIAS, **kwargs) -> bool:
    """Recreate SQLite triggers that a table rebuild dropped, and reindex; return whether anything was repaired.

    Django's SQLite schema editor applies many changes by copying a table into
    a new one and dropping the old one, which drops its triggers; connected to
    ``post_migrate``. Does nothing where the index is not installed, or on PostgreSQL.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
        if FTS_TABLE not in present or present.issuperset(_FTS_TRIGGERS):
            return False
        for name, sql in _FTS_TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql)
        cursor.execute(_FTS_REBUILD)
    return True
