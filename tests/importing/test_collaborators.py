"""The importer's collaborators, each on its own: sources, records, names, the bulk writer, batches."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import parsing
from articles.importing import batches, names, records, sources, writing
from articles.importing.applying import new_article
from articles.models import Article, Author, AuthorAlias, ImportOutcome, Publisher
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def write(directory: Path, name: str, text: str | bytes = "") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def unreadable(limit: int) -> bytes:
    raise FileNotFoundError(2, "No such file or directory")


def parsed(text: str, key: str) -> records.Parsed:
    return records.parse_source(sources.bytes_source(text.encode(), key=key), max_bytes=1 << 20)


# --- sources ------------------------------------------------------------------------------


def test_a_directory_is_walked_lazily_in_name_order_per_directory(tmp_path):
    for name in ("b.txt", "a/z.txt", "a/y.TXT", "c/d/e.txt", "notes.md", "a.txt"):
        write(tmp_path, name)

    found = sources.collect_sources([tmp_path])

    assert isinstance(found, types.GeneratorType)  # nothing is listed up front
    assert [s.key for s in found] == ["a/y.TXT", "a/z.txt", "a.txt", "b.txt", "c/d/e.txt"]


def test_a_missing_path_is_refused_before_any_file_is_yielded(tmp_path):
    write(tmp_path, "a.txt")
    with pytest.raises(sources.SourceNotFound, match="missing"):
        sources.collect_sources([tmp_path, tmp_path / "missing"])


def test_a_symlinked_directory_that_makes_a_loop_is_not_followed(tmp_path):
    write(tmp_path, "real/a.txt")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")

    found = list(sources.collect_sources([tmp_path]))

    assert [s.key for s in found] == ["real/a.txt", "real/loop"]
    with pytest.raises(sources.SourceRejected, match="symbolic link loop"):
        found[1].read(1000)


# --- records --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (sources.rejected_source("x.zip", "not a seed file"), "not a seed file"),
        (sources.bytes_source(b"", key="empty.txt"), "empty"),
        (
            sources.Source(path="gone.txt", key="gone.txt", read=unreadable),
            "cannot read file",
        ),
    ],
)
def test_parse_source_turns_every_bad_source_into_a_reason(source, error):
    item = records.parse_source(source, max_bytes=1000)

    assert item.record is None and error in item.error.lower()


def test_the_snapshot_tells_an_editors_change_from_a_source_change():
    record = parsing.parse_text(seed_text(subtitle="Parsed"), encoding="utf-8")
    snapshot = records.parsed_snapshot(record)

    assert records.edited(snapshot, "subtitle", "Editor's") and not records.edited(snapshot, "subtitle", "Parsed")
    assert records.edited(snapshot, "body", "another body") and not records.edited(snapshot, "body", record.body)
    assert records.source_changed(snapshot, "subtitle", "New") and not records.source_changed(
        snapshot, "subtitle", "Parsed"
    )


# --- names ------------------------------------------------------------------------------------


def test_names_resolve_aliases_to_the_survivor_and_create_only_what_is_missing():
    survivor = Author.objects.create(name="Jane Reporter", slug="jane-reporter")
    AuthorAlias.objects.create(author=survivor, name="J. Reporter", slug="j-reporter")
    record = parsing.parse_text(seed_text(author="J. Reporter", publisher="New Press"), encoding="utf-8")
    other = parsing.parse_text(seed_text(author="Bob Newman", publisher="New Press"), encoding="utf-8")

    found = names.resolve_names([record, other])
    names.create_missing_names(found, [record, other], reason="created by test")

    assert found.authors_for(record) == [survivor]
    assert [a.name for a in found.authors_for(other)] == ["Bob Newman"]
    assert Author.objects.filter(slug="j-reporter").exists() is False
    assert Publisher.objects.filter(slug="new-press").count() == 1
    assert found.publisher_for(record) == found.publisher_for(other) == Publisher.objects.get(slug="new-press")
    assert Author.history.filter(slug="bob-newman", history_change_reason="created by test").exists()


def test_a_name_another_import_created_meanwhile_is_used_as_it_is():
    record = parsing.parse_text(seed_text(author="Ann Early"), encoding="utf-8")
    found = names.resolve_names([record])
    early = Author.objects.create(name="Ann Early", slug="ann-early", bio="written by the other import")

    names.create_missing_names(found, [record], reason="test")

    assert found.authors_for(record) == [early]
    assert Author.objects.filter(slug="ann-early").count() == 1


# --- the bulk writer ----------------------------------------------------------------------------


def test_insert_new_skips_rows_a_unique_constraint_refuses_and_maps_the_rest():
    now = timezone.now()
    first = parsed(seed_text(title="First", author=None, publisher=None), "first.txt")
    second = parsed(seed_text(title="Second", author=None, publisher=None), "second.txt")
    empty = names.Names()
    writer = writing.bulk_writer()
    existing = writer.insert_new(Article, [new_article(item=first, names=empty, run=None, now=now)], key="source_key")

    again = [new_article(item=p, names=empty, run=None, now=now) for p in (first, second)]
    inserted = writer.insert_new(Article, again, key="source_key")

    assert set(inserted) == {"second.txt"}
    assert Article.objects.get(pk=inserted["second.txt"]).title == "Second"
    assert Article.objects.get(pk=existing["first.txt"]).title == "First"
    assert Article.objects.count() == 2


def test_insert_all_writes_every_column_as_the_orm_would(tmp_path):
    run_outcomes = [
        ImportOutcome(run=None, path=f"p{i}", source_key=f"k{i}", result="failed", error="é\ttab") for i in range(3)
    ]
    from articles.importing import start_run

    run = start_run(paths=[str(tmp_path)], trigger="command")
    for outcome in run_outcomes:
        outcome.run = run
    writing.bulk_writer().insert_all(ImportOutcome, run_outcomes)

    assert list(run.outcomes.values_list("path", "error")) == [(f"p{i}", "é\ttab") for i in range(3)]


# --- batches ----------------------------------------------------------------------------------


def test_one_batch_settles_every_kind_of_file(tmp_path):
    """
    GIVEN an archive with two articles
    WHEN one batch brings a new file, the same file twice, an unchanged one, a changed one, a copy and a bad one
    THEN each gets its outcome, pointing at the right article, and the new text is one article
    """
    importer = batches.BatchImporter(run=None, now=timezone.now())
    with transaction.atomic():
        importer.import_batch([parsed(seed_text(title="Kept"), "kept.txt"), parsed(seed_text(title="Old"), "old.txt")])
    kept, old = Article.objects.get(title="Kept"), Article.objects.get(title="Old")
    batch = [
        parsed(seed_text(title="New"), "new.txt"),
        parsed(seed_text(title="New"), "new-copy.txt"),
        parsed(seed_text(title="New"), "new.txt"),
        parsed(seed_text(title="Kept"), "kept.txt"),
        parsed(seed_text(title="Old, revised"), "old.txt"),
        parsed(seed_text(title="Kept"), "kept-copy.txt"),
        parsed("", "bad.txt"),
    ]

    with transaction.atomic():
        outcomes = importer.import_batch(batch)

    new = Article.objects.get(title="New")
    assert [(o.source_key, o.result, o.article_id) for o in outcomes] == [
        ("new.txt", "created", new.pk),
        ("new-copy.txt", "duplicate", new.pk),
        ("new.txt", "unchanged", new.pk),
        ("kept.txt", "unchanged", kept.pk),
        ("old.txt", "updated", old.pk),
        ("kept-copy.txt", "duplicate", kept.pk),
        ("bad.txt", "failed", None),
    ]
    assert Article.objects.get(pk=old.pk).title == "Old, revised"
    assert Article.objects.count() == 3


def test_a_failing_file_in_a_bulk_batch_fails_alone_and_the_batch_is_retried_file_by_file(monkeypatch):
    original = batches.byline_rows

    def refuse_one(article_id, authors):
        if Article.objects.filter(pk=article_id, title="Broken").exists():
            raise ValueError("refused")
        return original(article_id, authors)

    monkeypatch.setattr(batches, "byline_rows", refuse_one)
    importer = batches.BatchImporter(run=None, now=timezone.now())
    batch = [parsed(seed_text(title=t, author=f"{t} Writer"), f"{t}.txt") for t in ("Fine", "Broken", "Also fine")]

    with transaction.atomic():
        outcomes = importer.import_batch(batch)

    assert [o.result for o in outcomes] == ["created", "failed", "created"]
    assert outcomes[1].error == "internal error: ValueError('refused')"
    assert set(Article.objects.values_list("title", flat=True)) == {"Fine", "Also fine"}
    assert not Author.objects.filter(slug="broken-writer").exists()


def queries_for_batch(files: int, existing: int, tag: str) -> int:
    """Count the queries of one batch of ``files`` new files into an archive of ``existing`` articles."""
    importer = batches.BatchImporter(run=None, now=timezone.now())
    with transaction.atomic():
        importer.import_batch(
            [
                parsed(seed_text(title=f"Old {tag} {i}", author=f"Writer {i % 9}"), f"old-{tag}-{i}.txt")
                for i in range(existing)
            ]
        )
    batch = [
        parsed(seed_text(title=f"New {tag} {i}", author=f"Writer {i % 9} {tag}"), f"new-{tag}-{i}.txt")
        for i in range(files)
    ]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        outcomes = importer.import_batch(batch)
    assert {o.result for o in outcomes} == {"created"}
    return len(ctx.captured_queries)


def test_the_queries_of_a_batch_do_not_grow_with_the_batch_or_the_archive():
    assert queries_for_batch(5, 5, "a") == queries_for_batch(60, 5, "b") == queries_for_batch(5, 80, "c")


def test_an_unchanged_rerun_costs_the_same_queries_per_batch_at_any_size():
    importer = batches.BatchImporter(run=None, now=timezone.now())

    def rerun(count: int, tag: str) -> int:
        batch = [parsed(seed_text(title=f"{tag} {i}"), f"{tag}-{i}.txt") for i in range(count)]
        with transaction.atomic():
            importer.import_batch(batch)
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            assert {o.result for o in importer.import_batch(batch)} == {"unchanged"}
        return len(ctx.captured_queries)

    assert rerun(3, "small") == rerun(40, "large")


@pytest.mark.parametrize("workers", [1, 3])
def test_parsed_batches_parse_in_a_worker_exactly_as_in_process(tmp_path, settings, workers):
    """Several batches (parsed in one or several worker processes) give what parsing each source here gives."""
    from articles.importing.runs import parsed_batches

    settings.ARCHIVE_IMPORT_PARSE_WORKERS = workers

    items = [sources.bytes_source(seed_text(title=f"T{i}").encode(), key=f"{i}.txt") for i in range(5)]
    items.insert(2, sources.bytes_source(b"", key="empty.txt"))
    items.append(sources.rejected_source("x.zip", "not a seed file"))

    batches_ = list(parsed_batches(iter(items), max_bytes=1 << 20, size=3))

    assert [len(b) for b in batches_] == [3, 3, 1]
    expected = [records.parse_source(s, max_bytes=1 << 20) for s in items]
    got = [p for b in batches_ for p in b]
    assert [(p.source.key, p.error, p.record, p.snapshot, p.slug, p.word_count) for p in got] == [
        (p.source.key, p.error, p.record, p.snapshot, p.slug, p.word_count) for p in expected
    ]


def test_file_sources_are_read_where_they_are_parsed_with_the_same_outcomes(tmp_path, settings):
    """GIVEN seed files on disk, one too large and one deleted after the walk
    WHEN they are batched and parsed in worker processes
    THEN the batches carry no bytes for them, and each parses (or fails) as reading it here does."""
    from articles.importing.runs import parsed_batches, read_batches

    settings.ARCHIVE_IMPORT_PARSE_WORKERS = 2
    for i in range(7):
        (tmp_path / f"{i}.txt").write_text(seed_text(title=f"T{i}"))
    (tmp_path / "big.txt").write_text(seed_text(title="Big", paragraphs=("word " * 5000,)))
    walked = list(sources.collect_sources([tmp_path]))
    (tmp_path / "3.txt").unlink()
    limit = 8000

    assert all(data is None for batch in read_batches(walked, max_bytes=limit, size=3) for _, data in batch)
    got = [p for batch in parsed_batches(iter(walked), max_bytes=limit, size=3) for p in batch]
    expected = [records.parse_source(s, max_bytes=limit) for s in walked]
    assert [(p.source.key, p.error, p.record, p.slug) for p in got] == [
        (p.source.key, p.error, p.record, p.slug) for p in expected
    ]
    errors = {p.source.key: p.error for p in got if p.error}
    assert set(errors) == {"3.txt", "big.txt"}
    assert "too large" in errors["big.txt"] and "cannot read" in errors["3.txt"]
