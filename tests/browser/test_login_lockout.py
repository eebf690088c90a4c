"""A person guessing passwords on the admin's login page is locked out, and told so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import EDITOR_PASSWORD, EDITOR_USERNAME

pytestmark = pytest.mark.browser


def test_wrong_passwords_lock_the_login_and_the_page_says_so(page, editor, settings, screenshot):
    """GIVEN a failure limit of 3
    WHEN someone types 3 wrong passwords into the admin's login form, then the right one
    THEN the third failure and the right password get the lockout page, which says why and for how long.
    """
    settings.AXES_FAILURE_LIMIT = 3
    page.goto("/admin/login/")
    for attempt in range(2):
        page.get_by_label("Username").fill(EDITOR_USERNAME)
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".errornote")).to_contain_text("Please enter the correct username and password")
    page.get_by_label("Username").fill(EDITOR_USERNAME)
    page.get_by_label("Password").fill("wrong-again")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-locked-message")).to_contain_text("Too many failed logins")

    page.get_by_role("link", name="Back to the login page").click()
    page.get_by_label("Username").fill(EDITOR_USERNAME)
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    message = page.locator("#login-locked-message")
    expect(message).to_contain_text("(3 within 15 minutes): logging in is locked for up to 15 minutes")
    expect(page.get_by_role("heading", name="Site administration")).to_have_count(0)
    screenshot("01-locked-out")
