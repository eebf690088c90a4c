"""Stopping an import when asked (Ctrl-C, SIGINT, SIGTERM), whatever the database makes of the interruption.

A signal that lands inside a query does not always come out as ``KeyboardInterrupt``:
psycopg ends a COPY cut short with ``QueryCanceled``, and SQLite reports an exception
raised inside one of Django's SQL functions as ``OperationalError``. Either is an
``Exception`` to the importer's fallbacks ("a bad batch: import it file by file", "a
bad file: record it and go on"), which would then carry on with the run. So the
command remembers the request (``on_signals``), and each fallback asks ``reraise_if_stopping``
first: the run stops, and is recorded as interrupted, at the first place it can.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_requested = threading.Event()
SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Links of an exception's cause and context chain looked at for an interruption.
CHAIN_DEPTH = 20


def requested() -> bool:
    """Return whether the import was asked to stop."""
    return _requested.is_set()


@contextmanager
def on_signals() -> Iterator[None]:
    """Within it (the main thread only), SIGINT and SIGTERM stop the import with ``KeyboardInterrupt``, remembered."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    previous = {number: signal.getsignal(number) for number in SIGNALS}

    def stop(number: int, frame: FrameType | None) -> None:
        _requested.set()
        raise KeyboardInterrupt(f"stopped by {signal.Signals(number).name}")

    for number in SIGNALS:
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _requested.clear()


def reraise_if_stopping(exc: BaseException) -> None:
    """Raise ``KeyboardInterrupt`` if ``exc`` is (or comes of) a request to stop, not a fault of the batch or file."""
    interrupted = requested()
    cause: BaseException | None = exc
    for _ in range(CHAIN_DEPTH):  # bounded: a chain is short, and a cycle must not hang the import
        if cause is None or interrupted:
            break
        interrupted = isinstance(cause, KeyboardInterrupt | SystemExit)
        cause = cause.__cause__ or cause.__context__
    if interrupted:
        raise KeyboardInterrupt("the import was asked to stop") from exc
