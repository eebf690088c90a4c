"""Data-driven parser tests.

Each input ``cases/<name>.txt`` (or ``cases/<name>.bin`` for byte-exact inputs: other encodings, line
endings, binary data; regenerate them with ``make_bin_cases.py``) sits beside ``cases/<name>.json``,
which holds either

* ``{"error": "<part of the ParseError reason>"}``, or
* the expected values of ``ParsedArticle.to_dict()`` (only the keys given are compared), plus optionally
  ``"body_excludes"``: texts the body must not contain, and ``"same_as": "<other case>"``: start from
  that case's expectations (used to show that re-encoded copies of the seed parse identically).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from articles.parsing import ParseError, parse

CASES_DIR = Path(__file__).resolve().parent / "cases"
INPUT_SUFFIXES = (".txt", ".bin")
CASE_NAMES = sorted(path.stem for path in CASES_DIR.glob("*.json"))
GOLDEN = "seed_blaze"


def _input_path(name: str) -> Path:
    (path,) = (CASES_DIR / f"{name}{suffix}" for suffix in INPUT_SUFFIXES if (CASES_DIR / f"{name}{suffix}").exists())
    return path


def _expected(name: str) -> dict:
    expected = json.loads((CASES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    if "same_as" in expected:
        return {**_expected(expected.pop("same_as")), **expected}
    return expected


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case(name):
    expected = _expected(name)
    data = _input_path(name).read_bytes()
    if "error" in expected:
        with pytest.raises(ParseError, match=re.escape(expected["error"])):
            parse(data)
        return
    article = parse(data)
    for excluded in expected.pop("body_excludes", []):
        assert excluded not in article.body
    actual = article.to_dict()
    assert {key: actual[key] for key in expected} == expected


def test_every_input_has_exactly_one_expectation_file():
    inputs = sorted(path.stem for path in CASES_DIR.iterdir() if path.suffix in INPUT_SUFFIXES)
    assert inputs == CASE_NAMES


def test_golden_case_pins_every_field():
    article = parse(_input_path(GOLDEN).read_bytes())
    assert set(article.to_dict()) <= set(_expected(GOLDEN))


def test_golden_case_is_the_shipped_seed(seed_bytes):
    assert _input_path(GOLDEN).read_bytes() == seed_bytes
