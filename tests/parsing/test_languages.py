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


@pytest.mark.parametrize(
    "text",
    [
        "The council said on Monday that the new bridge would open after the repairs, which have been delayed.",
        "Officials said they were not sure when the report would be published, but that it has been finished.",
    ],
)
def test_plain_english_is_told_without_lingua(text, monkeypatch):
    def no_lingua():
        raise AssertionError("Lingua was asked")

    monkeypatch.setattr(languages, "detector", no_lingua)

    assert languages.detect(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        # Homographs of English words left out of ENGLISH_ONLY_WORDS: Dutch "of", "is"; German "was", "will", "in".
        "De minister zei dat het plan is goedgekeurd, of dat het nog in de kamer moet worden besproken.",
        "Was die Regierung will, ist klar: in der Stadt sollen mehr Wohnungen gebaut werden.",
        # Danish "for", "at", "her"; Czech "to", "by".
        "Regeringen har besluttet at det er for tidligt at sige noget her om aftalen.",
        "To by mohlo znamenat, že vláda návrh zákona stáhne ještě před hlasováním.",
        # Only two English-only words in a short English text: Lingua decides.
        "Zoo welcomes twin panda cubs. The cubs were born on Saturday.",
    ],
)
def test_text_without_enough_english_only_words_goes_to_lingua(text):
    assert not languages.is_plainly_english(text[: languages.SAMPLE_CHARS])


def test_the_shortcut_agrees_with_lingua_on_english():
    text = "The mayor said that the city would have to wait for the funds, which were promised last year."
    sample = text[: languages.SAMPLE_CHARS]

    assert languages.is_plainly_english(sample)
    best = languages.detector().compute_language_confidence_values(sample)[0]
    assert best.language.iso_code_639_1.name.lower() == "en"
