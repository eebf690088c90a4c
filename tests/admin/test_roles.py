"""Roles: the Editors group runs the whole desk but not users or groups; staff without permissions see nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from articles.models import Merge
from tests.admin.conftest import EDITOR_PASSWORD
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

INDEX_URL = reverse("admin:index")


def app_models(response) -> set[str]:
    return {model["object_name"] for app in response.context["app_list"] for model in app["models"]}


@pytest.fixture
def merge(db) -> Merge:
    return Merge.objects.create(kind=Merge.Kind.AUTHOR, survivor_id=1, survivor_name="Someone")


def desk_urls(article, merge) -> list[str]:
    """Every page of the desk, standard and custom."""
    version = article.history.earliest("history_date").history_id
    return [
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_article_history", args=[article.pk]),
        reverse("admin:articles_article_simple_history", args=[article.pk, version]),
        reverse("admin:articles_article_review"),
        reverse("admin:articles_author_changelist"),
        reverse("admin:articles_publisher_changelist"),
        reverse("admin:articles_importrun_changelist"),
        reverse("admin:articles_importrun_upload"),
        reverse("admin:articles_merge_changelist"),
        reverse("admin:articles_merge_change", args=[merge.pk]),
        reverse("admin:articles_merge_undo", args=[merge.pk]),
    ]


def test_editor_logs_in_and_sees_the_desk_but_not_users_or_groups(client, editor):
    """
    GIVEN a staff user in the Editors group
    WHEN they log in through the admin's login form
    THEN the index lists the archive's models and the desk's links, and no users or groups
    """
    response = client.post(
        reverse("admin:login"), {"username": "editor", "password": EDITOR_PASSWORD, "next": INDEX_URL}, follow=True
    )

    assert response.status_code == 200
    assert response.context["user"] == editor
    assert app_models(response) == {
        "Article",
        "Author",
        "Publisher",
        "PublisherBoilerplate",
        "Collection",
        "ImportRun",
        "Merge",
    }
    content = response.content.decode()
    for link in ["review-queue-link", "import-upload-link", "merges-link"]:
        assert f'id="{link}"' in content


def test_editors_cannot_manage_users_or_groups(editor_client):
    for name in ["user", "group"]:
        for view in ["changelist", "add"]:
            assert editor_client.get(reverse(f"admin:auth_{name}_{view}")).status_code == 403


def test_the_editors_group_holds_no_auth_permission():
    group = Group.objects.get(name="Editors")

    assert group.permissions.exists()
    assert not group.permissions.filter(content_type__app_label="auth").exists()


def test_editor_reaches_every_desk_page(editor_client, merge):
    article = ArticleFactory()

    for url in desk_urls(article, merge):
        response = editor_client.get(url)
        assert response.status_code in (200, 302), url
        if response.status_code == 302:
            assert not response.url.startswith(reverse("admin:login")), url


def test_staff_without_permissions_see_nothing(bare_staff_client, merge):
    """
    GIVEN a staff user with no permission
    WHEN they open the admin index and every page of the desk
    THEN the index lists no model and no desk link, and every page is refused
    """
    article = ArticleFactory()

    response = bare_staff_client.get(INDEX_URL)

    assert response.status_code == 200
    assert app_models(response) == set()
    assert 'id="editors-desk"' not in response.content.decode()
    for url in desk_urls(article, merge):
        assert bare_staff_client.get(url).status_code == 403, url
    conflict = reverse("admin:articles_article_conflict", args=[article.pk, "title"])
    assert bare_staff_client.post(conflict, {"choice": "parsed"}).status_code == 403


def test_staff_with_view_only_see_no_desk_links_they_cannot_use(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)

    content = client.get(INDEX_URL).content.decode()

    assert 'id="review-queue-link"' in content
    assert 'id="import-upload-link"' not in content
    assert 'id="merges-link"' not in content


@pytest.mark.parametrize(
    ("model_name", "field_name", "term", "expected"),
    [("articleauthor", "author", "jan", ["Jane Reporter"]), ("article", "publisher", "blaze", ["Blaze Media LLC"])],
)
def test_editor_autocompletes_authors_and_publishers(editor_client, model_name, field_name, term, expected):
    from tests.factories import AuthorFactory, PublisherFactory

    AuthorFactory(name="Jane Reporter")
    PublisherFactory(name="Blaze Media LLC")
    params = {"app_label": "articles", "model_name": model_name, "field_name": field_name, "term": term}

    response = editor_client.get(reverse("admin:autocomplete"), params)

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == expected
