"""The collections' admin: editors curate named sets of publishers, and every change is in the history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import Collection
from tests.factories import PublisherFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_collection_add")
CHANGELIST_URL = reverse("admin:articles_collection_changelist")


def test_an_editor_creates_a_collection_with_publishers(editor_client, editor):
    """GIVEN an editor and two publishers WHEN the editor submits the add form with both
    THEN the collection holds them, and its history records the editor and the publishers."""
    acme, bugle = PublisherFactory(name="Acme"), PublisherFactory(name="Bugle")
    PublisherFactory(name="Zeta")
    form = editor_client.get(ADD_URL)
    assert form.status_code == 200
    assert "slug" in form.context["adminform"].form.fields  # prepopulated from the name

    response = editor_client.post(
        ADD_URL,
        {
            "name": "National papers",
            "slug": "national",
            "description": "Read nationwide.",
            "publishers": [acme.pk, bugle.pk],
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    collection = Collection.objects.get(slug="national")
    assert collection.name == "National papers"
    assert set(collection.publishers.all()) == {acme, bugle}
    # django-simple-history records the row's save, then each change of the publishers (here: one add).
    versions = list(collection.history.order_by("-history_date", "-history_id"))
    assert {version.history_user for version in versions} == {editor}
    assert {row.publisher_id for row in versions[0].publishers.all()} == {acme.pk, bugle.pk}


def test_changing_the_publishers_is_a_new_version(editor_client):
    """GIVEN a collection of one publisher WHEN an editor swaps it for another THEN the history keeps both states."""
    acme, bugle = PublisherFactory(name="Acme"), PublisherFactory(name="Bugle")
    editor_client.post(ADD_URL, {"name": "Papers", "slug": "papers", "publishers": [acme.pk]})
    collection = Collection.objects.get(slug="papers")

    response = editor_client.post(
        reverse("admin:articles_collection_change", args=[collection.pk]),
        {"name": "Papers", "slug": "papers", "description": "", "publishers": [bugle.pk]},
    )

    assert response.status_code == 302
    newest, *earlier = collection.history.order_by("-history_date", "-history_id")
    assert [row.publisher_id for row in newest.publishers.all()] == [bugle.pk]
    assert [acme.pk] in [[row.publisher_id for row in version.publishers.all()] for version in earlier]
    history = editor_client.get(reverse("admin:articles_collection_history", args=[collection.pk]))
    assert history.status_code == 200


def test_a_taken_slug_is_a_form_error(editor_client):
    Collection.objects.create(name="National", slug="national")

    response = editor_client.post(ADD_URL, {"name": "Other", "slug": "national"})

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert Collection.objects.count() == 1


def test_changelist_counts_publishers_and_searches(editor_client):
    national = Collection.objects.create(name="National papers", slug="national")
    national.publishers.set(PublisherFactory.create_batch(2))
    Collection.objects.create(name="Regional papers", slug="regional")

    response = editor_client.get(CHANGELIST_URL, {"q": "national"})

    assert response.status_code == 200
    assert [(row.slug, row.publisher_count) for row in response.context["cl"].result_list] == [("national", 2)]


def test_publishers_are_found_by_autocomplete(editor_client):
    PublisherFactory(name="Acme"), PublisherFactory(name="Bugle")
    params = {"app_label": "articles", "model_name": "collection", "field_name": "publishers", "term": "ac"}

    response = editor_client.get(reverse("admin:autocomplete"), params)

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Acme"]


def test_staff_without_permissions_cannot_add(bare_staff_client):
    assert bare_staff_client.get(ADD_URL).status_code == 403
