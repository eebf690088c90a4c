"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

The browser is never downloaded (no ``playwright install``): the tests launch
``/usr/bin/chromium`` from ``apt-get install chromium`` and skip, saying so,
where it is absent. Each test saves a screenshot of every step under
``test-artifacts/browser/<test>/<step>.png`` (git-ignored), and one named
``failure.png`` when it fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root in CI, and quiet on a closed network: without the
# background-networking flags chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "browser"
# Long enough for a slow CI machine, short enough that a missing element fails fast.
TIMEOUT_MS = 10_000
EDITOR_USERNAME = "editor"
EDITOR_PASSWORD = "pw-for-browser-tests"


@pytest.fixture(scope="package")
def browser(live_server) -> Iterator:
    """Launch one headless chromium for the browser tests; Playwright stops before any other package's tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an asyncio loop marked as running in this
    # thread from start() to stop(), although the tests stay plain synchronous
    # code in one thread. Django sees the loop and (1) refuses ORM calls with
    # SynchronousOnlyOperation, so allow them while Playwright runs, and only
    # then; (2) looks connections up per async context (asgiref's Local), which
    # would give the tests a second, fresh set, without the test database's
    # serialized contents and, on in-memory SQLite, apart from the one the live
    # server shares: put the thread's own connections back in place.
    thread_connections = {alias: connections[alias] for alias in connections}
    expect.set_options(timeout=TIMEOUT_MS)
    with _allow_async_unsafe():
        playwright = sync_playwright().start()
        try:
            for alias, connection in thread_connections.items():
                connections[alias] = connection
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
        finally:
            playwright.stop()


@contextmanager
def _allow_async_unsafe() -> Iterator[None]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """Return this test's screenshot folder, emptied of an earlier run's pictures."""
    path = ARTIFACTS_DIR / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def page(browser, live_server, artifacts_dir: Path, request: pytest.FixtureRequest) -> Iterator:
    """A fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        _save_failure(page, artifacts_dir / "failure.png")
    context.close()


def _save_failure(page, path: Path) -> None:
    """Save the failed page whole, or the window alone when the whole page cannot be taken in time."""
    from playwright.sync_api import Error

    try:
        page.screenshot(path=path, full_page=True)
    except Error:
        # A page tens of thousands of pixels tall (Redoc's) times out; the test's own error is what matters.
        page.screenshot(path=path)


@pytest.fixture
def screenshot(page, artifacts_dir: Path) -> Callable[[str], Path]:
    """Return a function saving the page as ``<step>.png`` in this test's artifact folder."""

    def take(step: str, *, full_page: bool = True) -> Path:
        path = artifacts_dir / f"{step}.png"
        page.screenshot(path=path, full_page=full_page)
        return path

    return take


@pytest.fixture
def editor(django_db_serialized_rollback, django_user_model):
    """A staff user in the ``Editors`` group (made by migration 0003), not a superuser.

    ``live_server`` runs each test in a transactional database that is emptied
    afterwards; the serialized rollback reloads what the migrations wrote, so
    the group is there in every test.
    """
    group = Group.objects.filter(name="Editors").first()
    assert group is not None, "the Editors group from migration 0003_editors_group is missing"
    user = django_user_model.objects.create_user(EDITOR_USERNAME, "editor@example.com", EDITOR_PASSWORD, is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def editor_page(page, editor, live_server):
    """A browser tab already logged in to the admin as the editor.

    The session cookie is made server-side (``force_login``): typing into the
    login form is ``test_log_in_as_editor``'s step, and doing it in every test
    would only add a second per test.
    """
    client = Client()
    client.force_login(editor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return page
