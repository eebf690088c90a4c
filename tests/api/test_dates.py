"""Issue 9: the API shows, filters and orders by ``date``: the original publication date, else the archive's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Article
from tests.api.helpers import ARTICLES_URL, ids, make_article
from tests.api.test_schema import fetch_schema
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

OLD_STORY = dt.datetime(2019, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def archive():
    """A 2019 story imported today, a story without a date published yesterday, and one a week ago."""
    now = timezone.now()
    return {
        "old": ArticleFactory(title="Old story", body="bridge", published_at=now, original_published_at=OLD_STORY),
        "yesterday": ArticleFactory(title="Yesterday", body="bridge", published_at=now - dt.timedelta(days=1)),
        "week": ArticleFactory(title="A week ago", body="bridge", published_at=now - dt.timedelta(days=7)),
    }


def test_an_article_shows_both_kinds_of_date(api_client, archive):
    old, undated = archive["old"], archive["yesterday"]

    detail = api_client.get(f"{ARTICLES_URL}{old.pk}/").json()
    listed = {item["id"]: item for item in api_client.get(ARTICLES_URL).json()["results"]}

    for item in (detail, listed[old.pk]):
        assert item["original_published_at"] == "2019-05-01T12:00:00Z"
        assert item["original_updated_at"] is None
        assert (item["date"], item["date_is_original"]) == ("2019-05-01T12:00:00Z", True)
    # Without a date in its source, the story is dated by the archive, and says so.
    item = listed[undated.pk]
    assert item["original_published_at"] is None
    assert (item["date"], item["date_is_original"]) == (item["published_at"], False)


@pytest.mark.parametrize("q", [None, "bridge"])
def test_newest_first_is_by_date(api_client, archive, q):
    """GIVEN a 2019 story imported last WHEN the list (or a search) is read newest first THEN it comes last."""
    expected = [archive["yesterday"].pk, archive["week"].pk, archive["old"].pk]
    params = {"q": q} if q else {}

    assert ids(api_client.get(ARTICLES_URL, {**params, "ordering": "-date"})) == expected
    assert ids(api_client.get(ARTICLES_URL, {**params, "ordering": "date"})) == expected[::-1]
    if not q:  # a search's default order is relevance
        assert ids(api_client.get(ARTICLES_URL)) == expected
    # The archive's own publication order stays available.
    assert ids(api_client.get(ARTICLES_URL, {**params, "ordering": "-published_at"}))[0] == archive["old"].pk


@pytest.mark.parametrize("q", [None, "bridge"])
def test_date_filters_use_the_original_date(api_client, archive, q):
    params = {"q": q} if q else {}

    assert ids(api_client.get(ARTICLES_URL, {**params, "published_before": "2019-12-31"})) == [archive["old"].pk]
    after = ids(api_client.get(ARTICLES_URL, {**params, "published_after": "2020-01-01"}))
    assert sorted(after) == sorted([archive["yesterday"].pk, archive["week"].pk])


@pytest.mark.parametrize("q", [None, "bridge"])
def test_cursor_pages_walk_the_date_order(api_client, archive, q):
    first = api_client.get(ARTICLES_URL, {"page_mode": "cursor", "page_size": 2, **({"q": q} if q else {})}).json()
    second = api_client.get(first["next"]).json()

    assert [item["id"] for item in first["results"] + second["results"]] == [
        archive["yesterday"].pk,
        archive["week"].pk,
        archive["old"].pk,
    ]


def test_staff_see_undated_drafts_last(staff_client, archive):
    draft = make_article(Article.Status.DRAFT)
    dated_draft = make_article(Article.Status.DRAFT, original_published_at=OLD_STORY - dt.timedelta(days=1))

    assert ids(staff_client.get(ARTICLES_URL))[-2:] == [dated_draft.pk, draft.pk]
    assert ids(staff_client.get(ARTICLES_URL, {"ordering": "date"}))[:1] == [dated_draft.pk]
    assert ids(staff_client.get(ARTICLES_URL, {"ordering": "date"}))[-1:] == [draft.pk]


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "2024-03-03T25:00"])
def test_a_bad_date_is_a_400(api_client, archive, value):
    response = api_client.get(ARTICLES_URL, {"published_after": value})

    assert response.status_code == 400
    assert "published_after" in response.json()


def test_an_editor_sets_and_clears_the_original_dates(editor_client, archive):
    """
    GIVEN an article without an original date
    WHEN an editor sets one, then clears it
    THEN its date follows at once (the response and the list), and a bad value is a 400
    """
    article = archive["yesterday"]
    url = f"{ARTICLES_URL}{article.pk}/"

    response = editor_client.patch(url, {"original_published_at": "2018-02-01T08:00:00+01:00"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["date"], response.json()["date_is_original"]) == ("2018-02-01T07:00:00Z", True)
    assert ids(editor_client.get(ARTICLES_URL))[-1] == article.pk

    response = editor_client.patch(url, {"original_published_at": None}, format="json")
    assert (response.json()["date"], response.json()["date_is_original"]) == (response.json()["published_at"], False)

    bad = editor_client.patch(url, {"original_updated_at": "not a date"}, format="json")
    assert bad.status_code == 400
    assert "original_updated_at" in bad.json()


def test_the_schema_documents_the_date_rule(api_client):
    schema = fetch_schema(api_client)
    article = schema["components"]["schemas"]["ArticleDetail"]["properties"]
    params = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}

    assert "original_published_at" in article["date"]["description"]
    assert article["date_is_original"]["type"] == "boolean"
    assert "original publication date" in params["published_after"]["description"]
    assert "-date" in params["ordering"]["schema"]["items"]["enum"]
