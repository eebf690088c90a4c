"""Deliveries of saved searches' new matches and withdrawals: recorded in one transaction, sent by a task.

``notify_new_articles`` (after an import run, after an editor publishes: the
``match_new_articles`` task, queued with the change) matches the new articles
against every saved search and records, per search, one e-mail digest and one
webhook delivery; ``notify_withdrawn`` (on each takedown) records a
``withdrawn`` webhook delivery for each search whose webhook delivered one of the
articles. Either queues ``send_delivery`` once its transaction commits.

A failed attempt (an HTTP status other than 2xx, a timeout, a refused connection,
an SMTP error) is retried after ``ARCHIVE_DELIVERY_BACKOFF_SECONDS`` doubled
after each failure (1, 2, 4, 8 minutes by default) until
``ARCHIVE_DELIVERY_MAX_ATTEMPTS`` (5) attempts; then it is abandoned, and a
webhook's search is paused (``webhook_paused_at``): no webhook deliveries are
made for it until its owner clears the pause. ``retry_deliveries`` (run when the
worker starts) queues again every delivery that is due and has no live task, so a
crash or a restart loses none.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby, islice
from operator import itemgetter

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend, task

from articles import conf
from articles.alerts import emails, hooks, webhooks
from articles.alerts.matching import BATCH, match_articles
from articles.alerts.payloads import CHUNK, DeliveryFailed
from articles.models import Article, DeliveredArticle, Delivery, ImportOutcome, ImportRun, SavedSearch, Takedown

logger = logging.getLogger(__name__)
UNDELIVERED = (Delivery.Status.PENDING, Delivery.Status.FAILED)


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- Recording -------------------------------------------------------------------------------


def notify_new_articles(
    *,
    article_ids: Iterable[int],
    run: ImportRun | None = None,
    trigger: str = Delivery.Trigger.PUBLISH,
    readers_only: bool = False,
) -> list[Delivery]:
    """Record a digest and a webhook delivery for each search matching some of ``article_ids``; send them on commit.

    The ids are matched a chunk at a time; only the matches are held. ``readers_only``: as in ``match_articles``.
    """
    followed = followed_searches()
    if not followed.exists():  # nothing to match: the new articles are not even read
        return []
    # Each search's first ``most`` matches (in the order given: a run's, the order it created them) and their
    # number: what is held stays bounded however large the run.
    most = conf.delivery_max_articles()
    matches: dict[int, set[int]] = {}
    matched: dict[int, int] = {}
    for chunk in _chunks(article_ids, BATCH):
        found = match_articles(article_ids=chunk, searches=followed, readers_only=readers_only)
        for search_id, ids in found.items():
            kept = matches.setdefault(search_id, set())
            kept.update(ids[: most - len(kept)])
            matched[search_id] = matched.get(search_id, 0) + len(ids)
    rows = []
    for search in _searches(matches):
        common = {
            "saved_search": search,
            "article_ids": sorted(matches[search.pk]),
            "matched": matched[search.pk],
            "trigger": trigger,
        }
        if search.email_digest:
            rows.append(Delivery(kind=Delivery.Kind.EMAIL, import_run=run, **common))
        if search.webhook_url and search.webhook_paused_at is None:
            rows.append(Delivery(kind=Delivery.Kind.WEBHOOK, import_run=run, **common))
    return _record(rows)


def followed_searches() -> QuerySet[SavedSearch]:
    """Return the searches something is delivered for: a digest, or a webhook not paused."""
    return SavedSearch.objects.filter(Q(email_digest=True) | (~Q(webhook_url="") & Q(webhook_paused_at=None)))


def notify_import_run(run: ImportRun) -> list[Delivery]:
    """Notify the searches of the articles ``run`` created that are published, read from its outcomes in chunks."""
    return notify_new_articles(article_ids=_created(run), run=run, trigger=Delivery.Trigger.IMPORT)


def _created(run: ImportRun) -> Iterator[int]:
    """Yield the ids of the published articles ``run`` created, read from its outcomes in chunks."""
    outcomes = ImportOutcome.objects.filter(
        run=run, result=ImportOutcome.Result.CREATED, article__status=Article.Status.PUBLISHED
    )
    ids = outcomes.order_by("id").values_list("article_id", flat=True).iterator(chunk_size=CHUNK)
    return (pk for pk in ids if pk is not None)


@task()
def match_new_articles(article_ids: list[int] | None = None, run_id: int | None = None) -> int:
    """Match new articles (``article_ids``, or import run ``run_id``'s) and record their deliveries; return how many.

    Queued by ``hooks.queue_matching`` when an editor publishes and when a run commits:
    the matching is the worker's work, not the request's or the import's.
    """
    if run_id is None:
        recorded = notify_new_articles(article_ids=article_ids or [])
        for chunk in _chunks(article_ids or []):
            schedule_embargo_ends(Article.objects.filter(pk__in=chunk))
        return len(recorded)
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return 0
    recorded = notify_import_run(run)
    created = ImportOutcome.objects.filter(run=run, result=ImportOutcome.Result.CREATED)
    schedule_embargo_ends(Article.objects.filter(pk__in=created.values("article_id")))
    return len(recorded)


# --- Embargoes ---------------------------------------------------------------------------------


def schedule_embargo_ends(articles: QuerySet[Article]) -> None:
    """Queue ``notify_embargo_lifted`` at the end of the embargo of each of ``articles`` published under one.

    Their readers' searches could not match them yet (staff's did): they hear of them when the embargo ends.
    """
    under_embargo = articles.filter(status=Article.Status.PUBLISHED, embargo_until__gt=timezone.now())
    rows = under_embargo.order_by("embargo_until", "pk").values_list("embargo_until", "pk").iterator(chunk_size=CHUNK)
    for until, group in groupby(rows, key=itemgetter(0)):
        for chunk in _chunks(pk for _, pk in group):
            hooks.queue(notify_embargo_lifted, run_after=until, article_ids=chunk, embargo_until=until.isoformat())


@task()
def notify_embargo_lifted(article_ids: list[int], embargo_until: str | None) -> int:
    """Tell the readers' searches of the articles whose embargo ended (at ``embargo_until``); return the deliveries.

    An article whose embargo an editor has changed since this was queued is left to the
    task queued for its new end (``hooks.embargo_changed``): each end is told once.
    """
    until = None if embargo_until is None else datetime.fromisoformat(embargo_until)
    ended = Article.objects.filter(pk__in=article_ids, status=Article.Status.PUBLISHED)
    ended = ended.filter(embargo_until__isnull=True) if until is None else ended.filter(embargo_until=until)
    ids = list(
        ended.filter(Q(embargo_until__isnull=True) | Q(embargo_until__lte=timezone.now())).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    return len(notify_new_articles(article_ids=ids, trigger=Delivery.Trigger.EMBARGO, readers_only=True))


def notify_withdrawn(*, article_ids: Sequence[int]) -> list[Delivery]:
    """Record a ``withdrawn`` webhook delivery for each search whose webhook delivered some of ``article_ids``."""
    delivered: dict[int, set[int]] = {}
    for chunk in _chunks(article_ids):
        pairs = DeliveredArticle.objects.filter(
            article_id__in=chunk, delivery__kind=Delivery.Kind.WEBHOOK, delivery__event=Delivery.Event.MATCHES
        ).values_list("delivery__saved_search_id", "article_id")
        for search_id, article_id in pairs:
            delivered.setdefault(search_id, set()).add(article_id)
    rows = [
        Delivery(
            saved_search=search,
            kind=Delivery.Kind.WEBHOOK,
            event=Delivery.Event.WITHDRAWN,
            trigger=Delivery.Trigger.WITHDRAWAL,
            article_ids=sorted(delivered[search.pk]),
            matched=len(delivered[search.pk]),
        )
        for search in _searches(delivered)
        if search.webhook_url and search.webhook_paused_at is None
    ]
    return _record(rows)


def on_takedowns(*, takedowns: Sequence[Takedown]) -> list[Delivery]:
    """Tell the webhooks that delivered them of articles withdrawn or deleted (the takedowns just committed)."""
    ids = [row.article_id for row in takedowns if row.kind != Takedown.Kind.REINSTATED]
    return notify_withdrawn(article_ids=ids) if ids else []


def _searches(ids: Iterable[int]) -> Iterator[SavedSearch]:
    for chunk in _chunks(sorted(ids)):
        yield from SavedSearch.objects.filter(pk__in=chunk).order_by("pk")


def _record(rows: list[Delivery]) -> list[Delivery]:
    if not rows:
        return []
    with transaction.atomic():
        created = Delivery.objects.bulk_create(rows, batch_size=CHUNK)
        ids = [row.pk for row in created]
        transaction.on_commit(lambda: enqueue(ids))
    return created


# --- Queueing -------------------------------------------------------------------------------


def enqueue(delivery_ids: Iterable[int], *, run_after: datetime | None = None) -> None:
    """Queue the sending of each delivery (at ``run_after`` where the backend can defer), noting its task."""
    queued = send_delivery if run_after is None else send_delivery.using(run_after=run_after)
    for chunk in _chunks(delivery_ids):
        task_ids = {pk: str(queued.enqueue(delivery_id=pk).id) for pk in chunk}
        # One UPDATE a chunk, not one a delivery. The immediate backend has already sent them: the id is
        # kept only for a task still waiting.
        Delivery.objects.filter(pk__in=task_ids, status__in=UNDELIVERED).update(
            task_id=Case(*(When(pk=pk, then=Value(task_id)) for pk, task_id in task_ids.items()), default=F("task_id"))
        )


def due(*, now: datetime | None = None) -> QuerySet[Delivery]:
    """Return the undelivered deliveries due by ``now``, a paused webhook's left out."""
    now = now or timezone.now()
    paused = Q(kind=Delivery.Kind.WEBHOOK, saved_search__webhook_paused_at__isnull=False)
    return (
        Delivery.objects.filter(status__in=UNDELIVERED, next_attempt_at__lte=now)
        .exclude(paused)
        .order_by("next_attempt_at", "pk")
    )


