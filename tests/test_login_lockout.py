"""Failed logins lock out the account and the client address (django-axes) on every login of the archive."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
API_LOGIN = "/api/v1/auth/login/"
TOKEN_URL = "/api/v1/auth/token/"
LOGIN_PAGES = [ADMIN_LOGIN, API_LOGIN]
PASSWORD = "the-right-password"
GUESSES = 40


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("desk", password=PASSWORD, is_staff=True)


@pytest.fixture
def other_staff(django_user_model):
    return django_user_model.objects.create_user("night-desk", password=PASSWORD, is_staff=True)


def log_in(client: Client, url: str, username: str, password: str, address: str = "192.0.2.10", **extra):
    """Post the login form at ``url`` from ``address``, as a browser would."""
    return client.post(
        f"{url}?next=/api/v1/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def assert_locked_page(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    content = response.content.decode()
    assert "Too many failed logins for this account or from this address" in content
    assert f"({settings.AXES_FAILURE_LIMIT} within 15 minutes)" in content


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_forty_wrong_passwords_then_the_right_one_is_refused(url, staff):
    """GIVEN a staff user
    WHEN a client sends 40 wrong passwords to a login page, then the right one
    THEN the first failures re-show the form, the rest and the right password get the lockout page (429),
    and the client is not logged in.
    """
    client = Client()
    guesses = [log_in(client, url, "desk", f"guess-{i}").status_code for i in range(GUESSES)]
    right = log_in(client, url, "desk", PASSWORD)

    limit = settings.AXES_FAILURE_LIMIT
    assert guesses == [200] * (limit - 1) + [429] * (GUESSES - limit + 1)
    assert_locked_page(right)
    assert not logged_in(client)


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_another_account_from_the_same_address_is_locked_out_too(url, staff, other_staff):
    """GIVEN a client address that failed to log in as "desk" up to the limit
    WHEN it logs in as "night-desk" with the right password, and another address does the same
    THEN the same address is refused (per address); the other address logs in.
    """
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), url, "desk", f"guess-{i}", address="192.0.2.10")

    same_address, elsewhere = Client(), Client()
    assert_locked_page(log_in(same_address, url, "night-desk", PASSWORD, address="192.0.2.10"))
    assert log_in(elsewhere, url, "night-desk", PASSWORD, address="198.51.100.7").status_code == 302
    assert not logged_in(same_address) and logged_in(elsewhere)


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_an_account_guessed_from_many_addresses_is_locked_out(url, staff):
    """GIVEN failed logins as "desk", each from a different address, up to the limit
    WHEN "desk" logs in with the right password from yet another address
    THEN it is refused (per account).
    """
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), url, "desk", "guess", address=f"203.0.113.{i + 1}")

    client = Client()
    assert_locked_page(log_in(client, url, "desk", PASSWORD, address="198.51.100.99"))
    assert not logged_in(client)


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_the_lockout_expires_after_the_cool_off(url, staff):
    """GIVEN an account and address locked out by failed logins
    WHEN the cool-off has passed since the last counted failure
    THEN the right password logs in again.
    """
    client = Client()
    for i in range(GUESSES):
        log_in(client, url, "desk", f"guess-{i}")
    assert log_in(client, url, "desk", PASSWORD).status_code == 429

    # The cool-off runs from each record's last failure; age them past it.
    past = dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)

    assert log_in(client, url, "desk", PASSWORD).status_code == 302
    assert logged_in(client)


def test_failures_while_locked_out_do_not_extend_the_lockout(staff):
    """GIVEN a locked-out account, its lockout set a while ago
    WHEN more wrong passwords come during the lockout
    THEN they are not recorded: the lockout still ends a cool-off after the failure that set it.
    """
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), ADMIN_LOGIN, "desk", f"guess-{i}")
    set_at = AccessAttempt.objects.get().attempt_time

    for i in range(5):
        assert log_in(Client(), ADMIN_LOGIN, "desk", f"more-{i}").status_code == 429

    attempt = AccessAttempt.objects.get()
    assert (attempt.attempt_time, attempt.failures_since_start) == (set_at, settings.AXES_FAILURE_LIMIT)


def test_a_success_below_the_limit_is_not_refused(staff):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, ADMIN_LOGIN, "desk", f"guess-{i}")

    assert log_in(client, ADMIN_LOGIN, "desk", PASSWORD).status_code == 302


def test_a_client_that_asks_for_json_gets_the_lockout_as_json(staff):
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), API_LOGIN, "desk", f"guess-{i}")

    response = log_in(Client(), API_LOGIN, "desk", PASSWORD, HTTP_ACCEPT="application/json")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "Too many failed logins" in response.json()["detail"]
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))


# --- The token endpoint ------------------------------------------------------------


def no_rate_limit_on_tokens():
    """Switch off the token endpoint's request rate, so what refuses a request is the lockout."""
    rest_framework = copy.deepcopy(settings.REST_FRAMEWORK)
    rest_framework["DEFAULT_THROTTLE_RATES"]["auth"] = None
    return override_settings(REST_FRAMEWORK=rest_framework)


