"""The source revisions service: numbering, changed fields and diffs."""

from __future__ import annotations

import importlib

import pytest

from articles import revisions
from articles.importing import bytes_source, import_sources
from articles.models import Article
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def import_seed(**parts) -> Article:
    """Import (or re-import) the seed ``story.txt`` built from ``parts``; return its article."""
    report = import_sources(sources=[bytes_source(seed_text(**parts).encode(), key="story.txt")])
    assert not report.errors, report.errors
    return Article.objects.get(source_key="story.txt")


@pytest.fixture
def corrected() -> Article:
    """An article imported three times: as first written, with its title corrected, then a paragraph changed."""
    import_seed()
    import_seed(title="Town council approves new bridge over river")
    return import_seed(
        title="Town council approves new bridge over river",
        paragraphs=("The council met on Tuesday.", "Construction starts in spring."),
    )


def test_revisions_are_numbered_oldest_first_with_what_changed(corrected):
    """
    GIVEN an article whose source changed twice
    WHEN its revisions are listed
    THEN there are three, the current source last, each saying which parsed fields changed
    """
    found = revisions.revisions(article=corrected)

    assert [r.number for r in found] == [1, 2, 3]
    assert [r.is_current for r in found] == [False, False, True]
    assert found[-1].sha256 == corrected.content_sha256
    assert [r.changed_fields for r in found] == [[], ["title"], ["body"]]
    assert found[1].imported_at == found[0].replaced_at


def test_an_article_never_changed_has_one_revision():
    article = import_seed()

    assert [(r.number, r.changed_fields) for r in revisions.revisions(article=article)] == [(1, [])]


def test_diff_gives_a_unified_diff_and_hunks(corrected):
    result = revisions.diff(article=corrected, number=3, against=1)

    assert result.unified.startswith("--- revision 1\n+++ revision 3\n")
    assert "-The council met on Monday." in result.unified
    assert "+The council met on Tuesday." in result.unified
    ops = [op for hunk in result.hunks for op in hunk["ops"] if op["op"] != "equal"]
    assert {"op": "replace", "old": ["The council met on Monday."], "new": ["The council met on Tuesday."]} in ops


def test_diff_defaults_to_the_previous_revision_and_to_nothing_for_the_first(corrected):
    assert revisions.diff(article=corrected, number=3).old.number == 2
    first = revisions.diff(article=corrected, number=1)
    assert first.old.number == 0
    assert all(op["op"] == "insert" for hunk in first.hunks for op in hunk["ops"])


@pytest.mark.parametrize(("number", "against"), [(4, None), (0, None), (2, 9)])
def test_an_unknown_revision_is_refused(corrected, number, against):
    with pytest.raises(revisions.RevisionNotFound):
        revisions.diff(article=corrected, number=number, against=against)


def test_the_importer_records_when_the_source_changed(corrected):
    found = revisions.revisions(article=corrected, with_changes=False)

    assert corrected.source_changed_at is not None
    assert abs((corrected.source_changed_at - found[1].replaced_at).total_seconds()) < 5


def test_side_by_side_marks_the_changed_words_only():
    rows = revisions.side_by_side(
        old_text="Same.\n\nThe council met on Monday.", new_text="Same.\n\nThe council met on Tuesday."
    )

    assert rows[0] == {"op": "equal", "old": [("Same.", False)], "new": [("Same.", False)]}
    assert rows[1]["old"] == [("The council met on ", False), ("Monday. ", True)]
    assert rows[1]["new"] == [("The council met on ", False), ("Tuesday. ", True)]


def test_the_migration_backfills_when_the_source_last_changed(corrected):
    """
    GIVEN an article changed twice, whose change time is unknown (as before migration 0019)
    WHEN the migration's backfill runs
    THEN the time is its latest revision's, and an article never changed keeps none
    """
    from django.apps import apps

    backfill = importlib.import_module("articles.migrations.0019_source_changed_at").backfill
    unchanged = import_sources(sources=[bytes_source(seed_text(title="Another story").encode(), key="b.txt")])
    Article.objects.update(source_changed_at=None)

    backfill(apps, None)

    latest = corrected.source_revisions.order_by("-replaced_at").first()
    assert Article.objects.get(pk=corrected.pk).source_changed_at == latest.replaced_at
    assert Article.objects.get(pk=unchanged.outcomes[0].article_id).source_changed_at is None
