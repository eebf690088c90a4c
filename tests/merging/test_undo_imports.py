"""Undoing a merge also gives back what imports credited to the survivor through the merge's aliases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import importing, merging
from articles.models import Article, ArticleAuthor, Author, Publisher
from articles.review import set_byline
from tests.merging.helpers import byline, write
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def author(slug: str) -> Author:
    return Author.objects.get(slug=slug)


def publisher(slug: str) -> Publisher:
    return Publisher.objects.get(slug=slug)


@pytest.fixture
def ana_merged(tmp_path) -> merging.Merge:
    """Articles by Ana Berg and by Carl Ito, imported, then Ana merged into Carl."""
    write(tmp_path / "old", "ana.txt", seed_text(title="Ana's old story", author="Ana Berg"))
    write(tmp_path / "old", "carl.txt", seed_text(title="Carl's old story", author="Carl Ito"))
    importing.import_paths(paths=[tmp_path / "old"])
    return merging.merge_entities(survivor=author("carl-ito"), others=[author("ana-berg")])


def import_new(tmp_path, title: str, **parts) -> Article:
    """Import one new seed and return its article."""
    write(tmp_path / "new", f"{title}.txt", seed_text(title=title, **parts))
    report = importing.import_paths(paths=[tmp_path / "new"])
    assert report.counts["created"] == 1, report.as_dict()
    return Article.objects.get(title=title)


def test_an_article_imported_by_a_merged_name_goes_back_with_the_undo(tmp_path, editor, ana_merged):
    """
    GIVEN Ana merged into Carl, then a new article by "Ana Berg" imported (so credited to Carl)
    WHEN the merge is undone
    THEN the new article is credited to Ana again, on the same byline row, recorded and reported
    """
    new = import_new(tmp_path, "Ana's new story", author="Ana Berg")
    assert byline(new) == ["Carl Ito"]
    row = new.bylines.get()

    result = merging.undo_merge(merge=ana_merged, user=editor)

    assert byline(new) == ["Ana Berg"]
    assert byline(Article.objects.get(title="Ana's old story")) == ["Ana Berg"]
    assert byline(Article.objects.get(title="Carl's old story")) == ["Carl Ito"]
    assert new.bylines.get().pk == row.pk
    assert [article.pk for article in result.reattributed] == [new.pk]
    assert result.skipped == []
    record = ArticleAuthor.history.filter(id=row.pk).latest()
    assert (record.author_id, record.history_change_reason, record.history_user) == (
        author("ana-berg").pk,
        f"merge #{ana_merged.pk} undone",
        editor,
    )


def test_after_the_undo_a_reimport_is_no_editors_change(tmp_path, ana_merged):
    """
    GIVEN a new article by "Ana Berg" imported during the merge, and the merge undone
    WHEN its file is imported again, unchanged and then changed
    THEN it is unchanged, then updated with Ana's byline and no conflict
    """
    new = import_new(tmp_path, "Ana's new story", author="Ana Berg")
    merging.undo_merge(merge=ana_merged)

    assert importing.import_paths(paths=[tmp_path / "new"]).counts["unchanged"] == 1
    write(tmp_path / "new", "Ana's new story.txt", seed_text(title="Ana's new story", paragraphs=("Changed.",)))
    assert importing.import_paths(paths=[tmp_path / "new"]).counts["updated"] == 1

    new.refresh_from_db()
    assert byline(new) == ["Jane Reporter"]  # the changed source names a new author: no editor's byline kept
    assert (new.needs_review, new.import_conflicts, new.review_reasons) == (False, {}, [])


def test_a_changed_source_still_naming_the_restored_author_updates_without_conflict(tmp_path, ana_merged):
    new = import_new(tmp_path, "Ana's new story", author="Ana Berg")
    merging.undo_merge(merge=ana_merged)
    write(
        tmp_path / "new",
        "Ana's new story.txt",
        seed_text(title="Ana's new story", paragraphs=("Changed.",), author="Ana Berg"),
    )

    assert importing.import_paths(paths=[tmp_path / "new"]).counts["updated"] == 1

    new.refresh_from_db()
    assert byline(new) == ["Ana Berg"]
    assert (new.needs_review, new.import_conflicts) == (False, {})


@pytest.mark.parametrize(
    ("credited", "during_merge", "after_undo"),
    [
        ("Ana Berg and Bob Other", ["Carl Ito", "Bob Other"], ["Ana Berg", "Bob Other"]),
        ("Bob Other and Ana Berg", ["Bob Other", "Carl Ito"], ["Bob Other", "Ana Berg"]),
        # Both names went to Carl, once; the undo tells them apart again.
        ("Ana Berg and Carl Ito", ["Carl Ito"], ["Ana Berg", "Carl Ito"]),
        ("Carl Ito, Ana Berg and Bob Other", ["Carl Ito", "Bob Other"], ["Carl Ito", "Ana Berg", "Bob Other"]),
    ],
)
def test_a_shared_byline_gets_the_restored_author_back_in_source_order(
    tmp_path, ana_merged, credited, during_merge, after_undo
):
    new = import_new(tmp_path, "Shared story", author=credited)
    assert byline(new) == during_merge

    result = merging.undo_merge(merge=ana_merged)

    assert byline(new) == after_undo
    assert [article.pk for article in result.reattributed] == [new.pk]


def test_an_editors_byline_since_the_merge_is_kept(tmp_path, ana_merged):
    """
    GIVEN a new article by "Ana Berg" credited to Carl by the import, whose byline an editor then changed
    WHEN the merge is undone
    THEN the editor's byline stays
    """
    new = import_new(tmp_path, "Ana's new story", author="Ana Berg")
    set_byline(new, [author("carl-ito"), Author.objects.create(name="Bob Other", slug="bob-other")])

    result = merging.undo_merge(merge=ana_merged)

    assert byline(new) == ["Carl Ito", "Bob Other"]
    assert result.reattributed == []


def test_an_editors_byline_from_before_the_merge_is_kept(tmp_path):
    """
    GIVEN an article by "Ana Berg" that an editor credited to Carl before Ana was merged into Carl
    WHEN the merge is undone
    THEN the article stays Carl's: the merge never moved it
    """
    write(tmp_path, "ana.txt", seed_text(title="Ana's story", author="Ana Berg"))
    write(tmp_path, "carl.txt", seed_text(title="Carl's story", author="Carl Ito"))
    importing.import_paths(paths=[tmp_path])
    corrected = Article.objects.get(title="Ana's story")
    set_byline(corrected, [author("carl-ito")])
    merge = merging.merge_entities(survivor=author("carl-ito"), others=[author("ana-berg")])

    result = merging.undo_merge(merge=merge)

    assert byline(corrected) == ["Carl Ito"]
    assert result.reattributed == []


def test_an_article_reimported_during_the_merge_is_no_byline_changed_since(tmp_path, ana_merged):
    """
    GIVEN Ana's old article, re-imported during the merge from a source now naming Ana and Bob
    WHEN the merge is undone
    THEN its byline follows the source, [Ana, Bob], and it is not reported as changed by an editor
    """
    old = Article.objects.get(title="Ana's old story")
    write(
        tmp_path / "old",
        "ana.txt",
        seed_text(title="Ana's old story", paragraphs=("Changed.",), author="Ana Berg and Bob Other"),
    )
    assert importing.import_paths(paths=[tmp_path / "old"]).counts["updated"] == 1
    assert byline(old) == ["Carl Ito", "Bob Other"]

    result = merging.undo_merge(merge=ana_merged)

    assert byline(old) == ["Ana Berg", "Bob Other"]
    assert result.skipped == []
    assert [article.pk for article in result.reattributed] == [old.pk]


@pytest.fixture
def inc_merged(tmp_path) -> merging.Merge:
    """Articles of Blaze Media Inc and of Blaze Media LLC, imported, then Inc merged into LLC."""
    write(tmp_path / "old", "inc.txt", seed_text(title="Inc's old story", publisher="Blaze Media Inc"))
    write(tmp_path / "old", "llc.txt", seed_text(title="LLC's old story", publisher="Blaze Media LLC"))
    importing.import_paths(paths=[tmp_path / "old"])
    return merging.merge_entities(survivor=publisher("blaze-media-llc"), others=[publisher("blaze-media-inc")])


def test_an_article_imported_by_a_merged_publisher_goes_back_with_the_undo(tmp_path, editor, inc_merged):
    """
    GIVEN Inc merged into LLC, then a new article of "Blaze Media Inc" imported (so LLC's)
    WHEN the merge is undone
    THEN the new article is Inc's again, recorded and reported; a re-import finds it unchanged
    """
    new = import_new(tmp_path, "Inc's new story", publisher="Blaze Media Inc")
    assert new.publisher.slug == "blaze-media-llc"

    result = merging.undo_merge(merge=inc_merged, user=editor)

    publishers = dict(Article.objects.values_list("title", "publisher__slug"))
    assert publishers == {
        "Inc's old story": "blaze-media-inc",
        "LLC's old story": "blaze-media-llc",
        "Inc's new story": "blaze-media-inc",
    }
    assert [article.pk for article in result.reattributed] == [new.pk]
    assert result.skipped == []
    record = Article.history.filter(id=new.pk).latest()
    assert (record.publisher.slug, record.history_change_reason, record.history_user) == (
        "blaze-media-inc",
        f"merge #{inc_merged.pk} undone",
        editor,
    )
    assert importing.import_paths(paths=[tmp_path / "new"]).counts["unchanged"] == 1
    write(
        tmp_path / "new",
        "Inc's new story.txt",
        seed_text(title="Inc's new story", paragraphs=("Changed.",), publisher="Blaze Media Inc"),
    )
    assert importing.import_paths(paths=[tmp_path / "new"]).counts["updated"] == 1
    new.refresh_from_db()
    assert (new.publisher.slug, new.needs_review, new.import_conflicts) == ("blaze-media-inc", False, {})


def test_a_publisher_an_editor_chose_is_kept(tmp_path):
    """
    GIVEN an article of "Blaze Media Inc" that an editor gave to LLC before Inc was merged into LLC (and edits since),
    and a new article of Inc imported during the merge that an editor then gave to another publisher
    WHEN the merge is undone
    THEN both keep the editor's publisher
    """
    write(tmp_path / "old", "inc.txt", seed_text(title="Inc's story", publisher="Blaze Media Inc"))
    write(tmp_path / "old", "early.txt", seed_text(title="Corrected early", publisher="Blaze Media Inc"))
    write(tmp_path / "old", "llc.txt", seed_text(title="LLC's story", publisher="Blaze Media LLC"))
    importing.import_paths(paths=[tmp_path / "old"])
    early = Article.objects.get(title="Corrected early")
    early.publisher = publisher("blaze-media-llc")
    early.save()
    merge = merging.merge_entities(survivor=publisher("blaze-media-llc"), others=[publisher("blaze-media-inc")])
    early.subtitle = "Edited during the merge"
    early.save()
    since = import_new(tmp_path, "Edited since", publisher="Blaze Media Inc")
    since.publisher = Publisher.objects.create(name="Other Press", slug="other-press")
    since.save()

    result = merging.undo_merge(merge=merge)

    publishers = dict(Article.objects.values_list("title", "publisher__slug"))
    assert publishers == {
        "Inc's story": "blaze-media-inc",
        "Corrected early": "blaze-media-llc",
        "LLC's story": "blaze-media-llc",
        "Edited since": "other-press",
    }
    assert result.reattributed == []


@pytest.mark.parametrize("kind", ["author", "publisher"])
def test_the_undo_costs_the_same_queries_however_many_articles_to_give_back(tmp_path, kind):
    """
    GIVEN two merges, each followed by imports by the merged name: one article, then five
    WHEN each merge is undone
    THEN both undos run the same number of queries
    """

    def queries_to_undo(count: int, tag: str) -> int:
        name, keep = f"Dup {tag.title()}", f"Keep {tag.title()}"
        part = "author" if kind == "author" else "publisher"
        write(tmp_path / tag / "old", f"{tag}-dup.txt", seed_text(title=f"Old dup {tag}", **{part: name}))
        write(tmp_path / tag / "old", f"{tag}-keep.txt", seed_text(title=f"Old keep {tag}", **{part: keep}))
        importing.import_paths(paths=[tmp_path / tag / "old"])
        model = Author if kind == "author" else Publisher
        survivor, other = model.objects.get(name=keep), model.objects.get(name=name)
        merge_rows = merging.merge_entities
        merge = merge_rows(survivor=survivor, others=[other])
        for i in range(count):
            write(tmp_path / tag / "new", f"{tag}-{i}.txt", seed_text(title=f"New {tag} {i}", **{part: name}))
        report = importing.import_paths(paths=[tmp_path / tag / "new"])
        assert report.counts["created"] == count, report.as_dict()
        with CaptureQueriesContext(connection) as ctx:
            result = merging.undo_merge(merge=merge)
        assert len(result.reattributed) == count
        return len(ctx.captured_queries)

    assert queries_to_undo(1, "small") == queries_to_undo(5, "large")
