"""Import from the admin: upload seeds or zips, see each file's outcome; same service, limits and messages."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import Client
from django.urls import reverse

from articles.importing import bytes_source, import_sources
from articles.models import Article, ImportOutcome, ImportRun, ImportUpload
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("admin:articles_importrun_upload")
RUNS_URL = reverse("admin:articles_importrun_changelist")


def seed(title: str = "Town council approves new bridge", **parts) -> bytes:
    return seed_text(title=title, **parts).encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(client, *files: tuple[str, bytes], **data):
    """Upload ``files``, then follow to the run's page: the task ran in the request (the immediate backend)."""
    return client.post(
        UPLOAD_URL, {"files": [SimpleUploadedFile(name, body) for name, body in files], **data}, follow=True
    )


def outcomes(response) -> dict[str, tuple[str, str]]:
    return {row["path"]: (row["result"], row["error"]) for row in response.context["outcomes"]}


def test_upload_page(editor_client):
    response = editor_client.get(UPLOAD_URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert '<label class="required" for="id_files">Seed files:</label>' in content
    assert 'type="file" name="files"' in content and "multiple" in content
    assert 'value="Import"' in content
    # Both options are on the page, each with its label (the update option was once defined but not rendered).
    assert '<input type="checkbox" name="dry_run" id="id_dry_run">' in content
    assert 'aria-describedby="id_replace_existing_helptext" id="id_replace_existing">' in content
    assert 'id="id_replace_existing_helptext"' in content
    assert "Update articles imported earlier from a file of the same name" in content
    assert 'name="publisher"' in content and 'name="author"' in content
    assert "Publisher of files without a copyright line" in content


def test_upload_with_a_publisher_for_plain_files(editor_client):
    """
    GIVEN a plain title + body file and a seed with its own copyright line
    WHEN they are uploaded with a publisher and an author given
    THEN the plain one is published with them (not queued), the seed keeps its own, and the run records them
    """
    plain = b"Floods close the coast road\n\nHeavy rain closed the road on Monday.\n"

    upload(editor_client, ("plain.txt", plain), ("seed.txt", seed()), publisher=" BBC News ", author="Jane Roe")

    article = Article.objects.get(source_key="plain.txt")
    assert (article.status, article.needs_review, article.publisher.name) == ("published", False, "BBC News")
    assert [b.author.name for b in article.bylines.all()] == ["Jane Roe"]
    assert Article.objects.get(source_key="seed.txt").publisher.name == "Blaze Media LLC"
    assert ImportRun.objects.get().defaults == {"publisher": "BBC News", "author": "Jane Roe"}


def test_a_bad_publisher_name_is_a_form_error(editor_client):
    response = editor_client.post(UPLOAD_URL, {"files": [SimpleUploadedFile("a.txt", seed())], "publisher": "***"})

    assert response.status_code == 200
    assert "has no letter or digit" in response.content.decode()
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("url", [reverse("admin:index"), RUNS_URL])
def test_upload_is_linked_from_the_index_and_the_runs(editor_client, url):
    assert f'href="{UPLOAD_URL}"' in editor_client.get(url).content.decode()


def test_upload_one_seed(editor_client, editor):
    """
    GIVEN an editor with the run_import permission
    WHEN they upload one seed file
    THEN the article is created by an admin-triggered run in their name, and the table links to it by its title
    """
    response = upload(editor_client, ("bridge.txt", seed("Bridge <b>vote</b> & more")))

    assert response.status_code == 200
    article = Article.objects.get(source_key="bridge.txt")
    assert outcomes(response) == {"bridge.txt": ("created", "")}
    article_url = reverse("admin:articles_article_change", args=[article.pk])
    assert response.context["outcomes"][0]["article_url"] == article_url
    assert f'<a href="{article_url}">Bridge &lt;b&gt;vote&lt;/b&gt; &amp; more</a>' in response.content.decode()
    run = ImportRun.objects.get()
    assert (run.trigger, run.user, run.created, run.paths) == ("admin", editor, 1, ["bridge.txt"])
    assert article.import_run == run
    assert f'href="{reverse("admin:articles_importrun_change", args=[run.pk])}"' in response.content.decode()
    assert response.redirect_chain == [(reverse("admin:articles_importrun_progress", args=[run.pk]), 302)]
    assert response.context["summary"] == "Imported 1 file: 1 created, 0 updated, 0 unchanged, 0 duplicates, 0 failed."


def test_upload_several_files_and_a_zip(editor_client, settings):
    """
    GIVEN two seeds, a zip of two more with a picture and an unsafe path in it, a PNG, an empty and a binary seed
    WHEN they are uploaded together
    THEN every file has its own row, with the service's own error messages for the refused ones
    """
    archive = zipped(
        {"a/one.txt": seed("Zip one"), "a/two.txt": seed("Zip two"), "a/pic.png": b"\x89PNG", "../evil.txt": seed()}
    )

    response = upload(
        editor_client,
        ("first.txt", seed("First")),
        ("second.txt", seed("Second")),
        ("batch.zip", archive),
        ("photo.png", b"\x89PNG\r\n"),
        ("empty.txt", b""),
        ("binary.txt", b"\x00\x01\x02" * 100),
    )

    assert response.status_code == 200
    rows = outcomes(response)
    assert rows["first.txt"] == rows["second.txt"] == ("created", "")
    assert rows["batch.zip:a/one.txt"] == rows["batch.zip:a/two.txt"] == ("created", "")
    assert rows["batch.zip:a/pic.png"] == ("failed", "not a seed file: only .txt members are imported")
    assert rows["batch.zip:../evil.txt"] == ("failed", "unsafe path inside the archive")
    assert rows["photo.png"] == ("failed", "not a seed file: upload .txt files or a .zip of them")
    assert rows["empty.txt"][0] == rows["binary.txt"][0] == "failed"
    assert Article.objects.count() == 4
    # The same messages as the import service gives the command line.
    direct = import_sources(sources=[bytes_source(b"", key="x.txt"), bytes_source(b"\x00\x01\x02" * 100, key="y.txt")])
    assert [o.error for o in direct.outcomes] == [rows["empty.txt"][1], rows["binary.txt"][1]]


def test_oversized_seed_fails_with_the_limit(editor_client, settings):
    settings.ARCHIVE_MAX_SEED_BYTES = 1000

    response = upload(editor_client, ("big.txt", seed(paragraphs=("word " * 400,))), ("small.txt", b"Small\n"))

    result, error = outcomes(response)["big.txt"]
    assert result == "failed"
    assert error.startswith("file too large: ")
    assert error.endswith("bytes, the limit is 1,000 bytes")
    assert outcomes(response)["small.txt"] == ("created", "")


def test_upload_over_the_total_cap_is_refused_with_a_form_error(editor_client, settings):
    """
    GIVEN a total upload cap of 2,000 bytes
    WHEN 3,000 bytes of seeds are uploaded
    THEN the form says the upload is too large, nothing is imported, and no run is recorded
    """
    settings.ARCHIVE_MAX_UPLOAD_BYTES = 2000

    response = upload(
        editor_client, ("a.txt", seed(paragraphs=("x" * 1500,))), ("b.txt", seed(paragraphs=("y" * 1500,)))
    )

    assert response.status_code == 200
    assert "The upload is too large" in " ".join(response.context["form"].non_field_errors())
    assert 'class="errornote"' in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not Article.objects.exists()
    assert list(settings.ARCHIVE_UPLOAD_DIR.iterdir()) == []


def test_too_many_files_is_a_clear_error(editor_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2

    response = upload(editor_client, ("a.txt", seed("A")), ("b.txt", seed("B")), ("c.txt", seed("C")))

    assert response.status_code == 400
    assert "Too many files: at most 2 per upload" in response.content.decode()
    assert not ImportRun.objects.exists()
    assert list(settings.ARCHIVE_UPLOAD_DIR.iterdir()) == []


def test_no_file_is_a_form_error(editor_client):
    response = editor_client.post(UPLOAD_URL, {})

    assert response.status_code == 200
    assert response.context["form"].errors["files"] == ["This field is required."]


def test_dry_run_saves_nothing(editor_client):
    """A background dry run keeps its run (marked dry run) to show what it found; no article is saved."""
    response = upload(editor_client, ("bridge.txt", seed()), dry_run="on")

    assert outcomes(response) == {"bridge.txt": ("created", "")}
    assert response.context["outcomes"][0]["article_url"] == ""
    assert not Article.objects.exists()
    run = ImportRun.objects.get()
    assert (run.dry_run, run.created, run.finished_at is not None) == (True, 1, True)
    assert "Dry run: nothing was saved" in response.content.decode()
    assert response.context["summary"].startswith("Dry run of 1 file: 1 created")


def test_uploads_stream_to_the_spool_and_leave_nothing_behind(editor_client, settings, tmp_path, monkeypatch):
    """
    GIVEN uploads far above Django's in-memory threshold and a temporary upload directory
    WHEN a seed is uploaded
    THEN Django never makes a temporary upload file of it: it goes to the spool,
    under a random name, and the spool is empty once the import is done
    """
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    created = []
    original = TemporaryUploadedFile.__init__
    monkeypatch.setattr(
        TemporaryUploadedFile, "__init__", lambda self, *a, **k: created.append(a) or original(self, *a, **k)
    )

    response = upload(editor_client, ("bridge.txt", seed()))

    assert outcomes(response) == {"bridge.txt": ("created", "")}
    assert created == []
    assert list(tmp_path.iterdir()) == []
    (spooled,) = ImportUpload.objects.get().files
    assert spooled["name"] == "bridge.txt" and "bridge" not in spooled["spool"]
    assert list(settings.ARCHIVE_UPLOAD_DIR.iterdir()) == []


def test_csrf_is_checked(editor, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post(UPLOAD_URL, {"files": [SimpleUploadedFile("a.txt", seed())]})

    assert response.status_code == 403
    assert not Article.objects.exists()
    assert not ImportRun.objects.exists()
    assert list(settings.ARCHIVE_UPLOAD_DIR.iterdir()) == []  # the refused request's files are deleted

    token = client.get(UPLOAD_URL).context["csrf_token"]
    response = client.post(
        UPLOAD_URL, {"files": [SimpleUploadedFile("a.txt", seed())], "csrfmiddlewaretoken": str(token)}
    )

    assert response.status_code == 302
    assert Article.objects.count() == 1


def test_staff_without_run_import_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_importrun"))
    client.force_login(user)

    assert client.get(UPLOAD_URL).status_code == 403
    assert client.post(UPLOAD_URL, {"files": [SimpleUploadedFile("a.txt", seed())]}).status_code == 403
    assert f'href="{UPLOAD_URL}"' not in client.get(RUNS_URL).content.decode()
    assert not ImportOutcome.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(UPLOAD_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_an_unrelated_file_of_the_same_name_does_not_replace_an_article(editor_client):
    """
    GIVEN an article imported from story.txt
    WHEN an editor uploads a different story.txt, first as is, then ticking "update"
    THEN the first upload fails naming the article and changes nothing; the second replaces it
    """
    upload(editor_client, ("story.txt", seed(title="The original story")))
    article = Article.objects.get()

    refused = upload(editor_client, ("story.txt", seed(title="Another story altogether")))

    result, error = outcomes(refused)["story.txt"]
    assert result == "failed"
    assert f"article #{article.pk} already comes from a different file" in error
    article.refresh_from_db()
    assert article.title == "The original story"

    upload(editor_client, ("story.txt", seed(title="Another story altogether")), replace_existing="on")

    article.refresh_from_db()
    assert article.title == "Another story altogether"


def progress_url(run_id: int) -> str:
    return reverse("admin:articles_importrun_progress", args=[run_id])


def status_url(run_id: int) -> str:
    return reverse("admin:articles_importrun_progress_status", args=[run_id])


def queued_upload(editor) -> ImportUpload:
    """An upload waiting for a worker: its run has nothing yet."""
    run = ImportRun.objects.create(trigger="admin", user=editor, paths=["a.txt", "b.zip"])
    return ImportUpload.objects.create(run=run, token="tok", expected_files=12)


def test_a_running_upload_shows_its_progress_and_a_script_to_follow_it(editor_client, editor):
    """
    GIVEN an upload a worker is importing (5 of 12 files recorded)
    WHEN the editor opens its run page and the page's script asks for the status
    THEN the page shows 5 / 12 with the counts and no results yet, loads the script from a static
    file (no inline script: it must run under a strict Content-Security-Policy), and the status
    is JSON that is never cached
    """
    upload = queued_upload(editor)
    ImportRun.objects.filter(pk=upload.run_id).update(created=4, failed=1)
    ImportUpload.objects.filter(pk=upload.pk).update(state="running")

    response = editor_client.get(progress_url(upload.run_id))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<span id="upload-processed">5</span> / <span id="upload-expected">12</span>' in content
    assert f'data-status-url="{status_url(upload.run_id)}"' in content
    assert 'src="/static/articles/js/upload_progress.js"' in content
    scripts = re.findall(r"<script\b[^>]*>", content)
    assert scripts and all("src=" in tag for tag in scripts)
    assert 'id="import-report"' not in content

    status = editor_client.get(status_url(upload.run_id))

    assert "no-store" in status["Cache-Control"]
    assert status.json() == {
        "state": "running",
        "state_label": "running",
        "finished": False,
        "dry_run": False,
        "processed": 5,
        "expected": 12,
        "counts": {"created": 4, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 1},
        "error": "",
    }


def test_a_failed_upload_shows_why(editor_client, editor):
    upload = queued_upload(editor)
    ImportUpload.objects.filter(pk=upload.pk).update(state="failed", error="the worker stopped 3 times")

    content = editor_client.get(progress_url(upload.run_id)).content.decode()

    assert '<p class="errornote" id="upload-error">the worker stopped 3 times</p>' in content
    assert "upload_progress.js" not in content


def test_the_results_table_is_capped_for_huge_runs(editor_client, monkeypatch):
    monkeypatch.setattr("articles.admin.views.MAX_OUTCOME_ROWS", 2)

    response = upload(editor_client, ("a.txt", seed("A")), ("b.txt", seed("B")), ("c.txt", seed("C")))

    assert list(outcomes(response)) == ["a.txt", "b.txt"]
    assert "And 1 more file: see the import run." in response.content.decode()


def test_progress_pages_need_the_run_view_permission(client, django_user_model, editor):
    upload = queued_upload(editor)
    outsider = django_user_model.objects.create_user("outsider", password="pw", is_staff=True)
    client.force_login(outsider)

    assert client.get(progress_url(upload.run_id)).status_code == 403
    assert client.get(status_url(upload.run_id)).status_code == 403
    client.logout()
    assert client.get(status_url(upload.run_id)).status_code == 302  # to the login page


def test_a_run_without_an_upload_has_no_progress_page(editor_client, editor):
    run = ImportRun.objects.create(trigger="command", paths=["seeds/"])

    assert editor_client.get(progress_url(run.pk)).status_code == 404
    assert editor_client.get(status_url(run.pk)).status_code == 404


def test_the_run_admin_links_to_the_upload_page(editor_client):
    response = upload(editor_client, ("a.txt", seed("A")))
    run = ImportRun.objects.get()

    content = editor_client.get(reverse("admin:articles_importrun_change", args=[run.pk])).content.decode()

    assert response.status_code == 200
    assert f'done · <a href="{progress_url(run.pk)}">progress and results</a>' in content
