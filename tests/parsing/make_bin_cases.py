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


# Other languages in the encodings their sites' dumps come in.
SPANISH_ARTICLE = (
    "\u00a9 2022 Diario del Sur S.L. Reservados todos los derechos.\n"
    "La sequ\u00eda obliga a cortar el agua por la noche\n"
    "Foto de Luc\u00eda Fern\u00e1ndez\n"
    "\n"
    "La sequ\u00eda obliga a cortar el agua por la noche\n"
    "\n"
    "Los embalses est\u00e1n al 18 % de su capacidad\n"
    "\n"
    "Por Jos\u00e9 Mu\u00f1oz\n"
    "\n"
    "SEVILLA.- El ayuntamiento cortar\u00e1 el suministro entre la medianoche y las seis.\n"
    "\n"
    "Comparte esta noticia\n"
    "\n"
    "Los vecinos se quejan de la falta de informaci\u00f3n.\n"
)
GERMAN_ARTICLE = (
    "Copyright \u00a9 2021 S\u00fcdwind Medien AG. Alle Rechte vorbehalten.\n"
    "Stra\u00dfenbahn f\u00e4hrt wieder durch die Altstadt\n"
    "Foto: Stadtwerke\n"
    "\n"
    "Stra\u00dfenbahn f\u00e4hrt wieder durch die Altstadt\n"
    "\n"
    "Nach zwei Jahren Bauzeit ist die Strecke fertig\n"
    "\n"
    "Die ersten Z\u00fcge rollten am Montag um f\u00fcnf Uhr.\n"
    "\n"
    "Kommentare\n"
    "\n"
    "J\u00fcrgen Wei\u00df\n"
    "\n"
    "J\u00fcrgen Wei\u00df\n"
    "\n"
    "J\u00fcrgen Wei\u00df ist Redakteur im Lokalressort.\n"
)
FRENCH_ARTICLE = (
    "\u00ab\u00a0On ne l\u00e2chera rien\u00a0\u00bb : les agriculteurs bloquent l\u2019autoroute\n"
    "Par Claire Lef\u00e8vre et Th\u00e9o Martin | Le Courrier de l\u2019Ouest\n"
    "\n"
    "NANTES \u2014 Plusieurs centaines de tracteurs ont bloqu\u00e9 l\u2019A11 dans la nuit.\n"
    "\n"
    "Lire aussi\n"
    "\n"
    "Les pr\u00e9fets ont re\u00e7u des consignes de fermet\u00e9.\n"
    "\n"
    "Rectificatif : une version pr\u00e9c\u00e9dente de cet article situait le blocage sur l\u2019A83.\n"
    "\n"
    "\u00a9 Le Courrier de l\u2019Ouest 2024\n"
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
        "es_cp1252_crlf": SPANISH_ARTICLE.replace("\n", "\r\n").encode("cp1252"),
        "de_utf16le_bom": codecs.BOM_UTF16_LE + GERMAN_ARTICLE.encode("utf-16-le"),
        "fr_utf8_bom_correction": codecs.BOM_UTF8 + FRENCH_ARTICLE.encode("utf-8"),
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
