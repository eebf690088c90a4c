"""Shared fixtures for the whole suite."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"
SEED_FILE = SEEDS_DIR / "000_d37bd627d5f2820d.txt"


@pytest.fixture
def seed_bytes() -> bytes:
    """The example seed shipped in ``seeds/``."""
    return SEED_FILE.read_bytes()


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous DRF test client."""
    return APIClient()


@pytest.fixture
def staff_client(django_user_model) -> APIClient:
    """A DRF client logged in as a staff user with every permission."""
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw-for-tests-only")
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache, so throttle counts never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _upload_spool(tmp_path_factory, settings):
    """Give every test its own upload spool, so none writes to the repository's ``uploads/``."""
    settings.ARCHIVE_UPLOAD_DIR = tmp_path_factory.mktemp("uploads")
    return settings.ARCHIVE_UPLOAD_DIR


def database_url() -> str:
    """Return the URL of the test database, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(settings, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Return a function starting a `db_worker` process on the test database (keyword arguments: more of its
    environment); each is killed at the end.

    The test needs a committed database (``transaction=True`` or ``live_server``): the worker is
    another process, and sees only what was committed.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "database",
        "ARCHIVE_UPLOAD_DIR": str(settings.ARCHIVE_UPLOAD_DIR),
        "ARCHIVE_UPLOAD_WATCH_SECONDS": "1",
        "ARCHIVE_SEARCH_INDEX_DIR": str(settings.ARCHIVE_SEARCH_INDEX_DIR),
    }
    started: list[subprocess.Popen] = []

    def start(**more_env: str) -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        command = [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload"]
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env={**env, **more_env}, stdout=log, stderr=subprocess.STDOUT
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@pytest.fixture(autouse=True)
def _fresh_search_index(settings, tmp_path):
    """Give every test an empty search index of its own, so no rolled-back write leaves results behind."""
    from articles import search_index

    settings.ARCHIVE_SEARCH_INDEX_DIR = tmp_path / "search-index"
    search_index.reset_engine()
    yield
    search_index.reset_engine()


@pytest.fixture
def clock(request, monkeypatch) -> Callable[[dt.datetime], None]:
    """Set the archive's clock (``timezone.now``) to the test module's ``NOW``; ``clock(moment)`` moves it."""

    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    move(request.module.NOW)
    return move


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a committing test (``transaction=True``) without ``serialized_rollback=True``.

    Such a test's database flush re-creates the content types and permissions under new
    ids, and the next serialized test, restoring the original rows, then fails on their
    unique names: an error that shows only in some orders of the suite.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(f"{item.nodeid}: a transaction=True test needs serialized_rollback=True too")
