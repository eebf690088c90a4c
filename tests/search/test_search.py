"""Searching articles on whichever database the suite runs on (run it on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Prefetch

from articles import search as search_module
from articles.api.facets import facet_counts
from articles.importing import import_paths
from articles.models import Article, ArticleAuthor
from articles.search import RELEVANCE_ORDERING, ArticleSearch, SearchQueryError, parse_query, search
from articles.search_index import sync_pending
from tests.conftest import SEED_FILE, SEEDS_DIR
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory
from tests.search.conftest import found, make, ranked

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "q"),
    [
        ("Cook County refuses to honor immigration detainers.", "detainer"),
        ("An immigration detainer is a tool used by ICE.", "detainers"),
        ("The agencies were releasing criminals.", "released"),
        ("The county jails were full.", '"county jail"'),
    ],
)
def test_words_are_stemmed(filler, text, q):
    article = make(text)

    assert found(q) == {article.pk}


def test_phrase_needs_adjacent_words_in_order_and_words_do_not(filler):
    adjacent = make("She was held in the county jail overnight.")
    apart = make("The jail in the county was full.")

    assert found('"county jail"') == {adjacent.pk}
    assert found("county jail") == {adjacent.pk, apart.pk}
    assert found('"jail county"') == set()


def test_excluded_words_and_phrases(filler):
    jail = make("The county jail was full.")
    fair = make("The county fair opened.")
    apart = make("The jail in the county was full.")

    assert found("county -jail") == {fair.pk}
    assert found('county -"county jail"') == {fair.pk, apart.pk}
    assert found("county -jail -fair") == set()
    assert jail.pk in found("county")


def test_or_matches_either_term_and_binds_tighter_than_and(filler):
    alpha = make("alpha particles in the county")
    beta = make("beta blockers in the county")
    gamma = make("gamma rays")
    alpha_elsewhere = make("alpha particles far away")

    assert found("alpha OR beta") == {alpha.pk, beta.pk, alpha_elsewhere.pk}
    assert found("county alpha OR beta") == {alpha.pk, beta.pk}
    assert found("alpha OR beta OR gamma -county") == {gamma.pk, alpha_elsewhere.pk}
    assert found("alpha or beta") == set()  # Lowercase "or" is a word: every word must match.


def test_title_ranks_above_subtitle_above_body(filler):
    """
    GIVEN three articles with the searched word once, in the body, subtitle and title
    WHEN searching for it by relevance
    THEN the title match comes first, then the subtitle match, then the body match.
    """
    in_body = make("The zeppelin landed late.", title="Arrivals")
    in_title = make("It landed late.", title="Zeppelin arrives")
    in_subtitle = make("It landed late.", title="Airships", subtitle="A zeppelin story")

    assert ranked("zeppelin") == [in_title.pk, in_subtitle.pk, in_body.pk]
    ranks = [article.rank for article in search(Article.objects.all(), "zeppelin").order_by(*RELEVANCE_ORDERING)]
    assert all(isinstance(rank, float) for rank in ranks)
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] > ranks[-1]


def test_rank_is_higher_for_more_matched_words(filler):
    both = make("The county jail was full.", title="News")
    one = make("The county fair opened.", title="Fair")

    assert ranked("county OR jail") == [both.pk, one.pk]


def test_edited_article_is_found_by_new_words_not_old_ones(filler):
    """
    GIVEN an article about a zeppelin
    WHEN its title and body are edited and saved (as the admin and the API do)
    THEN it is found by the new words and no longer by the old ones.
    """
    article = make("The zeppelin landed.", title="Zeppelin news")

    article.title = "Balloon news"
    article.body = "The balloon landed."
    article.save()

    assert found("balloon") == {article.pk}
    assert found("zeppelin") == set()


@pytest.mark.parametrize("field", ["title", "subtitle", "body"])
def test_queryset_update_reindexes(filler, field):
    """
    GIVEN an article with a word in one field
    WHEN the field is changed with QuerySet.update() (no save(), no signals)
    THEN the index follows.
    """
    article = make(**{"body": "", field: "zeppelin"})

    Article.objects.filter(pk=article.pk).update(**{field: "balloon"})

    assert found("balloon") == {article.pk}
    assert found("zeppelin") == set()


def test_bulk_update_reindexes(filler):
    articles = [make("zeppelin one"), make("zeppelin two")]
    for article in articles:
        article.body = article.body.replace("zeppelin", "balloon")

    Article.objects.bulk_update(articles, ["body"])

    assert found("balloon") == {a.pk for a in articles}
    assert found("zeppelin") == set()


def test_saving_other_fields_keeps_the_article_searchable(filler):
    article = make("The zeppelin landed.")

    article.status = Article.Status.WITHDRAWN
    article.save()
    Article.objects.filter(pk=article.pk).update(word_count=99, needs_review=True)

    assert found("zeppelin") == {article.pk}


def test_deleted_articles_disappear(filler):
    kept, deleted, bulk_deleted = make("zeppelin kept"), make("zeppelin gone"), make("zeppelin also gone")

    deleted.delete()
    Article.objects.filter(pk=bulk_deleted.pk).delete()

    assert found("zeppelin") == {kept.pk}
    assert found("gone") == set()


def test_bulk_created_articles_are_searchable(filler):
    """
    GIVEN articles created with bulk_create (as the importer does), bypassing save()
    WHEN searching
    THEN they are found.
    """
    publisher = PublisherFactory()
    created = Article.objects.bulk_create(
        ArticleFactory.build(body=f"zeppelin number {n}", publisher=publisher) for n in range(3)
    )

    assert found("zeppelin") == {a.pk for a in created}


def test_imported_seed_is_found_by_stemmed_word():
    """
    GIVEN the example seed imported by the import service
    WHEN searching for "detainer" (the body says "detainers")
    THEN the article is found, with the word marked in its snippet.
    """
    report = import_paths(paths=[SEEDS_DIR])
    [seed_id] = [o.article_id for o in report.outcomes if o.source_key == SEED_FILE.name and o.result == "created"]

    results = {article.pk: article for article in search(Article.objects.all(), "detainer")}

    assert seed_id in results
    assert "<mark>detainers</mark>" in results[seed_id].snippet
    assert seed_id in found('"cook county" detainer -zeppelin')
    assert seed_id not in found("detainer -immigration")


def test_snippet_marks_matches_and_escapes_html(filler):
    make('Detainers <script>alert("x")</script> & <b>bold</b> claims.')

    (article,) = search(Article.objects.all(), "detainer")

    assert "<mark>Detainers</mark>" in article.snippet
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in article.snippet
    assert "&amp; &lt;b&gt;bold&lt;/b&gt; claims" in article.snippet
    assert "<script>" not in article.snippet
    assert "<b>" not in article.snippet


def test_snippet_is_a_fragment_of_a_long_body(filler):
    body = " ".join(["filler"] * 300 + ["zeppelin"] + ["filler"] * 300)
    make(body)

    (article,) = search(Article.objects.all(), "zeppelin")

    assert "<mark>zeppelin</mark>" in article.snippet
    assert len(article.snippet) < 600
    assert "\n" not in article.snippet


def test_snippet_of_a_title_only_match_is_the_start_of_the_body(filler):
    make("The body says nothing about it.", title="Zeppelin")

    (article,) = search(Article.objects.all(), "zeppelin")

    assert article.snippet.startswith("The body says nothing")
    assert "<mark>" not in article.snippet


INJECTIONS = [
    "title:foo",
    "body: zeppelin",
    "{title body}: zeppelin",
    "articles_article_fts:zeppelin",
    "rowid:1",
    "NEAR(zeppelin balloon)",
    "NEAR(zeppelin balloon, 2)",
    "zeppelin*",
    "*",
    '"',
    '"zeppelin',
    'zeppelin"',
    "^zeppelin",
    "^",
    "AND",
    "OR",
    "NOT",
    "zeppelin NOT balloon",
    "zeppelin AND",
    "OR OR",
    "- -",
    "+zeppelin",
    "(zeppelin",
    "zeppelin)",
    "zeppelin:",
    "'",
    "'; DROP TABLE articles_article; --",
    "%s %% ? :1 $1",
    "\\",
    "zeppelin\x00",
    "\ud800",
    "😀 zeppelin",
    "東京 עברית zeppelin",
    "!zeppelin & | <-> <2>",
    "zeppelin:* & !balloon",
    "x" * 1000,
    "zeppelin " * 30,
    "a " * 500,
    "x" * 5000,
]


@pytest.mark.parametrize("q", INJECTIONS)
def test_hostile_queries_never_fail_except_with_a_search_query_error(filler, q):
    """
    GIVEN an article
    WHEN searching with input that is FTS5 or tsquery syntax, SQL, or garbage
    THEN the search runs (or raises SearchQueryError), never anything else, and the data is untouched.
    """
    make("The zeppelin landed.", title="Zeppelin title")
    try:
        results = list(search(Article.objects.all(), q).order_by(*RELEVANCE_ORDERING))
        count = search(Article.objects.all(), q).count()
    except SearchQueryError:
        return
    assert len(results) == count
    assert Article.objects.count() == 7


def test_fts5_syntax_is_searched_as_text(filler):
    """A column filter or NEAR group in the query is plain text, not FTS5 syntax."""
    make("The zeppelin landed.", title="Zeppelin")

    assert found("title:zeppelin") == set()  # The words "title" and "zeppelin", adjacent.
    assert found("NEAR(zeppelin landed)") == set()  # "near" is not in the article.
    assert len(found("zeppelin*")) == 1


@pytest.mark.parametrize("q", ["", "   ", "OR", "-", '"', "*", "^ *"])
def test_queries_with_nothing_to_search_find_nothing(filler, django_assert_num_queries, q):
    with django_assert_num_queries(0):
        results = list(search(Article.objects.all(), q))
        count = search(Article.objects.all(), q).count()

    assert results == []
    assert count == 0


@pytest.mark.parametrize("q", ["-zeppelin", "x" * 1001, "a " * 40])
def test_refused_queries_raise_search_query_error(filler, q):
    with pytest.raises(SearchQueryError):
        search(Article.objects.all(), q)
    with pytest.raises(SearchQueryError):
        search(Article.objects.published(), q)


def test_search_accepts_a_parsed_query(filler):
    article = make("The zeppelin landed.")

    assert list(search(Article.objects.all(), parse_query("zeppelin"))) == [article]


@pytest.mark.parametrize("count", [3, 12])
def test_search_is_one_query_with_related_data_prefetched(django_assert_num_queries, filler, count):
    """
    GIVEN ``count`` matching articles, each with a publisher and two authors, already indexed
    WHEN listing search results with their publisher and byline
    THEN it takes one query for the (empty) outbox, one for the articles and one for the bylines,
    whatever ``count`` is.
    """
    authors = AuthorFactory.create_batch(2)
    bylines = Prefetch("bylines", queryset=ArticleAuthor.objects.select_related("author"))
    for n in range(count):
        ArticleFactory(body=f"zeppelin {n}", authors=authors)
    sync_pending()

    with django_assert_num_queries(3):
        results = list(
            search(
                Article.objects.select_related("publisher").prefetch_related(bylines).defer("body", "raw_text"),
                "zeppelin",
            ).order_by(*RELEVANCE_ORDERING)
        )
        bylines = [[b.author.name for b in article.bylines.all()] for article in results]
        snippets = [(article.publisher.name, article.snippet, article.rank) for article in results]

    assert len(results) == len(bylines) == len(snippets) == count


def test_search_composes_with_other_filters(filler):
    published = make("zeppelin published")
    draft = make("zeppelin draft", status=Article.Status.DRAFT, published_at=None)

    assert found("zeppelin", Article.objects.published()) == {published.pk}
    assert found("zeppelin", Article.objects.filter(status=Article.Status.DRAFT)) == {draft.pk}
    assert {a.pk for a in search(Article.objects.published(), "zeppelin").filter(pk__gt=0)} == {published.pk}
    assert list(search(Article.objects.published(), "zeppelin").filter(pk__gt=published.pk)) == []


def test_search_results_can_be_counted_per_publisher_author_and_year(filler):
    """
    GIVEN matching articles over two publishers, two authors and two years, and others that do not match
    WHEN counting the matching set per publisher, per author and per year (as facets do)
    THEN the counts cover the matching articles only.
    """
    first, second = PublisherFactory(name="First"), PublisherFactory(name="Second")
    ann, bob = AuthorFactory(name="Ann"), AuthorFactory(name="Bob")
    ArticleFactory(body="zeppelin", publisher=first, copyright_year=2020, authors=[ann])
    ArticleFactory(body="zeppelin", publisher=first, copyright_year=2021, authors=[ann, bob])
    ArticleFactory(body="zeppelin", publisher=second, copyright_year=2021, authors=[bob])
    ArticleFactory(body="balloon", publisher=second, copyright_year=2021, authors=[ann])

    facets = facet_counts(search(Article.objects.all(), "zeppelin", snippets=False))

    assert facets["count"] == 3
    assert [(p["slug"], p["count"]) for p in facets["publishers"]] == [(first.slug, 2), (second.slug, 1)]
    assert facets["copyright_years"] == [{"year": 2021, "count": 2}, {"year": 2020, "count": 1}]
    assert [(a["slug"], a["count"]) for a in facets["authors"]] == [(ann.slug, 2), (bob.slug, 2)]


def test_results_are_read_through_the_given_queryset(filler):
    """
    GIVEN a published and a withdrawn article that both match
    WHEN searching a queryset of published articles only, without telling the index
    THEN only the published one is returned: the database has the last word on what shows.
    """
    published = make("zeppelin")
    make("zeppelin", status=Article.Status.WITHDRAWN)

    assert found("zeppelin", Article.objects.published()) == {published.pk}


def test_relevance_ties_are_broken_by_newest_id(filler):
    older, newer = make("zeppelin"), make("zeppelin")

    assert ranked("zeppelin") == [newer.pk, older.pk]


def test_search_runs_on_the_current_database_vendor():
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_counted_first_page_takes_one_pass_over_the_matches(monkeypatch):
    """
    GIVEN 30 matching articles
    WHEN a page of results is counted, then read (what a paginator does), in either order
    THEN the index is searched once, and the page is the one a fresh result set gives
    """
    for _ in range(30):
        ArticleFactory(body="Every body says quuxly here.")
    passes = []
    original = ArticleSearch._top_pass
    monkeypatch.setattr(ArticleSearch, "_top_pass", lambda self, *a, **k: passes.append(1) or original(self, *a, **k))
    for ordering in [("-rank", "-id"), ("-published_at", "-id")]:
        passes.clear()
        results = search(Article.objects.all(), "quuxly").order_by(*ordering)

        assert results.count() == 30
        page = results[20:30]

        assert len(passes) == 1
        assert [a.pk for a in page] == [
            a.pk for a in search(Article.objects.all(), "quuxly").order_by(*ordering)[20:30]
        ]


@pytest.mark.parametrize("ordering", [RELEVANCE_ORDERING, ("-published_at", "-id"), ("title", "id")])
def test_reading_a_few_matches_at_a_time_keeps_the_order_and_reads_each_chunk_only(filler, monkeypatch, ordering):
    """GIVEN matches in runs of equal scores (and dates) shorter and longer than MAX_TIE_RUN (made 3)
    WHEN every match is read two at a time (as an export reads them)
    THEN the order is that of one page holding them all
    AND no pass of the index hands over more than a chunk and the tie runs at its edges."""
    monkeypatch.setattr(search_module, "MAX_TIE_RUN", 3)
    for copies, body in [(5, "osprey nest"), (2, "osprey osprey nest"), (7, "osprey nest nest nest")]:
        for _ in range(copies):
            make(body)
    asked: list[int] = []
    top_after = ArticleSearch._top_after
    monkeypatch.setattr(
        ArticleSearch, "_top_after", lambda self, s, q, base, n: asked.append(n) or top_after(self, s, q, base, n)
    )
    results = search(Article.objects.all(), "osprey").order_by(*ordering)

    everything = [article.pk for article in results.page(0, results.count())]
    chunked = [article.pk for article in results.iterator(chunk_size=2)]
    hits = [pk for chunk in results.hit_chunks(2) for pk, _ in chunk]

    assert len(everything) == 14
    assert chunked == everything == hits
    assert asked and max(asked) <= 2 + 2 * (search_module.MAX_TIE_RUN + 1) + search_module.TIE_MARGIN
