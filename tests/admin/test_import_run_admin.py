"""The import run admin: a read-only record of what each import did."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ImportOutcome, ImportRun
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_importrun_changelist")

# Session, user, page count, full count, the page with its users,
# date hierarchy (min/max, then days).
CHANGELIST_QUERIES = 7
# Session, user, the run with its user and upload, its outcomes with their articles, the
# content type for the "view on site" URL.
CHANGE_PAGE_QUERIES = 5


def change_url(run: ImportRun) -> str:
    return reverse("admin:articles_importrun_change", args=[run.pk])


def test_add_is_forbidden(admin_client):
    response = admin_client.get(reverse("admin:articles_importrun_add"))

    assert response.status_code == 403


def test_change_page_is_view_only(admin_client, import_run):
    response = admin_client.get(change_url(import_run))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "adminform" in response.context
    assert not response.context["adminform"].form.fields


def test_change_page_shows_the_supplied_metadata(admin_client, import_run):
    ImportRun.objects.filter(pk=import_run.pk).update(defaults={"publisher": "BBC News", "author": "Jane Roe"})

    content = admin_client.get(change_url(import_run)).content.decode()

    assert "Supplied metadata:" in content
    assert "BBC News" in content and "Jane Roe" in content


def test_post_to_change_is_forbidden(admin_client, import_run):
    response = admin_client.post(change_url(import_run), {"created": 99, "trigger": "api"})

    assert response.status_code == 403
    import_run.refresh_from_db()
    assert (import_run.created, import_run.trigger) == (1, ImportRun.Trigger.ADMIN)


def test_outcomes_are_listed_with_article_links_and_escaped_errors(admin_client, import_run, article):
    response = admin_client.get(change_url(import_run))

    content = response.content.decode()
    assert "seeds/ok.txt" in content
    assert "seeds/bad.txt" in content
    assert "No &lt;title&gt; found" in content
    assert "No <title> found" not in content
    article_url = reverse("admin:articles_article_change", args=[article.pk])
    assert f'<a href="{article_url}">{article.title}</a>' in content
    [outcomes] = response.context["inline_admin_formsets"]
    assert outcomes.has_add_permission is False
    assert outcomes.has_change_permission is False
    assert outcomes.has_delete_permission is False


@pytest.mark.parametrize("count", [1, 20])
def test_change_page_query_count_does_not_grow_with_outcomes(
    admin_client, admin_user, django_assert_num_queries, count
):
    """
    GIVEN a run with `count` outcomes, each linked to an article
    WHEN its page is loaded
    THEN it runs the same fixed number of queries: outcomes come with their articles
    """
    run = ImportRun.objects.create(user=admin_user)
    ImportOutcome.objects.bulk_create(
        ImportOutcome(run=run, path=f"seeds/{i}.txt", result="created", article=ArticleFactory()) for i in range(count)
    )

    with django_assert_num_queries(CHANGE_PAGE_QUERIES):
        response = admin_client.get(change_url(run))

    assert response.status_code == 200
    assert len(re.findall(r'href="/admin/articles/article/\d+/change/"', response.content.decode())) == count


@pytest.mark.parametrize("count", [3, 30])
def test_changelist_query_count_does_not_grow_with_rows(admin_client, admin_user, django_assert_num_queries, count):
    ImportRun.objects.bulk_create(ImportRun(user=admin_user) for _ in range(count))

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(CHANGELIST_URL)

    assert len(response.context["cl"].result_list) == count


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"command", "api-dry", "admin"}),
        ({"trigger__exact": "api"}, {"api-dry"}),
        ({"trigger__exact": "command"}, {"command"}),
        ({"dry_run__exact": "1"}, {"api-dry"}),
        ({"dry_run__exact": "0"}, {"command", "admin"}),
    ],
)
def test_filters(admin_client, params, expected):
    runs = {
        "command": ImportRun.objects.create(trigger="command"),
        "api-dry": ImportRun.objects.create(trigger="api", dry_run=True),
        "admin": ImportRun.objects.create(trigger="admin"),
    }

    response = admin_client.get(CHANGELIST_URL, params)

    assert response.status_code == 200
    assert {name for name, run in runs.items() if run in response.context["cl"].result_list} == expected


def test_delete_keeps_the_articles(admin_client, import_run, article):
    """
    GIVEN a run that created an article
    WHEN a superuser deletes the run
    THEN its outcomes go with it and the article stays, no longer linked to the run
    """
    Article.objects.filter(pk=article.pk).update(import_run=import_run)

    response = admin_client.post(reverse("admin:articles_importrun_delete", args=[import_run.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not ImportRun.objects.exists()
    assert not ImportOutcome.objects.exists()
    assert Article.objects.get(pk=article.pk).import_run is None


def test_a_run_whose_heartbeat_stopped_is_listed_as_interrupted_and_can_be_settled(admin_client):
    """
    GIVEN a run left running by a process that died an hour ago, with one stored outcome
    WHEN the list is shown, then the settle action is run
    THEN it reads "interrupted", and settling records that with its counts recounted from its outcomes
    """
    run = ImportRun.objects.create(trigger=ImportRun.Trigger.COMMAND)
    ImportOutcome.objects.create(run=run, path="a.txt", source_key="a.txt", result=ImportOutcome.Result.FAILED)
    ImportRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    url = reverse("admin:articles_importrun_changelist")

    assert '<td class="field-status_display">interrupted</td>' in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"action": "settle_interrupted", "_selected_action": [run.pk]}, follow=True)

    assert "1 run settled." in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.failed) == (ImportRun.Status.INTERRUPTED, 1)
