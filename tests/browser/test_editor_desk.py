"""An editor's day at the desk, in a real browser: each test is one step of the issue's scenario."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from articles.importing import bytes_source, import_sources
from articles.merging import merge_entities
from articles.models import Article, Author, AuthorAlias, Merge
from tests.browser.conftest import EDITOR_PASSWORD, EDITOR_USERNAME
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory
from tests.seedtext import seed_text

pytestmark = pytest.mark.browser


def import_seed(key: str, **parts) -> Article:
    """Import one seed built from ``parts`` through the import service and return its article."""
    report = import_sources(sources=[bytes_source(seed_text(**parts).encode(), key=key)])
    assert report.counts["created"] == 1, report.errors
    return Article.objects.get(source_key=key)


def test_log_in_as_editor(page, editor, screenshot):
    """GIVEN a staff user in the Editors group
    WHEN they log in through the admin's login form
    THEN they see the archive's models, and no user or group management.
    """
    page.goto("/admin/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill(EDITOR_USERNAME)
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    screenshot("01-login-form")

    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.get_by_role("link", name="Articles", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Authors", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Users", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Groups", exact=True)).to_have_count(0)
    screenshot("02-admin-index")


def search_articles(page, terms: str) -> None:
    """Search the article change list the way an editor does: type into the search bar, press Search."""
    page.goto("/admin/articles/article/")
    page.locator("#searchbar").fill(terms)
    page.get_by_role("button", name="Search").click()


def test_find_article_by_word_in_body(editor_page, screenshot):
    """GIVEN two imported articles, one with a rare word only in its body
    WHEN the editor searches the article list for that word
    THEN only that article is listed.
    """
    page = editor_page
    wanted = import_seed(
        "desk/heron.txt",
        title="Harbour dredging resumes",
        paragraphs=("Dredgers found a heronry of marsh birds by the quay.", "Work resumes next week."),
    )
    import_seed("desk/bridge.txt", title="Town council approves new bridge")

    search_articles(page, "heronry")

    results = page.locator("#result_list")
    expect(results.get_by_role("link", name=wanted.title)).to_be_visible()
    expect(results.get_by_role("link", name="Town council approves new bridge")).to_have_count(0)
    screenshot("01-search-results")


def test_fix_subtitle(editor_page, screenshot):
    """GIVEN an imported article whose subtitle has a typo
    WHEN the editor opens it from the list, corrects the subtitle and saves
    THEN the admin confirms the change and the article keeps the new subtitle.
    """
    page = editor_page
    article = import_seed("desk/typo.txt", title="Budget vote delayed", subtitle="Councilors dissagree on taxes")

    search_articles(page, "Budget vote")
    page.locator("#result_list").get_by_role("link", name=article.title).click()
    subtitle = page.get_by_label("Subtitle")
    expect(subtitle).to_have_value("Councilors dissagree on taxes")
    subtitle.fill("Councilors disagree on taxes")
    screenshot("01-change-form")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    screenshot("02-saved")
    article.refresh_from_db()
    assert article.subtitle == "Councilors disagree on taxes"


def test_article_list_fits_beside_the_side_nav(editor_page, screenshot):
    """GIVEN an article with a long title, a long publisher name and two authors, another, and one without a publisher
    WHEN the editor opens the article list at 1280 px wide, side nav and filters showing
    THEN every column, "Created at" included, fits without scrolling sideways, and the publisher filter offers
         its empty choice; once every article has a publisher, it does not.
    """
    page = editor_page
    ArticleFactory(
        title="Council votes to extend the harbour wall after a winter of record storms, floods and closed roads",
        publisher=PublisherFactory(name="Northern Counties Broadcasting Corporation"),
        authors=[AuthorFactory(name="Dana Whitfield"), AuthorFactory(name="Samuel Okafor-Smith")],
    )
    ArticleFactory(title="Library reopens", publisher=PublisherFactory(name="Blaze Media LLC"))
    orphan = ArticleFactory(title="Ferry timetable changes", publisher=None)

    page.goto("/admin/articles/article/")

    results = page.locator("#changelist-form .results")
    expect(page.get_by_role("columnheader", name="Created at")).to_be_in_viewport()
    assert results.evaluate("element => element.scrollWidth <= element.clientWidth")
    publisher_filter = page.locator("#changelist-filter details", has_text="By publisher")
    expect(publisher_filter.get_by_role("link", name="-", exact=True)).to_be_visible()
    screenshot("01-article-list")

    orphan.delete()
    page.reload()

    expect(publisher_filter.get_by_role("link", name="Northern Counties Broadcasting Corporation")).to_be_visible()
    expect(publisher_filter.get_by_role("link", name="-", exact=True)).to_have_count(0)
    screenshot("02-every-article-has-a-publisher")


def run_action(page, action_label: str, *row_labels: str) -> None:
    """Tick the change-list rows named ``row_labels``, choose ``action_label`` and press Go."""
    for label in row_labels:
        page.get_by_role("checkbox", name=f"Select this object for an action - {label}").check()
    page.get_by_role("combobox", name="Action").select_option(label=action_label)
    page.get_by_role("button", name="Go").click()


def test_publish_draft(editor_page, screenshot):
    """GIVEN an imported draft (its seed has no author block) and a published article
    WHEN the editor lists the drafts, selects it and runs the "Publish" action
    THEN it is published with a publication date, and the list says so.
    """
    page = editor_page
    draft = import_seed("desk/draft.txt", title="Ferry timetable changes", author=None)
    import_seed("desk/published.txt", title="Library reopens")
    assert draft.status == Article.Status.DRAFT

    page.goto("/admin/articles/article/")
    page.locator("#changelist-filter").get_by_role("link", name="draft", exact=True).click()
    expect(page.locator("#result_list").get_by_role("link", name="Library reopens")).to_have_count(0)
    run_action(page, "Publish selected articles", draft.title)

    expect(page.locator(".messagelist")).to_contain_text("Published 1 article.")
    screenshot("01-published")
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    assert draft.published_at is not None


def test_revert_change_from_history(editor_page, screenshot):
    """GIVEN an imported article whose subtitle was later changed
    WHEN the editor opens its history, picks the imported version and reverts to it with a reason
    THEN the imported subtitle is back and the revert is itself in the history with the reason.
    """
    page = editor_page
    article = import_seed("desk/revert.txt", title="Harbour fees rise", subtitle="Fees go up in June")
    article.subtitle = "Fees go up in July"
    article.save()

    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.get_by_role("link", name="History").click()
    history = page.locator("#change-history")
    expect(history).to_contain_text("Fees go up in July")
    screenshot("01-history")
    # Newest first: the second row is the version the importer wrote.
    history.locator("tbody tr").nth(1).get_by_role("link", name="Revert").click()
    expect(page.locator("#revert-subtitle")).to_contain_text("Fees go up in June")
    page.get_by_label("Reason").fill("wrong month")
    screenshot("02-revert-preview")
    page.get_by_role("button", name="Revert to this version").click()

    expect(page.locator(".messagelist")).to_contain_text("was reverted to the version of")
    expect(page.get_by_label("Subtitle")).to_have_value("Fees go up in June")
    screenshot("03-reverted")
    article.refresh_from_db()
    assert article.subtitle == "Fees go up in June"
    assert "wrong month" in article.history.first().history_change_reason


def test_merge_two_authors(editor_page, screenshot):
    """GIVEN one writer credited under two names, the short one on more articles
    WHEN the editor selects both, runs "Merge", picks the full name to keep, updates the preview and confirms
    THEN the short name's articles credit the full name in the same byline position, and it is an alias.
    """
    page = editor_page
    full, short = AuthorFactory(name="Dana Whitfield"), AuthorFactory(name="D. Whitfield")
    colleague = AuthorFactory(name="Sam Okafor")
    shared = ArticleFactory(title="Tunnel plans unveiled", authors=[colleague, short])
    ArticleFactory(title="Tunnel costs rise", authors=[short])
    ArticleFactory(title="Tunnel opens", authors=[full])

    page.goto("/admin/articles/author/")
    run_action(page, "Merge selected authors", full.name, short.name)
    expect(page.get_by_role("heading", name="Merge authors")).to_be_visible()
    # The name on most articles is proposed; the editor keeps the full name instead.
    expect(page.get_by_role("radio", name="D. Whitfield (d-whitfield)")).to_be_checked()
    page.get_by_role("radio", name="Dana Whitfield (dana-whitfield)").check()
    page.get_by_role("button", name="Update preview").click()
    preview = page.locator("#merge-preview")
    expect(preview).to_contain_text("D. Whitfield (d-whitfield) is merged")
    expect(preview.get_by_role("row", name="Tunnel plans unveiled")).to_contain_text("Sam Okafor, Dana Whitfield")
    screenshot("01-confirmation")
    page.get_by_role("button", name="Merge into “Dana Whitfield”").click()

    expect(page.locator(".messagelist")).to_contain_text("Merged “D. Whitfield” into “Dana Whitfield”")
    expect(page.locator(".messagelist").get_by_role("link", name="the merge’s page")).to_have_attribute(
        "href", f"/admin/articles/merge/{Merge.objects.get().pk}/change/"
    )
    screenshot("02-merged")
    assert not Author.objects.filter(pk=short.pk).exists()
    assert list(shared.bylines.order_by("position").values_list("author__name", flat=True)) == [
        "Sam Okafor",
        "Dana Whitfield",
    ]
    assert full.articles.count() == 3
    assert AuthorAlias.objects.filter(author=full, name="D. Whitfield").exists()


def test_undo_merge_from_the_merges_page(editor_page, editor, screenshot):
    """GIVEN "D. Whitfield" merged into "Dana Whitfield" by the editor
    WHEN the editor opens the merge from the Merges page, follows "Undo this merge" and confirms
    THEN "D. Whitfield" is back, credited again on its article in the same byline position.
    """
    page = editor_page
    full, short = AuthorFactory(name="Dana Whitfield"), AuthorFactory(name="D. Whitfield")
    colleague = AuthorFactory(name="Sam Okafor")
    shared = ArticleFactory(title="Tunnel plans unveiled", authors=[colleague, short])
    merge = merge_entities(survivor=full, others=[short], user=editor)

    page.goto("/admin/articles/merge/")
    page.locator("#result_list").get_by_role("link", name="D. Whitfield → Dana Whitfield").click()
    screenshot("01-merge")
    page.get_by_role("link", name="Undo this merge").click()
    expect(page.locator("#content-main")).to_contain_text("D. Whitfield (d-whitfield)")
    screenshot("02-undo-confirmation")
    page.get_by_role("button", name="Yes, undo the merge").click()

    expect(page.locator(".messagelist")).to_contain_text(f"Merge #{merge.pk} undone: “D. Whitfield” restored.")
    expect(page.get_by_role("link", name="Undo this merge")).to_have_count(0)
    screenshot("03-undone")
    merge.refresh_from_db()
    assert merge.undone_by == editor
    assert list(shared.bylines.order_by("position").values_list("author__name", flat=True)) == [
        "Sam Okafor",
        "D. Whitfield",
    ]
    assert not AuthorAlias.objects.filter(name="D. Whitfield").exists()


def test_upload_seed_file(editor_page, screenshot):
    """GIVEN a seed file and an empty file on the editor's disk
    WHEN the editor follows "Import seed files" from the admin index and uploads both
    THEN the page shows one row per file (created / failed with the reason) and links to the new article.
    """
    page = editor_page
    seed = seed_text(title="Night trains return", paragraphs=("Sleeper services resume in May.",))

    page.goto("/admin/")
    page.get_by_role("link", name="Import seed files").click()
    page.get_by_label("Seed files").set_input_files(
        [
            {"name": "night-trains.txt", "mimeType": "text/plain", "buffer": seed.encode()},
            {"name": "empty.txt", "mimeType": "text/plain", "buffer": b""},
        ]
    )
    screenshot("01-upload-form")
    page.get_by_role("button", name="Import", exact=True).click()

    report = page.locator("#import-report")
    expect(report.locator("tr.outcome-created")).to_contain_text("night-trains.txt")
    expect(report.locator("tr.outcome-failed")).to_contain_text("empty file")
    expect(page.locator("#import-summary")).to_contain_text("Imported 2 files: 1 created")
    screenshot("02-outcomes")
    report.locator("tr.outcome-created").get_by_role("link", name="Night trains return").click()
    expect(page.get_by_role("textbox", name="Title:", exact=True)).to_have_value("Night trains return")
    article = Article.objects.get(source_key="night-trains.txt")
    assert article.import_run.user.username == EDITOR_USERNAME
