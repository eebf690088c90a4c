"""Deliveries of saved searches' new matches: webhooks and e-mail digests through real servers on loopback."""

from __future__ import annotations

import datetime as dt
import email
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from articles import editing, importing, review
from articles.alerts import deliveries, emails
from articles.alerts.webhooks import sign
from articles.importing import runs
from articles.models import Article, DeliveredArticle, Delivery, ImportRun
from tests.alerts.conftest import SECRET, free_port
from tests.factories import ArticleFactory, SavedSearchFactory, UserFactory
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db

WEBHOOK = Delivery.Kind.WEBHOOK
EMAIL = Delivery.Kind.EMAIL


def hooked(url: str, **kwargs):
    """Return a saved search for otters posting to ``url`` only (no digest)."""
    return SavedSearchFactory(webhook_url=url, webhook_secret=SECRET, email_digest=False, **kwargs)


def notify(capture, ids: list[int]) -> list[Delivery]:
    with capture(execute=True):
        return deliveries.notify_new_articles(article_ids=ids)


def test_a_webhook_failing_once_is_retried_with_the_same_id_and_signed(receiver, django_capture_on_commit_callbacks):
    """
    GIVEN a search posting to a receiver that fails the first POST (500), and a new article it matches
    WHEN the article is notified, then retry_deliveries runs once the retry is due
    THEN the first attempt is recorded failed with its status, the retry delivers it, and both POSTs carry
    the same delivery id, a valid HMAC-SHA256 signature and the article's id, title and API address
    """
    search = hooked(receiver.url)
    article = ArticleFactory(title="Otters return", body="The otters are back.")
    ArticleFactory(title="Beavers", body="Only beavers here.")

    (delivery,) = notify(django_capture_on_commit_callbacks, [article.pk])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (Delivery.Status.FAILED, 1, 500)
    assert "500" in delivery.last_error
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retry_deliveries", stdout=io.StringIO())
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (Delivery.Status.DELIVERED, 2, 200)
    first, second = receiver.received
    assert first.signature_ok and second.signature_ok
    assert first.headers["X-Archive-Delivery"] == second.headers["X-Archive-Delivery"] == str(delivery.uid)
    assert second.headers["X-Archive-Event"] == "matches"
    body = second.body
    assert body["delivery"] == str(delivery.uid) and body["event"] == "matches"
    assert body["saved_search"] == {"id": search.pk, "name": search.name}
    assert body["articles"] == [
        {"id": article.pk, "title": "Otters return", "url": f"http://127.0.0.1:8000/api/v1/articles/{article.pk}/"}
    ]
    assert list(DeliveredArticle.objects.values_list("article_id", flat=True)) == [article.pk]


def test_the_signature_is_hmac_sha256_of_the_body():
    # The well-known HMAC-SHA256 example ("key", the quick brown fox).
    body = b"The quick brown fox jumps over the lazy dog"
    assert sign(body, "key") == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"


@pytest.mark.parametrize("failure", ["refused", "timeout"])
def test_a_webhook_that_keeps_failing_is_abandoned_and_paused(
    failure, receiver, settings, django_capture_on_commit_callbacks
):
    """
    GIVEN a search whose webhook refuses connections (nothing listens) or answers too late
    WHEN the delivery is attempted up to ARCHIVE_DELIVERY_MAX_ATTEMPTS times
    THEN each failure is recorded and retried, the last abandons it and pauses the webhook;
    later matches make no webhook delivery until the pause is cleared
    """
    if failure == "refused":
        url = f"http://127.0.0.1:{free_port()}/hook"
    else:
        url, receiver.statuses, receiver.delay = receiver.url, [], 1.0
        settings.ARCHIVE_WEBHOOK_TIMEOUT_SECONDS = 0.2
    search = hooked(url)
    article = ArticleFactory(body="Otters again.")

    (delivery,) = notify(django_capture_on_commit_callbacks, [article.pk])
    for _ in range(settings.ARCHIVE_DELIVERY_MAX_ATTEMPTS):  # one more than needed: an abandoned one stays so
        with django_capture_on_commit_callbacks(execute=True):
            deliveries.retry_due()

    delivery.refresh_from_db()
    search.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.ABANDONED, settings.ARCHIVE_DELIVERY_MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert ("timed out" if failure == "timeout" else "Connection") in delivery.last_error
    assert search.webhook_paused_at is not None
    assert notify(django_capture_on_commit_callbacks, [ArticleFactory(body="More otters.").pk]) == []


