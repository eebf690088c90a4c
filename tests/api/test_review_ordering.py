"""``?ordering=review_priority``: the review queue through the API, staff only."""

from __future__ import annotations

import pytest

from tests.api.helpers import ARTICLES_URL, ids
from tests.api.test_ordering_indexes import full_sorts_and_scans, page_query
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged():
    """Three flagged drafts of rising priority (created lowest first) and a clean published article."""
    made = {
        "low": ArticleFactory(needs_review=True, review_reasons=["no author"], status="draft", published_at=None),
        "high": ArticleFactory(needs_review=True, review_reasons=["unrecognised layout"], status="draft"),
        "mid": ArticleFactory(needs_review=True, review_reasons=["no body"], status="draft", published_at=None),
    }
    ArticleFactory()
    return made


def test_staff_list_the_review_queue_likeliest_errors_first(staff_client, flagged):
    """
    GIVEN flagged articles of several priorities
    WHEN staff list ?needs_review=true&ordering=-review_priority
    THEN the highest priority comes first, as in the admin queue; and page by cursor in that order
    """
    response = staff_client.get(ARTICLES_URL, {"needs_review": "true", "ordering": "-review_priority"})

    assert response.status_code == 200, response.content
    assert ids(response) == [flagged[k].pk for k in ("high", "mid", "low")]

    first = staff_client.get(
        ARTICLES_URL, {"needs_review": "true", "ordering": "-review_priority", "page_size": 2, "cursor": ""}
    ).json()
    second = staff_client.get(first["next"]).json()
    assert [a["id"] for a in first["results"] + second["results"]] == [flagged[k].pk for k in ("high", "mid", "low")]


def test_ascending_too(staff_client, flagged):
    response = staff_client.get(ARTICLES_URL, {"needs_review": "true", "ordering": "review_priority"})

    assert ids(response) == [flagged[k].pk for k in ("low", "mid", "high")]


@pytest.mark.parametrize("params", [{}, {"needs_review": "false"}])
def test_it_orders_the_queue_only(staff_client, flagged, params):
    """Over every article (most have priority 0) it would sort the whole table: a 400 instead."""
    response = staff_client.get(ARTICLES_URL, {"ordering": "-review_priority", **params})

    assert response.status_code == 400
    assert response.json() == {
        "ordering": ["Ordering by review_priority lists the review queue: add needs_review=true."]
    }


@pytest.mark.parametrize("ordering", ["-review_priority", "review_priority"])
@pytest.mark.parametrize("page_mode", ["", "cursor"])
def test_the_queue_walks_its_index_either_way(staff_client, flagged, ordering, page_mode):
    for n in range(10):
        ArticleFactory(needs_review=True, review_reasons=["no author"] * (n % 3 + 1))
    params = {"needs_review": "true", "ordering": ordering, **({"page_mode": page_mode} if page_mode else {})}

    assert full_sorts_and_scans(page_query(staff_client, params)) == []


def test_others_cannot_order_by_it(api_client, flagged):
    response = api_client.get(ARTICLES_URL, {"ordering": "-review_priority"})

    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert "Cannot order by '-review_priority'" in message and "review_priority" not in message.split("Choose")[1]


def test_the_schema_documents_it(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/articles/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")

    # Described, not enumerated: every caller may send what the enum lists (schemathesis holds the API to it).
    assert "-review_priority" not in ordering["schema"]["items"]["enum"]
    assert "Staff and editors only" in ordering["description"] and "`-review_priority`" in ordering["description"]


def test_the_review_queue_order_with_a_search_is_a_400(staff_client):
    response = staff_client.get(ARTICLES_URL, {"needs_review": "true", "ordering": "-review_priority", "q": "senate"})

    assert response.status_code == 400
    assert response.json() == {"ordering": ["Ordering by review_priority lists the review queue: drop q."]}
