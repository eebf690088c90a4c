"""The query parser, the analyser, the query compiler and the snippet renderer, without a database."""

from __future__ import annotations

import pytest

from articles.search import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    SYNTAX_HELP,
    Query,
    SearchQueryError,
    Term,
    analyse,
    compile_query,
    parse_query,
    render_snippet,
)


def words(*texts: str) -> tuple[Term, ...]:
    return tuple(Term(text) for text in texts)


PARSED = [
    ("county jail", Query(groups=(words("county"), words("jail")))),
    ('"county jail"', Query(groups=((Term("county jail", phrase=True),),))),
    ('"  county   jail "', Query(groups=((Term("county jail", phrase=True),),))),
    ("county -jail", Query(groups=(words("county"),), excluded=words("jail"))),
    ('county -"county jail"', Query(groups=(words("county"),), excluded=(Term("county jail", phrase=True),))),
    ("alpha OR beta", Query(groups=(words("alpha", "beta"),))),
    ("county jail OR prison", Query(groups=(words("county"), words("jail", "prison")))),
    ("a OR b OR c d", Query(groups=(words("a", "b", "c"), words("d")))),
    ('"county jail" OR prison', Query(groups=((Term("county jail", phrase=True), Term("prison")),))),
    # OR and AND need a term on their left; AND is what adjacency means anyway.
    ("OR alpha", Query(groups=(words("alpha"),))),
    ("alpha OR", Query(groups=(words("alpha"),))),
    ("alpha OR OR beta", Query(groups=(words("alpha", "beta"),))),
    ("alpha AND beta", Query(groups=(words("alpha"), words("beta")))),
    ("alpha OR AND beta", Query(groups=(words("alpha"), words("beta")))),
    ("-alpha OR beta", Query(groups=(words("beta"),), excluded=words("alpha"))),
    ("alpha OR -beta gamma", Query(groups=(words("alpha"), words("gamma")), excluded=words("beta"))),
    # Lowercase "or" is a word, an operator in a phrase is a word.
    ("alpha or beta", Query(groups=(words("alpha"), words("or"), words("beta")))),
    ('"alpha OR beta"', Query(groups=((Term("alpha OR beta", phrase=True),),))),
    # Unbalanced quotes: the phrase runs to the end.
    ('county "jail in', Query(groups=(words("county"), (Term("jail in", phrase=True),)))),
    ('a"b c"', Query(groups=(words("a"), (Term("b c", phrase=True),)))),
    # Dashes inside a word are part of it; several leading dashes still exclude.
    ("well-known --jail", Query(groups=(words("well-known"),), excluded=words("jail"))),
    # Punctuation-only terms are dropped; punctuation inside terms is kept for the tokenizer.
    ("title:foo * ^ NEAR(a b)", Query(groups=(words("title:foo"), words("NEAR(a"), words("b)")))),
    ("Zürich 東京 café", Query(groups=(words("Zürich"), words("東京"), words("café")))),
    # Control characters and lone surrogates become spaces; input is NFC-normalised.
    ("jail\x00house\ud800x", Query(groups=(words("jail"), words("house"), words("x")))),
    ("cafe\u0301", Query(groups=(words("café"),))),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parse_query(text, expected):
    assert parse_query(text) == expected


EMPTY = ["", "   ", "OR", "AND", "OR OR", "-", "--", '"', '""', '" "', "*", "^", "- * OR ^", "\x00", "\ud800", "😀"]


@pytest.mark.parametrize("text", EMPTY)
def test_queries_with_nothing_to_search_are_empty(text):
    assert parse_query(text).is_empty


REFUSED = [
    ("-jail", "only excludes"),
    ('-"county jail" -prison', "only excludes"),
    ("x" * (MAX_QUERY_CHARS + 1), "too long"),
    ("a " * (MAX_TERMS + 1), "too many terms"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_queries_raise_a_clear_error(text, reason):
    with pytest.raises(SearchQueryError, match=reason):
        parse_query(text)


def test_search_query_error_is_a_value_error():
    assert issubclass(SearchQueryError, ValueError)


@pytest.mark.parametrize("value", [None, 42, b"jail"])
def test_a_query_that_is_not_text_is_refused(value):
    with pytest.raises(SearchQueryError, match="must be text"):
        parse_query(value)


def test_longest_accepted_query():
    assert parse_query("x" * MAX_QUERY_CHARS) == Query(groups=(words("x" * MAX_QUERY_CHARS),))


ANALYSED = [
    ("Detainers", ["detain"]),
    ("county's jails", ["counti", "s", "jail"]),
    ("Café Zürich", ["cafe", "zurich"]),
    ("title:foo NEAR(a", ["titl", "foo", "near", "a"]),
    ("^start col:*", ["start", "col"]),
    ("*", []),
]


@pytest.mark.parametrize(("text", "expected"), ANALYSED)
def test_terms_are_analysed_like_the_indexed_text(text, expected):
    """Query terms are cut into words, lowercased, folded and stemmed; punctuation is never syntax."""
    assert analyse(text) == expected


@pytest.mark.parametrize(
    ("query", "searchable"),
    [
        (Query(), False),
        (Query(groups=((Term("***"),),)), False),
        (Query(groups=((Term("***"), Term("jail")),)), True),
        (Query(groups=((Term("jail"),),), excluded=(Term("!!"),)), True),
        (Query(groups=((Term('say "hi"', phrase=True),),)), True),
    ],
)
def test_compile_drops_terms_without_words(query, searchable):
    assert (compile_query(query) is not None) is searchable


SNIPPETS = [
    ("", [], ""),
    ("plain text", [], "plain text"),
    ("the county jail", [(4, 10)], "the <mark>county</mark> jail"),
    (
        "<script>alert('x')</script> & jail",
        [(30, 34)],
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; <mark>jail</mark>",
    ),
    # Whitespace is folded to one line.
    ("  first\n\nsecond term\t end ", [(16, 20)], "first second <mark>term</mark> end"),
    # Offsets are in bytes of UTF-8.
    ("café jail", [(6, 10)], "café <mark>jail</mark>"),
]


@pytest.mark.parametrize(("fragment", "marks", "expected"), SNIPPETS)
def test_render_snippet(fragment, marks, expected):
    assert render_snippet(fragment, marks, fragment) == expected


def test_render_snippet_shows_where_the_body_goes_on():
    body = "It began. The county jail was full. It ended."

    assert render_snippet("The county jail", [(4, 10)], body) == "… The <mark>county</mark> jail …"


def test_syntax_help_is_the_syntax_section_of_the_module_docs():
    assert SYNTAX_HELP.startswith("Queries use web-search syntax")
    for example in ('"county jail"', "jail OR prison", "-jail", "detainer"):
        assert example in SYNTAX_HELP
    assert "How it works" not in SYNTAX_HELP