def ask_token(client: APIClient, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(TOKEN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_forty_wrong_passwords_then_the_right_one_get_no_token(staff):
    """GIVEN no request rate on the token endpoint
    WHEN a client sends 40 wrong passwords for a token, then the right one
    THEN the failures up to the limit get 401, then every request 429 (JSON, Retry-After), the right one too.
    """
    client = APIClient()
    with no_rate_limit_on_tokens():
        guesses = [ask_token(client, "desk", f"guess-{i}") for i in range(GUESSES)]
        right = ask_token(client, "desk", PASSWORD)

    limit = settings.AXES_FAILURE_LIMIT
    assert [r.status_code for r in guesses] == [401] * (limit - 1) + [429] * (GUESSES - limit + 1)
    assert right.status_code == 429
    assert right["Content-Type"] == "application/json"
    assert right.json() == {"detail": guesses[-1].json()["detail"]}
    assert "Too many failed logins for this account or from this address" in right.json()["detail"]
    assert int(right["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_guessing_for_tokens_locks_the_admin_login_too(staff):
    """GIVEN failed token requests for "desk" up to the limit
    WHEN "desk" logs in to the admin with the right password from another address
    THEN it is refused: one count per account, whichever login the guesses went to.
    """
    with no_rate_limit_on_tokens():
        for i in range(settings.AXES_FAILURE_LIMIT):
            ask_token(APIClient(), "desk", f"guess-{i}", address=f"203.0.113.{i + 1}")

    assert_locked_page(log_in(Client(), ADMIN_LOGIN, "desk", PASSWORD, address="198.51.100.1"))


def test_the_token_endpoint_keeps_its_request_rate(staff):
    """The request rate (API_THROTTLE_AUTH) still limits token requests below the lockout's limit."""
    rest_framework = copy.deepcopy(settings.REST_FRAMEWORK)
    rest_framework["DEFAULT_THROTTLE_RATES"]["auth"] = "2/min"
    with override_settings(REST_FRAMEWORK=rest_framework):
        codes = [ask_token(APIClient(), "desk", PASSWORD).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


# --- Client addresses behind a reverse proxy ------------------------------------------


def trusted_proxies(count: int):
    rest_framework = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}
    return override_settings(REST_FRAMEWORK=rest_framework)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(staff, other_staff):
    """GIVEN one trusted proxy (API_NUM_PROXIES=1), every request coming from it
    WHEN one forwarded client address fails up to the limit
    THEN that client is locked out for another account too; another forwarded client is not.
    """
    proxy = "10.0.0.1"
    with trusted_proxies(1):
        for i in range(settings.AXES_FAILURE_LIMIT):
            log_in(Client(), ADMIN_LOGIN, "desk", f"guess-{i}", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
        guesser = log_in(
            Client(), ADMIN_LOGIN, "night-desk", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5"
        )
        neighbour = log_in(
            Client(), ADMIN_LOGIN, "night-desk", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.8"
        )

    assert_locked_page(guesser)
    assert neighbour.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


def test_without_a_trusted_proxy_a_forged_forwarded_address_is_ignored(staff, other_staff):
    """GIVEN no trusted proxy (the default)
    WHEN a client fails up to the limit sending a new X-Forwarded-For each time
    THEN it is still one address, locked out for another account too.
    """
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), ADMIN_LOGIN, "desk", f"guess-{i}", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")

    assert_locked_page(log_in(Client(), ADMIN_LOGIN, "night-desk", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.1"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.10"}


def test_a_proxy_forwarding_junk_leaves_the_peer_address(staff):
    with trusted_proxies(1):
        response = log_in(Client(), ADMIN_LOGIN, "desk", "guess", address="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>")

    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"


def test_lockout_settings_come_from_the_environment():
    from tests.test_settings import manage

    code = "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds())"
    result = manage(
        "shell", "-v", "0", "-c", code, SECRET_KEY="x" * 60, LOGIN_FAILURE_LIMIT="4", LOGIN_COOLOFF_MINUTES="2"
    )

    assert result.stdout.split() == ["4", "120.0"], result.stderr
