"""Takedowns: withdrawals, deletions and reinstatements recorded, listed by the API and the feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models.signals import pre_delete
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from articles import deduplication, editing, review, takedowns
from articles.importing import batches, records, sources
from articles.models import Article, Takedown
from tests.factories import ArticleFactory, PublisherFactory
from tests.seedtext import seed_text

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


def takedown_queries(ctx: CaptureQueriesContext) -> int:
    return sum(Takedown._meta.db_table in query["sql"] for query in ctx.captured_queries)


@pytest.mark.parametrize("count", [1, 50])
def test_deleting_any_number_of_articles_records_them_in_the_same_queries(count):
    """
    GIVEN ``count`` articles, some withdrawn before
    WHEN one queryset.delete() removes them all
    THEN each gets a current deletion row, recorded in one update and one insert whatever the count
    """
    articles = ArticleFactory.create_batch(count)
    withdraw(*articles[::2])
    ids = [a.pk for a in articles]
    with CaptureQueriesContext(connection) as ctx:
        Article.objects.filter(pk__in=ids).delete()
    assert takedown_queries(ctx) == 2  # was 2 per article: an update and an insert each
    assert current_kinds() == dict.fromkeys(ids, "deleted")
    assert len({row.at for row in Takedown.objects.filter(kind="deleted")}) == 1


def test_a_failed_delete_records_nothing_and_leaves_nothing_for_the_next():
    """
    GIVEN a delete() that fails after its articles were announced (a later pre_delete receiver raises)
    WHEN another article is deleted afterwards
    THEN only that one is recorded: the failed delete's articles are still there, and not recorded
    """
    kept, gone = ArticleFactory(), ArticleFactory()

    def refuse(sender, instance, **kwargs):
        raise RuntimeError("refused")

    pre_delete.connect(refuse, sender=Article, dispatch_uid="test_refuse")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            kept.delete()
    finally:
        pre_delete.disconnect(sender=Article, dispatch_uid="test_refuse")
    gone_pk = gone.pk
    gone.delete()
    assert current_kinds() == {gone_pk: "deleted"}
    assert Article.objects.filter(pk=kept.pk).exists()


def test_a_rolled_back_withdrawal_leaves_no_record():
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


def test_admin_bulk_delete_records_every_deletion_by_the_editor(client, admin_user):
    articles = ArticleFactory.create_batch(3)
    client.force_login(admin_user)
    data = {"action": "delete_selected", "_selected_action": [a.pk for a in articles], "post": "yes"}
    response = client.post("/admin/articles/article/", data)
    assert response.status_code == 302
    assert not Article.objects.exists()
    rows = Takedown.objects.all()
    assert {(row.article_id, row.kind, row.user, row.current) for row in rows} == {
        (a.pk, "deleted", admin_user, True) for a in articles
    }


def test_admin_delete_records_a_deletion_by_the_editor(client, admin_user):
    article = ArticleFactory()
    client.force_login(admin_user)
    response = client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    row = Takedown.objects.get()
    assert (row.article_id, row.kind, row.user) == (article.pk, "deleted", admin_user)


# --- Importer --------------------------------------------------------------------------------


def parsed(text: str, key: str) -> records.Parsed:
    return records.parse_source(sources.bytes_source(text.encode(), key=key), max_bytes=1 << 20)


def story(i: int, title: str) -> records.Parsed:
    """Return the parsed source ``s{i}.txt``: its own body, so no line of it reads as the publisher's boilerplate."""
    body = (f"Story {i} begins at the {i}th mill.", f"Its {i} workers met on day {i} of the strike.")
    return parsed(seed_text(title=title, paragraphs=body), f"s{i}.txt")


@pytest.mark.parametrize("count", [1, 5])
def test_a_reimport_reinstates_the_withdrawn_drafts_of_a_batch_in_the_same_queries(count):
    """
    GIVEN ``count`` imported articles withdrawn, then sent back to review as drafts
    WHEN a batch brings a clean new text of each (the update publishes the drafts)
    THEN each is reinstated, in one lookup, one update and one insert whatever the count
    """
    importer = batches.BatchImporter(run=None, now=timezone.now())
    with transaction.atomic():
        importer.import_batch([story(i, f"Story {i}") for i in range(count)])
    withdraw(*Article.objects.all())
    Article.objects.update(status=Article.Status.DRAFT, needs_review=True)
    batch = [story(i, f"Story {i}, revised") for i in range(count)]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        outcomes = importer.import_batch(batch)
    assert {o.result for o in outcomes} == {"updated"}
    assert takedown_queries(ctx) == 3  # was 3 per article
    assert set(Article.objects.values_list("status", flat=True)) == {Article.Status.PUBLISHED}
    assert set(current_kinds().values()) == {"reinstated"} and len(current_kinds()) == count


def test_a_reimport_that_fails_reinstates_nothing(monkeypatch):
    """
    GIVEN a withdrawn draft whose clean new text fails to apply after publishing it
    WHEN the batch is imported
    THEN the file fails and its article stays withdrawn
    """
    importer = batches.BatchImporter(run=None, now=timezone.now())
    with transaction.atomic():
        importer.import_batch([story(0, "Story")])
    withdraw(*Article.objects.all())
    Article.objects.update(status=Article.Status.DRAFT, needs_review=True)
    original = batches.update_article

    def fail_after(**kwargs):
        original(**kwargs)
        raise ValueError("broken")

    monkeypatch.setattr(batches, "update_article", fail_after)
    with transaction.atomic():
        outcomes = importer.import_batch([story(0, "Story, revised")])
    assert [o.result for o in outcomes] == ["failed"]
    assert set(current_kinds().values()) == {"withdrawn"}
    assert Article.objects.get().status == Article.Status.DRAFT
