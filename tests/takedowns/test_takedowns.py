"""Takedowns: withdrawals, deletions and reinstatements recorded, listed by the API and the feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from articles import deduplication, editing, review, takedowns
from articles.models import Article, Takedown
from tests.factories import ArticleFactory, PublisherFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/articles/withdrawn/"


def withdraw(*articles: Article, reason: str = "", user=None) -> None:
    review.withdraw_articles(Article.objects.filter(pk__in=[a.pk for a in articles]), reason=reason, user=user)


def current_kinds() -> dict[int, str]:
    return dict(Takedown.objects.filter(current=True).values_list("article_id", "kind"))


def test_withdraw_records_a_takedown_with_reason_and_user(admin_user):
    article = ArticleFactory()
    withdraw(article, reason="legal request", user=admin_user)
    row = Takedown.objects.get()
    assert (row.article_id, row.kind, row.reason, row.user, row.public, row.current) == (
        article.pk,
        "withdrawn",
        "legal request",
        admin_user,
        True,
        True,
    )
    assert Article.history.filter(id=article.pk).latest("history_date").history_change_reason == (
        "withdrawn: legal request"
    )


def test_republish_reinstates_and_a_second_withdrawal_is_the_latest():
    """
    GIVEN an article withdrawn
    WHEN it is published again, then withdrawn again
    THEN it is first reinstated, then withdrawn, only the latest row current
    """
    article = ArticleFactory()
    withdraw(article, reason="first")
    review.publish_articles(Article.objects.filter(pk=article.pk))
    assert current_kinds() == {article.pk: "reinstated"}
    withdraw(article, reason="second")
    assert current_kinds() == {article.pk: "withdrawn"}
    assert Takedown.objects.get(current=True).reason == "second"
    assert Takedown.objects.count() == 3


def test_publishing_a_never_withdrawn_draft_records_nothing():
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    review.publish_articles(Article.objects.filter(pk=draft.pk))
    assert not Takedown.objects.exists()


def test_editor_status_change_records_withdrawal_and_reinstatement():
    article = ArticleFactory()
    editing.update_article(article=article, data={"status": "withdrawn"})
    assert current_kinds() == {article.pk: "withdrawn"}
    editing.update_article(article=article, data={"status": "published"})
    assert current_kinds() == {article.pk: "reinstated"}


def test_withdrawing_a_duplicate_records_it():
    original = ArticleFactory()
    copy = ArticleFactory()
    deduplication.flag_duplicate(article=copy, original=original)
    deduplication.resolve_duplicate(article=copy, keep_both=False)
    row = Takedown.objects.get()
    assert (row.article_id, row.kind) == (copy.pk, "withdrawn")
    assert f"#{original.pk}" in row.reason


def test_delete_records_a_deletion_kept_after_the_row_is_gone():
    article = ArticleFactory()
    pk = article.pk
    withdraw(article)
    article.delete()
    assert current_kinds() == {pk: "deleted"}
    assert Takedown.objects.filter(article_id=pk).count() == 2


def test_a_rolled_back_withdrawal_leaves_no_record():
    from django.db import transaction

    article = ArticleFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        withdraw(article)
        raise RuntimeError
    assert not Takedown.objects.exists()


def test_merging_publishers_deletes_no_article_and_records_nothing(admin_user):
    from articles import merging

    survivor, other = PublisherFactory(), PublisherFactory()
    ArticleFactory(publisher=other)
    merging.merge_entities(survivor=survivor, others=[other], user=admin_user)
    assert not Takedown.objects.exists()


def test_recorded_signal_is_sent_on_commit(django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, takedowns, **kwargs):
        seen.extend((row.article_id, row.kind) for row in takedowns)

    takedowns.recorded.connect(receiver)
    try:
        article = ArticleFactory()
        with django_capture_on_commit_callbacks(execute=True):
            withdraw(article)
    finally:
        takedowns.recorded.disconnect(receiver)
    assert seen == [(article.pk, "withdrawn")]


# --- API ---------------------------------------------------------------------------------


def test_anonymous_sees_ids_and_times_of_public_articles_only(api_client):
    published = ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    withdraw(published, draft, reason="secret")
    body = api_client.get(URL).json()
    assert [set(item) for item in body["results"]] == [{"id", "kind", "at"}]
    assert body["results"][0]["id"] == published.pk


def test_staff_see_reason_and_who(staff_client, admin_user):
    article = ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    withdraw(article, draft, reason="court order", user=admin_user)
    results = staff_client.get(URL).json()["results"]
    assert {item["id"] for item in results} == {article.pk, draft.pk}
    assert results[0]["reason"] == "court order"
    assert results[0]["by"] == admin_user.username


def test_since_filters_and_deleted_articles_are_listed(api_client):
    old, new = ArticleFactory(), ArticleFactory()
    earlier = timezone.now() - dt.timedelta(days=2)
    takedowns.taken_down([old], kind=Takedown.Kind.WITHDRAWN, at=earlier)
    new_pk = new.pk
    new.delete()
    since = (earlier + dt.timedelta(days=1)).isoformat()
    results = api_client.get(URL, {"since": since}).json()["results"]
    assert [(item["id"], item["kind"]) for item in results] == [(new_pk, "deleted")]
    assert len(api_client.get(URL).json()["results"]) == 2


@pytest.mark.parametrize("since", ["yesterday", "2024-13-01", "2024-01-01T25:00"])
def test_bad_since_is_a_400(api_client, since):
    response = api_client.get(URL, {"since": since})
    assert response.status_code == 400
    assert "since" in response.json()


def test_cursor_paging_walks_every_takedown_once(api_client):
    articles = ArticleFactory.create_batch(5)
    at = timezone.now()
    takedowns.taken_down(articles[:3], kind=Takedown.Kind.WITHDRAWN, at=at)  # ties on at: the id breaks them
    takedowns.taken_down(articles[3:], kind=Takedown.Kind.WITHDRAWN, at=at + dt.timedelta(seconds=1))
    seen, url = [], f"{URL}?page_size=2"
    while url:
        body = api_client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert seen == [a.pk for a in articles]


def test_an_invalid_cursor_is_a_404(api_client):
    assert api_client.get(URL, {"cursor": "nonsense"}).status_code == 404


@pytest.mark.parametrize("staff", [False, True])
def test_query_count_is_pinned(django_assert_num_queries, django_user_model, staff):
    articles = ArticleFactory.create_batch(4)
    withdraw(*articles, reason="r")
    client = APIClient()
    if staff:
        client.force_authenticate(django_user_model.objects.create_superuser("boss", "b@example.com", "pw"))
    with django_assert_num_queries(1):
        response = client.get(URL)
    assert len(response.json()["results"]) == 4


def test_openapi_documents_the_endpoint(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    assert "since" in {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}


# --- Feed and admin ---------------------------------------------------------------------------


def test_feed_lists_public_takedowns_newest_first(client):
    first, second = ArticleFactory(), ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    takedowns.taken_down(
        [first], kind=Takedown.Kind.WITHDRAWN, at=timezone.now() - dt.timedelta(hours=1), reason="hidden reason"
    )
    withdraw(second, draft)
    response = client.get("/feeds/withdrawn.atom")
    text = response.content.decode()
    assert response.status_code == 200
    assert text.index(f"Article #{second.pk} withdrawn") < text.index(f"Article #{first.pk} withdrawn")
    assert f"#{draft.pk} " not in text and "hidden reason" not in text


def test_admin_withdraw_action_records_the_reason(client, admin_user):
    article = ArticleFactory()
    client.force_login(admin_user)
    data = {"action": "withdraw", "_selected_action": [article.pk], "reason": "libel claim", "index": 0}
    response = client.post("/admin/articles/article/", data)
    assert response.status_code == 302
    row = Takedown.objects.get()
    assert (row.article_id, row.reason, row.user) == (article.pk, "libel claim", admin_user)


def test_admin_delete_records_a_deletion_by_the_editor(client, admin_user):
    article = ArticleFactory()
    client.force_login(admin_user)
    response = client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    row = Takedown.objects.get()
    assert (row.article_id, row.kind, row.user) == (article.pk, "deleted", admin_user)
