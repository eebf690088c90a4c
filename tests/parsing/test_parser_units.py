"""Unit and property tests for decoding, normalization, limits and the smaller layout rules."""

from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.parsing import (
    DEFAULT_MAX_BYTES,
    MAX_TITLE_LENGTH,
    WARN_NO_AUTHOR,
    WARN_NO_PUBLISHER,
    ParseError,
    decode,
    normalize,
    parse,
    parse_text,
    sha256_of,
)

# The suite's autouse cache fixture is function scoped; it holds no state these tests rely on.
PROPERTY_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)

ARTICLE = (
    "© 2024 Blaze Media LLC. All rights reserved.\n"
    "Café owner wins “best espresso” — again\n"
    "Photo by Zoë Example/Getty Images\n"
    "\n"
    "Café owner wins “best espresso” — again\n"
    "\n"
    "The jury was unanimous\n"
    "\n"
    "The café on Main Street won the prize for the third year.\n"
    "\n"
    "Want to leave a tip?\n"
    "Renée Dupont\n"
    "\n"
    "Renée Dupont\n"
    "\n"
    "Renée Dupont writes about food. Follow her @renee_eats."
)

# Ways the same article may be saved; all must give the same hash and fields.
SAVED_AS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-sig": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "cp1252": lambda text: text.encode("cp1252"),
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda text: text.replace("\n", "\r").encode("utf-8"),
    "trailing-spaces": lambda text: text.replace("\n", "  \t\n").encode("utf-8") + b" \n\n \n",
    "nfd": lambda text: unicodedata.normalize("NFD", text).encode("utf-8"),
    "everything": lambda text: codecs.BOM_UTF8 + unicodedata.normalize("NFD", text).replace("\n", " \r\n").encode(),
}


def _encode_cp1252_lossless(text: str) -> bytes:
    """Encode like the decoder reads: cp1252, and latin-1 for the bytes cp1252 leaves undefined."""
    return b"".join(char.encode("cp1252") if _in_cp1252(char) else char.encode("latin-1") for char in text)


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


# -- decode


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (b"Title\nBody", "Title\nBody", "utf-8"),
        ("Caf\u00e9".encode(), "Caf\u00e9", "utf-8"),
        (codecs.BOM_UTF8 + b"Title", "Title", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "Tïtle".encode("utf-16-le"), "Tïtle", "utf-16"),
        (codecs.BOM_UTF16_BE + "Tïtle".encode("utf-16-be"), "Tïtle", "utf-16"),
        (b"\x93Quoted\x94 \x97 dash", "\u201cQuoted\u201d \u2014 dash", "cp1252"),
        # The five bytes cp1252 leaves undefined survive as their latin-1 characters.
        (b"\x81\x8d\x8f\x90\x9d\xff", "\x81\x8d\x8f\x90\x9d\xff", "cp1252"),
        # A UTF-8 BOM in front of non-UTF-8 bytes is dropped; the rest is cp1252.
        (codecs.BOM_UTF8 + b"Caf\xe9", "Caf\u00e9", "cp1252"),
        # Line endings are left exactly as they were.
        (b"a\r\nb\rc\n", "a\r\nb\rc\n", "utf-8"),
        (b"", "", "utf-8"),
    ],
)
def test_decode(data, text, encoding):
    assert decode(data) == (text, encoding)


@PROPERTY_SETTINGS
@given(st.binary().filter(lambda data: not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))))
def test_decode_loses_nothing(data):
    text, encoding = decode(data)
    if encoding == "utf-8":
        assert text.encode("utf-8") == data
    elif encoding == "cp1252":
        assert _encode_cp1252_lossless(text) == data.removeprefix(codecs.BOM_UTF8)


