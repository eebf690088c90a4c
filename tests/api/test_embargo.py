"""Issue 14: embargoes. A published article with ``embargo_until`` ahead is hidden from the public until then.

Everywhere anonymous clients read articles (list, detail, search, facets, histogram, top-terms,
feeds, exports, standard formats, authors' and publishers' visibility and counts); staff see it,
marked. The clock is moved by patching ``django.utils.timezone.now``: the embargo lifts with no
write. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from articles.models import Article, SearchOutbox
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL, ids
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
LIFTED = dt.datetime(2026, 6, 2, 12, 0, tzinfo=dt.UTC)
SECRET = "zeppelin"
EXPORTS = [
    "export.ndjson",
    "export.csv",
    "export.jsonld",
    "export.ninjs.ndjson",
    "export.newsmlg2.xml",
    "export.nitf.xml",
]


@pytest.fixture
def embargoed(clock):
    """A public article on the harbour, and a published one under embargo until a day after NOW.

    The embargoed article is the only one of its author and of its publisher.
    """
    public = ArticleFactory(
        title="Open harbour story",
        body="harbour quay public",
        published_at=NOW - dt.timedelta(days=2),
        authors=[AuthorFactory(name="Open Writer")],
    )
    secret = ArticleFactory(
        title="Embargoed harbour story",
        body=f"harbour {SECRET} airship {SECRET} hangar",
        published_at=NOW - dt.timedelta(days=1),
        embargo_until=NOW + dt.timedelta(hours=12),
        authors=[AuthorFactory(name="Embargo Writer", slug="embargo-writer")],
        publisher=PublisherFactory(name="Embargo Press", slug="embargo-press"),
    )
    return {"public": public, "secret": secret}


def listed(client, url: str = ARTICLES_URL, **params) -> list[int]:
    response = client.get(url, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return ids(response)


# --- Hidden from the public ---------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"q": "harbour"}, {"q": SECRET}, {"page_mode": "cursor"}])
def test_anonymous_lists_leave_out_an_embargoed_article(api_client, embargoed, params):
    assert embargoed["secret"].pk not in listed(api_client, **params)


@pytest.mark.parametrize("suffix", ["", "source/", "revisions/"])
def test_an_embargoed_article_is_a_404_for_anonymous(api_client, embargoed, suffix):
    response = api_client.get(f"{ARTICLES_URL}{embargoed['secret'].pk}/{suffix}")
    assert response.status_code == 404


@pytest.mark.parametrize("params", [{}, {"q": "harbour"}])
def test_facet_counts_leave_it_out(api_client, staff_client, embargoed, params):
    anonymous = api_client.get(f"{ARTICLES_URL}facets/", params).json()
    staff = staff_client.get(f"{ARTICLES_URL}facets/", params).json()
    assert (anonymous["count"], staff["count"]) == (1, 2)
    assert "embargo-press" not in {p["slug"] for p in anonymous["publishers"]}
    assert "embargo-writer" not in {a["slug"] for a in anonymous["authors"]}


@pytest.mark.parametrize("params", [{"interval": "year"}, {"interval": "year", "q": "harbour"}])
def test_histogram_counts_leave_it_out(api_client, staff_client, embargoed, params):
    def sums(client) -> tuple[int, int]:
        buckets = client.get(f"{ARTICLES_URL}histogram/", params).json()["buckets"]
        return sum(b["count"] for b in buckets), sum(b["total"] for b in buckets)

    assert sums(api_client) == (1, 1)
    assert sums(staff_client) == (2, 2)


def test_top_terms_leave_it_out(api_client, staff_client, embargoed):
    # A background the matches stand out from.
    for n in range(4):
        ArticleFactory(title=f"Council meeting {n}", body="council budget meeting vote")
    anonymous = api_client.get(f"{ARTICLES_URL}top-terms/", {"q": "harbour"}).json()
    staff = staff_client.get(f"{ARTICLES_URL}top-terms/", {"q": "harbour"}).json()
    assert (anonymous["matches"], staff["matches"]) == (1, 2)
    assert SECRET not in {t["term"] for t in anonymous["terms"]}
    assert SECRET in {t["term"] for t in staff["terms"]}


@pytest.mark.parametrize("feed", ["/feeds/articles.atom", "/feeds/articles.rss"])
@pytest.mark.parametrize("params", [{}, {"q": "harbour"}])
def test_feeds_leave_it_out(client, embargoed, feed, params):
    response = client.get(feed, params)
    assert response.status_code == 200
    assert b"Open harbour story" in response.content
    assert b"Embargoed harbour story" not in response.content


@pytest.mark.parametrize("export", EXPORTS)
@pytest.mark.parametrize("params", [{}, {"q": "harbour"}])
def test_exports_leave_it_out(api_client, staff_client, embargoed, export, params):
    anonymous = b"".join(api_client.get(f"{ARTICLES_URL}{export}", params).streaming_content)
    staff = b"".join(staff_client.get(f"{ARTICLES_URL}{export}", params).streaming_content)
    assert b"Open harbour story" in anonymous
    assert b"Embargoed harbour story" not in anonymous
    assert b"Embargoed harbour story" in staff


@pytest.mark.parametrize("fmt", ["jsonld", "ninjs"])
def test_standard_formats_leave_it_out(api_client, embargoed, fmt):
    listing = api_client.get(ARTICLES_URL, {"format": fmt})
    assert listing.status_code == 200
    assert b"Open harbour story" in listing.content
    assert b"Embargoed harbour story" not in listing.content
    assert api_client.get(f"{ARTICLES_URL}{embargoed['secret'].pk}/", {"format": fmt}).status_code == 404


@pytest.mark.parametrize("fmt", ["newsmlg2", "nitf"])
def test_newsroom_formats_of_its_detail_are_a_404_until_it_lifts(api_client, embargoed, clock, fmt):
    url = f"{ARTICLES_URL}{embargoed['secret'].pk}/"
    assert api_client.get(url, {"format": fmt}).status_code == 404

    clock(LIFTED)

    assert api_client.get(url, {"format": fmt}).status_code == 200


@pytest.mark.parametrize(("url", "slug"), [(AUTHORS_URL, "embargo-writer"), (PUBLISHERS_URL, "embargo-press")])
def test_its_only_author_and_publisher_are_hidden_until_it_lifts(api_client, embargoed, clock, url, slug):
    """GIVEN an author and a publisher credited only on the embargoed article
    WHEN anonymous clients look, before and after the embargo ends
    THEN they are unpublished material before (404, left out, no filter match), public with one article after.
    """

    def slugs() -> dict[str, int]:
        return {p["slug"]: p["article_count"] for p in api_client.get(url, {"page_size": 100}).json()["results"]}

    secret = embargoed["secret"]
    pk = secret.publisher_id if url == PUBLISHERS_URL else secret.bylines.get().author_id
    kind = "publisher" if url == PUBLISHERS_URL else "author"
    assert slug not in slugs()
    assert api_client.get(f"{url}{pk}/").status_code == 404
    assert api_client.get(url, {"has_articles": "true"}).json()["count"] == 1
    assert listed(api_client, **{kind: slug}) == []

    clock(LIFTED)

    assert slugs()[slug] == 1
    assert api_client.get(f"{url}{pk}/").status_code == 200
    assert listed(api_client, **{kind: slug}) == [secret.pk]
    assert api_client.get(url, {"has_articles": "true"}).json()["count"] == 2


def test_the_public_articles_count_of_a_publisher_leaves_it_out(api_client, embargoed):
    """A publisher with a public article and an embargoed one counts one for anonymous clients."""
    ArticleFactory(publisher=embargoed["public"].publisher, embargo_until=NOW + dt.timedelta(days=1))
    counts = {p["id"]: p["article_count"] for p in api_client.get(PUBLISHERS_URL).json()["results"]}
    assert counts[embargoed["public"].publisher_id] == 1


# --- Staff see it, marked --------------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["staff_client", "editor_client"])
def test_staff_see_it_marked(request, embargoed, client_fixture):
    client = request.getfixturevalue(client_fixture)
    secret, public = embargoed["secret"], embargoed["public"]
    assert {secret.pk, public.pk} <= set(listed(client))
    assert secret.pk in listed(client, q=SECRET)
    detail = client.get(f"{ARTICLES_URL}{secret.pk}/").json()
    assert (detail["embargo_until"], detail["embargoed"]) == ("2026-06-02T00:00:00Z", True)
    rows = {row["id"]: row for row in client.get(ARTICLES_URL).json()["results"]}
    assert (rows[public.pk]["embargo_until"], rows[public.pk]["embargoed"]) == (None, False)


def test_the_marking_is_staff_only(api_client, user_client, embargoed):
    for client in (api_client, user_client):
        row = client.get(ARTICLES_URL).json()["results"][0]
        assert "embargo_until" not in row and "embargoed" not in row
        assert client.get(ARTICLES_URL, {"fields": "id,embargoed"}).status_code == 400


# --- The embargo lifts by itself -------------------------------------------------------------


def test_when_the_time_passes_it_appears_without_any_write(api_client, staff_client, embargoed, clock):
    """GIVEN an embargoed article, hidden from anonymous clients
    WHEN the clock moves past embargo_until (nothing written meanwhile)
    THEN the list, the detail and a search show it to them, and staff see the embargo over.
    """
    secret = embargoed["secret"]
    assert secret.pk not in listed(api_client, q=SECRET)
    stamp = Article.objects.get(pk=secret.pk).updated_at
    assert not SearchOutbox.objects.exists()

    clock(secret.embargo_until)

    assert secret.pk in listed(api_client)
    assert api_client.get(f"{ARTICLES_URL}{secret.pk}/").status_code == 200
    assert listed(api_client, q=SECRET) == [secret.pk]
    assert api_client.get(f"{ARTICLES_URL}facets/", {"q": "harbour"}).json()["count"] == 2
    assert staff_client.get(f"{ARTICLES_URL}{secret.pk}/").json()["embargoed"] is False
    assert Article.objects.get(pk=secret.pk).updated_at == stamp
    assert not SearchOutbox.objects.exists()


# --- Setting and clearing it --------------------------------------------------------------


def patch(client, article: Article, body: dict):
    return client.patch(f"{ARTICLES_URL}{article.pk}/", json.dumps(body), content_type="application/json")


def test_an_editor_sets_and_clears_an_embargo_and_search_follows(api_client, editor_client, embargoed):
    """GIVEN a public article found by anonymous search
    WHEN an editor embargoes it, then lifts the embargo (PATCH, null)
    THEN anonymous search stops finding it, then finds it again (its index document follows).
    """
    public = embargoed["public"]
    assert public.pk in listed(api_client, q="quay")

    response = patch(editor_client, public, {"embargo_until": "2026-07-01T09:30:00+02:00"})

    assert response.status_code == 200, response.content
    assert (response.json()["embargo_until"], response.json()["embargoed"]) == ("2026-07-01T07:30:00Z", True)
    assert listed(api_client, q="quay") == []
    assert public.pk not in listed(api_client)
    assert public.history.latest().embargo_until == dt.datetime(2026, 7, 1, 7, 30, tzinfo=dt.UTC)

    response = patch(editor_client, public, {"embargo_until": None})

    assert response.status_code == 200, response.content
    assert response.json()["embargoed"] is False
    assert Article.objects.get(pk=public.pk).embargo_until is None
    assert listed(api_client, q="quay") == [public.pk]


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01T00:00:00Z", 5, ["2026-07-01"], {"at": 1}])
def test_a_malformed_embargo_is_a_400(editor_client, embargoed, value):
    response = patch(editor_client, embargoed["public"], {"embargo_until": value})
    assert response.status_code == 400
    assert "embargo_until" in response.json()


def test_a_past_embargo_is_accepted_and_hides_nothing(api_client, editor_client, embargoed):
    public = embargoed["public"]
    assert patch(editor_client, public, {"embargo_until": "2020-01-01T00:00:00Z"}).status_code == 200
    assert public.pk in listed(api_client, q="quay")


def test_readers_cannot_set_an_embargo(user_client, embargoed):
    assert patch(user_client, embargoed["public"], {"embargo_until": None}).status_code == 403
