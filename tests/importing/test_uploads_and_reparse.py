"""Imports from uploads (files and zip archives) and re-parsing a stored source."""

from __future__ import annotations

import io
import zipfile

import pytest

from articles import importing
from articles.models import Article, ImportRun
from articles.uploads import SpooledFile, base_name, spooled_sources
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db
LIMIT = 10_000


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def run_uploads(tmp_path):
    """Spool ``(name, bytes)`` uploads as the admin does, then import them as an admin run."""

    def run(uploads):
        files = []
        for n, (name, data) in enumerate(uploads):
            (tmp_path / f"upload-{n}.part").write_bytes(data)
            files.append(SpooledFile(name=base_name(name), spool=f"upload-{n}.part", size=len(data), stored=len(data)))
        sources = spooled_sources(files, directory=tmp_path, max_bytes=LIMIT)
        return importing.import_sources(sources=sources, trigger=ImportRun.Trigger.ADMIN)

    return run


def test_plain_text_uploads_are_keyed_by_their_base_name(run_uploads):
    report = run_uploads([("../../etc/story.txt", seed_text().encode())])

    assert report.counts["created"] == 1
    assert Article.objects.get().source_key == "story.txt"
    assert ImportRun.objects.get().trigger == ImportRun.Trigger.ADMIN


def test_zip_members_import_and_unsafe_members_are_refused(run_uploads):
    archive = zip_of(
        {
            "2024/a.txt": seed_text(title="Alpha").encode(),
            "b.txt": seed_text(title="Beta").encode(),
            "../escape.txt": seed_text(title="Escape").encode(),
            "/abs.txt": seed_text(title="Absolute").encode(),
            "image.png": b"\x89PNG",
            "big.txt": b"x" * (LIMIT + 1),
        }
    )

    report = run_uploads([("batch.zip", archive)])

    assert set(Article.objects.values_list("source_key", flat=True)) == {"2024/a.txt", "b.txt"}
    errors = {e["path"]: e["error"] for e in report.errors}
    assert errors["batch.zip:../escape.txt"] == "unsafe path inside the archive"
    assert errors["batch.zip:/abs.txt"] == "unsafe path inside the archive"
    assert errors["batch.zip:image.png"].startswith("not a seed file")
    assert errors["batch.zip:big.txt"].startswith("file too large")


def test_non_text_and_broken_uploads_are_refused_with_a_reason(run_uploads):
    report = run_uploads([("photo.jpg", b"\xff\xd8\xff"), ("broken.zip", b"PK\x03\x04 not really")])

    errors = {e["path"]: e["error"] for e in report.errors}
    assert errors["photo.jpg"].startswith("not a seed file")
    assert errors["broken.zip"].startswith("not a valid zip archive")
    assert not Article.objects.exists()


def test_a_lying_zip_header_cannot_exceed_the_size_limit(run_uploads):
    archive = zip_of({"a.txt": b"T\n\n" + b"word " * (LIMIT // 2)})
    patched = archive.replace((LIMIT // 2 * 5 + 3).to_bytes(4, "little"), (10).to_bytes(4, "little"))

    report = run_uploads([("liar.zip", patched)])

    assert report.counts["created"] == 0
    assert report.errors[0]["error"].startswith("cannot read from the archive")


def test_reparse_applies_the_current_parser_and_keeps_the_old_values_in_history():
    """
    GIVEN an imported article an editor changed by hand
    WHEN it is re-parsed from its stored source
    THEN the parsed values are back, and the editor's values are in its history
    """
    importing.import_sources(sources=[importing.bytes_source(seed_text(title="Real title").encode(), key="a.txt")])
    article = Article.objects.get()
    article.title, article.needs_review = "Mangled title", True
    article.save()

    importing.reparse_article(article=article)

    article.refresh_from_db()
    assert article.title == "Real title"
    assert article.needs_review is False
    assert [a.name for a in article.authors.all()] == ["Jane Reporter"]
    assert "Mangled title" in article.history.values_list("title", flat=True)
    assert article.history.first().history_change_reason == "re-parsed from the stored source"
