"""The article change list on a large archive: pinned queries, capped counts, filters and the date hierarchy."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles.admin import ArticleAdmin
from articles.admin import changelist as admin_changelist
from articles.admin.changelist import YEARS_CACHE_KEY
from articles.models import Article
from articles.search_index import sync_pending
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_article_changelist")
# Session, user, the editor's user and group permissions, the review queue's
# count (object tools), publisher filter choices, copyright years, date
# hierarchy (one MIN/MAX), the capped count, the page, its bylines.
CHANGELIST_QUERIES = 11


def text(response) -> str:
    """The page's text with its whitespace collapsed."""
    return " ".join(response.content.decode().split())


def listed(response) -> list[Article]:
    return list(response.context["cl"].result_list)


def make_articles(count: int, *, when: datetime.datetime | None = None) -> list[Article]:
    articles = [ArticleFactory(authors=AuthorFactory.create_batch(2)) for _ in range(count)]
    if when is not None:
        Article.objects.filter(pk__in=[a.pk for a in articles]).update(created_at=when)
    return articles


def test_a_page_of_200_articles_runs_a_fixed_number_of_queries(editor_client, django_assert_num_queries, monkeypatch):
    """
    GIVEN 201 articles with two authors each, and 200 articles to a page
    WHEN an editor loads the change list
    THEN it takes CHANGELIST_QUERIES queries, shows 200 rows with their bylines, and pages the rest
    """
    monkeypatch.setattr(ArticleAdmin, "list_per_page", 200)
    make_articles(201)

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = editor_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    rows = listed(response)
    assert len(rows) == 200
    assert all(len(row.bylines.all()) == 2 for row in rows)
    assert response.context["cl"].result_count == 201
    assert response.content.decode().count('class="action-select"') == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": "paragraph", "status__exact": "published"},
        {"q": "Author Number"},  # an author's name
        {"needs_review__exact": "1"},  # the review queue, with its reasons column
        {"publisher__isnull": "False", "copyright_year": "2024", "created_at__year": "2024"},
    ],
)
def test_the_query_count_holds_with_searches_and_filters(editor_client, django_assert_num_queries, monkeypatch, params):
    monkeypatch.setattr(ArticleAdmin, "list_per_page", 200)
    make_articles(30)
    Article.objects.update(
        needs_review=True, review_reasons=["no author"], created_at=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    )
    sync_pending()
    # A search checks the search outbox, asks the index, then reads the articles of matching
    # authors and publishers in one query, whatever the page size.
    searching = 2 if "q" in params else 0

    with django_assert_num_queries(CHANGELIST_QUERIES + searching):
        response = editor_client.get(CHANGELIST_URL, params)

    assert len(listed(response)) == 30


def test_columns(editor_client, article):
    response = editor_client.get(CHANGELIST_URL)

    headers = [str(h["text"]).capitalize() for h in response.context["result_headers"] if h["text"]]
    assert headers[-7:] == [
        "Title",
        "Publisher",
        "Authors",
        "Status",
        "Needs review",
        "Word count",
        "Created at",
    ]


# --- Counting: never the whole table -------------------------------------------------


def test_count_stops_at_the_cap(editor_client, settings, monkeypatch):
    """
    GIVEN 7 articles, a count cap of 5 and pages of 2
    WHEN the change list is loaded, filtered and not
    THEN it says "more than 5 articles" and offers the pages up to the cap
    """
    settings.ARCHIVE_ADMIN_COUNT_CAP = 5
    monkeypatch.setattr(ArticleAdmin, "list_per_page", 2)
    # The planner's estimate outlives the test transactions that left it; it has its own test below.
    monkeypatch.setattr(admin_changelist, "table_estimate", lambda queryset: None)
    make_articles(7)

    for params in [{}, {"status__exact": "published"}]:
        response = editor_client.get(CHANGELIST_URL, params)

        cl = response.context["cl"]
        assert cl.result_count == 5
        assert cl.paginator.count_is_exact is False
        assert cl.paginator.num_pages == 3
        assert "more than 5 articles" in text(response)


def test_count_below_the_cap_is_exact(editor_client, settings):
    settings.ARCHIVE_ADMIN_COUNT_CAP = 5
    make_articles(5)

    response = editor_client.get(CHANGELIST_URL)

    assert response.context["cl"].result_count == 5
    assert response.context["cl"].paginator.count_is_exact is True
    assert "5 articles" in text(response)
    assert "more than" not in text(response)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's")
