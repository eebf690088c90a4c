"""The admin's review of a possible duplicate: the two articles side by side, keep both or withdraw the copy."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from articles import deduplication
from articles.models import Article
from tests.duplicate_texts import COPY, STORY
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def copy():
    """A published original and a lightly edited copy of it, flagged as its possible duplicate."""
    original = ArticleFactory(title="Bridge closed to trucks", body="\n\n".join(STORY))
    copy = ArticleFactory(title="Bridge closed to heavy trucks", body="\n\n".join(COPY))
    return deduplication.flag_duplicate(article=copy, original=original)


@pytest.fixture
def viewer_client(client, django_user_model):
    """A test client logged in as a staff user who may view articles, not change them."""
    user = django_user_model.objects.create_user("viewer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)
    return client


def change_page(client, article: Article) -> str:
    return client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()


def test_the_copy_is_shown_beside_its_original_with_the_differences_marked(admin_client, copy):
    page = change_page(admin_client, copy)

    assert 'id="duplicate-panel"' in page
    assert reverse("admin:articles_article_change", args=[copy.duplicate_of_id]) in page
    assert f'<th scope="col">Original #{copy.duplicate_of_id}</th>' in page
    assert "engineers <del>found </del>cracks" in page and "engineers <ins>discovered </ins>cracks" in page
    assert "<ins>This story was distributed by the Regional News Service.</ins>" in page
    assert f"possible duplicate of #{copy.duplicate_of_id}" in page  # the review reason
    assert 'value="keep"' in page and 'value="withdraw"' in page


def test_an_article_that_is_no_copy_has_no_duplicate_panel(admin_client):
    article = ArticleFactory(body="\n\n".join(STORY))

    assert 'id="duplicate-panel"' not in change_page(admin_client, article)


def test_keeping_both_unlinks_the_copy_and_takes_it_out_of_review(admin_client, copy):
    """
    GIVEN a copy flagged as a possible duplicate
    WHEN the editor chooses "Keep both"
    THEN it is no longer linked nor in review for that reason, and the page says so
    """
    url = reverse("admin:articles_article_duplicate", args=[copy.pk])

    response = admin_client.post(url, {"choice": "keep"}, follow=True)

    copy.refresh_from_db()
    assert copy.duplicate_of_id is None and not copy.needs_review
    assert not any("duplicate" in reason for reason in copy.review_reasons)
    assert "Kept both articles." in response.content.decode()
    assert 'id="duplicate-panel"' not in response.content.decode()


def test_withdrawing_the_copy_keeps_its_link_to_the_original(admin_client, copy):
    """
    GIVEN a copy flagged as a possible duplicate
    WHEN the editor chooses "Withdraw this copy"
    THEN it is withdrawn, still linked to its original, out of the review queue, and no longer offers the choice
    """
    original_id = copy.duplicate_of_id
    url = reverse("admin:articles_article_duplicate", args=[copy.pk])

    response = admin_client.post(url, {"choice": "withdraw"}, follow=True)

    copy.refresh_from_db()
    assert (copy.status, copy.duplicate_of_id, copy.needs_review) == ("withdrawn", original_id, False)
    page = response.content.decode()
    assert f"Withdrew this copy of #{original_id}." in page
    assert "Copy of another article" in page and 'value="withdraw"' not in page
    assert copy.history.filter(history_change_reason__contains="withdrawn").exists()


def test_a_choice_that_is_neither_is_refused(admin_client, copy):
    url = reverse("admin:articles_article_duplicate", args=[copy.pk])

    response = admin_client.post(url, {"choice": "delete"}, follow=True)

    assert "Choose whether to keep both articles or withdraw this copy." in response.content.decode()
    copy.refresh_from_db()
    assert copy.duplicate_of_id is not None and copy.needs_review


def test_a_user_who_may_only_view_gets_no_buttons_and_cannot_post(viewer_client, copy):
    assert 'value="withdraw"' not in change_page(viewer_client, copy)

    url = reverse("admin:articles_article_duplicate", args=[copy.pk])
    assert viewer_client.post(url, {"choice": "withdraw"}).status_code == 403
    copy.refresh_from_db()
    assert copy.status != "withdrawn"


def test_the_decision_is_a_post(admin_client, copy):
    assert admin_client.get(reverse("admin:articles_article_duplicate", args=[copy.pk])).status_code == 405
