"""Webhook deliveries: a signed JSON POST to the saved search's URL, checked against the allow-list at send time.

Headers: ``X-Archive-Delivery`` (the delivery's uid, the same on every retry: a
receiver drops repeats by it), ``X-Archive-Event`` (``matches`` or
``withdrawn``) and ``X-Archive-Signature: sha256=<hex>``, the HMAC-SHA256 of the
raw body keyed with the search's ``webhook_secret``. The connection goes to the
addresses ``webhook_targets.resolve_allowed`` approved a moment before, never to a
fresh DNS answer, so a host cannot be re-pointed inside the network between check
and connect (DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import conf, webhook_targets
from articles.alerts.payloads import DeliveryFailed, article_links, matches_url
from articles.models import Delivery

SIGNATURE_HEADER = "X-Archive-Signature"
DELIVERY_HEADER = "X-Archive-Delivery"
EVENT_HEADER = "X-Archive-Event"
USER_AGENT = "news-archive-webhooks/1"


def sign(body: bytes, secret: str) -> str:
    """Return the signature header's value for ``body``: ``sha256=`` and the hex HMAC-SHA256 keyed with ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(delivery: Delivery) -> dict[str, Any]:
    """Return the JSON document a webhook delivery POSTs."""
    search = delivery.saved_search
    return {
        "delivery": str(delivery.uid),
        "event": delivery.event,
        "saved_search": {"id": search.pk, "name": search.name},
        "sent_at": timezone.now().isoformat(),
        "articles": article_links(delivery.article_ids),
        # More than it lists when it hit ARCHIVE_DELIVERY_MAX_ARTICLES: the rest are at "matches_url".
        "matched": max(delivery.matched, len(delivery.article_ids)),
        "matches_url": matches_url(search.pk),
    }


def send(delivery: Delivery) -> int:
    """POST the delivery to its search's webhook; return the 2xx status, or raise DeliveryFailed."""
    search = delivery.saved_search
    try:
        addresses = webhook_targets.resolve_allowed(search.webhook_url)
    except ValidationError as exc:
        message = "; ".join(exc.messages)
        raise DeliveryFailed(f"target refused: {message}", final=True) from exc
    body = json.dumps(payload(delivery), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: str(delivery.uid),
        EVENT_HEADER: delivery.event,
        SIGNATURE_HEADER: sign(body, search.webhook_secret),
    }
    return _post(search.webhook_url, body=body, headers=headers, addresses=[str(a) for a in addresses])


def _post(url: str, *, body: bytes, headers: dict[str, str], addresses: list[str]) -> int:
    parts = urlsplit(url)
    host, port = webhook_targets.host_and_port(url)
    connection_class = _PinnedHTTPSConnection if parts.scheme.lower() == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, addresses=addresses, timeout=conf.webhook_timeout_seconds())
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # enough to let the receiver finish; the body is not used
    except TimeoutError as exc:
        raise DeliveryFailed("timed out") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise DeliveryFailed(f"HTTP {response.status} {response.reason}", status=response.status)
    return response.status


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to one of the approved addresses, whatever the host resolves to now."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        error: OSError = OSError("no address to connect to")
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
                return
            except OSError as exc:
                error = exc
        raise error


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same over TLS, the certificate checked against the URL's host name."""

    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)
