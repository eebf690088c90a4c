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
    WARN_AUTHOR_BLOCK,
    WARN_BOILERPLATE,
    WARN_COPYRIGHT,
    WARN_CREDIT,
    WARN_NO_AUTHOR,
    WARN_NO_BODY,
    WARN_NO_PUBLISHER,
    WARN_SUBTITLE,
    WARN_UNRECOGNISED,
    ParsedArticle,
    ParseError,
    boilerplate_key,
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
    article = parse_text(f"Headline\nFirst paragraph.\nBody.\n{last_lines}")
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


# -- other publishers' layouts, boilerplate and doubts


@pytest.mark.parametrize(
    ("line", "year", "holder"),
    [
        ("© Copyright 2021 X Ltd", 2021, "X Ltd"),
        ("© 2024 Northwind Press Inc. All rights reserved.", 2024, "Northwind Press Inc."),
        ("Copyright 2023 X. All rights reserved. Do not redistribute.", 2023, "X"),
        ("© 2023 Ediciones X S.A. Todos los derechos reservados.", 2023, "Ediciones X S.A."),
        ("© 2024 Le Monde Tous droits réservés", 2024, "Le Monde"),
        ("© 2024 Y GmbH. Alle Rechte vorbehalten.", 2024, "Y GmbH"),
        ("© 2024 Z S.p.A. - Tutti i diritti riservati", 2024, "Z S.p.A."),
        ("© 2024 W Ltda. Todos os direitos reservados.", 2024, "W Ltda."),
        ("© Nordwind Verlag 2019-2024", 2024, "Nordwind Verlag"),
        ("© 2024 X Corp. | Privacy Policy | Terms of Use", 2024, "X Corp."),
    ],
)
def test_copyright_forms(line, year, holder):
    article = parse_text(f"{line}\nHeadline\nBody.")
    assert (article.copyright_year, article.copyright_holder, article.title) == (year, holder, "Headline")


def test_a_sentence_starting_with_copyright_is_no_notice():
    article = parse_text("Copyright 2019 rulings changed everything\nBody.")
    assert (article.copyright_year, article.title) == (None, "Copyright 2019 rulings changed everything")


@pytest.mark.parametrize(
    ("line", "credit"),
    [
        ("AP Photo/Jane Roe", "AP Photo/Jane Roe"),
        ("(AP Photo/Jane Roe, File)", "AP Photo/Jane Roe, File"),
        ("Jane Roe/Reuters", "Jane Roe/Reuters"),
        ("REUTERS/Jane Roe", "REUTERS/Jane Roe"),
        ("Getty Images", "Getty Images"),
        ("Jane Roe via Getty Images", "Jane Roe via Getty Images"),
        ("Jane Roe/AFP via Getty Images", "Jane Roe/AFP via Getty Images"),
        ("Foto: EFE", "EFE"),
        ("Bild: dpa", "dpa"),
        ("Crédit photo : AFP", "AFP"),
        ("Foto di Marco Rossi", "Marco Rossi"),
    ],
)
def test_agency_and_foreign_credits(line, credit):
    article = parse_text(f"Headline\n{line}\nHeadline\nBody.")
    assert (article.image_credit, article.body) == (credit, "Body.")


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Ann Lee, Staff Writer", ("Ann Lee",)),
        ("By Ann Lee | Northwind Gazette", ("Ann Lee",)),
        ("By Ann Lee, Bo Chen and Carl Diaz", ("Ann Lee", "Bo Chen", "Carl Diaz")),
        ("By ANN LEE and BO CHEN, Associated Press", ("ANN LEE", "BO CHEN")),
        ("Por María García y Luis Pérez", ("María García", "Luis Pérez")),
        ("Par Marie Dupont, envoyée spéciale à Lyon", ("Marie Dupont",)),
        ("Von Hans Müller und Anna Schmidt", ("Hans Müller", "Anna Schmidt")),
        ("Di Marco Rossi", ("Marco Rossi",)),
        ("Por Ana Sousa e João Silva", ("Ana Sousa", "João Silva")),
        ("Ann Lee, Senior Political Correspondent", ("Ann Lee",)),
    ],
)
def test_bylines_separate_names_from_titles(byline, names):
    article = parse_text(f"Headline\n{byline}\nBody.")
    assert (article.author_names, article.body) == (names, "Body.")


@pytest.mark.parametrize(
    "sentence",
    [
        "Von der Leyen sagte am Montag, sie sei zufrieden.",
        "Di solito il consiglio si riunisce il lunedì.",
        "Par ailleurs, le maire a démissionné.",
    ],
)
def test_a_foreign_byline_word_opening_a_sentence_is_no_byline(sentence):
    article = parse_text(f"Headline\n{sentence}\nBody.")
    assert article.author_names == ()
    assert article.body.startswith(sentence)


def test_each_author_keeps_their_own_bio():
    article = parse_text(
        "Headline\nBody.\nAnn Lee and Bo Chen\nAnn Lee and Bo Chen\n"
        "Ann Lee covers courts (@annlee). Bo Chen is a data reporter. He lives in Ohio."
    )
    assert article.author_bios == ("Ann Lee covers courts (@annlee).", "Bo Chen is a data reporter. He lives in Ohio.")
    assert article.author_handle == "@annlee"


def test_a_shared_bio_is_kept_but_given_to_no_one():
    article = parse_text("Headline\nBody.\nAnn Lee & Bo Chen\nAnn Lee & Bo Chen\nAnn Lee and Bo Chen cover courts.")
    assert (article.author_bio, article.author_bios) == ("Ann Lee and Bo Chen cover courts.", ("", ""))


