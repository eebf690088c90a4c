"""The import service's supplied metadata (``importing.defaults``): a publisher and an author for bare files."""

from __future__ import annotations

from pathlib import Path

import pytest

from articles import parsing
from articles.importing import (
    ImportDefaults,
    InvalidDefaults,
    bytes_source,
    import_paths,
    import_sources,
    reparse_article,
    start_run,
)
from articles.importing.defaults import fill_record
from articles.models import Article, ImportRun, Publisher
from tests.factories import PublisherFactory
from tests.seedtext import seed_text

PLAIN = "Floods close the coast road\n\nHeavy rain closed the road on Monday.\n\nIt reopens on Friday.\n"


def plain(n: int) -> bytes:
    return f"Plain headline number {n}\n\nParagraph one of story {n}.\n\nParagraph two.\n".encode()


def write_plain(directory: Path, count: int, *, start: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(start, start + count):
        (directory / f"story-{n:02d}.txt").write_bytes(plain(n))
    return directory


# --- Filling a parsed record (pure) ------------------------------------------------------------


def test_a_supplied_publisher_fills_a_plain_record_and_meets_both_missing_metadata_warnings():
    record = parsing.parse(PLAIN.encode())
    assert record.warnings == (parsing.WARN_NO_PUBLISHER, parsing.WARN_NO_AUTHOR)

    filled, supplied = fill_record(record, publisher="BBC News")

    assert (filled.copyright_holder, filled.author_names, filled.warnings) == ("BBC News", (), ())
    assert supplied == {"publisher": "BBC News"}
    assert (filled.title, filled.body, filled.sha256) == (record.title, record.body, record.sha256)


def test_a_supplied_author_alone_meets_only_the_missing_author():
    filled, supplied = fill_record(parsing.parse(PLAIN.encode()), author="Jane Roe")

    assert (filled.author_names, filled.warnings, supplied) == (
        ("Jane Roe",),
        (parsing.WARN_NO_PUBLISHER,),
        {"author": "Jane Roe"},
    )


def test_the_files_own_metadata_wins_over_what_is_supplied():
    record = parsing.parse(seed_text(publisher="Northwind Press", author="Ann Lee").encode())

    filled, supplied = fill_record(record, publisher="BBC News", author="Jane Roe")

    assert filled is record and supplied == {}


def test_a_file_with_its_own_publisher_but_no_byline_keeps_its_missing_author():
    """GIVEN a seed with a copyright line and no author block WHEN a publisher is supplied THEN "no author" stays."""
    record = parsing.parse(seed_text(author=None).encode())

    filled, supplied = fill_record(record, publisher="BBC News")

    assert filled is record and supplied == {} and parsing.WARN_NO_AUTHOR in filled.warnings


def test_other_warnings_are_kept_and_detailed_missing_warnings_are_met():
    record = parsing.ParsedArticle(
        title="T", warnings=("no publisher: no copyright line found", parsing.WARN_NO_AUTHOR, parsing.WARN_NO_BODY)
    )

    filled, _ = fill_record(record, publisher="BBC News")

    assert filled.warnings == (parsing.WARN_NO_BODY,)


# --- The defaults: names, directories, the run's record --------------------------------------------


def test_names_are_tidied_and_bad_ones_refused():
    assert ImportDefaults(publisher="  BBC   News ", author="").publisher == "BBC News"
    with pytest.raises(InvalidDefaults, match="no letter or digit"):
        ImportDefaults(publisher="---")
    with pytest.raises(InvalidDefaults, match="the limit is 255"):
        ImportDefaults(author="x" * 256)


def test_the_deepest_directory_wins_then_the_runs_values(tmp_path):
    defaults = ImportDefaults(
        publisher="Run Wide",
        publisher_for={str(tmp_path / "a"): "A Press", str(tmp_path / "a" / "b"): "B Press"},
        author_for={str(tmp_path / "a"): "Ann Lee"},
    )

    assert defaults.names_for(str(tmp_path / "a" / "b" / "c" / "x.txt")) == ("B Press", "Ann Lee")
    assert defaults.names_for(str(tmp_path / "a" / "x.txt")) == ("A Press", "Ann Lee")
    assert defaults.names_for(str(tmp_path / "ab" / "x.txt")) == ("Run Wide", "")  # a sibling, not a child
    assert defaults.names_for("elsewhere.txt") == ("Run Wide", "")


def test_relative_and_absolute_directories_match_alike(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    defaults = ImportDefaults(publisher_for={"corpus/bbc/": "BBC News"})

    assert defaults.names_for(str(tmp_path / "corpus" / "bbc" / "x.txt")) == ("BBC News", "")
    assert defaults.names_for("corpus/bbc/sub/x.txt") == ("BBC News", "")


def test_the_record_of_the_options_round_trips(tmp_path):
    defaults = ImportDefaults(publisher="BBC News", author_for={str(tmp_path): "Jane Roe"})

    assert defaults.as_dict() == {"publisher": "BBC News", "author_for": {str(tmp_path): "Jane Roe"}}
    assert ImportDefaults.from_dict(defaults.as_dict()) == defaults
    assert not ImportDefaults() and ImportDefaults().as_dict() == {}


# --- Importing with them ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plain_files_with_a_supplied_publisher_are_published_and_the_run_records_it():
    sources = [bytes_source(plain(n), key=f"p{n}.txt") for n in range(3)]

    report = import_sources(sources, defaults=ImportDefaults(publisher="BBC News"))

    assert report.counts["created"] == 3
    publisher = Publisher.objects.get()
    assert publisher.name == "BBC News"
    articles = Article.objects.all()
    assert {(a.status, a.needs_review, a.publisher_id, a.review_priority) for a in articles} == {
        (Article.Status.PUBLISHED, False, publisher.pk, 0)
    }
    assert all(a.parsed["supplied"] == {"publisher": "BBC News"} and a.parsed["warnings"] == [] for a in articles)
    assert ImportRun.objects.get(pk=report.run_id).defaults == {"publisher": "BBC News"}


@pytest.mark.django_db
def test_without_it_they_are_drafts_in_review(tmp_path):
    report = import_sources([bytes_source(plain(1), key="p1.txt")])

    article = Article.objects.get()
    assert (article.status, article.needs_review) == (Article.Status.DRAFT, True)
    assert article.review_reasons == [parsing.WARN_NO_PUBLISHER, parsing.WARN_NO_AUTHOR]
    assert article.review_priority > 0
    assert ImportRun.objects.get(pk=report.run_id).defaults == {}


@pytest.mark.django_db
def test_a_supplied_name_credits_the_existing_publisher_or_the_one_it_was_merged_into():
    existing = PublisherFactory(name="BBC News")

    import_sources([bytes_source(plain(1), key="p1.txt")], defaults=ImportDefaults(publisher="bbc news"))

    assert Article.objects.get().publisher == existing
    assert Publisher.objects.count() == 1


@pytest.mark.django_db
def test_the_files_own_publisher_wins_and_a_seed_is_imported_as_before():
    import_sources([bytes_source(seed_text().encode(), key="s.txt")], defaults=ImportDefaults(publisher="BBC News"))

    article = Article.objects.get()
    assert article.publisher.name == "Blaze Media LLC"
    assert "supplied" not in article.parsed
    assert not Publisher.objects.filter(name="BBC News").exists()


@pytest.mark.django_db
def test_a_supplied_author_is_credited_on_the_byline():
    defaults = ImportDefaults(publisher="BBC News", author="Jane Roe")

    import_sources([bytes_source(plain(1), key="p1.txt")], defaults=defaults)

    article = Article.objects.get()
    assert [b.author.name for b in article.bylines.all()] == ["Jane Roe"]
    assert article.parsed["supplied"] == {"publisher": "BBC News", "author": "Jane Roe"}


@pytest.mark.django_db
def test_per_directory_publishers(tmp_path):
    """
    GIVEN plain files in two directories, one of them given its own publisher, and a run-wide publisher
    WHEN they are imported
    THEN each directory's files credit their publisher, all published
    """
    write_plain(tmp_path / "bbc", 2)
    write_plain(tmp_path / "other", 2, start=10)
    defaults = ImportDefaults(publisher="Wire Service", publisher_for={str(tmp_path / "bbc"): "BBC News"})

    import_paths(paths=[tmp_path], defaults=defaults)

    by_key = dict(Article.objects.values_list("source_key", "publisher__name"))
    assert by_key == {
        "bbc/story-00.txt": "BBC News",
        "bbc/story-01.txt": "BBC News",
        "other/story-10.txt": "Wire Service",
        "other/story-11.txt": "Wire Service",
    }
    assert not Article.objects.filter(needs_review=True).exists()


@pytest.mark.django_db
def test_running_again_with_the_same_option_changes_nothing(tmp_path):
    write_plain(tmp_path, 3)
    defaults = ImportDefaults(publisher="BBC News")
    import_paths(paths=[tmp_path], defaults=defaults)
    before = list(Article.objects.order_by("pk").values("pk", "status", "publisher", "updated_at", "parsed"))

    report = import_paths(paths=[tmp_path], defaults=defaults)

    assert report.counts["unchanged"] == 3 and report.counts["created"] == 0
    assert list(Article.objects.order_by("pk").values("pk", "status", "publisher", "updated_at", "parsed")) == before


@pytest.mark.django_db
def test_a_changed_file_imported_again_keeps_the_supplied_publisher():
    defaults = ImportDefaults(publisher="BBC News")
    import_sources([bytes_source(plain(1), key="p1.txt")], defaults=defaults)

    report = import_sources([bytes_source(plain(1) + b"\nA correction.\n", key="p1.txt")], defaults=defaults)

    assert report.counts["updated"] == 1
    article = Article.objects.get()
    assert (article.publisher.name, article.needs_review, article.status) == (
        "BBC News",
        False,
        Article.Status.PUBLISHED,
    )
    assert article.parsed["supplied"] == {"publisher": "BBC News"}


@pytest.mark.django_db
def test_a_reparse_fills_what_the_import_supplied():
    import_sources([bytes_source(plain(1), key="p1.txt")], defaults=ImportDefaults(publisher="BBC News"))

    article = reparse_article(article=Article.objects.get())

    assert (article.publisher.name, article.needs_review, article.review_reasons) == ("BBC News", False, [])
    assert article.parsed["supplied"] == {"publisher": "BBC News"}


@pytest.mark.django_db
def test_a_dry_run_records_the_options_and_writes_nothing():
    report = import_sources(
        [bytes_source(plain(1), key="p1.txt")], dry_run=True, defaults=ImportDefaults(publisher="BBC News")
    )

    assert report.counts["created"] == 1
    assert not Article.objects.exists() and not Publisher.objects.exists()


@pytest.mark.django_db
def test_a_run_started_with_defaults_imports_with_them():
    """The upload's way: the run is created first, with its options, and the import reads them from it."""
    run = start_run(defaults=ImportDefaults(publisher="BBC News"))

    import_sources([bytes_source(plain(1), key="p1.txt")], run=run)

    assert Article.objects.get().publisher.name == "BBC News"
