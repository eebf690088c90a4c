"""Real parts for the delivery tests: a webhook receiver and an SMTP server, both on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

SECRET = "ab" * 32


@dataclass
class Received:
    """One POST the receiver took: its headers, its decoded JSON and whether the signature held."""

    headers: dict[str, str]
    body: dict[str, Any]
    signature_ok: bool


@dataclass
class Receiver:
    """A webhook receiver: answers each POST with the next of ``statuses`` (then 200), records what it took."""

    url: str
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            signature_ok = hmac.compare_digest(expected, self.headers.get("X-Archive-Signature", ""))
            receiver.received.append(Received(dict(self.headers), json.loads(raw), signature_ok))
            time.sleep(receiver.delay)
            status = receiver.statuses.pop(0) if receiver.statuses else (200 if signature_ok else 401)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A webhook receiver on loopback, admitted by the allow-list; it fails the first POST on purpose (500)."""
    settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.ARCHIVE_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.ARCHIVE_DELIVERY_BACKOFF_SECONDS = 0  # a retry is due at once; backoff() is tested apart
    receiver = Receiver(url="", statuses=[500])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/archive?via=test"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


def free_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp(settings) -> Iterator[list[Any]]:
    """An SMTP server on loopback (aiosmtpd), Django's SMTP backend pointed at it; yields the envelopes it took."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "alerts@archive.test"
    yield inbox.messages
    controller.stop()
