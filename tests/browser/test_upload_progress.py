"""An editor uploads seeds in a real browser and follows the background import to its results."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from articles.importing import bytes_source, import_sources
from articles.models import Article, ImportUpload
from tests.seedtext import seed_text

pytestmark = pytest.mark.browser

# A worker process must start and import this many seeds: more than the browser's usual timeout.
IMPORT_TIMEOUT_MS = 90_000


def zipped(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            archive.writestr(f"desk/story-{i:03}.txt", seed_text(title=f"Desk story {i}").encode())
    return buffer.getvalue()


def test_upload_with_update_ticked_shows_progress_then_results(editor_page, start_worker, screenshot):
    """GIVEN an article imported earlier from story.txt, and no worker running yet
    WHEN the editor ticks "Update articles imported earlier from a file of the same name" and uploads
    a corrected story.txt with a zip of 300 more seeds
    THEN the run's page shows the upload queued, 0 of 301 files; once a worker runs, the page follows
    the import by itself and ends with each file's result: story.txt updated, the others created.
    """
    page = editor_page
    import_sources(sources=[bytes_source(seed_text(title="The first story").encode(), key="story.txt")])
    page.goto("/admin/articles/importrun/upload/")
    update = page.get_by_label("Update articles imported earlier from a file of the same name")
    expect(update).not_to_be_checked()
    update.check()
    page.locator("#id_files").set_input_files(
        [
            {"name": "story.txt", "mimeType": "text/plain", "buffer": seed_text(title="The story, corrected").encode()},
            {"name": "desk.zip", "mimeType": "application/zip", "buffer": zipped(300)},
        ]
    )
    screenshot("01-upload-form")

    page.get_by_role("button", name="Import").click()

    expect(page).to_have_url(re.compile(r"/admin/articles/importrun/\d+/progress/$"))
    panel = page.locator("#upload-progress")
    expect(panel.locator("#upload-state")).to_have_text("queued")
    expect(panel.locator("#upload-expected")).to_have_text("301")
    expect(panel.locator("#upload-processed")).to_have_text("0")
    expect(page.locator("#import-report")).to_have_count(0)
    assert ImportUpload.objects.get().replace_existing is True
    screenshot("02-queued")

    start_worker()

    expect(page.locator("#import-report")).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    expect(panel.locator("#upload-state")).to_have_text("done")
    expect(panel.locator("#upload-processed")).to_have_text("301")
    expect(page.locator("#import-summary")).to_have_text(
        "Imported 301 files: 300 created, 1 updated, 0 unchanged, 0 duplicates, 0 failed."
    )
    row = page.locator("#import-report tr", has_text="story.txt").first
    expect(row).to_contain_text("updated")
    expect(row.get_by_role("link", name="The story, corrected")).to_be_visible()
    expect(page.locator("#import-report tr.outcome-created")).to_have_count(300)
    expect(page.get_by_role("link", name="View the import run")).to_be_visible()
    screenshot("03-results")
    assert Article.objects.get(source_key="story.txt").title == "The story, corrected"


def upload_through_the_page(page, name: str, text: str, *, update: bool) -> None:
    """Open the upload page, choose one seed file, tick (or not) the update checkbox, press Import."""
    page.goto("/admin/articles/importrun/upload/")
    checkbox = page.get_by_label("Update articles imported earlier from a file of the same name")
    expect(checkbox).to_be_visible()
    expect(checkbox).not_to_be_checked()
    if update:
        checkbox.check()
    page.locator("#id_files").set_input_files([{"name": name, "mimeType": "text/plain", "buffer": text.encode()}])
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-report")).to_be_visible(timeout=IMPORT_TIMEOUT_MS)


def test_reupload_of_a_corrected_file_replaces_the_article_only_when_ticked(editor_page, start_worker, screenshot):
    """GIVEN a worker, and story.txt uploaded through the page
    WHEN the editor uploads a corrected story.txt, first leaving "Update articles imported earlier from a file
    of the same name" unticked, then ticking it
    THEN the first re-upload fails naming the article and keeps it as it was; the ticked one updates it,
    and the article has the corrected text.
    """
    page = editor_page
    start_worker()
    upload_through_the_page(page, "story.txt", seed_text(title="The story, with a typo"), update=False)
    expect(page.locator("#import-summary")).to_contain_text("1 created")
    article = Article.objects.get(source_key="story.txt")

    upload_through_the_page(page, "story.txt", seed_text(title="The story, corrected"), update=False)
    refused = page.locator("#import-report tr", has_text="story.txt").first
    expect(refused).to_contain_text("failed")
    expect(refused).to_contain_text(f"article #{article.pk} already comes from a different file")
    assert Article.objects.get(pk=article.pk).title == "The story, with a typo"
    screenshot("01-refused-unticked")

    upload_through_the_page(page, "story.txt", seed_text(title="The story, corrected"), update=True)
    replaced = page.locator("#import-report tr", has_text="story.txt").first
    expect(replaced).to_contain_text("updated")
    expect(replaced.get_by_role("link", name="The story, corrected")).to_be_visible()
    screenshot("02-replaced-ticked")
    assert ImportUpload.objects.filter(replace_existing=True).count() == 1
    assert Article.objects.get(pk=article.pk).title == "The story, corrected"
    assert Article.objects.filter(source_key="story.txt").count() == 1
