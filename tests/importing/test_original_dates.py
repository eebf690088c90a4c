"""Issue 9: the importer stores the dates a source gives for itself, apart from the archive's own dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from articles import importing
from articles.models import Article
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db

MARCH_3 = dt.datetime(2024, 3, 3, 22, 0, tzinfo=dt.UTC)
MARCH_4 = dt.datetime(2024, 3, 4, 14, 15, tzinfo=dt.UTC)


def dated(*date_lines: str, body: str = "The council met on Monday.") -> str:
    return seed_text(paragraphs=(*date_lines, body))


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def test_the_sources_dates_are_stored_and_their_lines_leave_the_body(tmp_path):
    write(tmp_path, "a.txt", dated("Published March 3, 2024 5:00 PM EST", "Updated: March 4, 2024 9:15 AM EST"))

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert (article.original_published_at, article.original_updated_at) == (MARCH_3, MARCH_4)
    assert article.date == MARCH_3
    assert article.published_at > MARCH_3  # the archive published it at the import
    assert article.body == "The council met on Monday."
    assert article.parsed["original_published_at"] == MARCH_3.isoformat()


def test_a_source_without_a_date_has_no_original_date(tmp_path):
    """GIVEN a 2019 story with no date line WHEN imported THEN it has no original date; its date is the archive's."""
    write(tmp_path, "a.txt", seed_text(year=2019))

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert article.original_published_at is None and article.original_updated_at is None
    assert article.date == article.published_at


def test_an_undated_draft_has_no_date_at_all(tmp_path):
    write(tmp_path, "a.txt", seed_text(author=None))  # no author: a draft for review

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert article.date is None


def test_a_dated_draft_is_dated_by_its_source(tmp_path):
    write(tmp_path, "a.txt", seed_text(author=None, paragraphs=("3 March 2024", "Body.")))

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert (article.published_at, article.date) == (None, dt.datetime(2024, 3, 3, tzinfo=dt.UTC))


def test_a_changed_source_updates_the_dates(tmp_path):
    write(tmp_path, "a.txt", dated("Published March 3, 2024 5:00 PM EST"))
    importing.import_paths(paths=[tmp_path])

    write(tmp_path, "a.txt", dated("Published March 3, 2024 5:00 PM EST", "Updated: March 4, 2024 9:15 AM EST"))
    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert (article.original_published_at, article.original_updated_at) == (MARCH_3, MARCH_4)
    assert article.needs_review is False


def test_an_editors_date_survives_a_reimport_and_conflicts_with_a_new_one(tmp_path):
    """
    GIVEN an imported article whose original date an editor corrected
    WHEN the source changes its body only, then its date too
    THEN the editor's date stands quietly, then is kept and flagged with both values (as JSON text)
    """
    write(tmp_path, "a.txt", dated("Published March 3, 2024 5:00 PM EST"))
    importing.import_paths(paths=[tmp_path])
    article = Article.objects.get()
    corrected = dt.datetime(2024, 3, 2, 12, 0, tzinfo=dt.UTC)
    article.original_published_at = corrected
    article.save()

    write(tmp_path, "a.txt", dated("Published March 3, 2024 5:00 PM EST", body="A new body."))
    importing.import_paths(paths=[tmp_path])
    article.refresh_from_db()
    assert (article.original_published_at, article.body, article.import_conflicts) == (corrected, "A new body.", {})

    write(tmp_path, "a.txt", dated("Published March 5, 2024", body="A new body."))
    importing.import_paths(paths=[tmp_path])
    article.refresh_from_db()
    assert article.original_published_at == corrected
    assert article.import_conflicts == {
        "original_published_at": {"editor": corrected.isoformat(), "parsed": "2024-03-05T00:00:00+00:00"}
    }
    assert article.needs_review is True


def test_reparse_applies_the_dates_the_current_parser_reads():
    """GIVEN an article whose dates were lost WHEN it is re-parsed THEN the dates of its source are back."""
    source = importing.bytes_source(dated("Published March 3, 2024 5:00 PM EST").encode(), key="a.txt")
    importing.import_sources(sources=[source])
    Article.objects.update(original_published_at=None)
    article = Article.objects.get()
    assert article.date == article.published_at

    importing.reparse_article(article=article)

    article.refresh_from_db()
    assert (article.original_published_at, article.date) == (MARCH_3, MARCH_3)
