"""``/api/v1/saved-searches/``: each user's own saved searches, their matches and their feed."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import Article, SavedSearch
from tests.api.helpers import ids, make_article
from tests.factories import PublisherFactory, SavedSearchFactory, UserFactory
from tests.saved_searches.test_webhook_targets import resolving_to

pytestmark = pytest.mark.django_db

URL = "/api/v1/saved-searches/"
ATOM = "{http://www.w3.org/2005/Atom}"
# The count and the page (the test client's user is given, not looked up).
LIST_QUERIES = 2


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def owner_client(owner) -> APIClient:
    return client_for(owner)


def detail(saved: SavedSearch) -> str:
    return f"{URL}{saved.pk}/"


def test_create_returns_the_normalised_search_with_its_secrets_and_links(owner_client, owner):
    PublisherFactory(slug="guardian")

    response = owner_client.post(
        URL, {"name": "Otters", "query": "q=otters&publisher=guardian&language=en&page=2"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    saved = SavedSearch.objects.get()
    assert saved.owner == owner
    assert body["query"] == saved.query == "language=en&publisher=guardian&q=otters"
    assert body["email_digest"] is True
    assert body["webhook_secret"] == saved.webhook_secret
    assert body["feed_token"] == saved.feed_token
    assert (body["webhook_paused"], body["webhook_paused_at"]) == (False, None)
    assert body["url"] == f"http://testserver{detail(saved)}"
    assert body["matches_url"] == f"http://testserver{detail(saved)}matches/"
    assert body["feed_url"] == f"http://testserver/feeds/saved-searches/{saved.feed_token}.atom"


def test_the_secrets_are_read_only(owner_client):
    response = owner_client.post(
        URL, {"name": "Mine", "webhook_secret": "chosen", "feed_token": "chosen"}, format="json"
    )

    assert response.status_code == 201
    saved = SavedSearch.objects.get()
    assert "chosen" not in (saved.webhook_secret, saved.feed_token)


@pytest.mark.parametrize(("query", "parameter"), [("language=zz", "language"), ("q=-otters", "q")])
def test_a_bad_query_is_a_400_naming_the_parameter(owner_client, query, parameter):
    response = owner_client.post(URL, {"name": "Bad", "query": query}, format="json")

    assert response.status_code == 400
    assert response.json()["query"][0].startswith(f"{parameter}: ")


def test_an_unknown_query_parameter_is_a_400(owner_client):
    response = owner_client.post(URL, {"name": "Bad", "query": "q=x&colour=red"}, format="json")

    assert response.status_code == 400
    assert "colour" in response.json()["query"][0]


def test_a_duplicate_name_is_a_400(owner_client, owner):
    SavedSearchFactory(owner=owner, name="Otters")

    response = owner_client.post(URL, {"name": "Otters"}, format="json")

    assert response.status_code == 400
    assert "already have a saved search named" in response.json()["name"][0]


def test_a_webhook_to_an_internal_address_is_a_400(owner_client, monkeypatch):
    resolving_to(monkeypatch, "169.254.169.254")

    response = owner_client.post(URL, {"name": "Hook", "webhook_url": "http://hooks.example.com/"}, format="json")

    assert response.status_code == 400
    assert "internal address" in response.json()["webhook_url"][0]


def test_a_webhook_to_an_allowed_host_is_saved(owner_client, monkeypatch, settings):
    settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS = ["hooks.internal:8080"]
    resolving_to(monkeypatch, "10.0.0.7")

    response = owner_client.post(URL, {"name": "Hook", "webhook_url": "http://hooks.internal:8080/in"}, format="json")

    assert response.status_code == 201, response.content
    assert SavedSearch.objects.get().webhook_url == "http://hooks.internal:8080/in"


@pytest.mark.parametrize("count", [1, 15])
def test_the_list_shows_the_requesters_own_only_in_fixed_queries(owner_client, owner, django_assert_num_queries, count):
    """GIVEN searches of the owner and of another user WHEN the owner lists THEN only theirs, by name."""
    SavedSearchFactory.create_batch(count, owner=owner)
    SavedSearchFactory(owner=UserFactory(), name="Not mine")

    with django_assert_num_queries(LIST_QUERIES):
        response = owner_client.get(URL)

    assert response.status_code == 200
    names = [item["name"] for item in response.json()["results"]]
    assert names == sorted(SavedSearch.objects.filter(owner=owner).values_list("name", flat=True))
    assert response.json()["count"] == count


def test_the_list_pages_by_cursor_too(owner_client, owner):
    SavedSearchFactory.create_batch(3, owner=owner)

    first = owner_client.get(URL, {"page_mode": "cursor", "page_size": 2}).json()
    second = owner_client.get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 1


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_users_search_is_a_404_also_for_staff(method, admin_user):
    """Staff manage everyone's in the admin; through the API, theirs only."""
    others = SavedSearchFactory(name="Theirs")

    response = getattr(client_for(admin_user), method)(detail(others), {"name": "Mine now"}, format="json")

    assert response.status_code == 404
    others.refresh_from_db()
    assert others.name == "Theirs"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("post", ""), ("get", "1/"), ("patch", "1/"), ("delete", "1/"), ("get", "1/matches/")],
)
def test_anonymous_clients_are_refused(api_client, method, path):
    SavedSearchFactory(id=1)

    response = getattr(api_client, method)(f"{URL}{path}", {}, format="json")

    assert response.status_code == 401
    assert SavedSearch.objects.filter(pk=1).exists()


