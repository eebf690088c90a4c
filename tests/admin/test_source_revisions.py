"""The article's source revisions page: the list and a side-by-side, word-level diff of two."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.admin.conftest import import_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def corrected():
    """An article whose second paragraph a re-import changed, with markup in the new text."""
    import_seed("story.txt")
    return import_seed("story.txt", paragraphs=("The council met on Monday.", "Construction <b>starts</b> in May."))


def test_the_change_page_links_the_revisions(admin_client, corrected):
    page = admin_client.get(reverse("admin:articles_article_change", args=[corrected.pk])).content.decode()

    assert reverse("admin:articles_article_revisions", args=[corrected.pk]) in page


def test_two_revisions_side_by_side_with_the_changed_words_marked(admin_client, corrected):
    """
    GIVEN an article with two source revisions
    WHEN an editor opens its revisions page comparing 1 with 2
    THEN both are listed and the changed words are marked, the source's markup escaped
    """
    url = reverse("admin:articles_article_revisions", args=[corrected.pk])

    page = admin_client.get(url, {"old": 1, "new": 2}).content.decode()

    assert page.count('name="old"') == 2
    assert "<del>spring. </del>" in page
    assert "<ins>&lt;b&gt;starts&lt;/b&gt; </ins>in <ins>May. </ins>" in page
    assert "<b>starts</b>" not in page
    assert '<th scope="col">Revision 1</th><th scope="col">Revision 2</th>' in page


def test_a_revision_compared_with_itself_says_so(admin_client, corrected):
    url = reverse("admin:articles_article_revisions", args=[corrected.pk])

    page = admin_client.get(url, {"old": 2, "new": 2}).content.decode()

    assert "The two revisions are the same." in page and "<del>" not in page


def test_a_user_without_permission_is_refused(bare_staff_client, corrected):
    url = reverse("admin:articles_article_revisions", args=[corrected.pk])

    assert bare_staff_client.get(url).status_code == 403
