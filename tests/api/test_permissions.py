"""Who may write: anonymous 401, permission-less 403, editors (the Editors group) allowed; reads stay open."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from articles.models import Author, Publisher
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

EDITOR_CODENAMES = {
    "view_article",
    "change_article",
    *(
        f"{action}_{model}"
        # publisherboilerplate: a site's boilerplate lines, 0017; collection: curated publisher sets, 0021.
        for model in ("author", "publisher", "articleauthor", "publisherboilerplate", "collection")
        for action in ("view", "add", "change", "delete")
    ),
    "view_importrun",
    "view_importoutcome",
    "view_sourcerevision",
    "run_import",
    # 0005, less what 0015 took back (no code checks alias or merge writes): the list of merges.
    "view_merge",
}


@pytest.fixture
def objects():
    """An article, an author and a publisher nothing credits (so each can be deleted)."""
    return {
        "article": ArticleFactory(authors=[AuthorFactory()]),
        "author": AuthorFactory(),
        "publisher": PublisherFactory(),
    }


def write_requests(objects) -> list[tuple[str, str, dict]]:
    """Every write the API offers, as (method, url, payload)."""
    return [
        ("patch", f"{ARTICLES_URL}{objects['article'].pk}/", {"title": "Edited"}),
        ("post", AUTHORS_URL, {"name": "New Author"}),
        ("patch", f"{AUTHORS_URL}{objects['author'].pk}/", {"name": "Renamed"}),
        ("delete", f"{AUTHORS_URL}{objects['author'].pk}/", {}),
        ("post", PUBLISHERS_URL, {"name": "New Publisher"}),
        ("patch", f"{PUBLISHERS_URL}{objects['publisher'].pk}/", {"name": "Renamed"}),
        ("delete", f"{PUBLISHERS_URL}{objects['publisher'].pk}/", {}),
    ]


WRITE_IDS = [
    "patch-article",
    "post-author",
    "patch-author",
    "delete-author",
    "post-publisher",
    "patch-publisher",
    "delete-publisher",
]
SUCCESS = {"post": 201, "patch": 200, "delete": 204}
URLS = {"article": ARTICLES_URL, "author": AUTHORS_URL, "publisher": PUBLISHERS_URL}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The Editors group from the migration ---------------------------------------


def test_migration_creates_the_editors_group_with_exactly_its_permissions():
    group = Group.objects.get(name="Editors")

    permissions = set(group.permissions.values_list("content_type__app_label", "codename"))

    assert permissions == {("articles", codename) for codename in EDITOR_CODENAMES}


def test_run_import_is_a_permission_of_import_runs():
    permission = Permission.objects.get(codename="run_import")

    assert permission.content_type.model == "importrun"
    assert permission.name == "Can import seed files"


def test_editors_get_no_user_or_group_management():
    group = Group.objects.get(name="Editors")

    assert not group.permissions.filter(content_type__app_label="auth").exists()
    assert not group.permissions.filter(codename__in=["add_article", "delete_article"]).exists()


# --- The matrix -----------------------------------------------------------------


@pytest.mark.parametrize("index", range(7), ids=WRITE_IDS)
def test_anonymous_writes_are_a_401_with_a_token_challenge(api_client, objects, index):
    method, url, payload = write_requests(objects)[index]

    response = getattr(api_client, method)(url, payload)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("is_staff", [False, True], ids=["reader", "staff"])
@pytest.mark.parametrize("index", range(7), ids=WRITE_IDS)
def test_users_without_the_permission_get_a_403(django_user_model, objects, index, is_staff):
    user = django_user_model.objects.create_user("someone", password="pw-for-tests-only", is_staff=is_staff)
    method, url, payload = write_requests(objects)[index]

    response = getattr(client_for(user), method)(url, payload)

    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize("index", range(7), ids=WRITE_IDS)
def test_a_user_added_to_editors_may_write(django_user_model, objects, index):
    """GIVEN a plain user with no permissions of their own
    WHEN they are added to the Editors group the migration made
    THEN every write the API offers succeeds for them.
    """
    user = django_user_model.objects.create_user("newbie", password="pw-for-tests-only")
    method, url, payload = write_requests(objects)[index]
    assert getattr(client_for(user), method)(url, payload).status_code == 403

    user.groups.add(Group.objects.get(name="Editors"))
    user = django_user_model.objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance

    response = getattr(client_for(user), method)(url, payload)
    assert response.status_code == SUCCESS[method], response.content


@pytest.mark.parametrize(
    ("codename", "allowed", "refused"),
    [
        ("change_author", ("patch", "author"), ("delete", "author")),
        ("delete_author", ("delete", "author"), ("patch", "author")),
        ("change_publisher", ("patch", "publisher"), ("patch", "author")),
        ("change_article", ("patch", "article"), ("patch", "publisher")),
    ],
)
def test_each_write_needs_its_own_permission(django_user_model, objects, codename, allowed, refused):
    user = django_user_model.objects.create_user("narrow", password="pw-for-tests-only")
    user.user_permissions.add(Permission.objects.get(codename=codename))
    client = client_for(django_user_model.objects.get(pk=user.pk))

    def send(method: str, kind: str):
        return getattr(client, method)(f"{URLS[kind]}{objects[kind].pk}/", {"name": "N", "title": "T"})

    assert send(*refused).status_code == 403
    assert send(*allowed).status_code == SUCCESS[allowed[0]]


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client", "editor_client", "staff_client"])
@pytest.mark.parametrize(
    ("method", "kind", "detail"),
    [
        ("put", "article", True),
        ("post", "article", False),
        ("delete", "article", True),
        ("put", "author", True),
        ("put", "publisher", True),
    ],
)
def test_writes_the_api_does_not_offer_are_a_405_for_everybody(request, objects, client_fixture, method, kind, detail):
    client = request.getfixturevalue(client_fixture)
    url = URLS[kind] + (f"{objects[kind].pk}/" if detail else "")

    response = getattr(client, method)(url, {"title": "x", "name": "x"})

    assert response.status_code == 405
    assert "detail" in response.json()


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client", "editor_client"])
@pytest.mark.parametrize("url", [ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL])
def test_reads_stay_open_to_everybody(request, objects, client_fixture, url):
    response = request.getfixturevalue(client_fixture).get(url)

    assert response.status_code == 200
    assert response.json()["count"] >= 1


def test_an_inactive_editor_cannot_write(editor, objects):
    editor.is_active = False
    editor.save()

    response = client_for(editor).patch(f"{AUTHORS_URL}{objects['author'].pk}/", {"name": "Nope"})

    assert response.status_code == 403
    assert Author.objects.get(pk=objects["author"].pk).name != "Nope"


def test_superusers_write_without_the_group(staff_client, objects):
    response = staff_client.post(PUBLISHERS_URL, {"name": "By The Superuser"})

    assert response.status_code == 201
    assert Publisher.objects.filter(slug="by-the-superuser").exists()


@pytest.mark.django_db
def test_an_editor_who_is_not_staff_reads_the_drafts_they_may_edit(django_user_model):
    """
    GIVEN a draft, and a non-staff user in the Editors group
    WHEN the editor lists articles and opens the draft
    THEN the draft is there, as it is for staff; a plain user still does not see it
    """
    from django.contrib.auth.models import Group
    from rest_framework.test import APIClient

    from tests.factories import ArticleFactory

    draft = ArticleFactory(status="draft", published_at=None)
    editor = django_user_model.objects.create_user("desk-editor", password="pw-for-tests-only")
    editor.groups.add(Group.objects.get(name="Editors"))
    reader = django_user_model.objects.create_user("reader", password="pw-for-tests-only")
    editor_api, reader_api = APIClient(), APIClient()
    editor_api.force_authenticate(editor)
    reader_api.force_authenticate(reader)

    assert editor_api.get("/api/v1/articles/?status=draft").json()["count"] == 1
    assert editor_api.get(f"/api/v1/articles/{draft.pk}/").status_code == 200
    assert reader_api.get("/api/v1/articles/?status=draft").json()["count"] == 0
    assert reader_api.get(f"/api/v1/articles/{draft.pk}/").status_code == 404
