"""``/api/v1/articles/top-terms/``: the words that set the matches apart from the archive, from a sample."""

from __future__ import annotations

import pytest

from articles import terms
from articles.models import Article
from tests.api.helpers import make_article
from tests.factories import ArticleFactory, PublisherFactory

pytestmark = pytest.mark.django_db

TERMS_URL = "/api/v1/articles/top-terms/"


@pytest.fixture
def archive():
    """Six harbour stories (every one says ferry, half of them dock), fourteen others, and a harbour draft.

    Every article says "council" and English stop words; the draft alone says "lighthouse".
    """
    acme = PublisherFactory(name="Acme", slug="acme")
    for i in range(6):
        dock = " The dock was busy." if i % 2 else ""
        ArticleFactory(publisher=acme, body=f"Harbour ferry news from the council.{dock}")
    for _ in range(14):
        ArticleFactory(body="School budget news from the council.")
    make_article(Article.Status.DRAFT, body="Harbour lighthouse ferry news from the council.")
    return {"acme": acme}


def words(data: dict) -> list[str]:
    return [t["term"] for t in data["terms"]]


def test_the_topic_word_frequent_in_the_matches_and_rare_elsewhere_ranks_first(api_client, archive):
    data = api_client.get(TERMS_URL, {"q": "harbour"}).json()

    assert data["q"] == "harbour"
    assert (data["matches"], data["sample_size"]) == (6, 6)
    assert words(data)[0] == "ferry"
    assert set(words(data)[1:3]) == {"busy", "dock"}  # half the matches, and nothing else
    ferry = data["terms"][0]
    # Six of six sampled; in the archive six published and the draft (the index counts every status).
    assert (ferry["sample_count"], ferry["archive_count"]) == (6, 7)
    assert ferry["score"] > data["terms"][1]["score"] > 0


def test_stopwords_the_query_words_and_words_as_common_as_in_the_archive_are_left_out(api_client, archive):
    found = words(api_client.get(TERMS_URL, {"q": "harbour"}).json())

    assert not {"the", "from", "was", "harbour", "council", "news"} & set(found)


def test_the_same_request_gets_the_same_sample_and_terms(api_client, archive, monkeypatch):
    monkeypatch.setattr(terms, "SAMPLE_SIZE", 3)
    first, second = (api_client.get(TERMS_URL, {"q": "council"}).json() for _ in range(2))

    assert first == second
    assert first["sample_size"] == 3


@pytest.mark.parametrize(("cap", "expected"), [(5, 5), (1, 1), (100, 20)])
def test_the_sample_is_capped(api_client, archive, monkeypatch, cap, expected):
    monkeypatch.setattr(terms, "SAMPLE_SIZE", cap)

    data = api_client.get(TERMS_URL).json()

    assert (data["matches"], data["sample_size"]) == (20, expected)


def test_a_drafts_words_show_to_editors_only(api_client, editor_client, archive):
    assert "lighthouse" not in words(api_client.get(TERMS_URL, {"q": "harbour"}).json())

    data = editor_client.get(TERMS_URL, {"q": "harbour"}).json()

    assert data["sample_size"] == 7
    assert "lighthouse" in words(data)


def test_the_list_filters_apply(api_client, archive):
    data = api_client.get(TERMS_URL, {"publisher": "acme"}).json()

    assert (data["q"], data["matches"]) == (None, 6)
    # Without q the topic's own word is a term too (as frequent as ferry: ties go alphabetically).
    assert words(data)[:2] == ["ferry", "harbour"]


def test_limit(api_client, archive):
    data = api_client.get(TERMS_URL, {"q": "harbour", "limit": "1"}).json()

    assert words(data) == ["ferry"]


def test_no_match_gives_no_terms(api_client, archive):
    data = api_client.get(TERMS_URL, {"q": "volcano"}).json()

    assert data == {"q": "volcano", "sample_size": 0, "matches": 0, "terms": []}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "99999999999999999999"}, "limit"),
        ({"q": "-harbour"}, "q"),
        ({"published_after": "yesterday"}, "published_after"),
        ({"language": "xx"}, "language"),
    ],
)
def test_bad_parameters_are_400s_naming_them(api_client, archive, params, name):
    response = api_client.get(TERMS_URL, params)

    assert response.status_code == 400
    assert name in response.json()


def test_queries_are_bounded(api_client, archive, django_assert_num_queries):
    """GIVEN a search whose index is up to date
    WHEN the terms are asked for
    THEN the database is asked whether anything is queued for the index, and for the sample's bodies."""
    api_client.get(TERMS_URL, {"q": "harbour"})

    with django_assert_num_queries(2):
        response = api_client.get(TERMS_URL, {"q": "harbour"})

    assert response.json()["sample_size"] == 6
