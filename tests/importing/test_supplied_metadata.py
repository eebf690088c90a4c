"""``import_seeds --publisher/--author/--publisher-for/--author-for``: plain corpora import clean."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles import parsing
from articles.models import Article, ImportRun, Publisher
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_seeds", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def plain_corpus(directory: Path, count: int = 20, *, start: int = 0) -> Path:
    """Write ``count`` plain "title + body" files, as in a public news corpus: no copyright line, no byline."""
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(start, start + count):
        body = "\n\n".join(f"Paragraph {p} of story {n}, told plainly." for p in range(1, 4))
        (directory / f"{n:03d}.txt").write_text(f"Story number {n} makes the news\n\n{body}\n", encoding="utf-8")
    return directory


def test_a_plain_corpus_with_a_publisher_is_published_and_nothing_is_queued(tmp_path):
    """
    GIVEN a directory of 20 plain title + body files
    WHEN it is imported with --publisher "BBC News"
    THEN 20 articles are published, credited to BBC News, none in review, and the run records the option
    """
    plain_corpus(tmp_path)

    out, _ = run(str(tmp_path), "--publisher", "BBC News", "--json")

    assert json.loads(out.strip().splitlines()[-1])["created"] == 20
    assert Article.objects.filter(status=Article.Status.PUBLISHED, publisher__name="BBC News").count() == 20
    assert not Article.objects.filter(needs_review=True).exists()
    assert ImportRun.objects.get().defaults == {"publisher": "BBC News"}


def test_without_it_they_are_drafts_in_review_for_their_missing_publisher(tmp_path):
    plain_corpus(tmp_path)

    run(str(tmp_path), "--json")

    assert Article.objects.filter(status=Article.Status.DRAFT, needs_review=True).count() == 20
    assert all(
        parsing.WARN_NO_PUBLISHER in reasons for reasons in Article.objects.values_list("review_reasons", flat=True)
    )


def test_the_same_run_again_changes_nothing(tmp_path):
    plain_corpus(tmp_path, 5)
    run(str(tmp_path), "--publisher", "BBC News")
    before = list(Article.objects.order_by("pk").values_list("pk", "updated_at", "publisher", "status"))

    out, _ = run(str(tmp_path), "--publisher", "BBC News", "--json")

    counts = json.loads(out.strip().splitlines()[-1])
    assert (counts["unchanged"], counts["created"], counts["updated"]) == (5, 0, 0)
    assert list(Article.objects.order_by("pk").values_list("pk", "updated_at", "publisher", "status")) == before
    assert Publisher.objects.count() == 1


def test_an_author_for_the_run(tmp_path):
    plain_corpus(tmp_path, 2)

    run(str(tmp_path), "--publisher", "BBC News", "--author", "Jane Roe")

    assert set(Article.objects.values_list("bylines__author__name", flat=True)) == {"Jane Roe"}
    assert ImportRun.objects.get().defaults == {"publisher": "BBC News", "author": "Jane Roe"}


def test_publishers_and_authors_per_directory(tmp_path):
    """
    GIVEN a corpus with a bbc/ and a reuters/ directory (with a sub-directory of its own) and a loose file
    WHEN each directory is given its publisher, one sub-directory an author, and the run a fallback publisher
    THEN every file credits the publisher of its deepest directory, or the run's
    """
    plain_corpus(tmp_path / "bbc", 2)
    plain_corpus(tmp_path / "reuters", 1, start=10)
    plain_corpus(tmp_path / "reuters" / "sport", 1, start=20)
    plain_corpus(tmp_path, 1, start=30)

    run(
        str(tmp_path),
        "--publisher",
        "Wire",
        "--publisher-for",
        f"{tmp_path / 'bbc'}=BBC News",
        "--publisher-for",
        f"{tmp_path / 'reuters'}=Reuters",
        "--author-for",
        f"{tmp_path / 'reuters' / 'sport'}=Ann Lee",
    )

    rows = Article.objects.values_list("source_key", "publisher__name", "bylines__author__name")
    assert sorted(rows) == [
        ("030.txt", "Wire", None),
        ("bbc/000.txt", "BBC News", None),
        ("bbc/001.txt", "BBC News", None),
        ("reuters/010.txt", "Reuters", None),
        ("reuters/sport/020.txt", "Reuters", "Ann Lee"),
    ]
    assert not Article.objects.filter(needs_review=True).exists()


def test_a_directory_is_matched_as_written_relative_to_where_the_command_runs(tmp_path, monkeypatch):
    plain_corpus(tmp_path / "corpus" / "bbc", 1)
    monkeypatch.chdir(tmp_path)

    run("corpus", "--publisher-for", "corpus/bbc=BBC News")

    assert Article.objects.get().publisher.name == "BBC News"


def test_files_with_their_own_metadata_keep_it(tmp_path):
    (tmp_path / "seed.txt").write_text(seed_text(publisher="Northwind Press", author="Ann Lee"), encoding="utf-8")

    run(str(tmp_path), "--publisher", "BBC News", "--author", "Jane Roe")

    article = Article.objects.get()
    assert article.publisher.name == "Northwind Press"
    assert [b.author.name for b in article.bylines.all()] == ["Ann Lee"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--publisher-for", "no-equals-sign"], "--publisher-for takes DIR=NAME"),
        (["--author-for", "=Jane Roe"], "--author-for takes DIR=NAME"),
        (["--publisher-for", "missing-dir=BBC News"], "missing-dir is not a directory"),
        (["--publisher", "!!!"], "has no letter or digit"),
        (["--author", "x" * 300], "the limit is 255"),
    ],
)
def test_bad_options_are_usage_errors_before_anything_is_imported(tmp_path, monkeypatch, args, message):
    plain_corpus(tmp_path / "c", 1)
    monkeypatch.chdir(tmp_path)

    with pytest.raises(CommandError, match=message) as excinfo:
        run("c", *args)

    assert excinfo.value.returncode == 2
    assert not Article.objects.exists() and not ImportRun.objects.exists()


def test_the_help_explains_the_options(capsys):
    with pytest.raises(SystemExit):
        call_command("import_seeds", "--help")

    text = " ".join(capsys.readouterr().out.split())
    for option in ("--publisher NAME", "--author NAME", "--publisher-for DIR=NAME", "--author-for DIR=NAME"):
        assert option in text
    assert "a file's own holder wins" in text
