"""Where the archive's services tell the saved searches of new articles: light, so any service can import it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django_tasks_db import DatabaseBackend

if TYPE_CHECKING:
    from articles.models import Takedown

logger = logging.getLogger(__name__)


def published_on_commit(article_ids: list[int]) -> None:
    """Have the saved searches told of articles an editor just published, in the background once it commits."""
    if article_ids:
        queue_matching(article_ids=list(article_ids))


def run_committed(run_id: int) -> None:
    """Have the saved searches told of the new published articles of import run ``run_id``, in the background."""
    queue_matching(run_id=run_id)


def queue_matching(**kwargs: Any) -> None:
    """Queue ``deliveries.match_new_articles`` for the change the current transaction makes.

    With the database queue, the task's row is written in the same transaction: it
    commits with the change or not at all, so a crash right after the commit loses
    no notification, and the editor's request does not wait for the matching. Any
    other queue (the immediate backend runs the task at once) is given it on commit.
    """
    # Imported here: the alerts' matching reads the API's filters, whose modules import these services.
    from articles.alerts import deliveries

    task = deliveries.match_new_articles
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
