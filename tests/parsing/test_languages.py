"""Language detection (``articles.languages``): codes, the unsure cases, determinism."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import languages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The county refused to honor the immigration detainers, officials said on Monday.", "en"),
        ("El gobierno anunció el martes que los corredores recorrerán las calles de la ciudad.", "es"),
        ("Die Bundesregierung hat am Dienstag angekündigt, dass die Straßen gesperrt werden.", "de"),
        ("Le gouvernement a annoncé mardi que les coureurs traverseront la ville.", "fr"),
        ("Il governo ha annunciato martedì che i corridori attraverseranno la città.", "it"),
        ("O governo anunciou na terça-feira que os corredores vão atravessar a cidade.", "pt"),
        ("Правительство объявило во вторник, что бегуны пройдут по улицам города.", "ru"),
        ("Policja zatrzymała w poniedziałek dwóch mężczyzn w centrum miasta.", "pl"),
        # Too few letters to tell.
        ("Hello", ""),
        ("12,345 — 678", ""),
        ("", ""),
    ],
)
def test_detects_the_language_as_an_iso_639_1_code(text, expected):
    assert languages.detect(text) == expected


def test_only_the_start_of_a_long_text_is_read():
    english = "The council met on Monday evening to vote on the project. " * 40
    spanish = "El consejo se reunió el lunes por la tarde para votar el proyecto. " * 40

    assert len(english) > languages.SAMPLE_CHARS
    assert languages.detect(english + spanish) == "en"


def test_every_stemmed_language_is_a_known_code():
    assert set(languages.STEMMERS) <= set(languages.NAMES)
    assert languages.UNKNOWN_LANGUAGE not in languages.NAMES


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_known_code_or_none_and_always_the_same(text):
    code = languages.detect(text)

    assert code == "" or code in languages.NAMES
    assert languages.detect(text) == code
