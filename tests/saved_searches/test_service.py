"""``articles.saved_searches``: saved queries are checked as the article list checks them, and kept normalised."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import saved_searches
from articles.models import Delivery, SavedSearch
from tests.factories import PublisherFactory, SavedSearchFactory, UserFactory
from tests.saved_searches.test_webhook_targets import resolving_to

pytestmark = pytest.mark.django_db


def test_a_query_is_saved_normalised():
    """Keys sorted, blank values and the page's presentation (paging, ordering, fields, format) dropped."""
    PublisherFactory(slug="guardian")
    saved = saved_searches.create_saved_search(
        owner=UserFactory(),
        name="Otters",
        query="?q=otters&publisher=guardian&page=2&ordering=title&language=en&fields=id&format=json&cursor=x&author=",
    )

    saved.refresh_from_db()
    assert saved.query == "language=en&publisher=guardian&q=otters"
    assert len(saved.webhook_secret) == 64
    assert len(saved.feed_token) == 43
    assert saved.email_digest is True


def test_repeated_values_are_kept_in_order():
    saved = saved_searches.create_saved_search(owner=UserFactory(), name="Two", query="publisher=b&q=x&publisher=a")

    assert saved.query == "publisher=b&publisher=a&q=x"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("language=zz", "language"),
        ("published_after=yesterday", "published_after"),
        ("min_words=lots", "min_words"),
        ("has_image_credit=maybe", "has_image_credit"),
        ("publisher=not a slug!", "publisher"),
        ("q=-otters", "q"),
        ("q=" + "x" * 1001, "q"),
    ],
)
def test_a_bad_filter_value_or_q_is_refused_naming_the_parameter(query, parameter):
    with pytest.raises(ValidationError) as refused:
        saved_searches.create_saved_search(owner=UserFactory(), name="Bad", query=query)

    (message,) = refused.value.message_dict["query"]
    assert message.startswith(f"{parameter}: ")
    assert not SavedSearch.objects.exists()


def test_an_unknown_parameter_is_refused():
    with pytest.raises(ValidationError) as refused:
        saved_searches.create_saved_search(owner=UserFactory(), name="Bad", query="q=x&colour=red&shape=round")

    assert "Unknown parameter(s): colour, shape" in refused.value.message_dict["query"][0]


def test_a_name_the_owner_already_uses_is_refused_another_owners_is_not():
    existing = SavedSearchFactory(name="Otters")

    with pytest.raises(ValidationError) as refused:
        saved_searches.create_saved_search(owner=existing.owner, name="Otters", query="q=x")

    assert "already have a saved search named 'Otters'" in refused.value.message_dict["name"][0]
    assert saved_searches.create_saved_search(owner=UserFactory(), name="Otters").name == "Otters"


def test_a_refused_webhook_target_is_an_error_on_webhook_url(monkeypatch):
    resolving_to(monkeypatch, "10.0.0.5")

    with pytest.raises(ValidationError) as refused:
        saved_searches.create_saved_search(owner=UserFactory(), name="Hook", webhook_url="https://hooks.example.com/")

    assert "internal address" in refused.value.message_dict["webhook_url"][0]


def test_update_changes_what_is_given_and_checks_it(monkeypatch):
    """GIVEN a saved search WHEN its name and query change THEN they are saved, the rest unchanged."""
    resolving_to(monkeypatch, "93.184.216.34")
    saved = SavedSearchFactory(webhook_url="https://hooks.example.com/in", email_digest=False)

    saved_searches.update_saved_search(saved_search=saved, name="Renamed", query="q=badgers&language=de")

    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.email_digest) == ("Renamed", "language=de&q=badgers", False)
    assert saved.webhook_url == "https://hooks.example.com/in"


def test_update_refuses_a_bad_query_and_keeps_the_old_one():
    saved = SavedSearchFactory(query="q=otters")

    with pytest.raises(ValidationError):
        saved_searches.update_saved_search(saved_search=saved, query="language=zz")

    saved.refresh_from_db()
    assert saved.query == "q=otters"


def test_resuming_clears_the_pause_and_pausing_is_refused():
    saved = SavedSearchFactory(webhook_paused_at=timezone.now())

    with pytest.raises(ValidationError):
        saved_searches.update_saved_search(saved_search=saved, webhook_paused=True)
    saved_searches.update_saved_search(saved_search=saved, webhook_paused=False)

    saved.refresh_from_db()
    assert saved.webhook_paused_at is None


def test_a_new_webhook_is_checked_an_unchanged_one_is_not(monkeypatch):
    saved = SavedSearchFactory(webhook_url="https://hooks.example.com/in")
    asked = resolving_to(monkeypatch, "127.0.0.1")

    saved_searches.update_saved_search(saved_search=saved, webhook_url="https://hooks.example.com/in", name="Same")
    assert asked == []
    with pytest.raises(ValidationError):
        saved_searches.update_saved_search(saved_search=saved, webhook_url="https://other.example.com/in")


def test_delete():
    saved = SavedSearchFactory()

    saved_searches.delete_saved_search(saved_search=saved)

    assert not SavedSearch.objects.exists()


def test_delete_many_with_their_deliveries():
    kept, *gone = (SavedSearchFactory() for _ in range(3))
    Delivery.objects.create(saved_search=gone[0], kind=Delivery.Kind.EMAIL, trigger=Delivery.Trigger.PUBLISH)

    assert saved_searches.delete_saved_searches(saved_searches=SavedSearch.objects.exclude(pk=kept.pk)) == 2

    assert list(SavedSearch.objects.all()) == [kept]
    assert not Delivery.objects.exists()
