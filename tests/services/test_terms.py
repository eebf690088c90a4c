"""``articles.terms``: the seeded sample, counting a sample's terms, and their JLH scores against the index."""

from __future__ import annotations

import pytest

from articles import terms
from articles.models import Article
from articles.search import SearchFilters, search
from tests.factories import ArticleFactory


def test_the_hash_order_is_fixed_by_the_seed():
    ids = range(1, 1001)

    sample = terms.hash_sample(ids, 10)

    assert sample == terms.hash_sample(reversed(ids), 10)
    assert sample != terms.hash_sample(ids, 10, seed=1)
    assert sample != list(range(1, 11))  # spread over the ids, not the lowest


@pytest.mark.parametrize(("low", "high", "fraction"), [(1, 1_000_000, 0.01), (500, 700, 0.5), (1, 64, 0.01)])
def test_windows_lie_one_per_stratum_and_cover_about_the_fraction(low, high, fraction):
    ranges = terms.windows(low, high, fraction)

    assert len(ranges) == terms.WINDOWS
    assert all(low <= a <= b <= high for a, b in ranges)
    assert all(ranges[i][1] < ranges[i + 1][0] for i in range(len(ranges) - 1))  # disjoint, in order
    covered = sum(b - a + 1 for a, b in ranges)
    assert fraction * (high - low + 1) <= covered <= fraction * (high - low + 1) + terms.WINDOWS
    assert ranges == terms.windows(low, high, fraction)


@pytest.mark.parametrize(
    ("bodies", "expected"),
    [
        # Stop words, one-letter words and numbers are out; forms of one stem are one term.
        ([("The harbours and a harbour in 2024.", "english")], {("english", "harbour"): 1}),
        # English: Lucene's list and the module's own.
        (
            [("Which of these would you have said about ferries?", "english")],
            {("english", "said"): 1, ("english", "ferri"): 1},
        ),
        ([("El puerto de la ciudad.", "spanish")], {("spanish", "puert"): 1, ("spanish", "ciud"): 1}),
        # Counted once per article, whatever the repeats.
        ([("ferry ferry ferry", "english"), ("ferry", "english")], {("english", "ferri"): 2}),
        # A language without a stop word list keeps every word.
        ([("the end", "turkish")], {("turkish", "the"): 1, ("turkish", "end"): 1}),
    ],
)
def test_count_terms(bodies, expected):
    assert dict(terms.count_terms(bodies).counts) == expected


def test_a_term_shows_its_most_frequent_form_and_excluded_terms_are_out():
    bodies = [("harbours ferry", "english"), ("harbours", "english"), ("harbour", "english")]

    sample = terms.count_terms(bodies, excluded=frozenset({("english", "ferri")}))

    assert sample.size == 3
    assert terms.display(sample.surfaces([("english", "harbour")])[("english", "harbour")]) == "harbours"
    assert ("english", "ferri") not in sample.counts


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((420, 2000, 900, 20000), (0.21 - 0.045) * 0.21 / 0.045),
        ((10, 100, 100, 1000), 0.0),  # as frequent as in the archive
        ((0, 0, 5, 10), 0.0),
    ],
)
def test_jlh(args, expected):
    assert terms.jlh(*args) == pytest.approx(expected)


@pytest.fixture
def archive(db):
    """Eight published stories about a harbour (with ferries), twenty others, and a harbour draft about a lighthouse."""
    for _ in range(8):
        ArticleFactory(body="Harbour ferry timetable changes.")
    for _ in range(20):
        ArticleFactory(body="School budget changes.")
    ArticleFactory(status=Article.Status.DRAFT, published_at=None, body="Harbour lighthouse changes.")


def published(q: str | None = None):
    return search(Article.objects.published(), q, filters=SearchFilters(statuses=("published",)), snippets=False)


def test_top_terms_ranks_the_topic_word_first_and_leaves_the_query_word_out(archive):
    result = terms.top_terms(matches=published("harbour"), limit=5)

    assert (result["matches"], result["sample_size"]) == (8, 8)
    assert [t["term"] for t in result["terms"]] == ["ferry", "timetable"]  # "changes" is everywhere
    assert result["terms"][0]["archive_count"] == 8


def test_the_sample_is_capped_and_reproducible(archive):
    first = terms.sample_ids(published(), 5)

    assert first[0] == 28
    assert len(first[1]) == 5
    assert first == terms.sample_ids(published(), 5)


def test_a_large_result_is_sampled_within_id_windows(archive, monkeypatch):
    """GIVEN more matches than are read whole
    WHEN a sample is drawn
    THEN it comes from id windows over the matches, the same each time, and holds matches only."""
    monkeypatch.setattr(terms, "READ_ALL_IDS", 4)
    matching = set(Article.objects.published().filter(body__startswith="Harbour").values_list("pk", flat=True))

    total, ids = terms.sample_ids(published("harbour"), 3)

    assert total == 8
    assert 0 < len(ids) <= 3
    assert set(ids) <= matching
    assert (total, ids) == terms.sample_ids(published("harbour"), 3)


def test_no_match(archive):
    assert terms.top_terms(matches=published("volcano")) == {"sample_size": 0, "matches": 0, "terms": []}