@PROPERTY_SETTINGS
@given(st.text(), st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_decode_reads_any_utf16_with_bom(text, codec):
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    assert decode(bom + text.encode(codec)) == (text, "utf-16")


# -- normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb\r\rc", "a\nb\n\nc"),
        ("a \t\nb\u00a0\n", "a\nb"),
        ("a\n\n\n \n", "a"),
        ("cafe\u0301", "caf\u00e9"),
        ("\ufeffTitle", "Title"),
        ("\n  indented\nkept", "\n  indented\nkept"),
        ("", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


@PROPERTY_SETTINGS
@given(st.text())
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@PROPERTY_SETTINGS
@given(
    st.lists(st.text(alphabet=st.characters(exclude_characters="\r\n"))),
    st.sampled_from(["\r\n", "\r"]),
    st.sampled_from(["", " ", "\t \t"]),
)
def test_normalize_ignores_line_endings_and_trailing_spaces(lines, newline, trailing):
    plain = "\n".join(lines)
    saved = "\ufeff" + "".join(f"{line}{trailing}{newline}" for line in lines)
    assert normalize(saved) == normalize(plain)


# -- the same article saved differently


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_same_article_saved_differently_parses_the_same(saved_as):
    expected = parse(ARTICLE.encode("utf-8"))
    article = parse(SAVED_AS[saved_as](ARTICLE))
    assert article.sha256 == expected.sha256
    assert {**article.to_dict(), "encoding": ""} == {**expected.to_dict(), "encoding": ""}


def test_article_fields():
    article = parse(ARTICLE.encode("utf-8"))
    assert article.title == "Café owner wins “best espresso” — again"
    assert article.subtitle == "The jury was unanimous"
    assert article.body == "The café on Main Street won the prize for the third year."
    assert article.image_credit == "Zoë Example/Getty Images"
    assert article.author_names == ("Renée Dupont",)
    assert article.author_handle == "@renee_eats"
    assert article.warnings == ()


def test_raw_text_is_the_decoded_text_and_text_the_normalized_one():
    data = codecs.BOM_UTF8 + b"Title  \r\nBody\r\n\r\n"
    article = parse(data)
    assert article.raw_text == "Title  \r\nBody\r\n\r\n"
    assert article.text == "Title\nBody"
    assert article.encoding == "utf-8-sig"
    assert article.sha256 == sha256_of("Title\nBody")


def test_parse_text_reparses_the_stored_raw_source():
    article = parse(SAVED_AS["everything"](ARTICLE))
    assert parse_text(article.raw_text, encoding=article.encoding) == article


# -- limits and errors


def test_too_large_names_size_and_limit():
    with pytest.raises(ParseError, match=r"too large: 11 bytes, the limit is 10 bytes"):
        parse(b"Title\nBody.", max_bytes=10)


def test_size_is_checked_before_decoding():
    with pytest.raises(ParseError, match="too large"):
        parse(b"\x00" * 11, max_bytes=10)


def test_file_at_the_limit_is_accepted():
    assert parse(b"Title\nBody.", max_bytes=11).title == "Title"


def test_default_limit_is_five_megabytes():
    assert DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    with pytest.raises(ParseError, match="too large: 5,242,881 bytes, the limit is 5,242,880 bytes"):
        parse(b"T\n" + b"a" * (DEFAULT_MAX_BYTES - 1))


def test_title_at_the_length_limit_is_accepted():
    assert parse(b"A" * MAX_TITLE_LENGTH + b"\nBody.").title == "A" * MAX_TITLE_LENGTH


def test_a_few_control_characters_are_not_binary():
    assert parse(b"Title\nBody with a form feed \x0c and an old DOS end marker.\x1a").title == "Title"


def test_unpaired_surrogates_are_rejected():
    with pytest.raises(ParseError, match="invalid characters"):
        parse_text("Title\n\ud800 body")


def test_parse_error_keeps_its_reason():
    with pytest.raises(ParseError) as excinfo:
        parse(b"")
    assert excinfo.value.reason == str(excinfo.value) == "empty file"
    assert isinstance(excinfo.value, ValueError)


SEED_LIKE_LINES = st.sampled_from(
    [
        "© 2024 Blaze Media LLC. All rights reserved.",
        "Copyright 2023 X",
        "Headline",
        "Photo by Someone",
        "Subtitle",
        "Body paragraph.",
        "Want to leave a tip?",
        "Jane Doe",
        "Jane Doe and John Roe",
        "Jane Doe is a writer. @jane.",
        "By Jane Doe",
        "",
        " \t",
    ]
)


@PROPERTY_SETTINGS
@given(st.binary() | st.lists(SEED_LIKE_LINES | st.text()).map(lambda lines: "\n".join(lines).encode("utf-8")))
def test_parse_raises_only_parse_error_and_keeps_its_promises(data):
    try:
        article = parse(data)
    except ParseError as exc:
        assert exc.reason
        return
    assert article.title
    assert len(article.title) <= MAX_TITLE_LENGTH
    assert article.text == normalize(article.raw_text)
    assert article.sha256 == sha256_of(article.text)
    assert article.word_count == len(article.body.split())
    assert "\n\n\n" not in article.body
    assert article.body == article.body.strip()
    assert (WARN_NO_AUTHOR in article.warnings) == (not article.author_names)
    assert (WARN_NO_PUBLISHER in article.warnings) == (not article.copyright_holder)


# -- smaller layout rules


@pytest.mark.parametrize(
    ("line", "year", "holder"),
    [
        ("© 2024 Blaze Media LLC. All rights reserved.", 2024, "Blaze Media LLC"),
        ("© 2024 Blaze Media LLC", 2024, "Blaze Media LLC"),
        ("(c) 2020 Example News. All Rights Reserved", 2020, "Example News"),
        ("(C) 2020 Example News", 2020, "Example News"),
        ("Copyright © 2019 The Daily Example", 2019, "The Daily Example"),
        ("Copyright (c) 2019 The Daily Example, all rights reserved.", 2019, "The Daily Example"),
        ("Copyright 2018 Example Media Group Inc.", 2018, "Example Media Group Inc."),
        ("©2017-2021 Example Ltd.", 2021, "Example Ltd."),
        ("© 2024. All rights reserved.", 2024, ""),
    ],
)
def test_copyright_line(line, year, holder):
    article = parse_text(f"{line}\nHeadline\nBody.")
    assert (article.copyright_year, article.copyright_holder, article.title) == (year, holder, "Headline")


def test_copyright_line_at_the_end_is_recognised():
    article = parse_text("Headline\nBody.\nCopyright 2022 Example News")
    assert (article.copyright_year, article.copyright_holder, article.body) == (2022, "Example News", "Body.")


@pytest.mark.parametrize(
    ("line", "credit"),
    [
        ("Photo by Jane Doe/Getty Images", "Jane Doe/Getty Images"),
        ("Photo: AP", "AP"),
        ("photo credit: Jane Doe", "Jane Doe"),
        ("Photograph by Jane Doe", "Jane Doe"),
        ("Image: City Archive", "City Archive"),
        ("Image by City Archive", "City Archive"),
        ("Credit: Reuters", "Reuters"),
    ],
)
def test_credit_line(line, credit):
    article = parse_text(f"Headline\n{line}\nHeadline\nBody.")
    assert (article.image_credit, article.body) == (credit, "Body.")


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("Jane Doe", ("Jane Doe",)),
        ("Jane Doe and John Roe", ("Jane Doe", "John Roe")),
        ("Jane Doe & John Roe", ("Jane Doe", "John Roe")),
        ("Ann Lee, Bo Chen and Carl Diaz", ("Ann Lee", "Bo Chen", "Carl Diaz")),
        ("Ann Lee, Bo Chen, and Carl Diaz", ("Ann Lee", "Bo Chen", "Carl Diaz")),
        ("John Smith, Jr.", ("John Smith, Jr.",)),
        ("Ludwig van Beethoven", ("Ludwig van Beethoven",)),
    ],
)
def test_author_names(names, expected):
    article = parse_text(f"Headline\nBody.\n{names}\n{names}\n{names} is a writer.")
    assert article.author_names == expected
    assert article.body == "Body."


