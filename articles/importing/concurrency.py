"""Keeping concurrent imports apart: one batch writes at a time, and a batch that loses a lock conflict is retried.

Two imports of overlapping files insert the same authors, publishers and articles;
inserting them in different orders, each would wait for a unique-index entry the
other holds (a deadlock). So a batch's transaction first takes a lock that every
import shares: on PostgreSQL a transaction-level advisory lock, on SQLite the
database's write lock (``BEGIN IMMEDIATE``, waiting up to the busy timeout set in
settings). Parsing still overlaps; only the writes take turns. Other writers (an
editor, a merge) can still collide with a batch: a deadlock, a serialization
failure or a lock timeout rolls the whole batch back, and it is retried a bounded
number of times.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, OperationalError, connection

logger = logging.getLogger(__name__)
T = TypeVar("T")
# The advisory lock's key: any constant that nothing else in the database uses ("imports" in ASCII).
IMPORT_LOCK_KEY = 0x696D706F727473
# PostgreSQL's deadlock_detected, serialization_failure and lock_not_available.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
# Attempts at a batch before its lock conflict is reported.
ATTEMPTS = 5


def lock_imports() -> None:
    """Wait until no other import is writing a batch, then hold that turn until this transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
    # SQLite: the transaction began with BEGIN IMMEDIATE, so it holds the only write lock already.


def is_transient(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a lock conflict that running the transaction again can get past."""
    if getattr(exc.__cause__, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def retrying(action: Callable[[], T], *, attempts: int = ATTEMPTS, what: str = "transaction") -> T:
    """Return ``action()``, run again after a short random pause when it fails with a transient lock conflict.

    ``action`` must be a whole transaction (or savepoint), so that a failed attempt leaves nothing behind.
    """
    for attempt in range(1, attempts):
        try:
            return action()
        except DatabaseError as exc:
            if not is_transient(exc):
                raise
            logger.warning("The %s lost a lock conflict (%s); retrying (%d of %d)", what, exc, attempt, attempts - 1)
            time.sleep(random.uniform(0.05, 0.2) * attempt)  # jitter, so two losers do not collide again
    return action()
