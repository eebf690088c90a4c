"""Admin uploads in the background: spool the files, record the upload, import them in a task.

The request only streams the files to a private spool directory (random names,
capped while they arrive) and queues a django-tasks task; the worker
(``manage.py db_worker``) imports them into the run created up front, reading a
zip one member at a time, so its memory is bounded by the largest member.

A worker that dies mid-import is noticed by a watch task: the attempt holds an
``flock`` on the upload's lock file for as long as it runs, which the kernel
releases when the process dies, however it dies. The watch then queues the
upload again; the new attempt skips the files whose outcomes the run already
recorded (a batch's articles and outcomes commit together), and after
``ARCHIVE_UPLOAD_MAX_ATTEMPTS`` attempts the upload is marked failed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, TypedDict

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend, task

from articles import conf
from articles.importing import (
    SEED_SUFFIX,
    ImportDefaults,
    ImportReport,
    Source,
    SourceRejected,
    import_sources,
    normalize_key,
    rejected_source,
    start_run,
    stored_path,
)
from articles.models import ImportOutcome, ImportRun, ImportUpload

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

logger = logging.getLogger(__name__)
ZIP_SUFFIX = ".zip"
# At most this many seeds in one upload, zip members included.
MAX_FILES = 10_000
FINISHED = (ImportUpload.State.DONE, ImportUpload.State.FAILED)
# The end of a zip's central directory: signature, then the entry count at byte 10.
_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SEARCH = 22 + 65_535


@dataclass(frozen=True)
class SpooledFile:
    """One uploaded file in the spool: the name the client gave, its full size, and the spool file holding it.

    ``stored`` is less than ``size`` when only the start was kept: a seed past the
    size limit is refused by its size, so the rest is never written.
    """

    name: str
    spool: str
    size: int
    stored: int


def upload_dir() -> Path:
    """Return the spool directory, created private to this user."""
    directory = conf.upload_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def base_name(name: str) -> str:
    """Return the file name an upload is known by: the client's name without any folder."""
    return PurePosixPath(name.replace("\\", "/")).name or "upload"


def _kind(name: str) -> str:
    lowered = name.lower()
    return "zip" if lowered.endswith(ZIP_SUFFIX) else "seed" if lowered.endswith(SEED_SUFFIX) else "other"


# --- Receiving: streaming the request's files into the spool ------------------------------


class SpooledUpload(UploadedFile[bytes]):
    """An uploaded file already written to the spool; the form sees its name and size only."""

    def __init__(self, spooled: SpooledFile, *, content_type: str | None, charset: str | None) -> None:
        super().__init__(BytesIO(), spooled.name, content_type, spooled.size, charset)
        self.spooled = spooled


