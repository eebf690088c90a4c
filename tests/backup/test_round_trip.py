"""The round trip across backends: an archive built on SQLite, restored into a fresh PostgreSQL, and back.

Every step is a real ``manage.py`` process on its own database, as an operator
would run it; the test process compares snapshots of every row of every model.
Runs on both database runs of CI: it needs PostgreSQL at the server of
``DATABASE_URL`` (or 127.0.0.1:5432), and is skipped without one only outside CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backup.archive import MUST_HOLD
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.postgres

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def postgres_server() -> str:
    """Return the URL of the PostgreSQL server, without a database name."""
    url = os.environ.get("DATABASE_URL", "")
    return url.rsplit("/", 1)[0] if url.startswith(("postgres://", "postgresql://")) else DEFAULT_SERVER


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """Create an empty PostgreSQL database of the test's own; return its URL and drop it afterwards."""
    import psycopg

    server, name = postgres_server(), f"archive_restore_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable at {server} in CI: {exc}")
        pytest.skip(f"PostgreSQL is unreachable at {server}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Site:
    """One database with its own search index, driven through ``manage.py`` processes."""

    def __init__(self, url: str, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "ARCHIVE_SEARCH_INDEX_DIR": str(directory / "search-index"),
            "ARCHIVE_UPLOAD_DIR": str(directory / "uploads"),
        }

    def manage(self, *args: str) -> str:
        return self._run([sys.executable, "manage.py", *args])

    def python(self, code: str) -> str:
        return self._run([sys.executable, "-c", f"import django; django.setup()\n{code}"])

    def _run(self, command: list[str]) -> str:
        done = subprocess.run(command, cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command[1:3]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def scalar(self, sql: str) -> str:
        """Return the first value ``sql`` selects, as printed."""
        code = "from django.db import connection\nwith connection.cursor() as c:\n"
        code += f"    c.execute({sql!r})\n    print(c.fetchone()[0])"
        return self.python(code).strip()

    def snapshot(self) -> dict:
        path = self.directory / "snapshot.json"
        self.python(f"from tests.backup.archive import write_snapshot; write_snapshot({str(path)!r})")
        return json.loads(path.read_text(encoding="utf-8"))


def test_an_archive_built_on_sqlite_comes_back_whole_on_postgresql_and_back(tmp_path, fresh_postgres):
    """
    GIVEN an archive built on SQLite by imports, a re-import, edits, merges, an undo, aliases and accounts
    WHEN it is backed up, restored into a freshly migrated PostgreSQL database, backed up there and restored
         into a fresh SQLite database
    THEN both restored databases hold every row of every model field by field as the original, their search
         outboxes are empty, their indexes complete, and new rows get fresh ids
    """
    source = Site(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "source")
    source.manage("migrate", "--noinput", "-v0")
    seeds = str(tmp_path / "seeds")
    source.python(
        f"from pathlib import Path\nfrom tests.backup.archive import build_archive\nbuild_archive(Path({seeds!r}))"
    )
    source.manage("backup_archive", str(tmp_path / "sqlite.ndjson.gz"))
    original = source.snapshot()
    assert {label for label, rows in original["rows"].items() if rows} >= MUST_HOLD

    postgres = Site(fresh_postgres, tmp_path / "postgres")
    postgres.manage("migrate", "--noinput", "-v0")
    postgres.manage("restore_archive", str(tmp_path / "sqlite.ndjson.gz"))
    analyzed = postgres.scalar(
        "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'articles_article'"
    )
    assert analyzed == "True"  # the planner has statistics of the restored tables at once
    postgres.manage("backup_archive", str(tmp_path / "postgres.ndjson.gz"))

    back = Site(f"sqlite:///{tmp_path / 'back.sqlite3'}", tmp_path / "back")
    back.manage("migrate", "--noinput", "-v0")
    back.manage("restore_archive", str(tmp_path / "postgres.ndjson.gz"))

    for site in (postgres, back):
        restored = site.snapshot()
        assert restored["outbox"] == 0
        for label, rows in original["rows"].items():
            assert restored["rows"][label] == rows, label
        assert "0 missing from the index, 0 stale, 0 deleted" in site.manage("check_search_index")
        top = max(row[0] for row in original["rows"]["articles.author"])
        made = site.python(
            "from articles.editing import create_named\nfrom articles.models import Author\n"
            "print(create_named(model=Author, data={'name': 'New After Restore', 'slug': 'new-after-restore'}).pk)"
        )
        assert int(made) > top
