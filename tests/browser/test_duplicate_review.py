"""An editor settles a possible duplicate in the browser: sees the two side by side, withdraws the copy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from articles import deduplication
from articles.models import Article
from tests.duplicate_texts import COPY, STORY
from tests.factories import ArticleFactory

pytestmark = pytest.mark.browser


def test_editor_withdraws_a_copy_after_comparing_it_with_its_original(editor_page, screenshot):
    """GIVEN a copy flagged at import as a possible duplicate of a published article
    WHEN the editor opens it, reads the differences and clicks "Withdraw this copy"
    THEN the copy is withdrawn, still linked to its original, and the page offers the choice no more.
    """
    original = ArticleFactory(title="Bridge closed to trucks", body="\n\n".join(STORY))
    copy = deduplication.flag_duplicate(
        article=ArticleFactory(title="Bridge closed to heavy trucks", body="\n\n".join(COPY)), original=original
    )
    page = editor_page
    page.goto(f"/admin/articles/article/{copy.pk}/change/")

    panel = page.locator("#duplicate-panel")
    expect(panel).to_contain_text("Bridge closed to trucks")
    expect(panel.locator("td.new ins").first).to_have_text("discovered ")
    screenshot("01-side-by-side")
    panel.get_by_role("button", name="Withdraw this copy").click()

    expect(page.locator(".messagelist")).to_contain_text(f"Withdrew this copy of #{original.pk}.")
    expect(page.locator("#duplicate-panel")).to_contain_text("Copy of another article")
    expect(page.get_by_role("button", name="Withdraw this copy")).to_have_count(0)
    screenshot("02-withdrawn")
    stored = Article.objects.get(pk=copy.pk)
    assert (stored.status, stored.duplicate_of_id) == ("withdrawn", original.pk)
