"""The revisions API: an article's source revisions, their diffs, and ``changed_since``."""

from __future__ import annotations

import pytest

from articles.importing import bytes_source, import_sources
from articles.models import Article
from tests.api.helpers import ARTICLES_URL, ids
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def import_seed(**parts) -> Article:
    """Import (or re-import) the seed ``story.txt`` built from ``parts``; return its article."""
    report = import_sources(sources=[bytes_source(seed_text(**parts).encode(), key="story.txt")])
    assert not report.errors, report.errors
    return Article.objects.get(source_key="story.txt")


@pytest.fixture
def corrected() -> Article:
    """A published article whose title a re-import corrected."""
    import_seed()
    return import_seed(title="Town council approves new bridge over river")


def revisions_url(article: Article) -> str:
    return f"{ARTICLES_URL}{article.pk}/revisions/"


def test_revisions_list_each_with_what_changed(api_client, corrected):
    data = api_client.get(revisions_url(corrected)).json()

    assert data["count"] == 2
    first, current = data["results"]
    assert (first["n"], first["current"], first["changed_fields"]) == (1, False, [])
    assert (current["n"], current["current"], current["changed_fields"]) == (2, True, ["title"])
    assert current["sha256"] == corrected.content_sha256
    assert current["import_run"] == corrected.import_run_id


def test_diff_as_json_and_as_plain_text(api_client, corrected):
    url = f"{revisions_url(corrected)}2/diff/"

    data = api_client.get(url, {"against": 1}).json()
    text = api_client.get(url, {"format": "txt"})
    accepted = api_client.get(url, HTTP_ACCEPT="text/plain")

    assert (data["n"], data["against"], data["changed_fields"]) == (2, 1, ["title"])
    assert any(op["op"] == "replace" for hunk in data["hunks"] for op in hunk["ops"])
    assert text["Content-Type"].startswith("text/plain")
    assert text.content.decode() == data["unified"] == accepted.content.decode()
    assert "+Town council approves new bridge over river" in data["unified"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [("3/diff/", {}, 404), ("2/diff/", {"against": 7}, 404), ("2/diff/", {"against": "x"}, 400)],
)
def test_a_bad_revision_is_a_json_error(api_client, corrected, path, params, status):
    response = api_client.get(f"{revisions_url(corrected)}{path}", {**params, "format": "txt"})

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


def test_anonymous_users_get_no_revisions_of_a_draft(api_client, staff_client, corrected):
    Article.objects.filter(pk=corrected.pk).update(status=Article.Status.DRAFT, published_at=None)

    assert api_client.get(revisions_url(corrected)).status_code == 404
    assert api_client.get(f"{revisions_url(corrected)}1/diff/").status_code == 404
    assert staff_client.get(revisions_url(corrected)).json()["count"] == 2


def test_changed_since_lists_articles_whose_source_changed(api_client, corrected, django_assert_num_queries):
    """
    GIVEN an article a re-import changed and one never changed
    WHEN the list asks for articles changed since before and after the change
    THEN only the changed one is listed, and only for a time before its change
    """
    import_sources(sources=[bytes_source(seed_text(title="Another story").encode(), key="other.txt")])
    before = corrected.source_changed_at.replace(microsecond=0).isoformat()

    with django_assert_num_queries(3):
        listed = api_client.get(ARTICLES_URL, {"changed_since": before.replace("+00:00", "Z")})
    later = api_client.get(ARTICLES_URL, {"changed_since": "2999-01-01"})

    assert ids(listed) == [corrected.pk]
    assert ids(later) == []


def test_a_bad_changed_since_is_a_400(api_client):
    response = api_client.get(ARTICLES_URL, {"changed_since": "yesterday"})

    assert response.status_code == 400
    assert "changed_since" in response.json()


def test_the_diff_of_a_revision_with_itself_is_empty_plain_text(api_client, corrected):
    response = api_client.get(f"{revisions_url(corrected)}1/diff/", {"against": 1, "format": "txt"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b""
