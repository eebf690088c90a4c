"""Swagger UI, Redoc, the browsable API and the admin work offline, under the site's Content-Security-Policy.

Every request to a host other than the live server's is blocked (and recorded),
as on a machine without internet; the console must show no CSP violation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.browser

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
def offline(django_db_serialized_rollback, page):
    """Block every request leaving the machine; return what was blocked and the CSP violations logged.

    (With the serialized rollback every browser test uses, so the migrations' rows stay for the next.)
    """
    seen: dict[str, list[str]] = {"blocked": [], "violations": []}

    def route(route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            seen["blocked"].append(route.request.url)
            route.abort()

    def console(message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            seen["violations"].append(f"{page.url} ({message.location}): {message.text}")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: seen["violations"].append(f"page error: {error}"))
    return seen


def test_swagger_ui_works_offline_under_the_csp(page, offline, screenshot):
    """GIVEN no network beyond this server
    WHEN a user opens Swagger UI, expands the article list operation and clicks "Try it out", then "Execute"
    THEN the operation answers from the API, nothing was fetched from elsewhere, and no CSP violation was logged.
    """
    ArticleFactory(title="Offline otters")
    page.goto("/api/v1/docs/")
    operation = page.locator("#operations-articles-articles_list")
    expect(operation).to_be_visible()
    screenshot("1-loaded")

    operation.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(operation.locator(".responses-wrapper .live-responses-table")).to_contain_text("Offline otters")
    screenshot("2-executed")

    assert offline["blocked"] == []
    assert offline["violations"] == []


def test_redoc_works_offline_under_the_csp(page, offline, screenshot):
    """GIVEN no network beyond this server
    WHEN a user opens Redoc, types "Facet counts" in its menu's search box and clicks the operation found
    THEN the documentation shows it, with no font or script fetched from elsewhere and no CSP violation.

    (Searching, as a user of a long menu does: the articles group outgrew the 900 px window, and
    Redoc's "API docs by Redocly" footer covers the last items of the unscrolled menu. The
    screenshots are of the window: Redoc renders the whole schema as one page some 95,000 px tall,
    which a full-page screenshot of takes longer than the timeout.)
    """
    page.goto("/api/v1/redoc/")
    expect(page.get_by_role("heading", name="News Article Archive API")).to_be_visible()
    screenshot("1-loaded", full_page=False)

    menu = page.locator(".menu-content")
    menu.get_by_placeholder("Search...").fill("Facet counts")
    menu.locator("[data-role='search:results']").get_by_text("Facet counts", exact=True).click()
    expect(page.locator("h2", has_text="Facet counts")).to_be_in_viewport()
    screenshot("2-operation", full_page=False)

    assert offline["blocked"] == []
    assert offline["violations"] == []


def test_the_browsable_api_and_the_admin_work_under_the_csp(editor_page, offline, screenshot):
    """GIVEN an editor logged in, with no network beyond this server
    WHEN they open the admin's author list and an author, then the browsable API, use its format menu,
    and log out from its user menu
    THEN each page works (its scripts run, the log-out too), with nothing fetched from elsewhere and no
    CSP violation.
    """
    page = editor_page
    author = AuthorFactory(name="Ada Offline")
    page.goto("/admin/articles/author/")
    page.get_by_role("link", name="Ada Offline").click()
    expect(page.get_by_role("textbox", name="Name:")).to_have_value(author.name)
    screenshot("1-admin")

    page.goto("/api/v1/authors/")
    page.locator("#get-form .dropdown-toggle").click()
    expect(page.get_by_role("link", name="json")).to_be_visible()
    screenshot("2-browsable")

    page.get_by_role("link", name="editor").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    screenshot("3-logged-out")

    assert offline["blocked"] == []
    assert offline["violations"] == []
