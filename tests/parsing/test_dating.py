"""Unit and property tests for reading an article's own dates (``articles.dating``)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.dating import HEADER_WINDOW, ArticleDates, parse_date, read_date_line, take_dates

PROPERTY_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Published March 3, 2024 5:00 PM EST", [("published", "2024-03-03T22:00:00+00:00")]),
        ("Updated: March 4, 2024 9:15 AM EST", [("updated", "2024-03-04T14:15:00+00:00")]),
        ("3 March 2024", [("published", "2024-03-03T00:00:00+00:00")]),
        ("Mar. 3, 2024", [("published", "2024-03-03T00:00:00+00:00")]),
        ("2024-03-03T17:00:00-05:00", [("published", "2024-03-03T22:00:00+00:00")]),
        ("Publicado el 3 de marzo de 2024", [("published", "2024-03-03T00:00:00+00:00")]),
        ("Publicado el 03/04/2024", [("published", "2024-04-03T00:00:00+00:00")]),
        ("Publié le 3 mars 2024 à 17h00", [("published", "2024-03-03T17:00:00+00:00")]),
        ("Aktualisiert am 04.03.2024", [("updated", "2024-03-04T00:00:00+00:00")]),
        ("Aggiornato il 4 marzo 2024 alle 10:00", [("updated", "2024-03-04T10:00:00+00:00")]),
        ("Publicado em 3 de março de 2024", [("published", "2024-03-03T00:00:00+00:00")]),
        ("Last updated 2024-03-04 10:00 CET", [("updated", "2024-03-04T09:00:00+00:00")]),
        (
            "Published March 3, 2024, updated March 4, 2024",
            [("published", "2024-03-03T00:00:00+00:00"), ("updated", "2024-03-04T00:00:00+00:00")],
        ),
    ],
)
def test_date_lines_are_read(line, expected):
    assert read_date_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Updated 2 hours ago",  # relative: depends on when the page was copied
        "Published yesterday",
        "March 2024",  # no day
        "Published in 1999, the book was a hit.",
        "The council met on March 3, 2024 to vote.",
        "By Ann Lee | Published March 3, 2024",  # a byline is not a date part
        "© 2024 Blaze Media LLC. All rights reserved.",
        "Published 3 March 1066",  # outside the years a publication date may have
    ],
)
def test_other_lines_are_not_date_lines(line):
    assert read_date_line(line) == []


def test_a_date_line_after_the_header_window_stays():
    """GIVEN a date line further down than the header WHEN the dates are taken THEN it stays in the text."""
    lines = ["Headline", *[f"Paragraph {n}." for n in range(HEADER_WINDOW)], "3 March 2024"]
    assert take_dates(lines) == (ArticleDates(), lines)


def test_first_date_of_each_kind_counts_and_every_date_line_goes():
    lines = ["Headline", "Updated 5 March 2024", "Published 3 March 2024", "Published 1 March 2024", "Body."]
    dates, rest = take_dates(lines)
    assert dates == ArticleDates("2024-03-03T00:00:00+00:00", "2024-03-05T00:00:00+00:00")
    assert rest == ["Headline", "Body."]


def test_the_headline_always_stays():
    assert take_dates(["3 March 2024"]) == (ArticleDates(), ["3 March 2024"])
    assert take_dates(["3 March 2024", "4 March 2024"]) == (
        ArticleDates("2024-03-03T00:00:00+00:00"),
        ["4 March 2024"],
    )


def test_reading_does_not_depend_on_the_clock():
    """A date without a time or zone is its UTC midnight; a relative date is no date."""
    assert parse_date("3 March 2024", "en") == "2024-03-03T00:00:00+00:00"
    assert parse_date("2 days ago", "en") is None


@PROPERTY_SETTINGS
@given(st.lists(st.text(max_size=80), max_size=15))
def test_take_dates_only_removes_lines_and_keeps_one(lines):
    dates, rest = take_dates(lines)
    assert len(rest) >= min(1, len(lines))
    remaining = iter(lines)
    assert all(any(line == other for other in remaining) for line in rest)  # an order-keeping subsequence
    for value in (dates.published_at, dates.updated_at):
        assert value is None or dt.datetime.fromisoformat(value).utcoffset() == dt.timedelta(0)


@PROPERTY_SETTINGS
@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_iso_dates_round_trip(moment):
    moment = moment.replace(microsecond=0, tzinfo=dt.UTC)
    assert read_date_line(f"Published {moment.isoformat()}") == [("published", moment.isoformat())]
