"""The import service: outcomes, idempotency, provenance, atomicity and query counts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import importing, parsing
from articles.importing import batches
from articles.models import Article, ArticleAuthor, Author, ImportOutcome, ImportRun, Publisher, SourceRevision
from tests.conftest import SEED_FILE, SEEDS_DIR
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def test_the_example_seed_imports_with_every_field():
    report = importing.import_paths(paths=[SEEDS_DIR])

    assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 0}
    article = Article.objects.get()
    assert article.title.startswith("ICE puts Illinois sanctuary county on blast")
    assert article.subtitle == "Cook County refuses to honor immigration detainers"
    assert article.image_credit == "Salwan Georges/The Washington Post via Getty Images"
    assert article.copyright_year == 2024
    assert article.publisher.name == "Blaze Media LLC"
    assert article.publisher.slug == "blaze-media-llc"
    assert [a.name for a in article.authors.all()] == ["Phil Shiver"]
    author = Author.objects.get()
    assert author.bio.startswith("Phil Shiver is a former staff writer for The Blaze.")
    assert author.social_handle == "@kpshiver3"
    assert article.body.startswith("U.S. Immigrations and Customs Enforcement called out")
    assert article.body.endswith('due to their "sanctuary" immigration policies.')
    for leftover in ("Want to leave a tip?", "Phil Shiver is a former", "©", "Photo by", "Already a subscriber?"):
        assert leftover not in article.body
    assert article.word_count == len(article.body.split())
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at is not None
    assert article.needs_review is False
    assert article.review_reasons == []
    assert article.source_key == SEED_FILE.name
    assert article.raw_text == SEED_FILE.read_text(encoding="utf-8")
    assert article.content_sha256 == hashlib.sha256(parsing.normalize(article.raw_text).encode()).hexdigest()
    assert article.slug.startswith("ice-puts-illinois-sanctuary-county-on-blast")
    assert article.import_run_id == report.run_id


def test_rerunning_an_import_changes_nothing():
    """
    GIVEN the seeds were imported once
    WHEN the same import runs again
    THEN every file is unchanged and no row is added or modified
    """
    importing.import_paths(paths=[SEEDS_DIR])
    before = Article.objects.values().get()
    history_before = Article.history.count()

    report = importing.import_paths(paths=[SEEDS_DIR])

    assert report.counts == {"created": 0, "updated": 0, "unchanged": 1, "duplicates": 0, "failed": 0}
    assert Article.objects.values().get() == before
    assert Article.history.count() == history_before
    assert (Author.objects.count(), Publisher.objects.count(), ArticleAuthor.objects.count()) == (1, 1, 1)


def test_changed_content_updates_the_article_and_keeps_the_earlier_text(tmp_path):
    """
    GIVEN an imported seed
    WHEN its file changes and is imported again
    THEN the same article is updated and its earlier source text is kept as a revision
    """
    path = write(tmp_path, "story.txt", seed_text(paragraphs=("Original paragraph.",)))
    importing.import_paths(paths=[tmp_path])
    article = Article.objects.get()
    old_text, old_sha = article.raw_text, article.content_sha256

    write(tmp_path, "story.txt", seed_text(paragraphs=("Corrected paragraph with more words.",)))
    report = importing.import_paths(paths=[tmp_path])

    assert report.counts["updated"] == 1, report.as_dict()
    article.refresh_from_db()
    assert article.body == "Corrected paragraph with more words."
    assert article.word_count == 5
    assert article.content_sha256 != old_sha
    revision = SourceRevision.objects.get(article=article)
    assert (revision.raw_text, revision.content_sha256) == (old_text, old_sha)
    assert path.read_text() == article.raw_text


def test_identical_content_under_a_new_key_is_a_duplicate(tmp_path):
    write(tmp_path, "a.txt", seed_text())
    write(tmp_path, "b.txt", seed_text())
    write(tmp_path, "c.txt", seed_text().replace("\n", "\r\n").encode("utf-8-sig"))

    report = importing.import_paths(paths=[tmp_path])

    assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "duplicates": 2, "failed": 0}
    assert Article.objects.count() == 1
    original = Article.objects.get()
    assert {o.article_id for o in report.outcomes} == {original.pk}


def test_bad_files_are_reported_and_the_rest_still_import(tmp_path):
    write(tmp_path, "good.txt", seed_text())
    write(tmp_path, "empty.txt", b"")
    write(tmp_path, "blank.txt", b"  \n\r\n\t \n")
    write(tmp_path, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    write(tmp_path, "notes.md", b"ignored: not a .txt file")

    report = importing.import_paths(paths=[tmp_path])

    assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 3}
    errors = {Path(e["path"]).name: e["error"] for e in report.errors}
    assert set(errors) == {"empty.txt", "blank.txt", "binary.txt"}
    assert "empty" in errors["empty.txt"].lower()
    assert "whitespace" in errors["blank.txt"].lower()
    assert "binary" in errors["binary.txt"].lower()
    assert all(str(tmp_path) in e["path"] for e in report.errors)
    assert Article.objects.count() == 1


def test_a_plain_title_and_body_imports_as_a_draft_for_review(tmp_path):
    write(tmp_path, "plain.txt", "A plain headline\n\nFirst paragraph here.\n\nSecond paragraph here.\n")

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert article.title == "A plain headline"
    assert article.body == "First paragraph here.\n\nSecond paragraph here."
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None
    assert article.needs_review is True
    assert set(article.review_reasons) == {"no publisher", "no author"}
    assert article.publisher is None
    assert not article.authors.exists()


def test_missing_credit_and_subtitle_are_not_warnings(tmp_path):
    write(tmp_path, "s.txt", seed_text(credit=None))

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert (article.status, article.needs_review, article.image_credit) == (Article.Status.PUBLISHED, False, "")


def test_source_keys_are_relative_to_the_directory_argument(tmp_path):
    write(tmp_path, "2024/05/one.txt", seed_text(title="One"))
    write(tmp_path, "two.TXT", seed_text(title="Two"))
    single = write(tmp_path / "elsewhere", "three.txt", seed_text(title="Three"))

    importing.import_paths(paths=[tmp_path / "2024", tmp_path / "two.TXT", single])

    assert set(Article.objects.values_list("source_key", flat=True)) == {"05/one.txt", "two.TXT", "three.txt"}


def test_a_missing_path_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(importing.SourceNotFound, match="no-such-dir"):
        importing.import_paths(paths=[SEEDS_DIR, tmp_path / "no-such-dir"])
    assert not ImportRun.objects.exists()
    assert not Article.objects.exists()


def test_dry_run_reports_the_same_counts_and_writes_nothing(tmp_path):
    write(tmp_path, "a.txt", seed_text(title="Alpha"))
    write(tmp_path, "b.txt", seed_text(title="Alpha"))
    write(tmp_path, "c.txt", b"")

    report = importing.import_paths(paths=[tmp_path], dry_run=True)

    assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "duplicates": 1, "failed": 1}
    assert report.run_id is None
    assert all(o.article_id is None for o in report.outcomes)  # nothing was kept to point at
    for model in (Article, Author, Publisher, ImportRun, ImportOutcome, Article.history.model):
        assert not model.objects.exists(), model


def test_a_failure_while_writing_leaves_no_trace_of_that_file(tmp_path, monkeypatch):
    """
    GIVEN three seeds whose second fails after its article row was written
    WHEN they are imported
    THEN the second leaves no article, author or history behind, and the others import
    """
    write(tmp_path, "1.txt", seed_text(title="First", author="Ann Alpha"))
    write(tmp_path, "2.txt", seed_text(title="Second", author="Bob Broken"))
    write(tmp_path, "3.txt", seed_text(title="Third", author="Cat Clean"))
    original = batches.byline_rows

    def flaky(article_id, authors):
        if Article.objects.filter(pk=article_id, title="Second").exists():
            raise RuntimeError("disk on fire")
        return original(article_id, authors)

    monkeypatch.setattr(batches, "byline_rows", flaky)

    report = importing.import_paths(paths=[tmp_path])

    assert report.counts["created"] == 2 and report.counts["failed"] == 1
    assert report.errors == [{"path": str(tmp_path / "2.txt"), "error": "internal error: RuntimeError('disk on fire')"}]
    assert set(Article.objects.values_list("title", flat=True)) == {"First", "Third"}
    assert not Article.history.filter(title="Second").exists()
    assert not Author.objects.filter(slug="bob-broken").exists()
    assert [a.name for a in Article.objects.get(title="Third").authors.all()] == ["Cat Clean"]


def test_authors_and_publishers_are_shared_across_articles(tmp_path):
    for i in range(3):
        write(tmp_path, f"{i}.txt", seed_text(title=f"Story {i}", author="Jane Reporter"))

    importing.import_paths(paths=[tmp_path])

    assert Author.objects.count() == 1
    assert Publisher.objects.count() == 1
    assert Author.objects.get().articles.count() == 3


def test_the_run_and_every_outcome_are_recorded(tmp_path):
    write(tmp_path, "ok.txt", seed_text())
    write(tmp_path, "bad.txt", b"")

    report = importing.import_paths(paths=[tmp_path])

    run = ImportRun.objects.get(pk=report.run_id)
    assert (run.created, run.failed, run.total) == (1, 1, 2)
    assert run.finished_at is not None
    assert run.paths == [str(tmp_path)]
    outcomes = {Path(o.path).name: o for o in run.outcomes.all()}
    assert outcomes["bad.txt"].result == ImportOutcome.Result.FAILED
    assert outcomes["bad.txt"].error
    assert outcomes["ok.txt"].article == Article.objects.get()


def test_queries_per_file_do_not_grow_with_the_archive(tmp_path):
    """
    GIVEN an archive of a few articles, then one ten times larger
    WHEN the same batch of five new files is imported into each
    THEN both imports run the same number of queries
    """

    def queries_to_import(existing: int, tag: str) -> int:
        Article.objects.all().delete()
        old = tmp_path / f"old-{tag}"
        for i in range(existing):
            write(old, f"{i}.txt", seed_text(title=f"Old {tag} {i}", author=f"Writer {i % 7} Smith"))
        importing.import_paths(paths=[old])
        new = tmp_path / f"new-{tag}"
        for i in range(5):
            write(new, f"{i}.txt", seed_text(title=f"New {tag} {i}", author=f"Writer {i % 7} Smith"))
        with CaptureQueriesContext(connection) as ctx:
            importing.import_paths(paths=[new])
        return len(ctx.captured_queries)

    assert queries_to_import(7, "small") == queries_to_import(70, "large")


def test_an_editors_correction_survives_a_reimport(tmp_path):
    """
    GIVEN an imported article whose subtitle an editor corrected
    WHEN a changed source is imported that parses a different subtitle and body
    THEN the body follows the source, the editor's subtitle stays, and the article is flagged with both values
    """
    write(tmp_path, "s.txt", seed_text(subtitle="Old subtitle", paragraphs=("Old body.",)))
    importing.import_paths(paths=[tmp_path])
    article = Article.objects.get()
    article.subtitle = "Editor's subtitle"
    article.save()

    write(tmp_path, "s.txt", seed_text(subtitle="New parsed subtitle", paragraphs=("New body.",)))
    importing.import_paths(paths=[tmp_path])

    article.refresh_from_db()
    assert article.body == "New body."
    assert article.subtitle == "Editor's subtitle"
    assert article.import_conflicts == {"subtitle": {"editor": "Editor's subtitle", "parsed": "New parsed subtitle"}}
    assert article.needs_review is True
    assert any("subtitle" in reason for reason in article.review_reasons)


def test_import_file_returns_the_outcome_of_one_file():
    outcome = importing.import_file(path=SEED_FILE)

    assert outcome.result == ImportOutcome.Result.CREATED
    assert outcome.source_key == SEED_FILE.name
    assert outcome.article_id == Article.objects.get().pk


def test_an_editors_correction_of_a_field_the_source_did_not_change_stands_quietly(tmp_path):
    """
    GIVEN an imported article whose subtitle an editor corrected
    WHEN the source changes its body only, twice
    THEN the body follows the source, the editor's subtitle stays, and nothing is flagged
    """
    write(tmp_path, "s.txt", seed_text(subtitle="Parsed subtitle", paragraphs=("Body one.",)))
    importing.import_paths(paths=[tmp_path])
    article = Article.objects.get()
    article.subtitle = "Editor's subtitle"
    article.save()

    for body in ("Body two.", "Body three."):
        write(tmp_path, "s.txt", seed_text(subtitle="Parsed subtitle", paragraphs=(body,)))
        importing.import_paths(paths=[tmp_path])

    article.refresh_from_db()
    assert (article.body, article.subtitle) == ("Body three.", "Editor's subtitle")
    assert article.import_conflicts == {}
    assert article.needs_review is False


def test_special_files_and_odd_names_fail_alone_without_being_read(tmp_path):
    """
    GIVEN a good seed beside a FIFO, a link to /dev/zero, a sparse 6 GB file and a name that is not UTF-8
    WHEN the directory is imported
    THEN each odd one fails with its reason (none is opened or read whole), the name is escaped, the rest import
    """
    import os

    write(tmp_path, "good.txt", seed_text())
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with open(tmp_path / "huge.txt", "wb") as handle:
        handle.truncate(6 * 1024**3)
    os.mkdir(tmp_path / "dir.txt")
    with open(os.fsencode(tmp_path) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(seed_text(title="Latin-1 name").encode())

    report = importing.import_paths(paths=[tmp_path], follow_symlinks=True)  # let the link reach /dev/zero

    errors = {Path(e["path"]).name: e["error"] for e in report.errors}
    assert errors == {
        "pipe.txt": "not a regular file (a device, pipe or socket)",
        "zero.txt": "not a regular file (a device, pipe or socket)",
        "huge.txt": "file too large: 6,442,450,944 bytes, the limit is 5,242,880 bytes",
    }
    assert report.counts["created"] == 2
    assert Article.objects.filter(source_key="caf\\xe9.txt").exists()


def test_a_file_another_import_committed_meanwhile_is_unchanged_not_failed(tmp_path, monkeypatch):
    """
    GIVEN a seed that a concurrent import commits after this run looked the batch up
    WHEN this run writes it
    THEN the unique key stops the second copy and the file counts as unchanged, not failed
    """
    write(tmp_path, "race.txt", seed_text(title="Raced"))
    original = batches.find_articles
    raced = []

    def look_up_then_lose_the_race(**kwargs):
        if raced:
            return original(**kwargs)
        raced.append(True)
        importing.import_sources(sources=[importing.bytes_source((tmp_path / "race.txt").read_bytes(), key="race.txt")])
        return batches.Archive()  # what the lookup saw before the other import committed: nothing

    monkeypatch.setattr(batches, "find_articles", look_up_then_lose_the_race)

    report = importing.import_paths(paths=[tmp_path])

    assert report.counts["unchanged"] == 1 and report.counts["failed"] == 0
    assert Article.objects.count() == 1


def test_each_author_of_a_shared_byline_gets_their_own_bio_and_the_correction_is_recorded(tmp_path):
    """
    GIVEN a file by two authors whose bio line has a sentence about each, with a correction at the end
    WHEN it is imported
    THEN each new author has their own bio and handle, and the parse snapshot names the correction
    """
    note = "Correction: An earlier version of this story misstated the vote."
    text = (
        "© 2024 Northwind Press Inc. All rights reserved.\nWater rates rise\n\nWater rates rise\n\n"
        f"The council voted 5-2.\n\n{note}\n\nAnn Lee and Bo Chen\n\nAnn Lee and Bo Chen\n\n"
        "Ann Lee covers city hall (@annlee). Bo Chen is a data reporter.\n"
    )
    write(tmp_path, "rates.txt", text)

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    bios = {a.name: (a.bio, a.social_handle) for a in Author.objects.all()}
    assert bios == {
        "Ann Lee": ("Ann Lee covers city hall (@annlee).", "@annlee"),
        "Bo Chen": ("Bo Chen is a data reporter.", ""),
    }
    assert article.parsed["correction"] == note
    assert article.body.endswith(note)
    assert article.publisher.name == "Northwind Press Inc."
    assert article.needs_review is False


def test_an_unsure_parse_is_a_draft_in_review_with_its_reason(tmp_path):
    write(tmp_path, "unsure.txt", seed_text(paragraphs=("The council met.", "Click here to subscribe")))

    importing.import_paths(paths=[tmp_path])

    article = Article.objects.get()
    assert (article.status, article.needs_review) == (Article.Status.DRAFT, True)
    (reason,) = article.review_reasons
    assert reason.startswith(f'{parsing.WARN_BOILERPLATE}: "Click here to subscribe"; delete them')