@pytest.mark.parametrize(
    ("bio", "handle"),
    [
        ("Jane Doe is a writer. You can reach her on Twitter @kpshiver3.", "@kpshiver3"),
        ("Jane Doe is a writer (@jane_doe).", "@jane_doe"),
        ("Jane Doe is on Instagram: @jane.doe!", "@jane.doe"),
        ("Jane Doe is at jane@example.com.", ""),
        ("Jane Doe is a writer.", ""),
    ],
)
def test_author_handle(bio, handle):
    assert parse_text(f"Headline\nBody.\nJane Doe\nJane Doe\n{bio}").author_handle == handle


@pytest.mark.parametrize(
    "last_lines",
    [
        # Repeated lines that are not names stay in the body.
        "Stay tuned.\nStay tuned.",
        # A name once, then a sentence that is no bio of it.
        "Jane Doe\nThe council will vote again in May.",
    ],
)
def test_not_an_author_block(last_lines):
    article = parse_text(f"Headline\nBody.\n{last_lines}")
    assert article.author_names == ()
    assert article.body.endswith(last_lines.split("\n")[-1])


def test_byline_is_not_taken_from_a_body_sentence():
    article = parse_text("Headline\nBy the time we arrived, it was over.\nBody.")
    assert article.author_names == ()
    assert article.body.startswith("By the time")


def test_a_repeated_title_alone_is_not_an_author_block():
    article = parse_text("Jane Doe\nJane Doe")
    assert (article.title, article.author_names, article.body) == ("Jane Doe", (), "")


def test_overlong_copyright_holder_is_a_sentence_not_a_notice():
    line = "© 2024 " + "x" * 300
    article = parse_text(f"{line}\nBody.")
    assert (article.copyright_year, article.title) == (None, line)


def test_overlong_credit_stays_in_the_body():
    line = "Photo by " + "x" * 1001
    article = parse_text(f"Headline\n{line}\nBody.")
    assert (article.image_credit, article.body) == ("", f"{line}\n\nBody.")