def test_unfiltered_count_past_the_cap_is_the_planners_estimate(editor_client, settings):
    """
    GIVEN 12 analyzed articles and a count cap of 5
    WHEN the unfiltered change list is loaded
    THEN it shows "about 12 articles" from pg_class.reltuples, and a filtered one "more than 5"
    """
    settings.ARCHIVE_ADMIN_COUNT_CAP = 5
    make_articles(12)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Article._meta.db_table}")

    response = editor_client.get(CHANGELIST_URL)

    assert response.context["cl"].paginator.count_is_estimate is True
    assert "about 12 articles" in text(response)

    response = editor_client.get(CHANGELIST_URL, {"status__exact": "published"})

    assert "more than 5 articles" in text(response)


# --- Filters ---------------------------------------------------------------------------


def test_created_date_filter(editor_client):
    recent = ArticleFactory()
    old = ArticleFactory()
    Article.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    response = editor_client.get(CHANGELIST_URL)
    [spec] = [s for s in response.context["cl"].filter_specs if s.field_path == "created_at"]
    past_week = next(c for c in spec.choices(response.context["cl"]) if c["display"] == "Past 7 days")

    response = editor_client.get(CHANGELIST_URL + past_week["query_string"])

    assert response.status_code == 200
    assert listed(response) == [recent]
    assert old not in listed(response)


def test_copyright_years_are_cached(editor_client, django_assert_num_queries):
    """
    GIVEN articles of 2019 and 2024
    WHEN the list is loaded twice
    THEN both years are offered, and the second load reads them from the cache
    """
    ArticleFactory(copyright_year=2019)
    ArticleFactory(copyright_year=2024)

    response = editor_client.get(CHANGELIST_URL)

    [spec] = [s for s in response.context["cl"].filter_specs if s.field_path == "copyright_year"]
    assert {str(c["display"]) for c in spec.choices(response.context["cl"])} >= {"2019", "2024"}
    with django_assert_num_queries(CHANGELIST_QUERIES - 1):
        editor_client.get(CHANGELIST_URL)


def test_copyright_year_cache_is_only_a_list_of_choices(editor_client):
    from django.core.cache import cache

    cache.set(YEARS_CACHE_KEY, [2019])
    new = ArticleFactory(copyright_year=2031)

    response = editor_client.get(CHANGELIST_URL, {"copyright_year": "2031"})

    assert listed(response) == [new]


# --- The date hierarchy -------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["2022", "2023", "2024"]),
        ({"created_at__year": "2024"}, ["January 2024", "February 2024", "March 2024"]),
        ({"created_at__year": "2024", "created_at__month": "3"}, ["March 1", "March 2", "March 3"]),
    ],
)
def test_date_hierarchy_from_the_first_and_last_dates(editor_client, params, expected):
    """The choices run from the first to the last date of the level, read from one MIN/MAX query."""
    for when in ["2022-06-01", "2024-01-15", "2024-03-01", "2024-03-03"]:
        make_articles(1, when=datetime.datetime.fromisoformat(f"{when}T12:00:00+00:00"))

    response = editor_client.get(CHANGELIST_URL, params)

    assert response.status_code == 200
    content = response.content.decode()
    nav = content[content.index('<nav class="toplinks">') : content.index("</nav>", content.index('class="toplinks"'))]
    for title in expected:
        assert f">{title}</a>" in nav


def test_date_hierarchy_day_level(editor_client):
    [article] = make_articles(1, when=datetime.datetime(2024, 3, 3, 12, tzinfo=datetime.UTC))

    response = editor_client.get(
        CHANGELIST_URL, {"created_at__year": "2024", "created_at__month": "3", "created_at__day": "3"}
    )

    assert listed(response) == [article]
    assert "March 3" in text(response)


def test_show_counts_is_not_offered_as_it_would_count_the_whole_table(editor_client):
    response = editor_client.get("/admin/articles/article/?_facets=True")

    assert response.status_code == 200
    assert "Show counts" not in response.content.decode()


def test_a_search_lists_at_most_the_search_cap(editor_client, settings):
    """
    GIVEN 5 articles matching a word and a search cap of 3
    WHEN the change list is searched for it
    THEN it lists 3 of them and says "more than 3 articles"
    """
    settings.ARCHIVE_ADMIN_SEARCH_CAP = 3
    for _ in range(5):
        ArticleFactory(body="A zanzibarish word in every body.")
    sync_pending()

    response = editor_client.get(CHANGELIST_URL, {"q": "zanzibarish"})

    assert len(listed(response)) == 3
    assert response.context["cl"].paginator.count_is_exact is False
    assert "more than 3 articles" in text(response)


def test_the_list_is_newest_published_first_with_undated_drafts_last(editor_client):
    older, newer = make_articles(2)
    Article.objects.filter(pk=older.pk).update(published_at=timezone.now() - datetime.timedelta(days=3))
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    response = editor_client.get(CHANGELIST_URL)

    assert listed(response) == [newer, older, draft]
