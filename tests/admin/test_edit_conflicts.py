"""Two editors on one article: a save over a change made since the form was opened is refused, and says what."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from articles import editing
from articles.models import Article
from tests.admin.helpers import change_form_data
from tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db

EDIT_VERSION = re.compile(r'<input type="hidden" name="edit_version" value="([^"]*)"')


@pytest.fixture
def editors(django_user_model) -> tuple[Client, Client]:
    """Two clients, each logged in as an editor of their own."""
    group = Group.objects.get(name="Editors")
    clients = []
    for name in ("ana", "ben"):
        user = django_user_model.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
        user.groups.add(group)
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients[0], clients[1]


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def open_form(client: Client, article: Article) -> str:
    """Open the article's change form and return the hidden version the browser would post back."""
    response = client.get(change_url(article))
    assert response.status_code == 200
    match = EDIT_VERSION.search(response.content.decode())
    assert match, "the change form renders no edit_version field"
    return html.unescape(match.group(1))


def save(client: Client, article: Article, version: str, **changes):
    """Post the form as opened at ``version``, with ``changes`` typed into it."""
    return client.post(change_url(article), change_form_data(article, edit_version=version, **changes))


def form_error(response) -> str:
    return " ".join(response.context["adminform"].form.non_field_errors())


def test_the_second_of_two_editors_is_refused_with_the_field_that_changed(editors, article):
    """GIVEN two editors who opened the same article
    WHEN the first saves a new title, then the second saves a new subtitle
    THEN the second is refused, told the title changed (with its new value) and nothing was saved;
    their subtitle is still in the form, and the article keeps the first editor's title and its old subtitle.
    """
    ana, ben = editors
    old_subtitle = article.subtitle
    ana_version, ben_version = open_form(ana, article), open_form(ben, article)

    first = save(ana, article, ana_version, title="Ana's headline")
    second = save(
        ben, Article.objects.get(pk=article.pk), ben_version, title=article.title, subtitle="Ben's standfirst"
    )

    assert first.status_code == 302
    assert second.status_code == 200
    message = form_error(second)
    assert "Someone else changed this article since you opened it" in message
    assert "Title (now “Ana's headline”)" in message
    assert "Subtitle" not in message
    assert second.context["adminform"].form["subtitle"].value() == "Ben's standfirst"
    assert "Ben&#x27;s standfirst" in second.content.decode()
    stored = Article.objects.get(pk=article.pk)
    assert (stored.title, stored.subtitle) == ("Ana's headline", old_subtitle)


def test_saving_again_after_the_warning_keeps_the_second_editors_values(editors, article):
    """GIVEN the second editor refused after a conflict on the title
    WHEN they save the form shown again (it carries the version they have now seen)
    THEN their values are saved.
    """
    ana, ben = editors
    ana_version, ben_version = open_form(ana, article), open_form(ben, article)
    save(ana, article, ana_version, title="Ana's headline")
    refused = save(ben, article, ben_version, title="Ben's headline")

    seen = refused.context["adminform"].form["edit_version"].value()
    again = save(ben, Article.objects.get(pk=article.pk), seen, title="Ben's headline")

    assert again.status_code == 302
    assert Article.objects.get(pk=article.pk).title == "Ben's headline"


def test_a_byline_changed_since_is_named(editors, article):
    _, ben = editors
    version = open_form(ben, article)
    editing.update_article(article=article, data={"authors": [AuthorFactory(name="Cleo Third")]})

    response = save(ben, Article.objects.get(pk=article.pk), version, subtitle="Ben's standfirst")

    assert response.status_code == 200
    assert "Byline (now “Cleo Third”)" in form_error(response)


def test_a_change_through_the_api_or_an_import_since_is_caught_too(editors, article):
    """Whatever made the change (here the editing service, as the API's PATCH does), the form sees it."""
    _, ben = editors
    version = open_form(ben, article)
    editing.update_article(article=article, data={"body": "A new body from the API.", "status": "withdrawn"})

    response = save(ben, Article.objects.get(pk=article.pk), version, title="Ben's headline")

    message = form_error(response)
    assert response.status_code == 200
    assert "Body" in message and "A new body" not in message  # named, not quoted: bodies are long
    assert "Status (now “withdrawn”)" in message
    assert Article.objects.get(pk=article.pk).title == article.title


def test_no_change_since_opening_saves(editors, article):
    ana, _ = editors
    version = open_form(ana, article)

    assert save(ana, article, version, title="Ana's headline").status_code == 302
    assert Article.objects.get(pk=article.pk).title == "Ana's headline"


@pytest.mark.parametrize("version", ["", "not json", "[]"])
def test_a_form_without_its_version_is_refused(editors, article, version):
    ana, _ = editors

    response = save(ana, article, version, title="Ana's headline")

    assert response.status_code == 200
    assert "reload the page" in form_error(response)
    assert Article.objects.get(pk=article.pk).title == article.title
