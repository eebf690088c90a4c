"""``?q=`` on the article list: web-search syntax, rank and snippet, relevance order (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Article
from tests.api.helpers import ARTICLES_URL, ids, make_article
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


def search_ids(client, q: str, **params) -> list[int]:
    response = client.get(ARTICLES_URL, {"q": q, "page_size": 100, **params})
    assert response.status_code == 200, response.content
    return ids(response)


@pytest.fixture
def filler():
    """Articles about other things, so the searched terms are rare, as in a real archive."""
    topics = ["weather report", "football results", "stock market", "garden tips", "film review", "recipe"]
    return [ArticleFactory(title=f"The {topic}", body=f"A story about the {topic}.") for topic in topics]


def test_stemming_finds_other_forms(api_client, filler):
    plural = ArticleFactory(body="Cook County refuses to honor immigration detainers.")
    singular = ArticleFactory(body="An immigration detainer is a request from ICE.")

    assert set(search_ids(api_client, "detainer")) == {plural.pk, singular.pk}
    assert set(search_ids(api_client, "detainers")) == {plural.pk, singular.pk}


def test_phrase_needs_adjacent_words_and_words_do_not(api_client, filler):
    adjacent = ArticleFactory(body="She was held in the county jail overnight.")
    apart = ArticleFactory(body="The jail in the county was full.")

    assert search_ids(api_client, '"county jail"') == [adjacent.pk]
    assert set(search_ids(api_client, "county jail")) == {adjacent.pk, apart.pk}


def test_excluded_terms(api_client, filler):
    jail = ArticleFactory(body="The county jail was full.")
    fair = ArticleFactory(body="The county fair opened.")

    assert search_ids(api_client, "county -jail") == [fair.pk]
    assert set(search_ids(api_client, "county")) == {jail.pk, fair.pk}


def test_or_matches_either(api_client, filler):
    alpha, beta = ArticleFactory(body="alpha particles"), ArticleFactory(body="beta blockers")

    assert set(search_ids(api_client, "alpha OR beta")) == {alpha.pk, beta.pk}


def test_title_match_ranks_above_body_only_match(api_client, filler):
    """GIVEN an older article with the term in its title and a newer one with it only in the body
    WHEN searching for the term
    THEN the title match comes first, with the higher rank, though it is older.
    """
    now = timezone.now()
    titled = ArticleFactory(
        title="Sanctuary policy explained", body="Details follow.", published_at=now - dt.timedelta(days=9)
    )
    body_only = ArticleFactory(title="News roundup", body="The sanctuary policy was debated.", published_at=now)

    results = api_client.get(ARTICLES_URL, {"q": "sanctuary"}).json()["results"]

    assert [r["id"] for r in results] == [titled.pk, body_only.pk]
    assert results[0]["rank"] > results[1]["rank"] > 0


def test_edited_article_is_found_by_its_new_words_not_its_old(api_client, filler):
    """GIVEN an article found by a word in its body
    WHEN its body is edited to other words
    THEN the API finds it by the new words and no longer by the old one.
    """
    article = ArticleFactory(body="Original wording about zeppelins.")
    assert search_ids(api_client, "zeppelin") == [article.pk]

    article.body = "Rewritten text about submarines."
    article.save()

    assert search_ids(api_client, "zeppelin") == []
    assert search_ids(api_client, "submarine") == [article.pk]


def test_edit_through_the_api_reindexes(api_client, editor_client, filler):
    """GIVEN an article found by its title
    WHEN an editor changes the title through the API
    THEN searches follow the new title.
    """
    article = ArticleFactory(title="Harbour dredging begins")
    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "Airport expansion begins"})
    assert response.status_code == 200, response.content

    assert search_ids(api_client, "harbour") == []
    assert search_ids(api_client, "airport") == [article.pk]


def test_results_carry_rank_and_a_marked_snippet(api_client, filler):
    ArticleFactory(body="Before the match. The <b>detainers</b> were refused & ignored. After it.")

    [item] = api_client.get(ARTICLES_URL, {"q": "detainer"}).json()["results"]

    assert isinstance(item["rank"], float)
    assert "<mark>detainers</mark>" in item["snippet"]
    # The rest of the body is escaped: no markup from the article itself gets through.
    assert "<b>" not in item["snippet"]
    assert "&amp;" in item["snippet"]


def test_without_q_there_is_no_rank_or_snippet(api_client):
    ArticleFactory()

    [item] = api_client.get(ARTICLES_URL).json()["results"]

    assert "rank" not in item
    assert "snippet" not in item


@pytest.mark.parametrize("q", ["", "   "])
def test_blank_q_is_no_search(api_client, q):
    articles = ArticleFactory.create_batch(2)

    assert sorted(search_ids(api_client, q)) == sorted(a.pk for a in articles)


def test_q_with_nothing_searchable_finds_nothing(api_client, filler):
    assert search_ids(api_client, "* ^ :") == []


@pytest.mark.parametrize(
    ("q", "reason"),
    [("-jail", "only excludes"), ("x" * 1001, "too long"), (" ".join(f"w{n}" for n in range(40)), "too many terms")],
)
def test_bad_q_is_a_400(api_client, q, reason):
    response = api_client.get(ARTICLES_URL, {"q": q})

    assert response.status_code == 400
    assert list(response.json()) == ["q"]
    assert reason in response.json()["q"][0]


def test_search_never_finds_unpublished_for_non_staff(api_client, staff_client, filler):
    published = ArticleFactory(body="quokka sighting")
    draft = make_article(Article.Status.DRAFT, body="quokka census")

    assert search_ids(api_client, "quokka") == [published.pk]
    assert set(search_ids(staff_client, "quokka")) == {published.pk, draft.pk}


def test_search_combines_with_filters(api_client, filler):
    author = AuthorFactory()
    theirs = ArticleFactory(body="wombat burrows", authors=[author])
    ArticleFactory(body="wombat diet")

    assert search_ids(api_client, "wombat", author=author.slug) == [theirs.pk]
    assert api_client.get(ARTICLES_URL, {"q": "wombat", "author": author.slug}).json()["count"] == 1


def test_equal_ranks_are_newest_first(api_client, filler):
    now = timezone.now()
    older = ArticleFactory(title="Plain one", body="lighthouse", published_at=now - dt.timedelta(days=1))
    newer = ArticleFactory(title="Plain two", body="lighthouse", published_at=now)

    assert search_ids(api_client, "lighthouse") == [newer.pk, older.pk]


def test_search_pages_hold_every_match_once(api_client, filler):
    matches = {ArticleFactory(body=f"kestrel number {n} " + "kestrel " * (n % 4)).pk for n in range(13)}

    seen, url = [], f"{ARTICLES_URL}?q=kestrel&page_size=5"
    while url:
        data = api_client.get(url).json()
        seen += [item["id"] for item in data["results"]]
        url = data["next"]

    assert sorted(seen) == sorted(matches)
