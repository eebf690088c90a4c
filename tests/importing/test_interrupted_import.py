"""Stopping ``import_seeds`` with SIGINT or SIGTERM: it stops soon, keeps its committed batches, says so.

A signal that lands inside a query comes out of the driver as a database error (psycopg's
``QueryCanceled`` for a cut COPY, SQLite's ``OperationalError``), which the importer's
fallbacks took for a bad batch or file and went on: the run then imported everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from articles.models import Article, ImportRun
from tests.conftest import REPO_ROOT, database_url
from tests.importing.test_concurrent_imports import make_seeds

FILES = 3000
WAIT_SECONDS = 120


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the import's process sees commits only
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_import_and_the_run_is_recorded_interrupted(tmp_path, settings, signal_number):
    """
    GIVEN an import of 3,000 files in batches of 20 running in its own process
    WHEN it gets the signal once its first batches have committed
    THEN it stops well before the end with exit code 130 and a message, its run is recorded interrupted,
    and the articles of the committed batches are kept
    """
    make_seeds(tmp_path, FILES)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "ARCHIVE_SEARCH_INDEX_DIR": str(settings.ARCHIVE_SEARCH_INDEX_DIR),
    }
    command = [sys.executable, "manage.py", "import_seeds", str(tmp_path), "--batch-size", "20", "-v", "0"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + WAIT_SECONDS
    while Article.objects.count() < 40 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the import ended before it could be stopped"

    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=WAIT_SECONDS)

    assert process.returncode == 130, stderr.decode()[-2000:]
    assert b"Stopped on request" in stderr
    assert ImportRun.objects.get().status == ImportRun.Status.INTERRUPTED
    assert 40 <= Article.objects.count() < FILES


def test_a_database_error_caused_by_an_interruption_is_a_stop_request():
    from django.db import OperationalError

    from articles.importing import stopping

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise OperationalError("COPY from stdin failed: KeyboardInterrupt") from None
    except OperationalError as exc:
        with pytest.raises(KeyboardInterrupt):
            stopping.reraise_if_stopping(exc)
    stopping.reraise_if_stopping(OperationalError("a bad file"))  # no stop asked: nothing raised
