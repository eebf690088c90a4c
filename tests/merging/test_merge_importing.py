"""After a merge, imports of a merged name attach to the survivor and never read as an editor's change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import importing, merging
from articles.importing import batches
from articles.models import Article, Author, Publisher
from articles.naming import name_slug
from tests.merging.helpers import byline, write
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def import_and_merge(directory, model, part: str, kept: str, merged: str):
    """Import an article whose ``part`` (author or publisher) is ``kept``, one with ``merged``; merge that in."""
    write(directory, "1.txt", seed_text(title="First story", **{part: kept}))
    write(directory, "2.txt", seed_text(title="Second story", **{part: merged}))
    importing.import_paths(paths=[directory])
    survivor, other = (model.objects.get(slug=name_slug(name)) for name in (kept, merged))
    merging.merge_entities(survivor=survivor, others=[other])
    return survivor


@pytest.fixture
def merged_authors(tmp_path):
    """Two imported articles, by Jane Reporter and by Janet Reporter, with Janet merged into Jane."""
    return import_and_merge(tmp_path, Author, "author", "Jane Reporter", "Janet Reporter")


def test_a_new_article_by_an_alias_is_credited_to_the_survivor(tmp_path, merged_authors):
    new = tmp_path / "new"
    write(new, "3.txt", seed_text(title="Third story", author="Janet Reporter"))
    write(new, "4.txt", seed_text(title="Fourth story", author="Janet Reporter and Bob Other"))

    report = importing.import_paths(paths=[new])

    assert report.counts["created"] == 2
    assert byline(Article.objects.get(title="Third story")) == ["Jane Reporter"]
    assert byline(Article.objects.get(title="Fourth story")) == ["Jane Reporter", "Bob Other"]
    assert set(Author.objects.values_list("slug", flat=True)) == {"jane-reporter", "bob-other"}


def test_a_file_imported_on_its_own_is_credited_to_the_survivor(tmp_path, merged_authors):
    """
    GIVEN Janet merged into Jane
    WHEN a file by Janet is imported one by one (the bulk path failed)
    THEN it is still credited to Jane
    """
    path = write(tmp_path / "new", "3.txt", seed_text(title="Third story", author="Janet Reporter"))
    original = batches.BatchImporter._create_in_bulk
    batches.BatchImporter._create_in_bulk = lambda self, items: None
    try:
        outcome = importing.import_file(path=path)
    finally:
        batches.BatchImporter._create_in_bulk = original

    assert outcome.result == "created"
    assert byline(Article.objects.get(pk=outcome.article_id)) == ["Jane Reporter"]
    assert not Author.objects.filter(slug="janet-reporter").exists()


def test_reimporting_an_unchanged_source_after_a_merge_changes_nothing(tmp_path, merged_authors):
    report = importing.import_paths(paths=[tmp_path])

    assert report.counts["unchanged"] == 2
    assert byline(Article.objects.get(title="Second story")) == ["Jane Reporter"]


def test_a_changed_source_after_a_merge_is_no_editors_change(tmp_path, merged_authors):
    """
    GIVEN Janet's article now credited to Jane by the merge
    WHEN its source changes, still naming Janet
    THEN it updates, stays credited to Jane, and nothing is flagged for review
    """
    write(tmp_path, "2.txt", seed_text(title="Second story", paragraphs=("A new body.",), author="Janet Reporter"))

    report = importing.import_paths(paths=[tmp_path])

    assert report.counts["updated"] == 1
    article = Article.objects.get(title="Second story")
    assert byline(article) == ["Jane Reporter"]
    assert article.body == "A new body."
    assert (article.needs_review, article.import_conflicts, article.review_reasons) == (False, {}, [])


def test_a_source_naming_new_authors_after_a_merge_replaces_the_byline(tmp_path):
    """
    GIVEN an article imported as by [Ann Alpha, Xavier Dup, Bob Beta], and Xavier merged into Ann
    WHEN its source changes to name [Ann Alpha, Cat Gamma]
    THEN the merged byline [Ann, Bob] counts as the importer's, so it is replaced without a conflict
    """
    write(tmp_path, "1.txt", seed_text(author="Ann Alpha, Xavier Dup and Bob Beta"))
    importing.import_paths(paths=[tmp_path])
    article = Article.objects.get()
    merging.merge_entities(
        survivor=Author.objects.get(slug="ann-alpha"), others=[Author.objects.get(slug="xavier-dup")]
    )
    assert byline(article) == ["Ann Alpha", "Bob Beta"]
    write(tmp_path, "1.txt", seed_text(author="Ann Alpha and Cat Gamma", paragraphs=("Changed.",)))

    report = importing.import_paths(paths=[tmp_path])

    assert report.counts["updated"] == 1
    article.refresh_from_db()
    assert byline(article) == ["Ann Alpha", "Cat Gamma"]
    assert article.import_conflicts == {}
    assert article.needs_review is False


def test_an_editors_byline_change_after_a_merge_is_still_kept(tmp_path, merged_authors):
    """
    GIVEN Janet's article, now Jane's, whose byline an editor then changed to Bob
    WHEN its source changes its body, then its byline
    THEN the editor's byline stays; only the byline change in the source flags it, with both values
    """
    article = Article.objects.get(title="Second story")
    bob = Author.objects.create(name="Bob Editor", slug="bob-editor")
    article.bylines.update(author=bob)
    write(tmp_path, "2.txt", seed_text(title="Second story", paragraphs=("A new body.",), author="Janet Reporter"))

    importing.import_paths(paths=[tmp_path])

    article.refresh_from_db()
    assert byline(article) == ["Bob Editor"]
    assert article.import_conflicts == {}

    write(tmp_path, "2.txt", seed_text(title="Second story", paragraphs=("A new body.",), author="Dan Delta"))
    importing.import_paths(paths=[tmp_path])

    article.refresh_from_db()
    assert byline(article) == ["Bob Editor"]
    assert article.import_conflicts["authors"] == {"editor": ["Bob Editor"], "parsed": ["Dan Delta"]}
    assert article.needs_review is True


@pytest.fixture
def merged_publishers(tmp_path):
    """Two imported articles, by Blaze Media LLC and by Blaze Media Inc, with the second merged into the first."""
    return import_and_merge(tmp_path, Publisher, "publisher", "Blaze Media LLC", "Blaze Media Inc")


def test_a_new_article_by_a_publisher_alias_goes_to_the_survivor(tmp_path, merged_publishers):
    write(tmp_path / "new", "3.txt", seed_text(title="Third story", publisher="Blaze Media Inc"))

    importing.import_paths(paths=[tmp_path / "new"])

    assert Article.objects.get(title="Third story").publisher == merged_publishers
    assert list(Publisher.objects.values_list("slug", flat=True)) == ["blaze-media-llc"]


@pytest.mark.parametrize(
    ("new_holder", "expected"),
    [("Blaze Media Inc", "blaze-media-llc"), ("Other Press Ltd", "other-press-ltd")],
)
def test_a_changed_source_after_a_publisher_merge_is_no_editors_change(
    tmp_path, merged_publishers, new_holder, expected
):
    """
    GIVEN the second article moved to Blaze Media LLC by a merge
    WHEN its source changes, naming the merged publisher or a new one
    THEN the publisher follows the source and no conflict is flagged
    """
    unchanged = importing.import_paths(paths=[tmp_path])
    assert unchanged.counts["unchanged"] == 2
    write(tmp_path, "2.txt", seed_text(title="Second story", paragraphs=("Changed.",), publisher=new_holder))

    report = importing.import_paths(paths=[tmp_path])

    assert report.counts["updated"] == 1
    article = Article.objects.get(title="Second story")
    assert article.publisher.slug == expected
    assert (article.needs_review, article.import_conflicts) == (False, {})


def test_alias_lookups_cost_the_same_queries_however_many_aliases(tmp_path):
    """
    GIVEN two archives, one with two merged authors and one with six
    WHEN a batch of six new files, each by a merged name, is imported into each
    THEN both imports run the same number of queries
    """

    def queries_to_import(merged: int, tag: str) -> int:
        # A publisher of its own: each import's six alike pages teach it the same boilerplate lines.
        Publisher.objects.create(name=f"Press {tag}", slug=f"press-{tag}")
        keep = Author.objects.create(name=f"Keep {tag}", slug=f"keep-{tag}")
        names = [f"Dup {chr(65 + i)} {tag.title()}" for i in range(merged)]
        dups = [Author.objects.create(name=name, slug=name.lower().replace(" ", "-")) for name in names]
        merging.merge_entities(survivor=keep, others=dups)
        for i in range(6):
            write(
                tmp_path / tag,
                f"{tag}-{i}.txt",
                seed_text(title=f"Story {tag} {i}", author=names[i % merged], publisher=f"Press {tag}"),
            )
        with CaptureQueriesContext(connection) as ctx:
            report = importing.import_paths(paths=[tmp_path / tag])
        assert report.counts["created"] == 6, report.as_dict()
        assert not Author.objects.filter(name__startswith="Dup").exists()
        return len(ctx.captured_queries)

    assert queries_to_import(2, "small") == queries_to_import(6, "large")
