"""The boilerplate service: candidate lines, the bounded summary, learning per batch, removal and editors' changes."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import boilerplate, parsing
from articles.boilerplate import BatchLines, Summary
from articles.models import BoilerplateSummary, PublisherBoilerplate
from tests.factories import PublisherFactory
from tests.seedtext import seed_text


def record(*paragraphs: str, title: str = "A headline", subtitle: str = "A dek", publisher: str = "Acme News"):
    return parsing.parse_text(
        seed_text(title=title, subtitle=subtitle, paragraphs=paragraphs, publisher=publisher, author="Ann Lee")
    )


# --- the parser's interface -------------------------------------------------------------


def test_boilerplate_key_casefolds_and_collapses_whitespace():
    assert parsing.boilerplate_key("  Sign UP\tfor  our\u00a0Newsletter ") == "sign up for our newsletter"
    assert parsing.boilerplate_key("STRASSE") == parsing.boilerplate_key("straße")


def test_the_parser_drops_the_site_lines_it_is_given_wherever_they_are():
    # A line of one site only: articles.furniture's shipped list does not know it.
    line = "Tonight on harbour radio"
    text = seed_text(subtitle=line, paragraphs=("Real news.", line.lower(), "More news."))

    plain = parsing.parse_text(text)
    site = parsing.parse_text(text, site_boilerplate=[line.lower()])

    assert plain.subtitle == line and line.lower() in plain.body
    assert site.subtitle == "" and site.body == "Real news.\n\nMore news."
    assert site.sha256 == plain.sha256  # the source is the same
    assert parsing.parse(text.encode(), site_boilerplate=[line]).body == site.body


# --- candidates ---------------------------------------------------------------------------


def test_candidates_are_the_short_body_lines_and_the_subtitle_each_once_never_the_title():
    long_line = "word " * 60
    found = boilerplate.candidate_lines(
        record("Tip the desk", "A headline", "TIP  the desk", long_line, "Body text.", subtitle="Harbour radio tonight")
    )

    assert found == {
        "harbour radio tonight": "Harbour radio tonight",
        "tip the desk": "Tip the desk",
        "body text.": "Body text.",
    }


def test_author_blocks_and_copyright_lines_are_not_candidates():
    found = boilerplate.candidate_lines(record("Body text."))

    assert not any("ann lee" in key or "acme" in key for key in found)


# --- the summary --------------------------------------------------------------------------


def test_the_summary_keeps_at_most_its_size_subtracting_the_next_count(monkeypatch):
    monkeypatch.setattr(boilerplate, "SUMMARY_SIZE", 3)
    lines = {key: key.upper() for key in "abcde"}

    summary = Summary().add(lines, Counter({"a": 9, "b": 7, "c": 5, "d": 2, "e": 1}), articles=10)

    assert summary.counters == {"a": ("A", 7), "b": ("B", 5), "c": ("C", 3)}
    assert summary.articles == 10


def test_the_window_halves_counts_and_articles_past_twice_its_size(monkeypatch):
    monkeypatch.setattr(boilerplate, "WINDOW", 10)
    summary = Summary(articles=25, counters={"a": ("A", 20), "b": ("B", 1)})

    assert summary.windowed() == Summary(articles=12, counters={"a": ("A", 10)})


@pytest.mark.parametrize(
    ("articles", "count", "frequent"),
    [(5, 5, True), (4, 4, False), (100, 20, True), (100, 19, False), (10_000, 5, False)],
)
def test_a_line_is_frequent_from_five_articles_and_a_fifth_of_the_window(articles, count, frequent):
    summary = Summary(articles=articles, counters={"k": ("K", count)})

    assert bool(summary.frequent()) is frequent


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sets(st.integers(0, 30), max_size=8), max_size=12), min_size=1, max_size=8))
def test_the_summary_never_counts_more_than_the_truth_and_stays_bounded(batches):
    """Each batch is a list of articles, each a set of line ids; counts are lower bounds within the MG error."""
    size = 4
    original, boilerplate.SUMMARY_SIZE = boilerplate.SUMMARY_SIZE, size
    try:
        summary, truth, total = Summary(), Counter(), 0
        for batch in batches:
            counts = Counter(line for article in batch for line in article)
            lines = {str(line): str(line) for line in counts}
            summary = summary.add(lines, Counter({str(k): v for k, v in counts.items()}), len(batch))
            truth.update(counts)
            total += sum(counts.values())
            assert len(summary.counters) <= size
        for line, true in truth.items():
            estimate = summary.counters.get(str(line), ("", 0))[1]
            assert estimate <= true
            assert true - estimate <= total / (size + 1)
    finally:
        boilerplate.SUMMARY_SIZE = original


def test_a_stored_summary_reads_back_by_key():
    row = BoilerplateSummary(articles_counted=7, counters={"Sign Up": 6})

    assert Summary.from_row(row) == Summary(articles=7, counters={"sign up": ("Sign Up", 6)})


# --- learning in a batch ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_learns_saves_and_then_removes_a_publishers_recurring_line(django_assert_num_queries):
    """
    GIVEN an existing publisher and six new records of it sharing a line
    WHEN a batch's lines are loaded, learned from and saved
    THEN the line is learned with its count, the summary is stored, and the batch removes it from then on
    """
    acme = PublisherFactory(name="Acme News")
    records = [record(f"Story {i}.", "Follow Acme at 6", title=f"Headline {i}", subtitle=f"Dek {i}") for i in range(6)]

    with django_assert_num_queries(3):  # the publisher (found by slug: no alias lookup), its lines, its summary
        batch = BatchLines.load(records)
    learned = batch.learn(records)
    assert learned.lines == {acme.pk: {"follow acme at 6": ("Follow Acme at 6", 6)}}
    assert batch.lines_for(records[0], learned) == {"follow acme at 6"}
    batch.save(learned, {})

    line = PublisherBoilerplate.objects.get()
    assert (line.publisher, line.text, line.origin, line.article_count) == (acme, "Follow Acme at 6", "learned", 6)
    assert BoilerplateSummary.objects.get(publisher=acme).counters["Follow Acme at 6"] == 6
    assert batch.lines_for(records[0]) == {"follow acme at 6"}
    assert batch.learn(records).lines == {}  # known now
    assert "Follow Acme at 6" not in boilerplate.stripped(records[0], batch.lines_for(records[0])).body


@pytest.mark.django_db
def test_a_publisher_the_batch_creates_is_saved_under_its_new_id():
    records = [
        record(f"Story {i}.", "Follow Newco", title=f"H {i}", subtitle=f"D {i}", publisher="Newco") for i in range(5)
    ]
    batch = BatchLines.load(records)
    learned = batch.learn(records)
    newco = PublisherFactory(name="Newco", slug="newco")

    batch.save(learned, {"newco": newco.pk})

    assert list(newco.boilerplate_lines.values_list("text", flat=True)) == ["Follow Newco"]
    assert batch.lines_for(records[0]) == {"follow newco"}


@pytest.mark.django_db
def test_an_editors_line_is_never_replaced_by_a_learned_one():
    acme = PublisherFactory(name="Acme News")
    PublisherBoilerplate.objects.create(publisher=acme, text="follow ACME at 6", enabled=False)
    records = [record(f"Story {i}.", "Follow Acme at 6", title=f"H {i}", subtitle=f"D {i}") for i in range(6)]

    batch = BatchLines.load(records)

    assert batch.learn(records).lines == {}
    assert batch.lines_for(records[0]) == frozenset()


def test_a_source_that_would_be_empty_without_the_lines_keeps_them():
    only = parsing.parse_text("Advertisement\n\nSome body.")

    assert boilerplate.stripped(only, frozenset({"advertisement", "some body."})) is only


# --- re-parse and editors ------------------------------------------------------------------


@pytest.mark.django_db
def test_parse_for_publisher_removes_the_publishers_enabled_lines_only():
    acme = PublisherFactory(name="Acme News")
    PublisherBoilerplate.objects.create(publisher=acme, text="Follow Acme at 6")
    PublisherBoilerplate.objects.create(publisher=acme, text="Keep me", enabled=False)
    text = seed_text(paragraphs=("News.", "Follow Acme at 6", "Keep me"), publisher="Acme News")

    assert parsing.parse_text(text).body == "News.\n\nFollow Acme at 6\n\nKeep me"
    assert boilerplate.parse_for_publisher(text).body == "News.\n\nKeep me"
    assert boilerplate.parse_for_publisher(text.replace("Acme News", "Other Co")).body.count("Follow Acme at 6") == 1


@pytest.mark.django_db
def test_set_enabled_changes_only_what_differs_and_records_it_in_the_history(admin_user):
    acme = PublisherFactory()
    on = PublisherBoilerplate.objects.create(publisher=acme, text="One")
    off = PublisherBoilerplate.objects.create(publisher=acme, text="Two", enabled=False)

    changed = boilerplate.set_enabled(lines=PublisherBoilerplate.objects.all(), enabled=False, user=admin_user)

    assert changed == 1
    assert not PublisherBoilerplate.objects.filter(enabled=True).exists()
    latest = on.history.latest()
    assert (latest.enabled, latest.history_user, latest.history_change_reason) == (
        False,
        admin_user,
        "disabled: kept in articles, not learned again",
    )
    assert off.history.count() == 1


@pytest.mark.django_db
def test_line_taken_compares_as_the_importer_does():
    acme, other = PublisherFactory(), PublisherFactory()
    line = PublisherBoilerplate.objects.create(publisher=acme, text="Read More")

    assert line.key == "read more"
    assert boilerplate.line_taken(publisher=acme, text=" read   MORE ")
    assert not boilerplate.line_taken(publisher=acme, text="read more", exclude_pk=line.pk)
    assert not boilerplate.line_taken(publisher=other, text="read more")


def test_the_worker_lines_are_bounded_and_most_recent_first():
    lines = boilerplate.WorkerLines(size=2)
    batch = BatchLines(enabled={"a-co": frozenset({"x"}), "b-co": frozenset({"y"}), "c-co": frozenset()})

    lines.update(batch, [record("N.", publisher=name) for name in ("A Co", "B Co", "C Co")])

    assert list(lines.lines) == ["c-co", "b-co"]
    assert lines.snapshot() == {"b-co": frozenset({"y"})}
