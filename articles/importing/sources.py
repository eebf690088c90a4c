"""Reading sources: where seed files come from and how their bytes are read, lazily.

A directory is walked one directory at a time (each sorted by name, so a run is
deterministic) and yields its files as it goes: nothing lists every file of a run.
The walk stays inside the directory it was given: a symlink leading out of it is
reported, not followed (unless the caller asks), and so is anything it cannot read.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    # A file on disk may be read later, in a parse worker (``read`` pickles): its size as it is now.
    # None: ``read`` must be called here and at once (an upload's bytes, a member of an open zip).
    size: Callable[[], int] | None = None


def normalize_key(key: str) -> str:
    """Return the canonical form of a source key (NFC, forward slashes)."""
    return unicodedata.normalize("NFC", printable(key.replace("\\", "/")))


def printable(text: str) -> str:
    """Return ``text`` with bytes that were not valid UTF-8 (in a file name) written as escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def file_source(path: Path, key: str, *, target: Path | None = None) -> Source:
    """Describe a seed file on disk; ``target``: the file a walked symlink ``path`` resolves to, read instead.

    A file named on its own is opened as named (following a link the caller chose); one found by
    a walk is opened without following a link, so a file swapped for a link after the walk checked
    it fails rather than leading outside the imported directory.
    """
    opened, follow = (path, True) if target is None else (target, False)
    read, size = partial(_read_file, opened, follow=follow), partial(_file_size, opened, follow=follow)
    return Source(path=printable(str(path)), key=normalize_key(key), read=read, size=size)


def _file_size(path: Path, *, follow: bool) -> int:
    """Return the file's size, or 0 if it cannot be stat'ed (reading it then says why)."""
    try:
        return os.stat(path, follow_symlinks=follow).st_size
    except OSError:
        return 0


def _read_file(path: Path, limit: int, *, follow: bool) -> bytes:
    """Read a regular file of at most ``limit`` bytes; refuse anything else before opening it.

    Opening a FIFO would block and reading a device would never end, so the
    file's type and size are checked first.
    """
    info = os.stat(path, follow_symlinks=follow)
    if stat.S_ISLNK(info.st_mode):
        raise SourceRejected("a symbolic link (it replaced the file after the directory was read)")
    if not stat.S_ISREG(info.st_mode):
        raise SourceRejected("not a regular file (a device, pipe or socket)")
    if info.st_size > limit:
        raise SourceRejected(f"file too large: {info.st_size:,} bytes, the limit is {limit:,} bytes")
    # O_NONBLOCK: a file swapped for a FIFO since the check is read as empty rather than waited on.
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    with os.fdopen(os.open(path, flags), "rb") as handle:
        return handle.read(limit + 1)  # a file that grew since the check is still caught by the parser


def bytes_source(data: bytes, *, key: str, path: str | None = None) -> Source:
    """Describe a seed already in memory (an upload)."""
    return Source(path=path or key, key=normalize_key(key), read=lambda limit: data)


def collect_sources(paths: Sequence[Path | str], *, follow_symlinks: bool = False) -> Iterator[Source]:
    """Return an iterator over the seed files under ``paths``; directories are searched recursively for ``*.txt``.

    Every path is checked at once (a missing one raises ``SourceNotFound`` before
    anything is imported); the files themselves are found as the iterator is consumed.
    A symlink inside a directory is followed only if it resolves inside that directory,
    unless ``follow_symlinks``; see ``directory_sources``.
    """
    checked = [Path(raw) for raw in paths]
    for path in checked:
        if not path.exists():
            raise SourceNotFound(f"{path}: no such file or directory")
    return _walk_all(checked, follow_symlinks)


def _walk_all(paths: list[Path], follow_symlinks: bool) -> Iterator[Source]:
    for path in paths:
        if path.is_dir():
            yield from directory_sources(path, follow_symlinks=follow_symlinks)
        else:
            yield file_source(path, path.name)


def directory_sources(root: Path, *, follow_symlinks: bool = False) -> Iterator[Source]:
    """Yield the seed files below ``root``, keyed by their path relative to it, directory by directory.

    What cannot be imported is yielded too, as a source that fails with the reason, so the
    run reports it by path: a directory that cannot be read, a broken symlink, a symlink
    that resolves outside ``root`` (followed only with ``follow_symlinks``), and a symlink
    to a directory being walked already (a loop).
    """
    walk = _Walk(root=root, real_root=root.resolve(), follow_symlinks=follow_symlinks)
    yield from walk.directory(root, walk.real_root, ancestors=frozenset())


@dataclass(frozen=True)
class _Walk:
    """One directory argument being walked: where it is, and whether links may lead outside it."""

    root: Path
    real_root: Path
    follow_symlinks: bool

    def directory(self, directory: Path, real: Path, *, ancestors: frozenset[Path]) -> Iterator[Source]:
        """Yield the seeds below ``directory`` (``real``: its resolved path; ``ancestors``: theirs, for loops)."""
        # Sorting needs one directory's names at once (only its seeds, sub-directories and links are kept).
        try:
            with os.scandir(directory) as entries:
                names = sorted(_wanted(entries))
        except OSError as exc:
            yield self.failure(directory, f"cannot read directory: {exc.strerror or exc}")
            return
        inside = ancestors | {real}
        for name, kind in names:
            path = directory / name
            if kind == _DIRECTORY:
                yield from self.directory(path, real / name, ancestors=inside)
            elif kind == _LINK:
                yield from self.link(path, ancestors=inside)
            else:
                yield file_source(path, self.key(path), target=path)

    def link(self, path: Path, *, ancestors: frozenset[Path]) -> Iterator[Source]:
        """Yield what the symlink ``path`` leads to, or why it is not followed."""
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links, before Python 3.13
            yield self.failure(path, f"broken symbolic link: {getattr(exc, 'strerror', None) or exc}")
            return
        if not self.follow_symlinks and not target.is_relative_to(self.real_root):
            reason = f"symbolic link to {printable(str(target))}, outside the imported directory: not followed"
            yield self.failure(path, reason + " (--follow-symlinks follows it)")
        elif target.is_dir() and target in ancestors:
            yield self.failure(path, f"symbolic link loop: {printable(str(target))} is being imported already")
        elif target.is_dir():
            yield from self.directory(path, target, ancestors=ancestors)
        else:
            yield file_source(path, self.key(path), target=target)

    def key(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def failure(self, path: Path, reason: str) -> Source:
        return rejected_source(printable(str(path)), reason, key=self.key(path))


_DIRECTORY, _FILE, _LINK = "directory", "file", "link"


def _wanted(entries: Iterable[os.DirEntry[str]]) -> Iterator[tuple[str, str]]:
    """Yield the name and kind of each entry worth a look: sub-directories, seeds, and links to either."""
    for entry in entries:
        seed = entry.name.lower().endswith(SEED_SUFFIX)
        if entry.is_symlink():
            if seed or _points_to_directory(entry):
                yield entry.name, _LINK
        elif entry.is_dir(follow_symlinks=False):
            yield entry.name, _DIRECTORY
        elif seed:
            yield entry.name, _FILE


def _points_to_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # the target cannot be looked at: the link is reported when followed
        return True


def rejected_source(name: str, reason: str, *, key: str | None = None) -> Source:
    """Describe an input that will be reported as failed with ``reason``, without being read."""

    def refuse(limit: int) -> bytes:
        raise SourceRejected(reason)

    return Source(path=name, key=normalize_key(name if key is None else key), read=refuse)
