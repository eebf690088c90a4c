"""The saved searches' admin: staff see everyone's, and saving goes through the service."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import saved_searches
from articles.models import SavedSearch
from tests.factories import SavedSearchFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_savedsearch_add")
CHANGELIST_URL = reverse("admin:articles_savedsearch_changelist")
# Session, user, the count, the page's rows with their owners; the EmptyFieldListFilter's lookups.
CHANGELIST_QUERIES = 5


@pytest.mark.parametrize("count", [2, 25])
def test_the_changelist_lists_every_owners_searches_in_fixed_queries(admin_client, django_assert_num_queries, count):
    SavedSearchFactory.create_batch(count, webhook_paused_at=timezone.now())

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count


def test_the_changelist_searches_by_name_and_owner(admin_client):
    SavedSearchFactory(name="Otters", owner=UserFactory(username="alice"))
    SavedSearchFactory(name="Badgers", owner=UserFactory(username="bob"))

    by_name = admin_client.get(CHANGELIST_URL, {"q": "otter"})
    by_owner = admin_client.get(CHANGELIST_URL, {"q": "bob"})

    assert [s.name for s in by_name.context["cl"].result_list] == ["Otters"]
    assert [s.name for s in by_owner.context["cl"].result_list] == ["Badgers"]


def test_adding_in_the_admin_normalises_the_query(admin_client):
    owner = UserFactory()

    response = admin_client.post(
        ADD_URL, {"owner": owner.pk, "name": "Otters", "query": "q=otters&language=en&page=3", "email_digest": "on"}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    saved = SavedSearch.objects.get()
    assert (saved.owner, saved.query, saved.email_digest) == (owner, "language=en&q=otters", True)


def test_a_bad_query_in_the_admin_is_a_form_error(admin_client):
    response = admin_client.post(ADD_URL, {"owner": UserFactory().pk, "name": "Bad", "query": "language=zz"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["query"][0].startswith("language: ")
    assert not SavedSearch.objects.exists()


def test_changing_in_the_admin_goes_through_the_service(admin_client):
    """GIVEN a saved search WHEN staff rename it and change its query THEN both are saved, the query normalised."""
    saved = SavedSearchFactory(name="Old", query="q=otters")

    response = admin_client.post(
        reverse("admin:articles_savedsearch_change", args=[saved.pk]),
        {"name": "New", "query": "q=badgers&language=de"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.email_digest) == ("New", "language=de&q=badgers", False)


def test_the_delete_action_goes_through_the_service(admin_client, monkeypatch):
    """GIVEN two saved searches WHEN staff tick both and confirm "Delete selected" THEN the service deletes them."""
    searches = [SavedSearchFactory(), SavedSearchFactory()]
    called = []
    real = saved_searches.delete_saved_searches
    monkeypatch.setattr(saved_searches, "delete_saved_searches", lambda **kw: called.append(kw) or real(**kw))

    response = admin_client.post(
        CHANGELIST_URL,
        {"action": "delete_selected", "_selected_action": [s.pk for s in searches], "post": "yes"},
    )

    assert response.status_code == 302
    assert len(called) == 1 and not SavedSearch.objects.exists()
