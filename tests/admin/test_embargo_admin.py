"""Issue 14: the admin shows an article's running embargo, filters by it and edits it (through editing.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import editing
from articles.models import Article
from tests.admin.conftest import import_seed
from tests.admin.helpers import change_form_data
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_article_changelist")
AHEAD = dt.timedelta(days=3)


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


@pytest.fixture
def articles():
    """An article under a running embargo, one whose embargo has ended, and one never embargoed."""
    now = timezone.now()
    return {
        "running": ArticleFactory(title="Running embargo", embargo_until=now + AHEAD),
        "ended": ArticleFactory(title="Ended embargo", embargo_until=now - AHEAD),
        "none": ArticleFactory(title="No embargo"),
    }


def test_the_changelist_status_column_marks_only_running_embargoes(admin_client, articles):
    response = admin_client.get(CHANGELIST_URL)

    page = response.content.decode()
    assert page.count('class="embargoed"') == 1
    assert '<div class="embargoed">embargoed until ' in page


@pytest.mark.parametrize(("value", "expected"), [("running", {"running"}), ("none", {"ended", "none"})])
def test_the_embargo_filter(admin_client, articles, value, expected):
    response = admin_client.get(CHANGELIST_URL, {"embargo_until__state": value})

    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert {name for name, article in articles.items() if article in shown} == expected


def test_the_change_form_sets_an_embargo_through_the_editing_service(admin_client, articles):
    """GIVEN an article under no embargo
    WHEN an editor sets embargo_until in its change form
    THEN it is saved, in the history with the editor, and the public list leaves the article out
    """
    article = articles["none"]
    data = change_form_data(article, embargo_until_0="2099-01-02", embargo_until_1="03:04:05")

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Article.objects.get(pk=article.pk)
    assert saved.embargo_until is not None and saved.embargo_until.year == 2099
    latest = article.history.latest()
    assert (latest.embargo_until, latest.history_user.username) == (saved.embargo_until, "admin")
    assert not Article.objects.public().filter(pk=article.pk).exists()


def test_the_change_form_clears_an_embargo(admin_client, articles):
    article = articles["running"]
    data = change_form_data(article, embargo_until_0="", embargo_until_1="")

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Article.objects.get(pk=article.pk).embargo_until is None
    assert Article.objects.public().filter(pk=article.pk).exists()


def test_an_untouched_embargo_keeps_its_microseconds(admin_client):
    """The form shows whole seconds: saving another change must not rewrite the embargo."""
    article = ArticleFactory(embargo_until=timezone.now().replace(microsecond=123456) + AHEAD)

    response = admin_client.post(change_url(article), change_form_data(article, subtitle="New subtitle"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Article.objects.get(pk=article.pk).embargo_until == article.embargo_until


def test_the_change_form_shows_the_field(admin_client, articles):
    response = admin_client.get(change_url(articles["running"]))

    assert "embargo_until" in response.context["adminform"].form.fields


def test_an_import_sets_no_embargo_and_a_reimport_keeps_an_editors():
    """GIVEN an imported article (no embargo), which an editor then embargoes
    WHEN its changed source is imported again
    THEN the source's changes are applied and the embargo stays
    """
    article = import_seed("embargo.txt")
    assert article.embargo_until is None
    until = timezone.now() + AHEAD
    editing.update_article(article=article, data={"embargo_until": until})

    updated = import_seed("embargo.txt", subtitle="A changed subtitle")

    assert (updated.subtitle, updated.embargo_until) == ("A changed subtitle", until)