def test_backoff_doubles_from_a_minute(settings):
    settings.ARCHIVE_DELIVERY_BACKOFF_SECONDS = 60
    assert [deliveries.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]


def test_a_loopback_webhook_is_refused_unless_allowed(receiver, settings, django_capture_on_commit_callbacks):
    """
    GIVEN a receiver on loopback that the allow-list does not admit
    WHEN a delivery is sent to it
    THEN nothing is posted: the delivery is abandoned at once with the reason, and the webhook paused
    """
    settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS = []
    search = hooked(receiver.url)

    (delivery,) = notify(django_capture_on_commit_callbacks, [ArticleFactory(body="Otters.").pk])

    delivery.refresh_from_db()
    search.refresh_from_db()
    assert receiver.received == []
    assert delivery.status == Delivery.Status.ABANDONED and delivery.attempts == 1
    assert "internal address" in delivery.last_error
    assert search.webhook_paused_at is not None


def write_seeds(directory: Path, titles: list[str]) -> None:
    for number, title in enumerate(titles):
        text = seed_text(title=title, paragraphs=(f"{title}: a story about otters.", "More words."))
        (directory / f"{number:03d}.txt").write_text(text, encoding="utf-8")


def test_an_import_run_sends_one_digest_per_search(tmp_path, smtp, django_capture_on_commit_callbacks):
    """
    GIVEN two users' searches for otters (e-mail digests), one for beavers, and a run importing three otter stories
    WHEN the run ends
    THEN each otter search's owner gets one digest through SMTP listing the three titles; the beaver search none
    """
    first, second = SavedSearchFactory(), SavedSearchFactory()
    SavedSearchFactory(query="q=beavers")
    write_seeds(tmp_path, ["Otters one", "Otters two", "Otters three"])

    with django_capture_on_commit_callbacks(execute=True):
        report = importing.import_paths(paths=[tmp_path])

    run = ImportRun.objects.get(pk=report.run_id)
    rows = Delivery.objects.filter(import_run=run)
    assert sorted(rows.values_list("saved_search", "kind", "status")) == [
        (first.pk, EMAIL, Delivery.Status.DELIVERED),
        (second.pk, EMAIL, Delivery.Status.DELIVERED),
    ]
    assert sorted(m.rcpt_tos[0] for m in smtp) == sorted([first.owner.email, second.owner.email])
    for envelope in smtp:
        message = email.message_from_bytes(envelope.content)
        text = message.get_payload(decode=True).decode()
        assert message["Subject"].startswith("3 new articles for your saved search")
        assert [t for t in ("Otters one", "Otters two", "Otters three") if t in text] == [
            "Otters one",
            "Otters two",
            "Otters three",
        ]
        assert "/api/v1/articles/" in text
        assert message["X-Archive-Delivery"] in {str(uid) for uid in rows.values_list("uid", flat=True)}


def test_a_failing_import_delivers_nothing(tmp_path, receiver, monkeypatch, django_capture_on_commit_callbacks):
    """
    GIVEN a webhook search and an import whose run fails after its first batch committed
    WHEN the run fails
    THEN no delivery is recorded nor posted: delivery follows a finished run only
    """
    hooked(receiver.url)
    write_seeds(tmp_path, ["Otters one", "Otters two"])
    monkeypatch.setattr(runs, "BATCH_SIZE", 1)
    real = runs._write_batch
    calls = []

    def fail_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "_write_batch", fail_second)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError, match="disk full"):
        importing.import_paths(paths=[tmp_path])

    assert Article.objects.count() == 1
    assert not Delivery.objects.exists() and receiver.received == []