def retry_due(*, now: datetime | None = None, grace: timedelta = timedelta(minutes=1)) -> list[int]:
    """Queue again each due delivery whose task is gone, finished or more than ``grace`` overdue; return their ids.

    What a crash or a restart leaves behind: a delivery recorded but whose task
    never ran (lost with an in-memory queue, or the process died before it), or a
    retry the worker never got to.
    """
    now = now or timezone.now()
    stale = [d.pk for d in due(now=now).only("pk", "task_id", "next_attempt_at") if _task_lost(d, now - grace)]
    enqueue(stale)
    return stale


def _task_lost(delivery: Delivery, overdue_before: datetime) -> bool:
    if not delivery.task_id or delivery.next_attempt_at is None or delivery.next_attempt_at < overdue_before:
        return True
    try:
        result = send_delivery.get_result(delivery.task_id)
    except Exception:  # gone (pruned, another backend): nothing will run it
        return True
    return result.status not in (TaskResultStatus.READY, TaskResultStatus.RUNNING)


# --- Sending --------------------------------------------------------------------------------------


@task()
def send_delivery(delivery_id: int) -> str:
    """Make one attempt at a delivery: send it, or record the failure and queue the retry.

    The attempt is claimed, then recorded, in two short transactions; the sending
    between them (an HTTP POST, an SMTP conversation) holds no transaction or lock.
    """
    claimed = _claim(delivery_id)
    if isinstance(claimed, str):
        return claimed
    try:
        _send(claimed)
    except DeliveryFailed as exc:
        with transaction.atomic():
            return _failed(claimed, exc)
    with transaction.atomic():
        _delivered(claimed)
    return "delivered"