class SpoolUploadHandler(FileUploadHandler):
    """Stream each uploaded file to a new, randomly named file in the spool, never into memory.

    Stops once the files pass ``max_bytes`` in all (``exceeded`` then tells the
    view to refuse the upload; the rest of the body is read and thrown away) and
    stores no more of a seed than ``max_seed_bytes`` plus one byte, nor anything
    of a file the importer would refuse by its name. Every file it wrote is
    deleted by ``discard`` unless ``release`` handed them on first.
    """

    def __init__(
        self, request: HttpRequest | None = None, *, max_bytes: int, max_seed_bytes: int, directory: Path
    ) -> None:
        super().__init__(request)
        self.max_bytes, self.max_seed_bytes, self.directory = max_bytes, max_seed_bytes, directory
        self.token = secrets.token_hex(16)
        self.received = 0
        self.exceeded = False
        self.written: list[Path] = []
        self.handle: BinaryIO | None = None

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.name = base_name(self.file_name or "")
        kind = _kind(self.name)
        self.keep = {"zip": self.max_bytes, "seed": self.max_seed_bytes + 1, "other": 0}[kind]
        path = self.directory / f"{self.token}-{len(self.written)}.part"
        self.written.append(path)
        self.handle = open(path, "xb")  # noqa: SIM115 - closed in file_complete or discard
        self.stored = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            self.discard()
            raise StopUpload(connection_reset=False)
        kept = raw_data[: max(0, self.keep - self.stored)]
        assert self.handle is not None, "new_file opened it"
        self.handle.write(kept)
        self.stored += len(kept)

    def file_complete(self, file_size: int) -> SpooledUpload:
        assert self.handle is not None, "new_file opened it"
        self.handle.close()
        self.handle = None
        spooled = SpooledFile(name=self.name, spool=self.written[-1].name, size=file_size, stored=self.stored)
        return SpooledUpload(spooled, content_type=self.content_type, charset=self.charset)

    def upload_interrupted(self) -> None:
        self.discard()

    def release(self) -> None:
        """Hand the spooled files on: ``discard`` no longer deletes them."""
        self.written = []

    def discard(self) -> None:
        """Delete every file this upload spooled."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written = []


# --- Queueing -------------------------------------------------------------------------------


def enqueue_upload(
    *,
    files: Sequence[SpooledFile],
    token: str,
    user: User | None,
    dry_run: bool = False,
    replace_existing: bool = False,
    defaults: ImportDefaults | None = None,
) -> ImportUpload:
    """Record the upload and its import run, then queue the task that imports it.

    ``defaults`` (the publisher and author for files that have none) are recorded
    on the run, which the task imports with them.

    The task is queued in the same transaction (the database backend stores it
    in a table), so a worker never sees an upload that was not committed. With
    the immediate backend the import has run when this returns.
    """
    directory = upload_dir()
    expected = sum(1 for _ in spooled_sources(files, directory=directory))
    with transaction.atomic():
        run = start_run(
            paths=[f.name for f in files],
            trigger=ImportRun.Trigger.ADMIN,
            user=user,
            dry_run=dry_run,
            defaults=defaults,
        )
        upload = ImportUpload.objects.create(
            run=run,
            token=token,
            files=[asdict(f) for f in files],
            expected_files=expected,
            replace_existing=replace_existing,
        )
        _queue(upload)
    upload.refresh_from_db()
    return upload


def _queue(upload: ImportUpload) -> None:
    result = import_upload.enqueue(upload_id=upload.pk)
    # The immediate backend has already run the task: it may have finished the upload.
    ImportUpload.objects.filter(pk=upload.pk).update(task_id=str(result.id))


def _spooled_files(upload: ImportUpload) -> list[SpooledFile]:
    return [SpooledFile(**item) for item in upload.files]


# --- Reading the spool lazily -----------------------------------------------------------------


def spooled_sources(
    files: Iterable[SpooledFile], *, directory: Path, max_bytes: int | None = None, max_files: int = MAX_FILES
) -> Iterator[Source]:
    """Yield the seeds of spooled files one at a time; nothing is read until a source's ``read``.

    A zip is opened on its spool file and yields one source per member; a member
    whose path is absolute or climbs out of the archive (``..``) is refused, never
    followed, and one larger than ``max_bytes`` is refused by its header before
    anything is decompressed.
    """
    max_bytes = max_bytes or conf.max_seed_bytes()
    count = 0
    for spooled in files:
        path = directory / PurePosixPath(spooled.spool).name  # the spool's own name, never a path
        kind = _kind(spooled.name)
        if kind == "zip":
            members = _zip_sources(path, spooled.name, max_bytes=max_bytes, max_files=max_files - count)
        elif kind == "seed":
            members = iter([_seed_source(path, spooled, max_bytes)])
        else:
            members = iter([rejected_source(spooled.name, "not a seed file: upload .txt files or a .zip of them")])
        for source in members:
            count += 1
            yield source


def _seed_source(path: Path, spooled: SpooledFile, max_bytes: int) -> Source:
    if spooled.size > max_bytes:
        return rejected_source(
            spooled.name, f"file too large: {spooled.size:,} bytes, the limit is {max_bytes:,} bytes"
        )

    def read(limit: int) -> bytes:
        with path.open("rb") as handle:
            return handle.read(min(limit, max_bytes) + 1)

    return Source(path=spooled.name, key=normalize_key(spooled.name), read=read)


def _zip_sources(path: Path, name: str, *, max_bytes: int, max_files: int) -> Iterator[Source]:
    """Yield the members of the zip at ``path``, keeping the archive open only while they are read."""
    entries = _zip_entry_count(path)
    if entries is not None and entries > 2 * max_files:  # refused before its directory is loaded
        yield rejected_source(name, f"too many files in the archive: {entries}, the limit is {max_files}")
        return
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield rejected_source(name, f"not a valid zip archive: {exc}")
        return
    with archive:
        if len(members) > max_files:
            yield rejected_source(name, f"too many files in the archive: {len(members)}, the limit is {max_files}")
            return
        for member in members:
            yield _member_source(archive, name, member, max_bytes)


def _zip_entry_count(path: Path) -> int | None:
    """Return the entry count a zip's end record declares, or None when there is no such record."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _EOCD_SEARCH))
        tail = handle.read()
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) < at + 12:
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


