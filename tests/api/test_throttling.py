"""Rate limits: anonymous clients, authenticated users and token requests, with rates from settings."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.test import override_settings

from tests.api.helpers import ARTICLES_URL, AUTHORS_URL
from tests.test_settings import manage

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def rates(**scopes: str | None):
    """Override the throttle rates of ``scopes`` (the throttles read them on every request)."""
    rest_framework = copy.deepcopy(settings.REST_FRAMEWORK)
    rest_framework["DEFAULT_THROTTLE_RATES"].update(scopes)
    return override_settings(REST_FRAMEWORK=rest_framework)


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "throttled" in response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 60


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(api_client):
    """GIVEN an anonymous rate of 2 a minute and no trusted proxy
    WHEN one client keeps sending a new X-Forwarded-For with each request
    THEN it is still one client: the third request is refused (and so is password guessing).
    """
    with rates(anon="2/min", auth="2/min"):
        codes = [api_client.get(ARTICLES_URL, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(3)]
        guesses = [
            api_client.post(TOKEN_URL, {"username": "a", "password": "b"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
            for i in range(3)
        ]

    assert codes == [200, 200, 429]
    assert_throttled(guesses[-1])


def test_anonymous_clients_are_limited_per_address(api_client):
    """GIVEN an anonymous rate of 3 a minute
    WHEN one address makes 4 requests, and another address 1
    THEN the fourth of the first is refused with 429 and Retry-After; the other address is served.
    """
    with rates(anon="3/min"):
        served = [api_client.get(ARTICLES_URL).status_code for _ in range(3)]
        refused = api_client.get(ARTICLES_URL)
        elsewhere = api_client.get(ARTICLES_URL, REMOTE_ADDR="10.0.0.2")

    assert served == [200, 200, 200]
    assert_throttled(refused)
    assert elsewhere.status_code == 200


def test_users_are_limited_by_the_user_rate_not_the_anonymous_one(editor_client, api_client):
    """GIVEN an anonymous rate of 1 and a user rate of 3 a minute
    WHEN an editor makes 4 requests from the same address an anonymous client uses
    THEN the editor gets 3 and is then refused; the anonymous client's own one is served.
    """
    with rates(anon="1/min", user="3/min"):
        served = [editor_client.get(AUTHORS_URL).status_code for _ in range(3)]
        refused = editor_client.patch(f"{AUTHORS_URL}1/", {"name": "x"})
        anonymous = api_client.get(AUTHORS_URL)

    assert served == [200, 200, 200]
    assert_throttled(refused)
    assert anonymous.status_code == 200


def test_token_requests_have_their_own_stricter_limit(api_client, editor):
    """GIVEN an auth rate of 2 a minute and a generous anonymous rate
    WHEN a client tries passwords 3 times
    THEN the third try is refused with 429, even with the right password, while reads go on.
    """
    with rates(auth="2/min", anon="100/min"):
        tries = [api_client.post(TOKEN_URL, {"username": "editor", "password": "guess"}).status_code for _ in range(2)]
        refused = api_client.post(TOKEN_URL, {"username": "editor", "password": "pw-for-tests-only"})
        read = api_client.get(ARTICLES_URL)

    assert tries == [401, 401]
    assert_throttled(refused)
    assert read.status_code == 200


def test_token_requests_do_not_use_up_the_anonymous_rate(api_client, editor):
    with rates(auth="5/min", anon="1/min"):
        tries = [api_client.post(TOKEN_URL, {"username": "editor", "password": "x"}).status_code for _ in range(3)]
        read = api_client.get(ARTICLES_URL)

    assert tries == [401, 401, 401]
    assert read.status_code == 200


def test_a_rate_of_none_switches_a_limit_off(api_client):
    with rates(anon=None):
        statuses = {api_client.get(ARTICLES_URL).status_code for _ in range(30)}

    assert statuses == {200}


def test_default_rates():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "120/min",
        "user": "1200/min",
        "auth": "10/min",
    }


def test_rates_come_from_the_environment():
    code = "from django.conf import settings as s; print(sorted(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'].items()))"

    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        SECRET_KEY="x" * 60,
        API_THROTTLE_ANON="7/hour",
        API_THROTTLE_USER="70/hour",
        API_THROTTLE_AUTH="3/hour",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('anon', '7/hour'), ('auth', '3/hour'), ('user', '70/hour')]"
