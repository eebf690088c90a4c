"""Regenerate the byte-exact ``cases/*.bin`` fixtures: ``.venv/bin/python tests/parsing/make_bin_cases.py``.

The ``seed_*`` files are the golden seed re-saved in other encodings, line endings and spacing;
their ``.json`` says ``same_as: seed_blaze``, so they must parse exactly like it.
"""

from __future__ import annotations

import codecs
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parent / "cases"
SEED = (CASES_DIR / "seed_blaze.txt").read_text(encoding="utf-8")

CP1252_ARTICLE = (
    "\u00a9 2023 Example News Inc. All rights reserved.\r\n"
    "\u201cNo comment\u201d \u2014 mayor stays silent\r\n"
    "\r\n"
    "\u201cNo comment\u201d \u2014 mayor stays silent\r\n"
    "\r\n"
    "Reporters waited for an hour\r\n"
    "\r\n"
    "The mayor\u2019s office said only \u201cno comment\u201d \u2014 twice.\r\n"
    "\r\n"
    "Ren\u00e9e Dupont\r\n"
    "\r\n"
    "Ren\u00e9e Dupont\r\n"
    "\r\n"
    "Ren\u00e9e Dupont writes about city hall.\r\n"
)


def _trailing_spaces(text: str) -> str:
    """Add spaces and tabs at the end of every line, and blank lines at the end."""
    return "".join(f"{line} \t \n" for line in text.split("\n")) + "  \n\n\t\n"


def _cases() -> dict[str, bytes]:
    return {
        "seed_crlf": SEED.replace("\n", "\r\n").encode("utf-8"),
        "seed_cr": SEED.replace("\n", "\r").encode("utf-8"),
        "seed_bom": codecs.BOM_UTF8 + SEED.encode("utf-8"),
        "seed_utf16le": codecs.BOM_UTF16_LE + SEED.encode("utf-16-le"),
        "seed_utf16be": codecs.BOM_UTF16_BE + SEED.encode("utf-16-be"),
        "seed_cp1252": SEED.encode("cp1252"),
        "seed_trailing_spaces": _trailing_spaces(SEED).encode("utf-8"),
        "seed_bom_crlf_spaces": codecs.BOM_UTF8 + _trailing_spaces(SEED).replace("\n", "\r\n").encode("utf-8"),
        "seed_cp1252_crlf": SEED.replace("\n", "\r\n").encode("cp1252"),
        "cp1252_smart_quotes": CP1252_ARTICLE.encode("cp1252"),
        "empty": b"",
        "bom_only": codecs.BOM_UTF8,
        "whitespace_only": b" \t\r\n\n   \r\n\t",
        "binary_png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00",
        "binary_controls": bytes(range(1, 9)) * 4 + b"Title\n",
        "utf16_odd_length": codecs.BOM_UTF16_LE + "Title\nBody".encode("utf-16-le") + b"\x00",
    }


def main() -> None:
    for name, data in _cases().items():
        (CASES_DIR / f"{name}.bin").write_bytes(data)


if __name__ == "__main__":
    main()
