"""backup_archive and restore_archive on the test database: a full round trip, refusals, bad files, sequences."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections

from articles import backup, search, search_index
from articles.models import Article, Author, HistoricalArticle, Publisher, SearchOutbox
from tests.backup.archive import MUST_HOLD, build_archive, snapshot
from tests.factories import PublisherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(tmp_path) -> dict[str, list]:
    """A realistic archive in the test database; returns its snapshot."""
    build_archive(tmp_path / "seeds")
    return snapshot()


@pytest.fixture
def backup_file(archive, tmp_path) -> Path:
    path = tmp_path / "archive.ndjson.gz"
    call_command("backup_archive", str(path), verbosity=0)
    return path


def test_the_built_archive_holds_every_kind_of_row(archive):
    assert {label for label, rows in archive.items() if rows} >= MUST_HOLD


def test_a_restore_gives_back_every_row_field_by_field(archive, backup_file):
    """
    GIVEN a backup of an archive with imports, revisions, edits, merges, aliases and accounts
    WHEN the database is emptied and the backup restored into it
    THEN every row of every model is as it was, timestamps to the microsecond included
    """
    backup.restore_archive(source=backup_file, replace=True, batch_size=3)

    assert snapshot() == archive


def test_a_restore_leaves_the_outbox_empty_and_the_index_complete(backup_file, monkeypatch):
    """
    GIVEN a backup, and a database whose triggers queue every article and byline inserted
    WHEN it is restored
    THEN the index rebuild starts from an empty outbox (not one row per restored article and byline to
         drain), none is left after it, and the rebuilt index holds every article and finds them by their words
    """
    queued_at_rebuild = []
    rebuild = search_index.rebuild

    def counting_rebuild(**kwargs):
        queued_at_rebuild.append(SearchOutbox.objects.count())
        return rebuild(**kwargs)

    monkeypatch.setattr(search_index, "rebuild", counting_rebuild)

    report = backup.restore_archive(source=backup_file, replace=True, batch_size=2)

    assert queued_at_rebuild == [0]
    assert not SearchOutbox.objects.exists()
    assert report.indexed == Article.objects.count()
    assert search_index.check_index().divergent == []
    assert search.matching_ids("bridge approved", limit=10) == [Article.objects.get(title="Bridge approved").pk]


@pytest.fixture
def content_type_cache() -> Iterator[None]:
    """Forget the content types cached during the test: its rollback renumbers them back."""
    yield
    ContentType.objects.clear_cache()


def test_a_restore_into_a_flushed_database_keeps_ids_and_maps_content_types(archive, backup_file, content_type_cache):
    """
    GIVEN a backup, and the database flushed (id sequences back at 1) without the articles' content types
    WHEN the backup is restored
    THEN every row is back, those content types and their permissions made anew with other ids and every
         reference to them translated, and new rows get ids past the restored ones
    """
    top_author = Author.objects.order_by("-pk").first().pk
    top_history = HistoricalArticle.objects.order_by("-pk").first().pk
    article_type = ContentType.objects.get_for_model(Article).pk
    _flush_database()
    ContentType.objects.filter(app_label="articles").delete()  # and their permissions
    ContentType.objects.clear_cache()

    call_command("restore_archive", str(backup_file), verbosity=0)

    assert ContentType.objects.get_for_model(Article).pk != article_type
    assert snapshot() == archive
    author = Author.objects.create(name="After Restore", slug="after-restore")
    Article.objects.first().save()  # an edit: a history row
    assert author.pk > top_author
    assert HistoricalArticle.objects.order_by("-pk").first().pk > top_history


def _flush_database() -> None:
    """Empty the test database as ``manage.py flush`` does (which recreates content types and permissions)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # TRUNCATE refuses tables with deferred checks pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    ContentType.objects.clear_cache()
    call_command("flush", "--noinput", verbosity=0)
    ContentType.objects.clear_cache()


