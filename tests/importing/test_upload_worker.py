"""Admin uploads with a real worker process (`manage.py db_worker`) on the live test database.

The database backend keeps its queue in a table, so the worker must see what the
test committed: these tests use a transactional database (on SQLite, the test
database is a file for this reason; see tests/settings.py).
"""

from __future__ import annotations

import io
import signal
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.models import Article, ImportOutcome, ImportUpload
from tests.conftest import REPO_ROOT
from tests.seedtext import seed_text

# Serialized rollback: the flush after each test then leaves the migrations' rows (content types,
# the Editors group) to be reloaded, as the browser tests expect, whatever the order tests run in.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

UPLOAD_URL = reverse("admin:articles_importrun_upload")
# Bounded waits: long enough for a loaded 2-core machine, short enough to fail fast.
WAIT_SECONDS = 120


@pytest.fixture
def admin_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("boss", "boss@example.com", "pw"))
    return client


def zipped(count: int, *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            archive.writestr(f"batch/story-{i:04}.txt", seed_text(title=f"Story number {i}").encode())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload_zip(client: Client, data: bytes) -> ImportUpload:
    response = client.post(UPLOAD_URL, {"files": [SimpleUploadedFile("batch.zip", data)]})
    assert response.status_code == 302, response.content[:500]
    upload = ImportUpload.objects.select_related("run").get()
    assert response.url == reverse("admin:articles_importrun_progress", args=[upload.run_id])
    return upload


def wait_for(condition: Callable[[], bool], *, what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    """Return the ids of a process's children (Linux's /proc)."""
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in listing.read_text().split()] if listing.exists() else []


def alive(pid: int) -> bool:
    """Return whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state


def status(client: Client, upload: ImportUpload) -> dict:
    return client.get(reverse("admin:articles_importrun_progress_status", args=[upload.run_id])).json()


def test_a_worker_imports_an_uploaded_zip(admin_client, start_worker, settings):
    """
    GIVEN a running worker
    WHEN an editor uploads a zip of 30 seeds and a picture through the admin
    THEN the request only queues it; the worker imports it, the status reaches 31 of 31 files,
    and the run page lists each file's result with a link to the run; the spool is emptied
    """
    start_worker()

    upload = upload_zip(admin_client, zipped(30, extra={"batch/pic.png": b"\x89PNG"}))
    assert upload.expected_files == 31
    wait_for(lambda: status(admin_client, upload)["finished"], what="the upload to finish")

    final = status(admin_client, upload)
    assert (final["state"], final["processed"], final["expected"]) == ("done", 31, 31)
    assert final["counts"] == {"created": 30, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 1}
    assert Article.objects.count() == 30
    page = admin_client.get(reverse("admin:articles_importrun_progress", args=[upload.run_id]))
    rows = {row["path"]: row["result"] for row in page.context["outcomes"]}
    assert len(rows) == 31 and rows["batch.zip:batch/pic.png"] == "failed"
    assert rows["batch.zip:batch/story-0007.txt"] == "created"
    content = page.content.decode()
    assert "Story number 7" in content
    assert f'href="{reverse("admin:articles_importrun_change", args=[upload.run_id])}"' in content
    assert list(settings.ARCHIVE_UPLOAD_DIR.iterdir()) == []
    task = DBTaskResult.objects.get(id=ImportUpload.objects.get().task_id)
    assert task.status == TaskResultStatus.SUCCESSFUL


def test_a_worker_killed_mid_upload_is_replaced_and_the_upload_resumes(admin_client, start_worker, settings):
    """
    GIVEN an upload of 2,000 seeds being imported by a worker
    WHEN the worker is killed (SIGKILL) after some batches committed, and a new worker starts
    THEN the watch notices the dead attempt and queues it again; the second attempt imports the rest:
    every file has exactly one outcome, every seed one article, the counters add up, and the dead
    attempt's task is marked failed
    """
    files = 2_000
    upload = upload_zip(admin_client, zipped(files))
    first = start_worker()
    wait_for(lambda: status(admin_client, upload)["processed"] > 0, what="the first batch")
    helpers = children(first.pid)  # the importer's parse worker, forked once the run has several batches
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    # It dies with its parent: an orphan would keep the database connection and the upload's lock.
    wait_for(lambda: not any(alive(pid) for pid in helpers), what="the killed worker's parse worker to end")
    killed_at = status(admin_client, upload)
    assert killed_at["state"] == "running" and killed_at["processed"] < files, "finished before the kill"

    start_worker()
    wait_for(lambda: status(admin_client, upload)["finished"], what="the resumed upload to finish")

    final = status(admin_client, upload)
    upload.refresh_from_db()
    assert (final["state"], final["processed"], upload.attempts) == ("done", files, 2)
    assert final["counts"]["created"] == files
    assert Article.objects.count() == files
    assert ImportOutcome.objects.filter(run=upload.run).count() == files
    assert ImportOutcome.objects.filter(run=upload.run).values("path").distinct().count() == files
    statuses = sorted(DBTaskResult.objects.filter(task_path__endswith="import_upload").values_list("status", flat=True))
    assert statuses == sorted([TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL])
    assert list(settings.ARCHIVE_UPLOAD_DIR.iterdir()) == []


def test_the_worker_command_is_the_one_the_readme_names():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "manage.py db_worker" in readme
    assert Path(REPO_ROOT / "Makefile").read_text().count("db_worker") >= 1
