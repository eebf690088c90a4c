"""Every registered model's admin pages load for a superuser."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# The fixtures make one article, its two authors, one publisher and one run.
COUNTS = {"article": 1, "author": 2, "publisher": 1, "importrun": 1}
OBJECTS = {
    "article": lambda article, run: article,
    "author": lambda article, run: article.authors.first(),
    "publisher": lambda article, run: article.publisher,
    "importrun": lambda article, run: run,
}


@pytest.mark.parametrize("model_name", OBJECTS)
def test_changelist_loads(admin_client, article, import_run, model_name):
    response = admin_client.get(reverse(f"admin:articles_{model_name}_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == COUNTS[model_name]


@pytest.mark.parametrize("model_name", OBJECTS)
def test_change_page_loads(admin_client, article, import_run, model_name):
    obj = OBJECTS[model_name](article, import_run)

    response = admin_client.get(reverse(f"admin:articles_{model_name}_change", args=[obj.pk]))

    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("model_name", ["article", "author", "publisher"])
def test_history_page_loads(admin_client, article, import_run, model_name):
    obj = OBJECTS[model_name](article, import_run)

    response = admin_client.get(reverse(f"admin:articles_{model_name}_history", args=[obj.pk]))

    assert response.status_code == 200
    # The factory's save wrote the first historical record.
    assert list(response.context["page_obj"].object_list)


@pytest.mark.parametrize(
    ("model_name", "status_code"),
    [("article", 403), ("author", 200), ("publisher", 200), ("collection", 200), ("importrun", 403), ("merge", 403)],
)
def test_add_page(admin_client, model_name, status_code):
    response = admin_client.get(reverse(f"admin:articles_{model_name}_add"))

    assert response.status_code == status_code


def test_admin_index_lists_the_archive(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    archive = next(app for app in response.context["app_list"] if app["app_label"] == "articles")
    assert {model["object_name"] for model in archive["models"]} == {
        "Article",
        "Author",
        "Publisher",
        "PublisherBoilerplate",
        "Collection",
        "ImportRun",
        "Merge",
        "SavedSearch",
        "Delivery",
    }
