"""Where the archive's services tell the saved searches of new articles: light, so any service can import it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from articles.models import Takedown


def published_on_commit(article_ids: list[int]) -> None:
    """Have the saved searches told of articles an editor just published, once the transaction commits."""
    # Imported here: the alerts' matching reads the API's filters, whose modules import these services.
    from articles.alerts import deliveries

    if article_ids:
        transaction.on_commit(lambda: deliveries.notify_new_articles(article_ids=article_ids))


def withdrawn_on_takedowns(sender: type[Takedown], takedowns: list[Takedown], **kwargs: object) -> None:
    """Post a withdrawal or deletion to the webhooks that delivered the article (``takedowns.recorded``' receiver)."""
    from articles.alerts import deliveries

    deliveries.on_takedowns(takedowns=takedowns)
