"""Reading sources: where seed files come from and how their bytes are read, lazily.

A directory is walked one directory at a time (each sorted by name, so a run is
deterministic) and yields its files as it goes: nothing lists every file of a run.
"""

from __future__ import annotations

import io
import os
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

SEED_SUFFIX = ".txt"


class SourceNotFound(ValueError):
    """A path given to the importer does not exist."""


class SourceRejected(ValueError):
    """A source the importer refuses before parsing (an unsafe or oversized upload)."""


@dataclass(frozen=True)
class Source:
    """One seed to import: where it came from, its key, and how to read it."""

    path: str
    key: str
    read: Callable[[int], bytes]  # given the size limit; reads at most one byte past it


def normalize_key(key: str) -> str:
    """Return the canonical form of a source key (NFC, forward slashes)."""
    return unicodedata.normalize("NFC", printable(key.replace("\\", "/")))


def printable(text: str) -> str:
    """Return ``text`` with bytes that were not valid UTF-8 (in a file name) written as escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def file_source(path: Path, key: str) -> Source:
    """Describe a seed file on disk."""
    return Source(path=printable(str(path)), key=normalize_key(key), read=partial(_read_file, path))


def _read_file(path: Path, limit: int) -> bytes:
    """Read a regular file of at most ``limit`` bytes; refuse anything else before opening it.

    Opening a FIFO would block and reading a device would never end, so the
    file's type and size are checked first (following symlinks).
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise SourceRejected("not a regular file (a device, pipe or socket)")
    if info.st_size > limit:
        raise SourceRejected(f"file too large: {info.st_size:,} bytes, the limit is {limit:,} bytes")
    with path.open("rb") as handle:
        return handle.read(limit + 1)  # a file that grew since the check is still caught by the parser


def bytes_source(data: bytes, *, key: str, path: str | None = None) -> Source:
    """Describe a seed already in memory (an upload)."""
    return Source(path=path or key, key=normalize_key(key), read=lambda limit: data)


def collect_sources(paths: Sequence[Path | str]) -> Iterator[Source]:
    """Return an iterator over the seed files under ``paths``; directories are searched recursively for ``*.txt``.

    Every path is checked at once (a missing one raises ``SourceNotFound`` before
    anything is imported); the files themselves are found as the iterator is consumed.
    """
    checked = [Path(raw) for raw in paths]
    for path in checked:
        if not path.exists():
            raise SourceNotFound(f"{path}: no such file or directory")
    return _walk_all(checked)


def _walk_all(paths: list[Path]) -> Iterator[Source]:
    for path in paths:
        if path.is_dir():
            yield from directory_sources(path)
        else:
            yield file_source(path, path.name)


def directory_sources(root: Path) -> Iterator[Source]:
    """Yield the seed files below ``root``, keyed by their path relative to it, directory by directory."""
    yield from _walk(root, root)


def _walk(root: Path, directory: Path) -> Iterator[Source]:
    # Sorting needs one directory's names at once (only its seeds and sub-directories are kept);
    # symlinked directories are not followed, so a link cannot make a loop.
    with os.scandir(directory) as entries:
        names = sorted(_wanted(entries))
    for name, is_dir in names:
        path = directory / name
        if is_dir:
            yield from _walk(root, path)
        elif not path.is_dir():  # a symlink to a directory named *.txt
            yield file_source(path, path.relative_to(root).as_posix())


def _wanted(entries) -> Iterator[tuple[str, bool]]:
    for entry in entries:
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_dir or entry.name.lower().endswith(SEED_SUFFIX):
            yield entry.name, is_dir


def rejected_source(name: str, reason: str) -> Source:
    """Describe an input that will be reported as failed with ``reason``, without being read."""

    def refuse(limit: int) -> bytes:
        raise SourceRejected(reason)

    return Source(path=name, key=normalize_key(name), read=refuse)


def upload_sources(uploads: Iterable[tuple[str, bytes]], *, max_bytes: int, max_files: int = 10_000) -> list[Source]:
    """Turn uploaded files (seed ``.txt`` files or ``.zip`` archives of them) into sources.

    Nothing is written to disk: members are read into memory, each capped at
    ``max_bytes`` before it is decompressed, and a member whose path is absolute
    or climbs out of the archive (``..``) is refused, never followed.
    """
    sources: list[Source] = []
    for name, data in uploads:
        base = PurePosixPath(name.replace("\\", "/")).name or "upload"
        if base.lower().endswith(".zip"):
            sources.extend(_zip_sources(base, data, max_bytes=max_bytes, max_files=max_files - len(sources)))
        elif base.lower().endswith(SEED_SUFFIX):
            sources.append(bytes_source(data, key=base))
        else:
            sources.append(rejected_source(base, "not a seed file: upload .txt files or a .zip of them"))
    return sources


def _zip_sources(name: str, data: bytes, *, max_bytes: int, max_files: int) -> list[Source]:
    """Read the ``.txt`` members of an uploaded zip archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        return [rejected_source(name, f"not a valid zip archive: {exc}")]
    if len(members) > max_files:
        return [rejected_source(name, f"too many files in the archive: {len(members)}, the limit is {max_files}")]
    return [_zip_member_source(archive, name, member, max_bytes) for member in members]


def _zip_member_source(archive: zipfile.ZipFile, name: str, member: zipfile.ZipInfo, max_bytes: int) -> Source:
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
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise SourceRejected(f"cannot read from the archive: {exc}") from exc

    return Source(path=label, key=normalize_key(path.as_posix()), read=read)