def test_deliveries_are_recorded_outside_the_import_transaction(tmp_path, receiver, django_capture_on_commit_callbacks):
    """
    GIVEN a webhook search and a run inside an outer transaction
    WHEN the run ends but the outer transaction has not committed
    THEN nothing is recorded yet; once it commits the delivery is made
    """
    hooked(receiver.url)
    receiver.statuses = []
    write_seeds(tmp_path, ["Otters one"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        importing.import_paths(paths=[tmp_path])
    assert not Delivery.objects.exists()
    for callback in callbacks:
        with django_capture_on_commit_callbacks(execute=True):
            callback()

    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    assert len(receiver.received) == 1


def test_an_owner_without_an_address_gets_no_digest_and_it_is_recorded(smtp, django_capture_on_commit_callbacks):
    search = SavedSearchFactory(owner=UserFactory(email=""))

    (delivery,) = notify(django_capture_on_commit_callbacks, [ArticleFactory(body="Otters.").pk])

    delivery.refresh_from_db()
    assert delivery.saved_search == search and delivery.kind == EMAIL
    assert delivery.status == Delivery.Status.ABANDONED and "no e-mail address" in delivery.last_error
    assert smtp == []


def test_an_editor_publishing_notifies_the_searches(receiver, django_capture_on_commit_callbacks):
    """
    GIVEN two drafts about otters and a webhook search
    WHEN an editor publishes one with publish_articles and the other through update_article
    THEN each publication makes one webhook delivery of its article
    """
    receiver.statuses = []
    hooked(receiver.url)
    drafts = [ArticleFactory(body="Otters draft.", status=Article.Status.DRAFT, published_at=None) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        review.publish_articles(Article.objects.filter(pk=drafts[0].pk))
    with django_capture_on_commit_callbacks(execute=True):
        editing.update_article(article=drafts[1], data={"status": Article.Status.PUBLISHED})

    rows = Delivery.objects.order_by("id")
    assert [(d.trigger, d.article_ids, d.status) for d in rows] == [
        (Delivery.Trigger.PUBLISH, [drafts[0].pk], Delivery.Status.DELIVERED),
        (Delivery.Trigger.PUBLISH, [drafts[1].pk], Delivery.Status.DELIVERED),
    ]
    assert [r.body["articles"][0]["id"] for r in receiver.received] == [drafts[0].pk, drafts[1].pk]


def test_a_withdrawal_is_posted_to_the_webhooks_that_delivered_the_article(
    receiver, django_capture_on_commit_callbacks
):
    """
    GIVEN an article delivered to one search's webhook, and another search whose webhook never got it
    WHEN the article is withdrawn
    THEN the first webhook receives a signed "withdrawn" event naming it; the other receives nothing
    """
    receiver.statuses = []
    search = hooked(receiver.url)
    article = ArticleFactory(body="Otters.")
    notify(django_capture_on_commit_callbacks, [article.pk])
    hooked(receiver.url, query="q=beavers")

    with django_capture_on_commit_callbacks(execute=True):
        review.withdraw_articles(Article.objects.filter(pk=article.pk), reason="legal")

    assert [r.body["event"] for r in receiver.received] == ["matches", "withdrawn"]
    withdrawn = receiver.received[1]
    assert withdrawn.signature_ok and withdrawn.headers["X-Archive-Event"] == "withdrawn"
    assert withdrawn.body["saved_search"]["id"] == search.pk
    assert [a["id"] for a in withdrawn.body["articles"]] == [article.pk]
    row = Delivery.objects.get(event=Delivery.Event.WITHDRAWN)
    assert (row.trigger, row.status) == (Delivery.Trigger.WITHDRAWAL, Delivery.Status.DELIVERED)


def test_retry_deliveries_sends_what_a_crash_left_pending(receiver, django_capture_on_commit_callbacks):
    """
    GIVEN a pending delivery whose task never ran (the process died after recording it)
    WHEN retry_deliveries runs, as on the next start
    THEN it is delivered, and a second run finds nothing to do
    """
    receiver.statuses = []
    search = hooked(receiver.url)
    article = ArticleFactory(body="Otters.")
    delivery = Delivery.objects.create(
        saved_search=search, kind=WEBHOOK, trigger=Delivery.Trigger.IMPORT, article_ids=[article.pk], task_id="gone"
    )
    out = []

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("retry_deliveries", stdout=_Lines(out))

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and len(receiver.received) == 1
    assert receiver.received[0].headers["X-Archive-Delivery"] == str(delivery.uid)
    assert out == ["Queued 1 undelivered delivery(ies) again.\n", "Queued 0 undelivered delivery(ies) again.\n"]


def test_a_delivery_not_yet_due_is_left_for_later(receiver):
    search = hooked(receiver.url)
    later = timezone.now() + dt.timedelta(hours=1)
    Delivery.objects.create(saved_search=search, kind=WEBHOOK, trigger="import", article_ids=[1], next_attempt_at=later)

    assert deliveries.retry_due() == []
    assert receiver.received == []


class _Lines:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> None:
        self.lines.append(text)

    def flush(self) -> None:
        pass


def test_without_followed_searches_the_new_articles_are_not_even_matched(monkeypatch):
    """
    GIVEN only a search with neither digest nor webhook, and one whose webhook is paused
    WHEN new articles are notified
    THEN nothing is matched nor recorded
    """
    SavedSearchFactory(email_digest=False)
    SavedSearchFactory(email_digest=False, webhook_url="https://example.com/h", webhook_paused_at=timezone.now())
    monkeypatch.setattr(deliveries, "match_articles", lambda **kwargs: pytest.fail("matched"))

    assert deliveries.notify_new_articles(article_ids=[ArticleFactory(body="Otters.").pk]) == []
    assert not Delivery.objects.exists()


def test_publishing_queues_the_matching_with_the_change(settings, receiver, django_capture_on_commit_callbacks):
    """
    GIVEN the database task queue, a search posting to a receiver, and two drafts about otters
    WHEN an editor publishes one, and a second publication's transaction is rolled back
    THEN the request matches nothing itself: one matching task is written, with the committed change
    only, and running it records that article's delivery and posts it
    (tests/alerts/test_delivery_worker.py runs it in a real worker)
    """
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    search = hooked(receiver.url)
    published, rolled_back = (ArticleFactory(body="Otters.", status=Article.Status.DRAFT) for _ in range(2))

    review.publish_articles(Article.objects.filter(pk=published.pk))
    with pytest.raises(RuntimeError), transaction.atomic():
        review.publish_articles(Article.objects.filter(pk=rolled_back.pk))
        raise RuntimeError("the editor's request fails after publishing")

    (queued,) = DBTaskResult.objects.filter(task_path__endswith="match_new_articles")
    assert queued.args_kwargs["kwargs"] == {"article_ids": [published.pk]}
    assert not Delivery.objects.exists()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries.match_new_articles.call(**queued.args_kwargs["kwargs"]) == 1
    (delivery,) = Delivery.objects.filter(saved_search=search)
    assert (delivery.attempts, delivery.article_ids) == (1, [published.pk])  # the receiver fails the first POST
    assert [post.body["articles"][0]["id"] for post in receiver.received] == [published.pk]


def test_a_delivery_lists_at_most_the_limit_and_counts_every_match(
    settings, receiver, django_capture_on_commit_callbacks
):
    """
    GIVEN ARCHIVE_DELIVERY_MAX_ARTICLES = 2, a search with a webhook and a digest, and three new articles it matches
    WHEN they are notified in chunks of two
    THEN the deliveries list the first two, count three, and say where the rest are
    """
    settings.ARCHIVE_DELIVERY_MAX_ARTICLES = 2
    search = SavedSearchFactory(webhook_url=receiver.url, webhook_secret=SECRET, email_digest=True)
    ids = [ArticleFactory(body=f"Otters, part {n}.").pk for n in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        deliveries.notify_new_articles(article_ids=iter(ids))

    digest, webhook = Delivery.objects.order_by("kind")
    assert [(d.kind, d.article_ids, d.matched) for d in (digest, webhook)] == [
        (EMAIL, ids[:2], 3),
        (WEBHOOK, ids[:2], 3),
    ]
    (post,) = receiver.received
    assert [a["id"] for a in post.body["articles"]] == ids[:2] and post.body["matched"] == 3
    assert post.body["matches_url"].endswith(f"/api/v1/saved-searches/{search.pk}/matches/")
    assert "3 new articles" in emails.subject(digest)
    assert "... and 1 more: " in emails.body(digest)


def test_an_attempt_is_claimed_before_it_is_sent_and_holds_no_transaction(monkeypatch):
    """
    GIVEN a pending webhook delivery
    WHEN it is sent, and a second task for it runs while the first is still sending
    THEN the attempt was counted and its row leased before the POST, so the second task finds it not due
    """
    from django.db import connection

    delivery = Delivery.objects.create(
        saved_search=hooked("https://hooks.example.com/in"),
        kind=WEBHOOK,
        trigger=Delivery.Trigger.PUBLISH,
        article_ids=[ArticleFactory().pk],
    )
    seen = {}

    def post(claimed: Delivery) -> int:
        seen["depth"] = len(connection.atomic_blocks)
        seen["row"] = Delivery.objects.values("attempts", "next_attempt_at").get(pk=claimed.pk)
        seen["second"] = deliveries.send_delivery.call(delivery_id=claimed.pk)
        return 200

    monkeypatch.setattr(deliveries.webhooks, "send", post)
    outer = len(connection.atomic_blocks)  # the test's own transaction

    assert deliveries.send_delivery.call(delivery_id=delivery.pk) == "delivered"

    assert seen["depth"] == outer, "no transaction of the task's own is open while it sends"
    assert seen["row"]["attempts"] == 1
    assert seen["row"]["next_attempt_at"] > timezone.now() + deliveries.attempt_lease() - dt.timedelta(minutes=1)
    assert seen["second"] == "not due"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Delivery.Status.DELIVERED, 1, None)