def _claim(delivery_id: int) -> Delivery | str:
    """Take a due delivery for one attempt: count it, and lease it for as long as an attempt may take.

    Until the lease ends the delivery is not due, so a second task queued for it (by
    retry_deliveries) finds it "not due"; if the worker dies mid-attempt, it is due again
    when the lease ends, and retry_deliveries queues it (the receiver drops a repeat by its id).
    Returns why not, when it is not taken.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("saved_search__owner")
            .filter(pk=delivery_id, status__in=UNDELIVERED)
            .first()
        )
        if delivery is None:
            return "nothing to do"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > timezone.now() + timedelta(seconds=1):
            return "not due"
        if delivery.kind == Delivery.Kind.WEBHOOK and delivery.saved_search.webhook_paused_at is not None:
            return "paused"
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + attempt_lease()
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def attempt_lease() -> timedelta:
    """Return how long a claimed attempt keeps its delivery: thrice the longest network timeout, and a minute."""
    slowest = max(conf.webhook_timeout_seconds(), float(settings.EMAIL_TIMEOUT or 60))
    return timedelta(seconds=3 * slowest + 60)


def _send(delivery: Delivery) -> None:
    if delivery.kind == Delivery.Kind.EMAIL:
        emails.send(delivery)
        delivery.response_status = None
    else:
        delivery.response_status = webhooks.send(delivery)


def _delivered(delivery: Delivery) -> None:
    delivery.status = Delivery.Status.DELIVERED
    delivery.delivered_at = timezone.now()
    delivery.next_attempt_at = None
    delivery.last_error = ""
    delivery.task_id = ""
    delivery.save()
    if delivery.kind == Delivery.Kind.WEBHOOK and delivery.event == Delivery.Event.MATCHES:
        DeliveredArticle.objects.bulk_create(
            [DeliveredArticle(delivery=delivery, article_id=pk) for pk in delivery.article_ids],
            batch_size=CHUNK,
            ignore_conflicts=True,
        )


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next attempt after ``attempts`` failed ones: the base doubled after each."""
    return timedelta(seconds=conf.delivery_backoff_seconds() * 2 ** (attempts - 1))


def _failed(delivery: Delivery, exc: DeliveryFailed) -> str:
    delivery.last_error = str(exc)[:2000]
    delivery.response_status = exc.status
    delivery.task_id = ""
    if exc.final or delivery.attempts >= conf.delivery_max_attempts():
        delivery.status = Delivery.Status.ABANDONED
        delivery.next_attempt_at = None
        delivery.save()
        if delivery.kind == Delivery.Kind.WEBHOOK:
            SavedSearch.objects.filter(pk=delivery.saved_search_id, webhook_paused_at=None).update(
                webhook_paused_at=timezone.now()
            )
        logger.warning("Delivery %s abandoned after %s attempts: %s", delivery.uid, delivery.attempts, exc)
        return "abandoned"
    delivery.status = Delivery.Status.FAILED
    delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    delivery.save()
    if default_task_backend.supports_defer:  # else retry_deliveries queues it once it is due
        later = delivery.next_attempt_at
        transaction.on_commit(lambda: enqueue([delivery.pk], run_after=later))
    return "failed"