def test_a_database_with_archive_data_is_refused_and_kept(archive, backup_file):
    Author.objects.create(name="Only Here", slug="only-here")
    before = snapshot()

    with pytest.raises(CommandError, match=r"not empty.*--replace"):
        call_command("restore_archive", str(backup_file), verbosity=0)

    assert snapshot() == before


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated-gzip"),
        pytest.param(lambda data: gzip.compress(gzip.decompress(data).rsplit(b"\n", 2)[0] + b"\n"), id="no-end"),
        pytest.param(
            lambda data: gzip.compress(gzip.decompress(data).replace(b'{"rows":', b'{"rowz":', 3)), id="count"
        ),
        pytest.param(lambda data: gzip.compress(b"not json\n" + gzip.decompress(data)), id="no-header"),
        pytest.param(lambda data: b"plain text, not gzip", id="not-gzip"),
        pytest.param(lambda data: _edited(data, rb"\n(\[1,\"Editors\"\])\n", rb"\n\1\n\1\n"), id="duplicate-id"),
        pytest.param(lambda data: _edited(data, rb'(\[\d+,"\d{4})-\d\d-', rb"\1-13-"), id="bad-date"),
        pytest.param(
            lambda data: _edited(data, rb'\{"model":"auth.group","fields":\["id","name"\]\}', b"7"), id="odd-line"
        ),
    ],
)
def test_a_damaged_backup_is_refused_and_changes_nothing(archive, backup_file, damage):
    """
    GIVEN a damaged backup and a database with an archive in it
    WHEN it is restored with --replace (which empties the database first)
    THEN the restore fails with a clear message and the archive is untouched
    """
    backup_file.write_bytes(damage(backup_file.read_bytes()))

    with pytest.raises(CommandError, match=r"nothing was restored"):
        call_command("restore_archive", str(backup_file), "--replace", verbosity=0)

    assert snapshot() == archive


def _edited(data: bytes, pattern: bytes, replacement: bytes) -> bytes:
    text, count = re.subn(pattern, replacement, gzip.decompress(data), count=1)
    assert count == 1, pattern
    return gzip.compress(text)


def test_a_backup_of_another_schema_is_refused(archive, backup_file):
    text = gzip.decompress(backup_file.read_bytes()).replace(b'"word_count",', b'"words",', 1)
    backup_file.write_bytes(gzip.compress(text))

    with pytest.raises(
        CommandError,
        match=r"article differs: columns only in the backup \['words'\], only here \['word_count'\]; migrate",
    ):
        call_command("restore_archive", str(backup_file), "--replace", verbosity=0)


def test_an_existing_backup_is_not_overwritten(tmp_path):
    output = tmp_path / "kept.ndjson.gz"
    output.write_bytes(b"an older backup")

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup_archive", str(output), verbosity=0)

    assert output.read_bytes() == b"an older backup"
    call_command("backup_archive", str(output), "--overwrite", verbosity=0)
    assert gzip.decompress(output.read_bytes()).startswith(b'{"format":"news-archive-backup"')


def test_a_missing_backup_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore_archive", str(tmp_path / "nope.ndjson.gz"), verbosity=0)


def test_every_model_but_the_transient_ones_is_backed_up():
    labels = {model._meta.label_lower for model in backup.archive_models()}

    assert labels >= MUST_HOLD | {"contenttypes.contenttype", "auth.permission"}
    assert not labels & backup.EXCLUDED
    ordered = [model._meta.label_lower for model in backup.archive_models()]
    assert ordered.index("articles.article") < ordered.index("articles.articleauthor")
    assert ordered.index("contenttypes.contenttype") < ordered.index("auth.permission")


# Serialized rollback, as the other transactional tests that run before the browser tests: without it the
# flush after this test recreates the content types the next serialized test's data brings back.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_reads_one_snapshot_and_lets_writers_go_on(tmp_path, monkeypatch):
    """
    GIVEN a committed archive with one publisher
    WHEN another connection adds a publisher while the backup is under way (before it reaches publishers)
    THEN that write is not held up (SQLite's write lock stays free), and the backup holds the archive as it
         was when it began
    """
    PublisherFactory(name="Before Media")
    write_model = backup._write_model

    def write_with_a_concurrent_insert(stream, model, progress):
        if model is Publisher:
            other = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO articles_publisher (name, slug, created_at, updated_at) VALUES (%s, %s, %s, %s)",
                        ["During Media", "during-media", "2024-01-01 00:00:00+00:00", "2024-01-01 00:00:00+00:00"],
                    )
            finally:
                other.close()
        return write_model(stream, model, progress)

    monkeypatch.setattr(backup, "_write_model", write_with_a_concurrent_insert)
    report = backup.backup_archive(output=tmp_path / "snapshot.ndjson.gz")

    assert report.rows["articles.publisher"] == 1
    assert Publisher.objects.count() == 2
    text = gzip.decompress((tmp_path / "snapshot.ndjson.gz").read_bytes())
    assert b"Before Media" in text
    assert b"During Media" not in text


def test_a_restore_whose_index_cannot_be_rebuilt_says_what_to_run(backup_file, monkeypatch):
    def fail(**kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(search_index, "rebuild", fail)

    with pytest.raises(CommandError, match=r"Restored \d+ rows, but .*No space left.*rebuild_search_index"):
        call_command("restore_archive", str(backup_file), "--replace", verbosity=0)
