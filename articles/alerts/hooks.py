"""Where the archive's services tell the saved searches of new articles: light, so any service can import it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend

if TYPE_CHECKING:
    from articles.models import Article, Takedown

logger = logging.getLogger(__name__)


def published_on_commit(article_ids: list[int]) -> None:
    """Have the saved searches told of articles an editor just published, in the background once it commits."""
    if article_ids:
        queue_matching(article_ids=list(article_ids))


def run_committed(run_id: int) -> None:
    """Have the saved searches told of the new published articles of import run ``run_id``, in the background."""
    queue_matching(run_id=run_id)


def queue_matching(**kwargs: Any) -> None:
    """Queue ``deliveries.match_new_articles`` for the change the current transaction makes (see ``queue``)."""
    # Imported here: the alerts' matching reads the API's filters, whose modules import these services.
    from articles.alerts import deliveries

    queue(deliveries.match_new_articles, **kwargs)


def embargo_changed(article: Article, *, before: datetime | None) -> None:
    """Have the readers' searches told of a published article when its changed embargo ends (at once if it has)."""
    from articles.alerts import deliveries

    now = timezone.now()
    if before is None or before <= now:
        return  # It was visible already: its readers' searches have been told of it.
    until = article.embargo_until
    run_after = until if until is not None and until > now else None
    queue(
        deliveries.notify_embargo_lifted,
        run_after=run_after,
        article_ids=[article.pk],
        embargo_until=None if until is None else until.isoformat(),
    )


def queue(task: Task[Any, Any], *, run_after: datetime | None = None, **kwargs: Any) -> None:
    """Queue ``task`` (at ``run_after``) for the change the current transaction makes.

    With the database queue, the task's row is written in the same transaction: it
    commits with the change or not at all, so a crash right after the commit loses
    no notification, and the editor's request does not wait for the matching. Any
    other queue (the immediate backend runs the task at once) is given it on commit;
    one that cannot defer a task drops a later one, with a warning.
    """
    if run_after is not None:
        if not task.get_backend().supports_defer:
            logger.warning("%s at %s not queued: the task queue cannot defer (use the database queue)", task, run_after)
            return
        task = task.using(run_after=run_after)
    if transaction.get_connection().in_atomic_block and isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        # Robust: the change has committed whatever happens here; a failure is logged, not the editor's error.
        transaction.on_commit(lambda: task.enqueue(**kwargs), robust=True)


def withdrawn_on_takedowns(sender: type[Takedown], takedowns: list[Takedown], **kwargs: object) -> None:
    """Post a withdrawal or deletion to the webhooks that delivered the article (``takedowns.recorded``' receiver)."""
    from articles.alerts import deliveries

    try:
        deliveries.on_takedowns(takedowns=takedowns)
    except Exception:  # the takedown has committed: its alert failing must not fail the withdrawal
        logger.exception("Recording the withdrawn events of %s takedown(s) failed", len(takedowns))