def _member_source(archive: zipfile.ZipFile, name: str, member: zipfile.ZipInfo, max_bytes: int) -> Source:
    path = PurePosixPath(member.filename.replace("\\", "/"))
    label = f"{name}:{member.filename}"
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return rejected_source(label, "unsafe path inside the archive")
    if path.suffix.lower() != SEED_SUFFIX:
        return rejected_source(label, "not a seed file: only .txt members are imported")
    if member.file_size > max_bytes:
        return rejected_source(label, f"file too large: {member.file_size:,} bytes, the limit is {max_bytes:,} bytes")

    def read(limit: int) -> bytes:
        try:
            with archive.open(member) as handle:
                return handle.read(min(limit, max_bytes) + 1)  # never more than the limit, whatever the header claimed
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
            raise SourceRejected(f"cannot read from the archive: {exc}") from exc

    return Source(path=label, key=normalize_key(path.as_posix()), read=read)


# --- The tasks -----------------------------------------------------------------------------------


@task()
def import_upload(upload_id: int) -> dict[str, int] | None:
    """Import a spooled upload into its run, resuming after the files an earlier attempt recorded."""
    upload = ImportUpload.objects.select_related("run", "run__user").filter(pk=upload_id).first()
    if upload is None or upload.is_finished:
        return None
    with _attempt_lock(upload, create=True) as held:
        if not held:  # another attempt is alive: its watch looks after it
            return None
        attempt = _begin_attempt(upload)
        try:
            report = _run_import(upload)
        except Exception as exc:
            logger.exception("Upload %s failed", upload.pk)
            _finish(upload, state=ImportUpload.State.FAILED, error=f"{type(exc).__name__}: {exc}")
            raise
        _finish(upload, state=ImportUpload.State.DONE)
    logger.info("Upload %s imported %s (attempt %s)", upload.pk, report.counts, attempt)
    return report.counts


@task()
def watch_upload(upload_id: int, attempt: int) -> str:
    """Look after one attempt at an upload: queue it again if its worker died, or look again later."""
    upload = ImportUpload.objects.filter(pk=upload_id).first()
    if upload is None or upload.is_finished or upload.attempts != attempt:
        return "nothing to do"
    with _attempt_lock(upload, create=False) as free:
        if not free:
            _watch_later(upload)
            return "running"
    _abandon_task(upload.task_id)
    if upload.attempts >= conf.upload_max_attempts():
        error = f"the worker stopped {upload.attempts} times while importing this upload; upload it again"
        _finish(upload, state=ImportUpload.State.FAILED, error=error)
        return "failed"
    logger.warning("Upload %s: the worker of attempt %s stopped; queueing it again", upload.pk, attempt)
    with transaction.atomic():
        ImportUpload.objects.filter(pk=upload.pk).update(state=ImportUpload.State.QUEUED)
        _queue(upload)
    return "requeued"


def _run_import(upload: ImportUpload) -> ImportReport:
    run = upload.run
    # Files an earlier attempt recorded (a dry run records all of them at its end, at once) are skipped.
    done = set(ImportOutcome.objects.filter(run=run).values_list("path", flat=True))
    sources = spooled_sources(_spooled_files(upload), directory=upload_dir())
    return import_sources(
        sources=(source for source in sources if stored_path(source.path) not in done),
        run=run,
        dry_run=run.dry_run,
        trigger=run.trigger,
        user=run.user,
        replace_existing=upload.replace_existing,
    )


@transaction.atomic
def _begin_attempt(upload: ImportUpload) -> int:
    """Count the attempt and queue its watch together: no running attempt is ever left unwatched."""
    upload.attempts += 1
    upload.state = ImportUpload.State.RUNNING
    upload.save(update_fields=["attempts", "state"])
    _watch_later(upload)
    return upload.attempts


