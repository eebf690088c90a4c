"""Deliveries sent by a real worker process (`manage.py db_worker`), through a crash and a restart.

The database backend keeps its queue in a table the worker reads, so these tests
commit (a transactional database, as tests/importing/test_upload_worker.py).
"""

from __future__ import annotations

import io
import signal
import time
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles import review
from articles.alerts import deliveries
from articles.models import Article, Delivery
from tests.alerts.conftest import SECRET
from tests.factories import ArticleFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAIT_SECONDS = 120
BACKOFF_SECONDS = 1


def wait_for(condition: Callable[[], bool], *, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {WAIT_SECONDS} s waiting for {what}")
        time.sleep(0.05)


def delivery_state(delivery: Delivery) -> tuple[str, int]:
    delivery.refresh_from_db()
    return delivery.status, delivery.attempts


def test_a_worker_retries_a_failed_webhook_and_a_restart_finishes_it(receiver, start_worker, settings):
    """
    GIVEN a search posting to a receiver that fails the first POST (500), and a new article it matches
    WHEN the delivery is recorded, a worker makes the first attempt and is killed (SIGKILL) before the
    retry, and the next start runs retry_deliveries and a new worker
    THEN the new worker delivers it: two POSTs with the same delivery id and valid signatures, two attempts
    """
    settings.ARCHIVE_DELIVERY_BACKOFF_SECONDS = BACKOFF_SECONDS
    worker_env = {
        "ARCHIVE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "ARCHIVE_WEBHOOK_TIMEOUT_SECONDS": "5",
        "ARCHIVE_DELIVERY_BACKOFF_SECONDS": str(BACKOFF_SECONDS),
    }
    SavedSearchFactory(webhook_url=receiver.url, webhook_secret=SECRET, email_digest=False)
    article = ArticleFactory(title="Otters return", body="The otters are back.")
    (delivery,) = deliveries.notify_new_articles(article_ids=[article.pk])
    delivery.refresh_from_db()
    assert delivery.task_id, "the task was queued in the database, for a worker"

    first = start_worker(**worker_env)
    wait_for(lambda: delivery_state(delivery) == (Delivery.Status.FAILED, 1), what="the first, failed attempt")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)

    wait_for(lambda: delivery.next_attempt_at is not None and delivery.next_attempt_at <= timezone.now(), what="due")
    call_command("retry_deliveries", stdout=io.StringIO())
    start_worker(**worker_env)
    wait_for(lambda: delivery_state(delivery) == (Delivery.Status.DELIVERED, 2), what="the retry, delivered")

    assert [r.headers["X-Archive-Delivery"] for r in receiver.received] == [str(delivery.uid)] * 2
    assert all(r.signature_ok for r in receiver.received)
    assert receiver.received[1].body["articles"][0]["id"] == article.pk


def test_a_worker_matches_what_an_editor_publishes_and_delivers_it(receiver, start_worker):
    """
    GIVEN a search posting to a receiver (which fails the first POST), a draft about otters, no worker yet
    WHEN an editor publishes the draft, then a worker starts
    THEN the publication queued the matching with its commit, and the worker matches, records and delivers it
    """
    SavedSearchFactory(webhook_url=receiver.url, webhook_secret=SECRET, email_digest=False)
    draft = ArticleFactory(title="Otters return", body="The otters are back.", status=Article.Status.DRAFT)

    review.publish_articles(Article.objects.filter(pk=draft.pk))
    assert not Delivery.objects.exists(), "the editor's request does not match"

    start_worker(
        ARCHIVE_WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        ARCHIVE_WEBHOOK_TIMEOUT_SECONDS="5",
        ARCHIVE_DELIVERY_BACKOFF_SECONDS=str(BACKOFF_SECONDS),
    )
    wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).exists(), what="the delivery")
    assert receiver.received[-1].body["articles"][0]["id"] == draft.pk
