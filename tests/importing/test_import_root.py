"""What an import reads: only the directory it was given (symlinks), and a reported failure for what it cannot read."""

from __future__ import annotations

import errno
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles import importing
from articles.models import Article, ImportOutcome
from tests.importing.test_import_service import write
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def deny(monkeypatch):
    """Return a function that makes a path unreadable.

    ``chmod 000`` does it for everyone but root, whom permissions do not stop (as in this
    machine's test runs), so the OS calls that read the path are also made to fail as they would.
    """
    denied: set[str] = set()
    real_scandir, real_open = os.scandir, os.open

    def refuse(path) -> None:
        if os.fspath(path) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    def scandir(path="."):
        refuse(path)
        return real_scandir(path)

    def open_(path, flags, *args, **kwargs):
        refuse(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)

    def make_unreadable(path: Path) -> Path:
        path.chmod(0)
        denied.add(os.fspath(path))
        return path

    yield make_unreadable
    for path in denied:
        Path(path).chmod(0o755)  # so the test's directory can be removed


def run_command(*args: str) -> tuple[int, str, str]:
    """Run import_seeds in this process; return its exit status, output and error output."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_seeds", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def errors_by_name(report) -> dict[str, str]:
    return {Path(e["path"]).name: e["error"] for e in report.errors}


# --- unreadable -----------------------------------------------------------------------------


def test_an_unreadable_subdirectory_is_a_failure_naming_it_and_the_run_exits_1(tmp_path, deny):
    """
    GIVEN a seed directory with a good seed and a sub-directory that cannot be read
    WHEN import_seeds imports it
    THEN the good seed is imported, the sub-directory is a failed file named with its path, and the exit status is 1
    """
    write(tmp_path, "good.txt", seed_text())
    write(tmp_path, "locked/hidden.txt", seed_text(title="Never read"))
    locked = deny(tmp_path / "locked")

    status, _, err = run_command(str(tmp_path))

    assert status == 1
    assert f"{locked}: cannot read directory: Permission denied" in err
    assert "1 of 2 file(s) failed" in err
    assert list(Article.objects.values_list("source_key", flat=True)) == ["good.txt"]
    outcome = ImportOutcome.objects.get(result=ImportOutcome.Result.FAILED)
    assert (outcome.path, outcome.source_key) == (str(locked), "locked")


def test_an_unreadable_file_is_a_failure_naming_it(tmp_path, deny):
    write(tmp_path, "good.txt", seed_text())
    locked = deny(write(tmp_path, "sub/locked.txt", seed_text(title="Never read")))

    report = importing.import_paths(paths=[tmp_path])

    assert report.errors == [{"path": str(locked), "error": "cannot read file: Permission denied"}]
    assert report.counts["created"] == 1


def test_an_unreadable_import_directory_itself_is_a_failure(tmp_path, deny):
    write(tmp_path, "root/a.txt", seed_text())
    root = deny(tmp_path / "root")

    report = importing.import_paths(paths=[root])

    assert report.errors == [{"path": str(root), "error": "cannot read directory: Permission denied"}]


# --- symlinks -------------------------------------------------------------------------------


def test_a_symlink_out_of_the_import_directory_is_a_failure_and_never_read(tmp_path):
    """
    GIVEN a seed directory holding a link to /etc/passwd and a link to a seed outside the directory
    WHEN import_seeds imports it
    THEN both links fail, each named with its path and where it leads; nothing of theirs is stored; the exit is 1
    """
    root = tmp_path / "seeds"
    write(root, "good.txt", seed_text())
    (root / "passwd.txt").symlink_to("/etc/passwd")
    outside = write(tmp_path, "elsewhere/story.txt", seed_text(title="Outside story"))
    (root / "story.txt").symlink_to(outside)

    status, _, err = run_command(str(root))

    assert status == 1
    assert f"{root / 'passwd.txt'}: symbolic link to /etc/passwd, outside the imported directory: not followed" in err
    assert f"{root / 'story.txt'}: symbolic link to {outside}, outside the imported directory" in err
    assert list(Article.objects.values_list("source_key", flat=True)) == ["good.txt"]
    assert not Article.objects.filter(raw_text__contains="root:").exists()


def test_follow_symlinks_imports_what_a_link_outside_leads_to(tmp_path):
    root = tmp_path / "seeds"
    outside = write(tmp_path, "elsewhere/story.txt", seed_text(title="Outside story"))
    (root / "linked").mkdir(parents=True)
    (root / "story.txt").symlink_to(outside)
    (root / "linked" / "dir").symlink_to(outside.parent, target_is_directory=True)

    status, _, err = run_command(str(root), "--follow-symlinks")

    assert status == 0, err
    created = ImportOutcome.objects.get(result=ImportOutcome.Result.CREATED)
    duplicate = ImportOutcome.objects.get(result=ImportOutcome.Result.DUPLICATE)
    assert (created.source_key, duplicate.source_key) == ("linked/dir/story.txt", "story.txt")
    assert Article.objects.get().title == "Outside story"


def test_symlinks_inside_the_import_directory_are_followed(tmp_path):
    """
    GIVEN links inside the directory: to a seed in a sub-directory, and to a sibling sub-directory
    WHEN it is imported
    THEN both are followed (their files are the same text: duplicates of the real ones), nothing fails
    """
    write(tmp_path, "real/a.txt", seed_text(title="Real story"))
    (tmp_path / "alias.txt").symlink_to(Path("real") / "a.txt")
    (tmp_path / "same").symlink_to(tmp_path / "real", target_is_directory=True)

    report = importing.import_paths(paths=[tmp_path])

    outcomes = {o.source_key: o.result for o in report.outcomes}
    assert outcomes == {"alias.txt": "created", "real/a.txt": "duplicate", "same/a.txt": "duplicate"}
    assert report.counts["failed"] == 0


def test_a_directory_link_to_a_directory_being_walked_is_a_reported_loop(tmp_path):
    write(tmp_path, "real/a.txt", seed_text())
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "up").symlink_to(".", target_is_directory=True)

    report = importing.import_paths(paths=[tmp_path])

    assert errors_by_name(report) == {
        "loop": f"symbolic link loop: {tmp_path / 'real'} is being imported already",
        "up": f"symbolic link loop: {tmp_path} is being imported already",
    }
    assert report.counts["created"] == 1


def test_a_broken_symlink_is_a_failure(tmp_path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")

    report = importing.import_paths(paths=[tmp_path])

    errors = errors_by_name(report)
    assert errors["gone.txt"] == "broken symbolic link: No such file or directory"
    assert errors["self.txt"].startswith("broken symbolic link:")


def test_a_symlink_to_a_directory_outside_is_a_failure(tmp_path):
    write(tmp_path, "elsewhere/story.txt", seed_text())
    write(tmp_path, "seeds/good.txt", seed_text(title="Good"))
    (tmp_path / "seeds" / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    report = importing.import_paths(paths=[tmp_path / "seeds"])

    assert errors_by_name(report) == {
        "more": f"symbolic link to {tmp_path / 'elsewhere'}, outside the imported directory: not followed "
        "(--follow-symlinks follows it)"
    }


def test_a_file_named_on_the_command_line_is_read_through_its_link(tmp_path):
    target = write(tmp_path, "elsewhere/story.txt", seed_text())
    (tmp_path / "named.txt").symlink_to(target)

    report = importing.import_paths(paths=[tmp_path / "named.txt"])

    assert report.counts["created"] == 1  # the caller chose that link, not a walk


# --- source keys -----------------------------------------------------------------------------


def test_a_source_key_longer_than_the_model_allows_is_a_clear_failure(tmp_path):
    """
    GIVEN a seed whose path below the imported directory is 1,010 characters long, beside a good one
    WHEN import_seeds imports the directory
    THEN that file fails with its path and the reason (on every database), the other is imported, the exit is 1
    """
    deep = "/".join(["d" * 200] * 5) + "/x.txt"
    path = write(tmp_path, deep, seed_text(title="Deep story"))
    write(tmp_path, "good.txt", seed_text())

    status, _, err = run_command(str(tmp_path))

    assert status == 1
    reason = "source key too long: 1,010 characters, the limit is 1,000"
    assert f"{importing.stored_path(str(path))}: {reason}" in err  # the path kept as it fits: start…end
    assert "…" in err and "/x.txt: source key too long" in err
    assert list(Article.objects.values_list("source_key", flat=True)) == ["good.txt"]


def test_a_source_key_of_exactly_the_limit_is_stored(tmp_path):
    fits, too_long = "k" * 996 + ".txt", "k" * 997 + ".txt"
    sources = [
        importing.bytes_source(seed_text(title="Fits").encode(), key=fits),
        importing.bytes_source(seed_text(title="Too long").encode(), key=too_long),
    ]

    report = importing.import_sources(sources)

    assert Article.objects.get().source_key == fits
    [error] = report.errors
    assert error["path"] == importing.stored_path(too_long)
    assert error["error"].startswith("source key too long: 1,001 characters, the limit is 1,000")
