"""Collections: ``/api/v1/collections/`` and the ``collection`` filter wherever ``publisher`` filters articles."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import NoReverseMatch, reverse

from articles.models import Article, Collection
from tests.api.helpers import ARTICLES_URL, make_article
from tests.factories import ArticleFactory, PublisherFactory

pytestmark = pytest.mark.django_db

COLLECTIONS_URL = "/api/v1/collections/"
FACETS_URL = "/api/v1/articles/facets/"
NDJSON_URL = "/api/v1/articles/export.ndjson"
ATOM_URL = "/feeds/articles.atom"


def make_collection(name: str, slug: str, publishers=(), description: str = "") -> Collection:
    collection = Collection.objects.create(name=name, slug=slug, description=description)
    collection.publishers.set(publishers)
    return collection


@pytest.fixture
def archive():
    """Three publishers with published articles, one with a draft only (hidden from anonymous users), one
    article with no publisher; collections "national" (acme, bugle, ghost), "regional" (bugle, zeta) and
    "empty". Every body says "harbour"."""
    acme, bugle, zeta = (PublisherFactory(name=n.title(), slug=n) for n in ("acme", "bugle", "zeta"))
    ghost = PublisherFactory(name="Ghost", slug="ghost")
    articles = {
        "acme1": ArticleFactory(publisher=acme, body="harbour one"),
        "acme2": ArticleFactory(publisher=acme, body="harbour two"),
        "bugle": ArticleFactory(publisher=bugle, body="harbour three"),
        "zeta": ArticleFactory(publisher=zeta, body="harbour four"),
        "ghost": make_article(Article.Status.DRAFT, publisher=ghost, body="harbour draft"),
        "nobody": ArticleFactory(publisher=None, body="harbour five"),
    }
    collections = {
        "national": make_collection("National papers", "national", [acme, bugle, ghost], "Papers read nationwide."),
        "regional": make_collection("Regional papers", "regional", [bugle, zeta]),
        "empty": make_collection("Empty", "empty"),
    }
    return {"articles": articles, "collections": collections}


def names(archive, ids) -> set[str]:
    by_id = {article.pk: name for name, article in archive["articles"].items()}
    return {by_id[pk] for pk in ids}


def listed(client, archive, **params) -> set[str]:
    response = client.get(ARTICLES_URL, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert response.json()["count"] == len(results)  # counted where it is filtered: the database or the index
    return names(archive, [item["id"] for item in results])


# --- The collections themselves ------------------------------------------------------------


def test_list_shows_each_collection_with_its_visible_publishers(api_client, archive):
    response = api_client.get(COLLECTIONS_URL)

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    national = next(item for item in data["results"] if item["slug"] == "national")
    assert [item["slug"] for item in data["results"]] == ["empty", "national", "regional"]  # by name
    assert national["name"] == "National papers"
    assert national["description"] == "Papers read nationwide."
    # Ghost has only a draft: to anonymous users it is unpublished, as in /publishers/.
    assert [(p["slug"], p["name"]) for p in national["publishers"]] == [("acme", "Acme"), ("bugle", "Bugle")]
    assert national["publishers"][0]["url"].endswith(f"/api/v1/publishers/{national['publishers'][0]['id']}/")
    assert national["url"].endswith(f"{COLLECTIONS_URL}{archive['collections']['national'].pk}/")
    assert national["articles_url"].endswith(f"{ARTICLES_URL}?collection=national")
    assert set(national) == {
        "id",
        "url",
        "name",
        "slug",
        "description",
        "publishers",
        "articles_url",
        "created_at",
        "updated_at",
    }


def test_staff_see_every_publisher_of_a_collection(staff_client, archive):
    national = archive["collections"]["national"]
    data = staff_client.get(f"{COLLECTIONS_URL}{national.pk}/").json()
    assert [p["slug"] for p in data["publishers"]] == ["acme", "bugle", "ghost"]


def test_detail_by_id_with_an_etag(api_client, archive):
    """GIVEN a collection WHEN its detail is read, then read again with its ETag THEN 200, then 304."""
    regional = archive["collections"]["regional"]
    url = f"{COLLECTIONS_URL}{regional.pk}/"

    response = api_client.get(url)

    assert response.status_code == 200
    assert response.json()["slug"] == "regional"
    assert [p["slug"] for p in response.json()["publishers"]] == ["bugle", "zeta"]
    assert "Last-Modified" not in response  # a publisher's rename changes it without touching the collection
    assert api_client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_unknown_collection_id_is_a_json_404(api_client, archive):
    response = api_client.get(f"{COLLECTIONS_URL}999999/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_fields_pick_the_collection_fields(api_client, archive):
    data = api_client.get(COLLECTIONS_URL, {"fields": "slug,publishers"}).json()
    assert data["results"][0] == {"slug": "empty", "publishers": []}


def test_cursor_paging_walks_the_collections_by_name(api_client, archive):
    """GIVEN three collections WHEN walked by cursor two at a time THEN each comes once, by name."""
    first = api_client.get(COLLECTIONS_URL, {"page_mode": "cursor", "page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert [item["slug"] for item in first["results"] + second["results"]] == ["empty", "national", "regional"]
    assert second["next"] is None


@pytest.mark.parametrize("params", [{"page_size": "0"}, {"fields": "nope"}, {"page": "x"}])
def test_bad_list_parameters_are_a_400(api_client, archive, params):
    assert api_client.get(COLLECTIONS_URL, params).status_code == 400


def test_api_root_links_collections(api_client):
    assert api_client.get("/api/v1/").json()["collections"].endswith(COLLECTIONS_URL)


# COUNT for the paginator, the page, every page's publishers in one prefetch: the same for 3 or 30 collections.
@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("extra", [0, 27])
def test_list_queries_do_not_grow_with_the_page(request, django_assert_num_queries, archive, client_fixture, extra):
    client = request.getfixturevalue(client_fixture)
    publishers = PublisherFactory.create_batch(3)
    for n in range(extra):
        make_collection(f"More {n}", f"more-{n}", publishers)
    client.get(COLLECTIONS_URL)  # the staff user's permissions, cached per request anyway

    with django_assert_num_queries(3):
        response = client.get(COLLECTIONS_URL, {"page_size": 100})

    assert len(response.json()["results"]) == 3 + extra


def test_detail_queries(api_client, django_assert_num_queries, archive):
    with django_assert_num_queries(2):  # the collection, its publishers
        api_client.get(f"{COLLECTIONS_URL}{archive['collections']['national'].pk}/")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_collections_are_read_only(api_client, editor_client, archive, method):
    """GIVEN a collection WHEN anybody, an editor too, writes to it through the API THEN 405 and nothing changes."""
    national = archive["collections"]["national"]
    url = COLLECTIONS_URL if method == "post" else f"{COLLECTIONS_URL}{national.pk}/"
    payload = {"name": "Renamed", "slug": "renamed"}

    anonymous = getattr(api_client, method)(url, payload, format="json")
    editor = getattr(editor_client, method)(url, payload, format="json")

    assert anonymous.status_code == 405, anonymous.content
    assert editor.status_code == 405, editor.content  # editors curate them in the admin
    assert list(Collection.objects.values_list("slug", flat=True)) == ["empty", "national", "regional"]
    assert national.publishers.count() == 3


# --- The collection filter -------------------------------------------------------------------

FILTER_CASES = [
    ({"collection": "national"}, {"acme1", "acme2", "bugle"}),
    ({"collection": "regional"}, {"bugle", "zeta"}),
    ({"collection": ["national", "regional"]}, {"acme1", "acme2", "bugle", "zeta"}),
    ({"collection": "national,regional"}, {"acme1", "acme2", "bugle", "zeta"}),
    # With publisher: the publishers named by both.
    ({"collection": "national", "publisher": "bugle"}, {"bugle"}),
    ({"collection": "regional", "publisher": "acme,bugle"}, {"bugle"}),
    ({"collection": "national", "publisher": "zeta"}, set()),
    # An empty or unknown collection, as an unknown publisher: nothing.
    ({"collection": "empty"}, set()),
    ({"collection": "no-such-collection"}, set()),
    ({"publisher": "no-such-publisher"}, set()),
    ({"collection": ["no-such-collection", "regional"]}, {"bugle", "zeta"}),
    ({"collection": ""}, {"acme1", "acme2", "bugle", "zeta", "nobody"}),  # an empty value is no filter
]
FILTER_IDS = [
    "one",
    "another",
    "repeated",
    "comma-separated",
    "with-publisher",
    "with-publishers",
    "with-other-publisher",
    "empty",
    "unknown",
    "unknown-publisher",
    "unknown-and-known",
    "blank",
]


@pytest.mark.parametrize("q", [None, "harbour"], ids=["database", "index"])
@pytest.mark.parametrize(("params", "expected"), FILTER_CASES, ids=FILTER_IDS)
def test_collection_filters_the_list(api_client, archive, params, expected, q):
    assert listed(api_client, archive, **params, **({"q": q} if q else {})) == expected


@pytest.mark.parametrize("q", [None, "harbour"], ids=["database", "index"])
def test_staff_get_the_drafts_of_a_collection(staff_client, archive, q):
    params = {"collection": "national", **({"q": q} if q else {})}
    assert listed(staff_client, archive, **params) == {"acme1", "acme2", "bugle", "ghost"}


def test_search_with_collection_still_matches_words(api_client, archive):
    assert listed(api_client, archive, collection="national", q="two") == {"acme2"}


@pytest.mark.parametrize("value", ["not a slug!", "a,,b"])
def test_a_malformed_collection_slug_is_a_400(api_client, archive, value):
    response = api_client.get(ARTICLES_URL, {"collection": value})
    assert response.status_code == 400
    assert "collection" in response.json()


def test_collection_lookup_is_one_query(api_client, django_assert_num_queries, archive):
    # As a publisher slug's lookup: the collections' publishers, then COUNT, the page, the bylines.
    with django_assert_num_queries(4):
        api_client.get(ARTICLES_URL, {"collection": "national", "fields": "id,title,authors"})


def test_facets_count_a_collection(api_client, archive):
    data = api_client.get(FACETS_URL, {"collection": "national"}).json()

    assert data["count"] == 3
    assert data["publishers"] == [
        {"slug": "acme", "name": "Acme", "count": 2},
        {"slug": "bugle", "name": "Bugle", "count": 1},
    ]


def test_facets_with_q_and_an_empty_collection(api_client, archive):
    assert api_client.get(FACETS_URL, {"collection": "empty", "q": "harbour"}).json()["count"] == 0


@pytest.mark.parametrize("q", [None, "harbour"], ids=["database", "index"])
def test_histogram_sums_to_the_list_count(api_client, archive, q):
    try:
        url = reverse("api:article-histogram")
    except NoReverseMatch:
        pytest.skip("no histogram on this branch")
    params = {"collection": "regional", **({"q": q} if q else {})}

    histogram = api_client.get(url, {**params, "interval": "year"})
    articles = api_client.get(ARTICLES_URL, params)

    assert histogram.status_code == 200, histogram.content
    assert sum(bucket["count"] for bucket in histogram.json()["buckets"]) == articles.json()["count"] == 2


@pytest.mark.parametrize("q", [None, "harbour"], ids=["database", "index"])
def test_export_takes_the_collection(api_client, archive, q):
    response = api_client.get(NDJSON_URL, {"collection": "regional", **({"q": q} if q else {})})

    assert response.status_code == 200
    rows = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert names(archive, [row["id"] for row in rows]) == {"bugle", "zeta"}


def test_feed_takes_the_collection(client, archive):
    response = client.get(ATOM_URL, {"collection": "regional"})

    assert response.status_code == 200
    atom = "{http://www.w3.org/2005/Atom}"
    titles = {entry.findtext(f"{atom}title") for entry in ET.fromstring(response.content).iter(f"{atom}entry")}
    assert titles == {archive["articles"]["bugle"].title, archive["articles"]["zeta"].title}


def test_feed_with_a_bad_collection_is_a_json_400(client, archive):
    response = client.get(ATOM_URL, {"collection": "not a slug!"})
    assert response.status_code == 400
    assert "collection" in response.json()