def test_bios_must_align_with_names():
    with pytest.raises(ValueError, match="one bio"):
        ParsedArticle(title="T", author_names=("A", "B"), author_bios=("x",))
    assert ParsedArticle(title="T", author_names=("A", "B")).author_bios == ("", "")


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Share this article",
        "Sign up for our newsletter",
        "Read more: Why the bridge closed",
        "Related: Council passes budget",
        "12 comments",
        "We use cookies to give you the best experience. Accept to continue.",
        "Publicidad",
        "Suscríbete a nuestro boletín",
        "Lee también: La crisis del agua",
        "Publicité",
        "À lire aussi : Le budget de la ville",
        "Anzeige",
        "Lesen Sie auch: Der Streik geht weiter",
        "Pubblicità",
        "Leggi anche: Il maltempo in Liguria",
        "Publicidade",
        "Leia também: A crise hídrica",
        "Compartilhe este artigo",
        "Published March 3, 2024 5:00 PM EST",
        "Updated: 10:32 AM EST, Mon March 4, 2024",
        "Publié le 3 mars 2024 à 17h00",
        "Veröffentlicht am 3. März 2024, 17:00 Uhr",
        "2024-03-03T17:00:00Z",
        "3 March 2024",
    ],
)
def test_page_furniture_is_dropped_wherever_it_is(line):
    article = parse_text(f"Headline\n{line}\nFirst paragraph.\n{line}\nSecond paragraph.")
    assert article.body == "First paragraph.\n\nSecond paragraph."


@pytest.mark.parametrize(
    "line",
    ["Updated figures show 3 million people moved.", "Share prices fell 3% on Monday.", "He declined to comment."],
)
def test_sentences_about_the_same_things_stay(line):
    assert line in parse_text(f"Headline\nFirst.\n{line}\nLast.").body.split("\n\n")


def test_boilerplate_key_casefolds_and_collapses_spacing():
    assert boilerplate_key("  Sign UP\tfor  our  Newsletter ") == "sign up for our newsletter"


def test_site_boilerplate_is_dropped_but_never_the_copyright_or_names():
    text = "© 2024 Example News\nHeadline\nBody.\nSupport local news today\nJane Doe\nJane Doe"
    site = {"support local NEWS today", "© 2024 example news", "jane doe"}
    article = parse_text(text, site_boilerplate=site)
    assert (article.body, article.copyright_holder, article.author_names) == ("Body.", "Example News", ("Jane Doe",))
    assert parse(text.encode(), site_boilerplate=site) == parse_text(text, encoding="utf-8", site_boilerplate=site)


def test_a_dateline_stays_in_the_body_and_is_no_subtitle():
    article = parse_text("Headline\nHeadline\nWASHINGTON (AP) — The Senate voted.\nMore.")
    assert (article.subtitle, article.body) == ("", "WASHINGTON (AP) — The Senate voted.\n\nMore.")


def test_a_correction_at_the_end_stays_in_the_body_and_is_recognised():
    note = "Correction: An earlier version of this story misstated the date."
    article = parse_text(f"Headline\nBody.\n{note}\nJane Doe\nJane Doe")
    assert (article.body, article.correction, article.author_names) == (f"Body.\n\n{note}", note, ("Jane Doe",))


def test_unsure_warnings_name_their_reason():
    article = parse_text("Headline\nBody.\nClick to subscribe now\nMore body.\nJane Doe")
    assert any(w.startswith(f'{WARN_BOILERPLATE}: "Click to subscribe now"') for w in article.warnings)
    assert any(w.startswith(f'{WARN_AUTHOR_BLOCK}: the last paragraph "Jane Doe"') for w in article.warnings)


UNSURE = (WARN_AUTHOR_BLOCK, WARN_SUBTITLE, WARN_BOILERPLATE, WARN_CREDIT, WARN_COPYRIGHT)
LAYOUT_LINES = st.sampled_from(
    [
        "© Copyright 2021 X Ltd",
        "Copyright 2023 X. All rights reserved. Do not redistribute.",
        "AP Photo/Jane Roe",
        "By Ann Lee, Staff Writer",
        "Por María García y Luis Pérez",
        "Ann Lee",
        "A veteran reporter, Ann Lee covers city hall.",
        "Correction: An earlier version misspelled a name.",
        "WASHINGTON (AP) — The Senate voted.",
        "Advertisement",
        "Read more: Something",
        "Published March 3, 2024",
        "Why now?",
        "Body paragraph.",
        "Headline",
    ]
)


@PROPERTY_SETTINGS
@given(st.lists(LAYOUT_LINES | st.text(max_size=40), max_size=14))
def test_any_layout_keeps_the_records_promises(lines):
    try:
        article = parse_text("\n".join(lines))
    except ParseError:
        return
    assert len(article.author_bios) == len(article.author_names)
    assert article.body.endswith(article.correction)
    assert all(
        w in (WARN_NO_PUBLISHER, WARN_NO_AUTHOR, WARN_NO_BODY, WARN_UNRECOGNISED) or w.startswith(UNSURE)
        for w in article.warnings
    )
    assert (WARN_NO_AUTHOR in article.warnings) == (not article.author_names)
    assert (WARN_NO_PUBLISHER in article.warnings) == (not article.copyright_holder)
    assert "\n\n\n" not in article.body
