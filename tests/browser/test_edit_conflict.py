"""Two editors in two browsers open the same article; the second save is refused and says what changed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from playwright.sync_api import expect

from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def second_editor_page(browser, live_server, editor, django_user_model):
    """A second browser (own cookies) logged in to the admin as another editor."""
    user = django_user_model.objects.create_user("night-editor", password="pw-for-browser-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    yield page
    context.close()


def test_second_editor_is_told_what_changed_and_keeps_their_input(editor_page, second_editor_page, artifacts_dir):
    """GIVEN two editors with the same article open in their browsers
    WHEN the first corrects the title and saves, then the second corrects the subtitle and saves
    THEN the second sees an error naming the title and its new value, their subtitle still typed in,
    and nothing of theirs saved; saving again then keeps both corrections.
    """
    article = ArticleFactory(title="Budget vote delayed", subtitle="Councilors dissagree on taxes")
    url = f"/admin/articles/article/{article.pk}/change/"
    first, second = editor_page, second_editor_page
    first.goto(url)
    second.goto(url)

    first.get_by_label("Title:", exact=True).fill("Budget vote delayed again")
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator(".messagelist")).to_contain_text("was changed successfully")

    second.get_by_label("Subtitle:", exact=True).fill("Councilors disagree on taxes")
    second.get_by_role("button", name="Save", exact=True).click()

    error = second.locator(".errornote, .errorlist.nonfield").filter(has_text="Someone else changed this article")
    expect(error).to_contain_text("Title (now “Budget vote delayed again”)")
    expect(second.get_by_label("Subtitle:", exact=True)).to_have_value("Councilors disagree on taxes")
    second.screenshot(path=artifacts_dir / "01-second-editor-refused.png", full_page=True)
    assert Article.objects.get(pk=article.pk).subtitle == "Councilors dissagree on taxes"

    # The form shown again has the second editor's old title: they take the first editor's, then save.
    second.get_by_label("Title:", exact=True).fill("Budget vote delayed again")
    second.get_by_role("button", name="Save", exact=True).click()

    expect(second.locator(".messagelist")).to_contain_text("was changed successfully")
    stored = Article.objects.get(pk=article.pk)
    assert (stored.title, stored.subtitle) == ("Budget vote delayed again", "Councilors disagree on taxes")
