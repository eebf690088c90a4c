"""The upload service: spooling, lazy zip reading with bounded memory, limits, the tasks and their cleanup."""

from __future__ import annotations

import fcntl
import io
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from articles import importing, uploads
from articles.models import Article, ImportOutcome, ImportRun, ImportUpload
from tests.seedtext import seed_text

LIMIT = 5_000


def seed(title: str = "Town council approves new bridge", **parts) -> bytes:
    return seed_text(title=title, **parts).encode()


def spool(directory: Path, name: str, data: bytes) -> uploads.SpooledFile:
    """Put ``data`` in the spool as the handler would, under a random name."""
    handler = uploads.SpoolUploadHandler(max_bytes=10**9, max_seed_bytes=10**9, directory=directory)
    handler.new_file("files", name, "application/octet-stream", len(data))
    handler.receive_data_chunk(data, 0)
    return handler.file_complete(len(data)).spooled


def zipped(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def results(directory: Path, *files: uploads.SpooledFile, max_bytes: int = LIMIT, **kwargs) -> dict[str, str]:
    """Read every source of ``files``: its bytes' length, or the reason it was refused."""
    found = {}
    for source in uploads.spooled_sources(files, directory=directory, max_bytes=max_bytes, **kwargs):
        try:
            found[source.path] = len(source.read(max_bytes))
        except ValueError as exc:
            found[source.path] = str(exc)
    return found


# --- The handler: streaming to the spool ------------------------------------------------------


def test_the_handler_spools_under_a_random_name_and_stores_no_more_than_the_limits(tmp_path):
    handler = uploads.SpoolUploadHandler(max_bytes=10_000, max_seed_bytes=100, directory=tmp_path)
    spooled = []
    for name, size in [("../../etc/story.txt", 50), ("big.txt", 3_000), ("photo.png", 200), ("batch.zip", 2_000)]:
        handler.new_file("files", name, "application/octet-stream", size)
        for start in range(0, size, 64):
            handler.receive_data_chunk(b"x" * min(64, size - start), start)
        spooled.append(handler.file_complete(size).spooled)

    assert [(f.name, f.size, f.stored) for f in spooled] == [
        ("story.txt", 50, 50),
        ("big.txt", 3_000, 101),  # one byte past the limit: refused by its size, never read further
        ("photo.png", 200, 0),  # refused by its name: nothing kept
        ("batch.zip", 2_000, 2_000),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.spool for f in spooled)
    assert all(f.spool.startswith(handler.token) and "story" not in f.spool for f in spooled)
    assert [(tmp_path / f.spool).stat().st_size for f in spooled] == [50, 101, 0, 2_000]

    handler.discard()
    assert list(tmp_path.iterdir()) == []


def test_the_handler_stops_at_the_total_cap_and_deletes_what_it_wrote(tmp_path):
    handler = uploads.SpoolUploadHandler(max_bytes=1_000, max_seed_bytes=10_000, directory=tmp_path)
    handler.new_file("files", "a.txt", "text/plain", 600)
    handler.receive_data_chunk(b"a" * 600, 0)
    handler.file_complete(600)
    handler.new_file("files", "b.txt", "text/plain", 600)

    with pytest.raises(uploads.StopUpload):
        handler.receive_data_chunk(b"b" * 600, 0)

    assert handler.exceeded
    assert list(tmp_path.iterdir()) == []


def test_released_files_are_not_discarded(tmp_path):
    spooled = spool(tmp_path, "a.txt", b"text")
    handler = uploads.SpoolUploadHandler(max_bytes=100, max_seed_bytes=100, directory=tmp_path)
    handler.new_file("files", "b.txt", "text/plain", 4)
    handler.receive_data_chunk(b"text", 0)
    handler.file_complete(4)
    handler.release()
    handler.discard()

    assert len(list(tmp_path.iterdir())) == 2
    assert (tmp_path / spooled.spool).read_bytes() == b"text"


# --- Reading the spool ------------------------------------------------------------------------------


def test_zip_members_are_sources_and_unsafe_members_are_refused(tmp_path):
    archive = zipped(
        {
            "a/one.txt": b"one",
            "two.TXT": b"two",
            "a/pic.png": b"\x89PNG",
            "../evil.txt": b"evil",
            "/abs.txt": b"abs",
            "big.txt": b"x" * (LIMIT + 1),
        }
    )

    found = results(tmp_path, spool(tmp_path, "batch.zip", archive))

    assert found == {
        "batch.zip:a/one.txt": 3,
        "batch.zip:two.TXT": 3,
        "batch.zip:a/pic.png": "not a seed file: only .txt members are imported",
        "batch.zip:../evil.txt": "unsafe path inside the archive",
        "batch.zip:/abs.txt": "unsafe path inside the archive",
        "batch.zip:big.txt": f"file too large: {LIMIT + 1:,} bytes, the limit is {LIMIT:,} bytes",
    }


def test_plain_files_are_keyed_by_their_name_and_refused_by_size_or_kind(tmp_path):
    files = [
        spool(tmp_path, "story.txt", b"a story"),
        uploads.SpooledFile(name="huge.txt", spool=spool(tmp_path, "x", b"y" * 11).spool, size=9_000_000, stored=11),
        spool(tmp_path, "photo.png", b"\x89PNG"),
        spool(tmp_path, "broken.zip", b"PK\x03\x04 not really"),
    ]

    found = results(tmp_path, *files)

    assert found["story.txt"] == 7
    assert found["huge.txt"] == f"file too large: 9,000,000 bytes, the limit is {LIMIT:,} bytes"
    assert found["photo.png"] == "not a seed file: upload .txt files or a .zip of them"
    assert found["broken.zip"].startswith("not a valid zip archive")


def test_a_lying_zip_header_cannot_exceed_the_size_limit(tmp_path):
    """
    GIVEN a zip member twice the limit whose headers claim 10 bytes
    WHEN it is read
    THEN it passes the header check but the read stops at the limit and is refused, never decompressed whole
    """
    archive = zipped({"a.txt": b"word " * (LIMIT // 2)})
    patched = archive.replace((LIMIT // 2 * 5).to_bytes(4, "little"), (10).to_bytes(4, "little"))

    found = results(tmp_path, spool(tmp_path, "liar.zip", patched))

    assert found["liar.zip:a.txt"].startswith("cannot read from the archive")


def test_too_many_members_refuse_the_archive_before_reading_it(tmp_path):
    files = [spool(tmp_path, "a.txt", b"a"), spool(tmp_path, "many.zip", zipped({f"{i}.txt": b"x" for i in range(5)}))]

    found = results(tmp_path, *files, max_files=4)

    assert found == {"a.txt": 1, "many.zip": "too many files in the archive: 5, the limit is 3"}


def test_a_zip_declaring_a_huge_directory_is_refused_before_it_is_loaded(tmp_path, monkeypatch):
    archive = bytearray(zipped({"a.txt": b"a"}))
    end = archive.rfind(b"PK\x05\x06")
    archive[end + 10 : end + 12] = (60_000).to_bytes(2, "little")
    monkeypatch.setattr(zipfile, "ZipFile", None)  # never opened

    found = results(tmp_path, spool(tmp_path, "bomb.zip", bytes(archive)), max_files=10_000)

    assert found == {"bomb.zip": "too many files in the archive: 60000, the limit is 10000"}


def test_zip_members_are_read_one_at_a_time_in_bounded_memory(tmp_path):
    """
    GIVEN a small zip of twenty 2 MB members (40 MB in all, a few hundred KB compressed)
    WHEN its sources are read one after the other, as the importer does
    THEN nothing is read before its turn, and the peak of memory is about one member, not the sum
    """
    member = 2 * 1024 * 1024
    archive = zipped({f"story-{i:02}.txt": (b"The council met on %d. " % i * member)[:member] for i in range(20)})
    spooled = spool(tmp_path, "batch.zip", archive)
    assert len(archive) < member  # the whole upload is smaller than one member

    tracemalloc.start()
    try:
        sizes = [len(s.read(member)) for s in uploads.spooled_sources([spooled], directory=tmp_path, max_bytes=member)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert sizes == [member] * 20
    assert peak < 2.5 * member, f"peak {peak:,} bytes for members of {member:,}"


# --- The tasks -------------------------------------------------------------------------------------


@pytest.fixture
def spool_dir(settings) -> Path:
    return uploads.upload_dir()


def queue(spool_dir, *files: tuple[str, bytes], user=None, **options) -> ImportUpload:
    spooled = [spool(spool_dir, name, data) for name, data in files]
    token = spooled[0].spool.split("-")[0]
    return uploads.enqueue_upload(files=spooled, token=token, user=user, **options)


@pytest.mark.django_db
def test_an_upload_is_imported_by_the_task_and_its_spool_deleted(spool_dir, admin_user):
    """
    GIVEN a seed and a zip of two seeds in the spool
    WHEN they are queued (the immediate backend runs the task at once)
    THEN the run created up front has their articles and outcomes, the upload is done, the spool is empty
    """
    upload = queue(
        spool_dir,
        ("one.txt", seed("One")),
        ("batch.zip", zipped({"two.txt": seed("Two"), "three.txt": seed("Three")})),
        user=admin_user,
    )

    assert (upload.state, upload.expected_files, upload.attempts, upload.error) == ("done", 3, 1, "")
    assert upload.task_id
    run = upload.run
    assert (run.trigger, run.user, run.paths, run.created, run.finished_at is not None) == (
        "admin",
        admin_user,
        ["one.txt", "batch.zip"],
        3,
        True,
    )
    assert sorted(Article.objects.values_list("source_key", flat=True)) == ["one.txt", "three.txt", "two.txt"]
    assert list(spool_dir.iterdir()) == []
    assert uploads.upload_status(upload) | {"counts": None} == {
        "state": "done",
        "state_label": "done",
        "finished": True,
        "dry_run": False,
        "processed": 3,
        "expected": 3,
        "counts": None,
        "error": "",
    }


@pytest.mark.django_db
def test_a_failing_import_marks_the_upload_failed_and_deletes_its_spool(spool_dir, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(uploads, "import_sources", explode)

    upload = queue(spool_dir, ("one.txt", seed("One")))

    assert (upload.state, upload.error) == ("failed", "RuntimeError: disk on fire")
    assert upload.run.finished_at is not None
    assert list(spool_dir.iterdir()) == []


@pytest.mark.django_db
def test_a_resumed_upload_skips_the_files_already_recorded(spool_dir):
    """
    GIVEN an upload of three seeds whose first attempt recorded one file's outcome before its worker died
    WHEN the task runs again
    THEN only the two others are imported, and the run's counters add up to three
    """
    files = [spool(spool_dir, f"{name}.txt", seed(name.title())) for name in ("one", "two", "three")]
    run = ImportRun.objects.create(trigger="admin", paths=["one.txt", "two.txt", "three.txt"], created=1)
    ImportOutcome.objects.create(run=run, path="one.txt", source_key="one.txt", result="created")
    upload = ImportUpload.objects.create(
        run=run, token="t", files=[uploads.asdict(f) for f in files], expected_files=3, attempts=1, state="running"
    )

    uploads.import_upload.call(upload_id=upload.pk)

    upload.refresh_from_db()
    run.refresh_from_db()
    assert (upload.state, upload.attempts) == ("done", 2)
    assert (run.created, run.total) == (3, 3)
    assert sorted(Article.objects.values_list("source_key", flat=True)) == ["three.txt", "two.txt"]
    assert list(spool_dir.iterdir()) == []


@pytest.mark.django_db
def test_the_watch_leaves_a_live_attempt_alone_and_requeues_a_dead_one(spool_dir):
    """
    GIVEN an upload whose attempt 1 is running
    WHEN the watch looks while the attempt's lock is held, then after it was released (its process died)
    THEN it first leaves it alone, then queues it again, and the new attempt imports it
    """
    spooled = spool(spool_dir, "one.txt", seed("One"))
    run = ImportRun.objects.create(trigger="admin", paths=["one.txt"])
    upload = ImportUpload.objects.create(
        run=run, token="tok", files=[uploads.asdict(spooled)], expected_files=1, attempts=1, state="running"
    )
    fd = os.open(spool_dir / "tok.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what the running attempt holds

    assert uploads.watch_upload.call(upload_id=upload.pk, attempt=1) == "running"
    os.close(fd)  # the process died: the kernel releases its lock
    assert uploads.watch_upload.call(upload_id=upload.pk, attempt=1) == "requeued"

    upload.refresh_from_db()
    assert (upload.state, upload.attempts) == ("done", 2)
    assert Article.objects.get().source_key == "one.txt"
    assert uploads.watch_upload.call(upload_id=upload.pk, attempt=1) == "nothing to do"


@pytest.mark.django_db
def test_an_upload_whose_worker_keeps_dying_is_marked_failed(spool_dir, settings):
    settings.ARCHIVE_UPLOAD_MAX_ATTEMPTS = 2
    spooled = spool(spool_dir, "one.txt", seed("One"))
    run = ImportRun.objects.create(trigger="admin", paths=["one.txt"])
    upload = ImportUpload.objects.create(
        run=run, token="tok", files=[uploads.asdict(spooled)], expected_files=1, attempts=2, state="running"
    )

    assert uploads.watch_upload.call(upload_id=upload.pk, attempt=2) == "failed"

    upload.refresh_from_db()
    assert upload.state == "failed"
    assert upload.error == "the worker stopped 2 times while importing this upload; upload it again"
    assert list(spool_dir.iterdir()) == []
    assert not Article.objects.exists()


def big_zip(count: int, *, member: int, name: str) -> bytes:
    paragraph = "The council met again about the bridge and its cost. " * 40
    stories = {}
    for i in range(count):
        text = seed_text(title=f"Big {name} story {i}", paragraphs=(paragraph,) * (member // len(paragraph)))
        stories[f"{name}/{i}.txt"] = text.encode()[:member]
    return zipped(stories)


def import_peak(spool_dir: Path, data: bytes) -> tuple[int, ImportUpload]:
    """Return the peak of Python memory while the task imports ``data`` as an uploaded zip."""
    spooled = spool(spool_dir, "big.zip", data)
    tracemalloc.start()
    try:
        upload = uploads.enqueue_upload(files=[spooled], token=spooled.spool.split("-")[0], user=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, upload


@pytest.mark.django_db
def test_importing_many_large_members_costs_about_as_much_memory_as_one(spool_dir, monkeypatch):
    """
    GIVEN batches that end at 1 MB of text, a zip of one 1 MB seed, then a zip of twelve (12 MB of
    text, a few KB compressed)
    WHEN each is imported by the task
    THEN the twelve peak at well under twice the memory of the one: members are read, parsed and
    written a batch at a time, and the run keeps no article's text once it is written
    """
    member = 1024 * 1024
    monkeypatch.setattr(importing.runs, "BATCH_BYTES", member)
    one, _ = import_peak(spool_dir, big_zip(1, member=member, name="one"))
    twelve, upload = import_peak(spool_dir, big_zip(12, member=member, name="twelve"))

    assert upload.state == "done" and upload.run.created == 12
    assert twelve < 2 * one, f"{twelve:,} bytes for twelve members, {one:,} for one"


@pytest.mark.django_db
def test_prune_upload_spool_deletes_only_old_files_no_upload_needs(spool_dir):
    """
    GIVEN an old orphan file, a fresh orphan, and the old files of a queued upload
    WHEN prune_upload_spool runs (first as a dry run)
    THEN only the old orphan goes
    """
    orphan, fresh = spool_dir / "dead-0.part", spool_dir / "fresh-0.part"
    orphan.write_bytes(b"x")
    fresh.write_bytes(b"x")
    queued = spool(spool_dir, "a.txt", b"a")
    run = ImportRun.objects.create(trigger="admin")
    ImportUpload.objects.create(run=run, token="tok", files=[uploads.asdict(queued)])
    day_ago = time.time() - 25 * 3600
    for path in (orphan, spool_dir / queued.spool):
        os.utime(path, (day_ago, day_ago))

    out = io.StringIO()
    call_command("prune_upload_spool", "--dry-run", "-v", "2", stdout=out)
    assert "would delete dead-0.part" in out.getvalue() and orphan.exists()

    call_command("prune_upload_spool", stdout=io.StringIO())

    assert sorted(p.name for p in spool_dir.iterdir()) == sorted(["fresh-0.part", queued.spool])