def _watch_later(upload: ImportUpload) -> None:
    """Queue the watch of the upload's current attempt, where the backend can defer a task."""
    if not default_task_backend.supports_defer:  # the immediate backend: the attempt runs in this process
        return
    later = timezone.now() + timedelta(seconds=conf.upload_watch_seconds())
    watch_upload.using(run_after=later).enqueue(upload_id=upload.pk, attempt=upload.attempts)


def _finish(upload: ImportUpload, *, state: str, error: str = "") -> None:
    """Record how the upload ended and delete its spooled files."""
    now = timezone.now()
    ImportUpload.objects.filter(pk=upload.pk).update(state=state, error=error, finished_at=now)
    ImportRun.objects.filter(pk=upload.run_id, finished_at=None).update(finished_at=now)
    upload.state, upload.error, upload.finished_at = state, error, now
    directory = upload_dir()
    for spooled in _spooled_files(upload):
        (directory / PurePosixPath(spooled.spool).name).unlink(missing_ok=True)
    _lock_path(upload).unlink(missing_ok=True)


def _lock_path(upload: ImportUpload) -> Path:
    return upload_dir() / f"{PurePosixPath(upload.token).name}.lock"


# Lock files this process holds: a forked child (the importer's parse worker) closes its copies at
# once, or it would keep the lock alive after this process died and the watch would wait forever.
_held_locks: set[int] = set()


def _close_held_locks() -> None:
    for fd in _held_locks:
        with suppress(OSError):
            os.close(fd)
    _held_locks.clear()


os.register_at_fork(after_in_child=_close_held_locks)


@contextmanager
def _attempt_lock(upload: ImportUpload, *, create: bool) -> Iterator[bool]:
    """Hold the upload's lock file while the block runs; yield False if a live process holds it."""
    try:
        fd = os.open(_lock_path(upload), os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:  # no attempt ever held it, or the last one finished
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        _held_locks.add(fd)
        yield True
    finally:
        _held_locks.discard(fd)
        os.close(fd)  # releases the lock


def _abandon_task(task_id: str) -> None:
    """Mark the task of a dead attempt failed, so the task list does not show it running forever."""
    from django_tasks_db.models import DBTaskResult

    with suppress(ValidationError, ValueError, DBTaskResult.DoesNotExist):
        result = DBTaskResult.objects.get(id=task_id, status=TaskResultStatus.RUNNING)
        result.set_failed(WorkerStopped("the worker stopped during this task; the upload was queued again"))


class WorkerStopped(RuntimeError):
    """The worker running an upload's import stopped before it finished."""


# --- Housekeeping -----------------------------------------------------------------------------------


def stale_spool_files(*, older_than: timedelta) -> list[Path]:
    """Return the spool's files that no unfinished upload needs and that are older than ``older_than``.

    Only a web process that died in the middle of receiving an upload leaves such
    files behind: a finished upload deletes its own.
    """
    directory = upload_dir()
    needed = set()
    for token, files in ImportUpload.objects.exclude(state__in=FINISHED).values_list("token", "files"):
        needed.add(f"{token}.lock")
        needed.update(item["spool"] for item in files)
    cutoff = (timezone.now() - older_than).timestamp()
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and path.name not in needed and path.stat().st_mtime < cutoff
    )


# --- Reading the progress -------------------------------------------------------------------------


class UploadStatus(TypedDict):
    """An upload's progress, as ``upload_status`` returns it (and the progress page's script reads it)."""

    state: str
    state_label: str
    finished: bool
    dry_run: bool
    processed: int
    expected: int
    counts: dict[str, int]
    error: str


def upload_status(upload: ImportUpload) -> UploadStatus:
    """Return what the progress page shows: the state, files done of those expected, counts by outcome."""
    run = upload.run
    counts: dict[str, int] = {
        name: getattr(run, name) for name in ("created", "updated", "unchanged", "duplicates", "failed")
    }
    return {
        "state": upload.state,
        "state_label": upload.get_state_display(),
        "finished": upload.is_finished,
        "dry_run": run.dry_run,
        "processed": run.total,
        "expected": upload.expected_files,
        "counts": counts,
        "error": upload.error,
    }
