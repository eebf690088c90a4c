"""E-mail digests: one plain-text message per saved search and run, listing the new matches' titles and addresses."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from articles.alerts.payloads import DeliveryFailed, article_links, matches_url
from articles.models import Delivery


def subject(delivery: Delivery) -> str:
    """Return the digest's subject line."""
    count = max(delivery.matched, len(delivery.article_ids))
    noun = "article" if count == 1 else "articles"
    return f"{count} new {noun} for your saved search {delivery.saved_search.name!r}"


def body(delivery: Delivery) -> str:
    """Return the digest's text: each article's title and API address."""
    lines = [f"New matches for your saved search {delivery.saved_search.name!r}:", ""]
    for link in article_links(delivery.article_ids):
        lines += [link["title"] or f"Article #{link['id']}", f"  {link['url']}", ""]
    if delivery.matched > len(delivery.article_ids):
        lines += [
            f"... and {delivery.matched - len(delivery.article_ids):,} more: {matches_url(delivery.saved_search_id)}",
            "",
        ]
    lines.append(f"Delivery {delivery.uid}")
    return "\n".join(lines)


def send(delivery: Delivery) -> None:
    """Send the digest to the search's owner; raise DeliveryFailed if it has no address or the server refuses it."""
    address = delivery.saved_search.owner.email
    if not address:
        raise DeliveryFailed("the owner has no e-mail address", final=True)
    message = EmailMessage(
        subject=subject(delivery),
        body=body(delivery),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"X-Archive-Delivery": str(delivery.uid)},
    )
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
