"""``manage.py import_seeds``: arguments, output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles.importing import runs
from articles.models import Article
from tests.conftest import REPO_ROOT, SEED_FILE
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_seeds", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def make_tree(tmp_path: Path) -> Path:
    (tmp_path / "good.txt").write_text(seed_text(), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "plain.txt").write_text("Just a title\n\nAnd a body.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    return tmp_path


def test_default_imports_the_seeds_directory_and_prints_a_summary():
    out, err = run()

    assert Article.objects.get().source_key == SEED_FILE.name
    assert "Import summary" in out
    assert "created" in out and "1" in out
    assert err == ""


def test_json_output_is_one_object_on_the_last_line(tmp_path):
    make_tree(tmp_path)
    out = StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("import_seeds", str(tmp_path), "--json", stdout=out, stderr=StringIO())

    assert excinfo.value.returncode == 1
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert {k: result[k] for k in ("created", "updated", "unchanged", "duplicates", "failed")} == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "failed": 1,
    }
    assert result["errors"] == [{"path": str(tmp_path / "empty.txt"), "error": result["errors"][0]["error"]}]
    assert "empty" in result["errors"][0]["error"].lower()


def test_each_failed_file_is_named_on_stderr(tmp_path):
    make_tree(tmp_path)
    err = StringIO()

    with pytest.raises(CommandError, match="1 of 3 file"):
        call_command("import_seeds", str(tmp_path), stdout=StringIO(), stderr=err)

    assert str(tmp_path / "empty.txt") in err.getvalue()


def test_verbosity_two_prints_a_line_per_file(tmp_path):
    make_tree(tmp_path)
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("import_seeds", str(tmp_path), verbosity=2, stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert any(line.startswith("created") and line.endswith("good.txt") for line in lines)
    assert any(line.startswith("created") and "plain.txt" in line and "no author" in line for line in lines)
    assert any(line.startswith("failed") and "empty.txt" in line for line in lines)


def test_verbosity_zero_prints_nothing_on_success(tmp_path):
    (tmp_path / "a.txt").write_text(seed_text(), encoding="utf-8")
    out, err = run(str(tmp_path), "--verbosity", "0")
    assert (out, err) == ("", "")


def test_dry_run_writes_nothing(tmp_path):
    (tmp_path / "a.txt").write_text(seed_text(), encoding="utf-8")

    out, _ = run(str(tmp_path), "--dry-run", "--json")

    assert json.loads(out.splitlines()[-1])["created"] == 1
    assert not Article.objects.exists()


def test_a_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(CommandError, match="no such file") as excinfo:
        run(str(tmp_path / "missing"))
    assert excinfo.value.returncode == 2


def test_exit_codes_from_the_shell(tmp_path):
    """
    GIVEN a directory with one good and one empty seed
    WHEN the command runs in a real process
    THEN the exit status is 1, then 0 for the good file alone, and 2 for a bad option
    """
    make_tree(tmp_path)
    env = {"DEBUG": "1", "PATH": "/usr/bin:/bin"}
    db = tmp_path / "cli.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{db}"
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=REPO_ROOT)

    failed = subprocess.run([*manage, "import_seeds", str(tmp_path), "--json"], env=env, capture_output=True, text=True)
    good = subprocess.run([*manage, "import_seeds", str(tmp_path / "good.txt")], env=env, capture_output=True)
    usage = subprocess.run([*manage, "import_seeds", "--no-such-option"], env=env, capture_output=True)

    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout.splitlines()[-1])["failed"] == 1
    assert good.returncode == 0
    assert usage.returncode == 2


@pytest.mark.parametrize("option", ["--batch-size", "--max-bytes"])
def test_a_size_that_is_not_positive_is_a_usage_error(tmp_path, option):
    with pytest.raises(CommandError, match="positive") as excinfo:
        run(str(tmp_path), option, "0")
    assert excinfo.value.returncode == 2


def test_batch_size_sets_the_files_per_transaction(tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"{i}.txt").write_text(seed_text(title=f"Story {i}"), encoding="utf-8")
    articles_per_batch = []
    original = runs._record

    def record(*args, **kwargs):
        original(*args, **kwargs)
        articles_per_batch.append(Article.objects.count())

    monkeypatch.setattr(runs, "_record", record)

    run(str(tmp_path), "--batch-size", "2")

    assert articles_per_batch == [2, 4, 5]