def test_patch_changes_what_is_sent_and_normalises_the_query(owner_client, owner):
    saved = SavedSearchFactory(owner=owner, name="Old", query="q=otters")

    response = owner_client.patch(
        detail(saved), {"query": "q=badgers&language=de", "email_digest": False}, format="json"
    )

    assert response.status_code == 200, response.content
    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.email_digest) == ("Old", "language=de&q=badgers", False)


def test_put_replaces_every_field(owner_client, owner):
    saved = SavedSearchFactory(owner=owner, name="Old", query="q=otters")

    response = owner_client.put(detail(saved), {"name": "New", "query": "", "email_digest": False}, format="json")

    assert response.status_code == 200, response.content
    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.email_digest) == ("New", "", False)


def test_patch_to_a_name_already_taken_is_a_400(owner_client, owner):
    SavedSearchFactory(owner=owner, name="Taken")
    saved = SavedSearchFactory(owner=owner, name="Mine")

    response = owner_client.patch(detail(saved), {"name": "Taken"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_patching_webhook_paused_false_resumes_and_true_is_refused(owner_client, owner):
    saved = SavedSearchFactory(owner=owner, webhook_paused_at=timezone.now())
    assert owner_client.get(detail(saved)).json()["webhook_paused"] is True

    refused = owner_client.patch(detail(saved), {"webhook_paused": True}, format="json")
    resumed = owner_client.patch(detail(saved), {"webhook_paused": False}, format="json")

    assert refused.status_code == 400 and "webhook_paused" in refused.json()
    assert resumed.status_code == 200
    assert (resumed.json()["webhook_paused"], resumed.json()["webhook_paused_at"]) == (False, None)
    saved.refresh_from_db()
    assert saved.webhook_paused_at is None


def test_delete(owner_client, owner):
    saved = SavedSearchFactory(owner=owner)

    assert owner_client.delete(detail(saved)).status_code == 204
    assert not SavedSearch.objects.exists()


# --- Matches -------------------------------------------------------------------------


@pytest.fixture
def courier():
    return PublisherFactory(slug="courier")


def matches(client, saved: SavedSearch, **params):
    return client.get(f"{detail(saved)}matches/", params)


def test_matches_are_the_article_lists_answer_to_the_saved_query(owner_client, owner, courier):
    wanted = make_article(title="Otters return", publisher=courier, body="Otters are back on the river.")
    make_article(title="Otters elsewhere", body="Otters on another paper.")
    make_article(title="Courier weather", publisher=courier)
    saved = SavedSearchFactory(owner=owner, query="publisher=courier&q=otters")

    response = matches(owner_client, saved)

    assert response.status_code == 200, response.content
    assert ids(response) == [wanted.pk]
    [item] = response.json()["results"]
    assert "<mark>" in item["snippet"]  # the list's own search results


def test_matches_since_compares_with_published_at(owner_client, owner, courier):
    """GIVEN two matches published in the archive before and after a moment
    (the older one dated, as a story, after it) WHEN the matches since then are asked
    THEN only the one published in the archive after it."""
    moment = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    make_article(
        publisher=courier,
        published_at=moment - dt.timedelta(hours=1),
        original_published_at=moment + dt.timedelta(days=1),
    )
    later = make_article(publisher=courier, published_at=moment + dt.timedelta(seconds=1))
    make_article(published_at=moment + dt.timedelta(hours=1))
    saved = SavedSearchFactory(owner=owner, query="publisher=courier")

    assert ids(matches(owner_client, saved, since="2026-05-01T12:00:00Z")) == [later.pk]
    assert len(ids(matches(owner_client, saved))) == 2


def test_matches_since_narrows_a_search_in_the_index_too(owner_client, owner):
    moment = timezone.now() - dt.timedelta(days=1)
    make_article(body="Otters then.", published_at=moment - dt.timedelta(hours=1))
    new = make_article(body="Otters now.", published_at=moment + dt.timedelta(hours=1))
    saved = SavedSearchFactory(owner=owner, query="q=otters")

    response = matches(owner_client, saved, since=moment.isoformat())

    assert ids(response) == [new.pk]
    assert response.json()["count"] == 1


def test_matches_show_only_what_the_owner_may_read(owner_client, owner):
    published = make_article(title="Out")
    make_article(Article.Status.DRAFT, title="Draft")
    saved = SavedSearchFactory(owner=owner, query="")

    assert ids(matches(owner_client, saved)) == [published.pk]


def test_matches_page_by_cursor_and_keep_since_in_the_links(owner_client, owner):
    for _ in range(3):
        make_article()
    saved = SavedSearchFactory(owner=owner, query="")

    first = matches(owner_client, saved, since="2000-01-01", page_mode="cursor", page_size=2).json()
    second = owner_client.get(first["next"]).json()

    assert "since=2000-01-01" in first["next"]
    assert len(first["results"]) == 2 and len(second["results"]) == 1


@pytest.mark.parametrize("since", ["yesterday", "", "2026-13-01"])
def test_a_bad_since_is_a_400(owner_client, owner, since):
    saved = SavedSearchFactory(owner=owner)

    response = matches(owner_client, saved, since=since)

    assert response.status_code == 400
    assert "since" in response.json()


def test_a_filter_beside_the_saved_query_is_a_400(owner_client, owner):
    saved = SavedSearchFactory(owner=owner)

    response = matches(owner_client, saved, publisher="courier")

    assert response.status_code == 400
    assert "publisher" in response.json()


def test_another_users_matches_are_a_404(owner_client):
    assert matches(owner_client, SavedSearchFactory()).status_code == 404


# --- Feed ----------------------------------------------------------------------------


def test_the_feed_by_token_shows_the_published_matches_to_anyone(client, owner, courier):
    make_article(title="Courier story", publisher=courier)
    make_article(Article.Status.DRAFT, title="Courier draft", publisher=courier)
    make_article(title="Other story")
    saved = SavedSearchFactory(owner=owner, name="The Courier", query="publisher=courier")

    atom = client.get(f"/feeds/saved-searches/{saved.feed_token}.atom")
    rss = client.get(f"/feeds/saved-searches/{saved.feed_token}.rss")

    assert atom.status_code == 200 and atom["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.content)
    assert root.findtext(f"{ATOM}title") == "News archive: The Courier"
    assert [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")] == ["Courier story"]
    assert [item.findtext("title") for item in ET.fromstring(rss.content).iter("item")] == ["Courier story"]


def test_the_feed_of_an_unknown_token_is_a_404(client):
    SavedSearchFactory()

    assert client.get("/feeds/saved-searches/not-a-token.atom").status_code == 404


@pytest.mark.parametrize("field", ["email_digest", "webhook_paused"])
@pytest.mark.parametrize("value", [0, "false", "no"])
def test_a_boolean_that_is_not_json_true_or_false_is_a_400(owner_client, owner, field, value):
    saved = SavedSearchFactory(owner=owner)

    response = owner_client.patch(detail(saved), {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("field", ["name", "query"])
def test_a_number_for_text_is_a_400(owner_client, owner, field):
    saved = SavedSearchFactory(owner=owner)

    response = owner_client.patch(detail(saved), {field: 0}, format="json")

    assert response.status_code == 400
    assert field in response.json()
