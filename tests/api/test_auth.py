"""Authentication: API tokens from a username and password, and sessions for the browsable API."""

from __future__ import annotations

import html
import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from articles.models import Article
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, make_article
from tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/api/v1/auth/login/"
LOGOUT_URL = "/api/v1/auth/logout/"
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("desk", password=PASSWORD, is_staff=True)


# --- Tokens ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_token_for_a_username_and_password(api_client, editor, fmt):
    response = api_client.post(TOKEN_URL, {"username": "editor", "password": PASSWORD}, format=fmt)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=editor).key}


def test_the_same_token_every_time(api_client, editor):
    first = api_client.post(TOKEN_URL, {"username": "editor", "password": PASSWORD}).json()["token"]
    second = api_client.post(TOKEN_URL, {"username": "editor", "password": PASSWORD}).json()["token"]

    assert first == second
    assert Token.objects.filter(user=editor).count() == 1


def test_the_token_authenticates_later_requests(api_client, staff):
    """GIVEN a staff user and a draft only staff may read
    WHEN the user obtains a token and sends it
    THEN the draft is readable with the token and not without.
    """
    draft = make_article(Article.Status.DRAFT)
    key = api_client.post(TOKEN_URL, {"username": "desk", "password": PASSWORD}).json()["token"]

    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert with_token.get(f"{ARTICLES_URL}{draft.pk}/").status_code == 200
    assert api_client.get(f"{ARTICLES_URL}{draft.pk}/").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "editor", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "EDITOR", "password": PASSWORD},
    ],
)
def test_wrong_credentials_are_a_401_with_a_token_challenge(api_client, editor, payload):
    # Well-formed but not authenticating: refused credentials (401), not bad input (400), as the schema says.
    response = api_client.post(TOKEN_URL, payload)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Unable to log in with provided credentials."}
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"username": "editor"}, ["password"]),
        ({"password": PASSWORD}, ["username"]),
        ({"username": "", "password": PASSWORD}, ["username"]),
        ({}, ["username", "password"]),
    ],
)
def test_missing_credentials_are_a_400(api_client, editor, payload, fields):
    response = api_client.post(TOKEN_URL, payload)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert sorted(response.json()) == sorted(fields)
    assert not Token.objects.exists()


def test_inactive_users_get_no_token(api_client, editor):
    editor.is_active = False
    editor.save()

    response = api_client.post(TOKEN_URL, {"username": "editor", "password": PASSWORD})

    assert response.status_code == 401
    assert not Token.objects.exists()


def test_token_endpoint_answers_only_post(api_client):
    assert api_client.get(TOKEN_URL).status_code == 405


@pytest.mark.parametrize("header", ["Token not-a-real-key", "Token", "Token two words"])
@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_bad_token_is_a_401_even_for_reads(api_client, header, method):
    author = AuthorFactory()
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = getattr(api_client, method)(f"{AUTHORS_URL}{author.pk}/", {"name": "x"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_a_deleted_token_stops_working(editor, editor_client):
    author = AuthorFactory()
    assert editor_client.patch(f"{AUTHORS_URL}{author.pk}/", {"name": "One"}).status_code == 200

    Token.objects.filter(user=editor).delete()

    assert editor_client.patch(f"{AUTHORS_URL}{author.pk}/", {"name": "Two"}).status_code == 401


# --- Sessions (the browsable API) ---------------------------------------------


def csrf_token(client: APIClient) -> str:
    return client.cookies["csrftoken"].value


def test_session_login_edit_and_logout(editor):
    """GIVEN an editor using the browsable API with CSRF checks on, as a browser would
    WHEN they log in through the login page, edit an author, then log out
    THEN the edit needs the CSRF token, succeeds with it, and after logout writes get 401.
    """
    author = AuthorFactory(name="Before")
    client = APIClient(enforce_csrf_checks=True)
    assert client.get(LOGIN_URL).status_code == 200

    login = client.post(
        LOGIN_URL,
        {"username": "editor", "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(client), "next": AUTHORS_URL},
        format="multipart",
    )
    assert login.status_code == 302
    assert login["Location"] == AUTHORS_URL

    without_csrf = client.patch(f"{AUTHORS_URL}{author.pk}/", {"name": "After"})
    assert without_csrf.status_code == 403
    assert "CSRF" in without_csrf.json()["detail"]

    with_csrf = client.patch(f"{AUTHORS_URL}{author.pk}/", {"name": "After"}, HTTP_X_CSRFTOKEN=csrf_token(client))
    assert with_csrf.status_code == 200

    logout = client.post(LOGOUT_URL, {"csrfmiddlewaretoken": csrf_token(client)}, format="multipart")
    assert logout.status_code in {200, 302}
    assert client.patch(f"{AUTHORS_URL}{author.pk}/", {"name": "Again"}).status_code == 401
    author.refresh_from_db()
    assert author.name == "After"


def test_login_without_next_returns_to_the_api_root(editor):
    client = APIClient()

    response = client.post(LOGIN_URL, {"username": "editor", "password": PASSWORD}, format="multipart")

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/"


def test_browsable_api_offers_login_to_anonymous_users(api_client):
    response = api_client.get(ARTICLES_URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert f"href='{LOGIN_URL}?next={ARTICLES_URL}'".encode() in response.content


def test_browsable_api_shows_editors_the_fields_they_may_send(editor, api_client):
    """GIVEN an editor logged in to the browsable API and an article with two authors
    WHEN they open the article
    THEN the page offers PATCH with the editable fields, authors as ids in byline order.
    """
    authors = AuthorFactory.create_batch(2)
    article = make_article(authors=list(reversed(authors)))
    api_client.force_login(editor)

    response = api_client.get(f"{ARTICLES_URL}{article.pk}/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b'data-method="PATCH"' in response.content
    form = response.content.decode().partition('<textarea name="_content"')[2].partition("</textarea>")[0]
    sent = json.loads(html.unescape(form.partition(">")[2]))
    assert list(sent) == [
        "title",
        "subtitle",
        "body",
        "language",
        "status",
        "published_at",
        "original_published_at",
        "original_updated_at",
        "embargo_until",
        "authors",
        "publisher",
    ]
    assert sent["authors"] == [authors[1].pk, authors[0].pk]
