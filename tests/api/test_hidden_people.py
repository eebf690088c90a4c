"""Issue 10, item 2: people credited only on drafts or withdrawn articles are unpublished material.

Anonymous clients and readers never see them (details, lists, filters, facets);
staff and editors do. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, ArticleAuthor, AuthorAlias, PublisherAlias
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL, ids, make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

FACETS_URL = f"{ARTICLES_URL}facets/"
OUTSIDERS = ["api_client", "user_client"]
INSIDERS = ["staff_client", "editor_client"]


@pytest.fixture
def people():
    """A draft by Quillon Zarathustra of Secretpub Holdings, a withdrawn article by others, and a public article."""
    secret_author = AuthorFactory(name="Quillon Zarathustra", social_handle="@quillon")
    secret_publisher = PublisherFactory(name="Secretpub Holdings")
    draft = make_article(Article.Status.DRAFT, authors=[secret_author], publisher=secret_publisher, body="secret plan")
    gone_author, gone_publisher = AuthorFactory(name="Gone Writer"), PublisherFactory(name="Gone Press")
    make_article(Article.Status.WITHDRAWN, authors=[gone_author], publisher=gone_publisher, body="secret plan")
    public_author, public_publisher = AuthorFactory(name="Open Writer"), PublisherFactory(name="Open Press")
    public = ArticleFactory(authors=[public_author], publisher=public_publisher, body="public plan")
    return {
        "authors": {"hidden": [secret_author, gone_author], "public": [public_author]},
        "publishers": {"hidden": [secret_publisher, gone_publisher], "public": [public_publisher]},
        "draft": draft,
        "public": public,
    }


def listed(client, url: str, **params) -> set[int]:
    response = client.get(url, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return set(ids(response))


def pks(objects) -> set[int]:
    return {obj.pk for obj in objects}


KINDS = [("authors", AUTHORS_URL), ("publishers", PUBLISHERS_URL)]
SECRET_NAMES = {"authors": "zarathustra", "publishers": "secretpub"}


@pytest.mark.parametrize("client_fixture", OUTSIDERS)
@pytest.mark.parametrize(("kind", "url"), KINDS)
def test_outsiders_never_see_draft_only_people(request, people, client_fixture, kind, url):
    """GIVEN people credited only on a draft or a withdrawn article, and others on a published one
    WHEN an anonymous client or a reader lists them, filters them by name or has_articles, or asks for one
    THEN only the published one's people exist for them: the others are a 404 like an id nobody has.
    """
    client = request.getfixturevalue(client_fixture)
    hidden, public = people[kind]["hidden"], people[kind]["public"]

    assert listed(client, url) == pks(public)
    assert listed(client, url, has_articles="true") == pks(public)
    assert listed(client, url, has_articles="false") == set()
    assert listed(client, url, name=SECRET_NAMES[kind]) == listed(client, url, name="gone") == set()
    assert client.get(url, {"page_size": 100}).json()["count"] == 1
    for person in hidden:
        response = client.get(f"{url}{person.pk}/")
        assert (response.status_code, response.json()) == (404, client.get(f"{url}999999/").json())
    assert b"Quillon" not in client.get(url).content


@pytest.mark.parametrize("client_fixture", INSIDERS)
@pytest.mark.parametrize(("kind", "url"), KINDS)
def test_staff_and_editors_see_everybody(request, people, client_fixture, kind, url):
    client = request.getfixturevalue(client_fixture)
    everybody = pks([*people[kind]["hidden"], *people[kind]["public"]])

    assert listed(client, url) == everybody
    assert listed(client, url, name=SECRET_NAMES[kind]) == {people[kind]["hidden"][0].pk}
    assert listed(client, url, has_articles="true") == everybody
    assert client.get(f"{url}{people[kind]['hidden'][0].pk}/").json()["article_count"] == 1


@pytest.mark.parametrize("client_fixture", OUTSIDERS)
@pytest.mark.parametrize("param", ["author", "publisher"])
@pytest.mark.parametrize("q", [None, "plan"])
def test_article_filters_treat_a_hidden_slug_as_one_nobody_has(request, people, client_fixture, param, q):
    """GIVEN the slug of someone credited only on a draft
    WHEN an outsider filters the articles (or their facets) by it, with or without a search
    THEN the answer is exactly the one for a slug nobody has: no article, and nothing about the person.
    """
    client = request.getfixturevalue(client_fixture)
    hidden = people[f"{param}s"]["hidden"][0]
    search = {"q": q} if q else {}

    for url in (ARTICLES_URL, FACETS_URL):
        secret = client.get(url, {param: hidden.slug, **search})
        nobody = client.get(url, {param: "no-such-slug", **search})
        assert secret.status_code == nobody.status_code == 200
        assert secret.json() == nobody.json()
        assert b"Quillon" not in secret.content and b"Secretpub" not in secret.content


@pytest.mark.parametrize("param", ["author", "publisher"])
def test_the_alias_of_a_hidden_person_is_unknown_too(api_client, staff_client, people, param):
    hidden = people[f"{param}s"]["hidden"][0]
    if param == "author":
        AuthorAlias.objects.create(author=hidden, name="Q. Zarathustra", slug="q-zarathustra")
    else:
        PublisherAlias.objects.create(publisher=hidden, name="Secretpub", slug="q-zarathustra")

    assert listed(api_client, ARTICLES_URL, **{param: "q-zarathustra"}) == set()
    assert listed(staff_client, ARTICLES_URL, **{param: "q-zarathustra"}) == {people["draft"].pk}


def test_someone_on_a_published_article_and_a_draft_is_public_with_the_published_count(api_client, people):
    author = people["authors"]["public"][0]
    make_article(Article.Status.DRAFT, authors=[author])

    assert api_client.get(f"{AUTHORS_URL}{author.pk}/").json()["article_count"] == 1


def test_someone_taken_off_a_draft_stays_hidden(api_client, people):
    """GIVEN the draft's author, then taken off its byline (so credited on nothing at all)
    WHEN an anonymous client asks for them
    THEN they are still hidden: only a published article makes someone public.
    """
    author = people["authors"]["hidden"][0]
    ArticleAuthor.objects.filter(author=author).delete()

    assert api_client.get(f"{AUTHORS_URL}{author.pk}/").status_code == 404


def test_publishing_the_draft_makes_its_people_public(api_client, people):
    Article.objects.filter(pk=people["draft"].pk).update(status=Article.Status.PUBLISHED, published_at=timezone.now())

    assert people["authors"]["hidden"][0].pk in listed(api_client, AUTHORS_URL)
    assert api_client.get(f"{PUBLISHERS_URL}{people['publishers']['hidden'][0].pk}/").status_code == 200


@pytest.mark.parametrize(("kind", "url"), KINDS)
def test_visibility_is_an_exists_not_a_count(api_client, people, kind, url):
    """GIVEN an anonymous list of people
    WHEN it runs
    THEN it is still a count and a page, each telling the visible ones by an EXISTS, never a GROUP BY.
    """
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(url).status_code == 200

    count_sql, page_sql = (query["sql"].upper() for query in queries.captured_queries)
    assert "EXISTS" in count_sql and "COUNT(" not in count_sql.split("FROM", 1)[1]
    assert "EXISTS" in page_sql and "GROUP BY" not in page_sql.rsplit(")", 1)[-1]


def test_a_user_who_may_manage_authors_sees_every_author(django_user_model, people):
    """A user with only the change_author permission reaches every author by id, so the list shows them all."""
    from django.contrib.auth.models import Permission
    from rest_framework.test import APIClient

    user = django_user_model.objects.create_user("narrow", password="pw-for-tests-only")
    user.user_permissions.add(Permission.objects.get(codename="change_author"))
    client = APIClient()
    client.force_authenticate(django_user_model.objects.get(pk=user.pk))

    assert listed(client, AUTHORS_URL) == pks([*people["authors"]["hidden"], *people["authors"]["public"]])
    assert listed(client, PUBLISHERS_URL) == pks(people["publishers"]["public"])
