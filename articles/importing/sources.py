"""Reading sources: where seed files come from and how their bytes are read, lazily.

A directory is walked one directory at a time (each sorted by name, so a run is
deterministic) and yields its files as it goes: nothing lists every file of a run.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

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
