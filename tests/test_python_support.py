"""The Python versions the archive promises: README, pyproject.toml, CI and every pinned package agree."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.conftest import REPO_ROOT


def promised() -> tuple[str, str]:
    """Return the oldest and newest Python the README promises."""
    found = re.search(r"Python (3\.\d+) to (3\.\d+)", (REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "the README names the supported Python versions as 'Python 3.X to 3.Y'"
    return found.group(1), found.group(2)


def pinned() -> list[Requirement]:
    """Return the requirements pinned in requirements.txt and requirements-dev.txt."""
    lines = []
    for name in ("requirements.txt", "requirements-dev.txt"):
        lines += (REPO_ROOT / name).read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith(("#", "-r"))]


def test_pyproject_requires_the_oldest_promised_python_and_ruff_targets_it():
    oldest, newest = promised()
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert project["project"]["requires-python"] == f">={oldest}"
    assert project["tool"]["ruff"]["target-version"] == f"py{oldest.replace('.', '')}"
    classifiers = {c.rsplit(" ", 1)[-1] for c in project["project"]["classifiers"] if "Python :: 3." in c}
    assert {oldest, newest} <= classifiers


def test_ci_runs_the_suite_on_the_oldest_and_the_newest_promised_python():
    oldest, newest = promised()
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert f"OLDEST_PYTHON={oldest}\n" in ci
    assert f"NEWEST_PYTHON={newest}\n" in ci
    assert 'make test VENV="$NEWEST_VENV"' in ci


@pytest.mark.parametrize("requirement", pinned(), ids=str)
def test_every_pinned_package_supports_every_promised_python(requirement):
    """A pin whose Requires-Python excludes a promised version makes `pip install` fail there."""
    requires = metadata.metadata(requirement.name).get("Requires-Python") or ""

    for version in promised():
        assert SpecifierSet(requires).contains(version), f"{requirement} requires Python {requires}"
