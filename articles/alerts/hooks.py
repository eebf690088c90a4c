"""Where the archive's services tell the saved searches of new articles: light, so any service can import it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from articles.models import Takedown

logger = logging.getLogger(__name__)


def published_on_commit(article_ids: list[int]) -> None:
    """Have the saved searches told of articles an editor just published, once the transaction commits."""
    # Imported here: the alerts' matching reads the API's filters, whose modules import these services.
    from articles.alerts import deliveries

    if article_ids:
        # Robust: the articles are published whatever happens here; a failure is logged, not the editor's error.
        transaction.on_commit(lambda: deliveries.notify_new_articles(article_ids=article_ids), robust=True)


def withdrawn_on_takedowns(sender: type[Takedown], takedowns: list[Takedown], **kwargs: object) -> None:
    """Post a withdrawal or deletion to the webhooks that delivered the article (``takedowns.recorded``' receiver)."""
    from articles.alerts import deliveries

    try:
        deliveries.on_takedowns(takedowns=takedowns)
    except Exception:  # the takedown has committed: its alert failing must not fail the withdrawal
        logger.exception("Recording the withdrawn events of %s takedown(s) failed", len(takedowns))
