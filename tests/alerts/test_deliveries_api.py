"""``/api/v1/saved-searches/{id}/deliveries/``: the owner's list of what was sent, newest first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from articles.alerts import deliveries
from articles.models import Delivery
from tests.alerts.conftest import SECRET
from tests.factories import ArticleFactory, SavedSearchFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(search) -> str:
    return f"/api/v1/saved-searches/{search.pk}/deliveries/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make(search, **fields) -> Delivery:
    values = {"kind": Delivery.Kind.WEBHOOK, "trigger": Delivery.Trigger.IMPORT, "article_ids": [1, 2]} | fields
    return Delivery.objects.create(saved_search=search, **values)


def test_the_owner_lists_the_deliveries_newest_first_with_their_outcomes(django_assert_num_queries):
    """
    GIVEN a search with an abandoned webhook delivery and a later delivered digest, and another search's delivery
    WHEN its owner lists the search's deliveries
    THEN both are listed, newest first, with status, attempts, error and HTTP status; the other search's is not
    """
    search = SavedSearchFactory()
    old = make(search, status=Delivery.Status.ABANDONED, attempts=5, last_error="HTTP 500", response_status=500)
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    new = make(search, kind=Delivery.Kind.EMAIL, status=Delivery.Status.DELIVERED, delivered_at=timezone.now())
    make(SavedSearchFactory(owner=search.owner))
    client = client_for(search.owner)

    with django_assert_num_queries(3):  # the search, the count, the page
        response = client.get(url(search))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["uid"] for row in body["results"]] == [str(new.uid), str(old.uid)]
    failed = body["results"][1]
    assert failed["kind"] == "webhook" and failed["event"] == "matches"
    assert (failed["status"], failed["attempts"], failed["last_error"], failed["response_status"]) == (
        "abandoned",
        5,
        "HTTP 500",
        500,
    )
    assert set(failed) == {
        "uid",
        "kind",
        "event",
        "status",
        "attempts",
        "article_ids",
        "matched",
        "last_error",
        "response_status",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    }
    assert failed["article_ids"] == [1, 2] and failed["delivered_at"] is None


def test_another_users_search_is_a_404_and_anonymous_clients_must_log_in(api_client):
    search = SavedSearchFactory()
    make(search)

    assert client_for(UserFactory()).get(url(search)).status_code == 404
    assert api_client.get(url(search)).status_code in (401, 403)
    assert client_for(search.owner).get("/api/v1/saved-searches/999999/deliveries/").status_code == 404


def test_the_list_is_paged():
    search = SavedSearchFactory()
    for _ in range(3):
        make(search)

    response = client_for(search.owner).get(url(search), {"page_size": 2})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2 and response.json()["next"]
    assert client_for(search.owner).get(url(search), {"page_size": "many"}).status_code == 400


def test_the_list_walks_by_cursor_to_the_end():
    search = SavedSearchFactory()
    made = [make(search) for _ in range(3)]
    client = client_for(search.owner)

    seen, response = [], client.get(url(search), {"page_mode": "cursor", "page_size": 2})
    while True:
        assert response.status_code == 200
        seen += [row["uid"] for row in response.json()["results"]]
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])

    assert seen == [str(d.uid) for d in reversed(made)]


def test_the_owner_sees_the_pause_and_the_failures_behind_it(receiver, settings, django_capture_on_commit_callbacks):
    """
    GIVEN a search whose webhook answers 500 to every POST
    WHEN its delivery has used up its attempts
    THEN the saved search shows webhook_paused with the time, and its deliveries list shows the abandoned one
    """
    receiver.statuses = [500] * settings.ARCHIVE_DELIVERY_MAX_ATTEMPTS
    search = SavedSearchFactory(webhook_url=receiver.url, webhook_secret=SECRET, email_digest=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.notify_new_articles(article_ids=[ArticleFactory(body="Otters.").pk])
    for _ in range(settings.ARCHIVE_DELIVERY_MAX_ATTEMPTS - 1):
        with django_capture_on_commit_callbacks(execute=True):
            deliveries.retry_due()
    client = client_for(search.owner)

    shown = client.get(f"/api/v1/saved-searches/{search.pk}/").json()
    listed = client.get(url(search)).json()["results"]

    assert shown["webhook_paused"] is True and shown["webhook_paused_at"]
    assert [(d["status"], d["attempts"], d["response_status"]) for d in listed] == [("abandoned", 5, 500)]
