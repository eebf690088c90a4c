"""Settings come from the environment and are safe by default."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import REPO_ROOT


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="archive.example.org",
        # Not the checkout's own index, which an older version may have built (articles.W001 says so).
        ARCHIVE_SEARCH_INDEX_DIR=str(tmp_path / "search-index"),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_defaults_to_off_and_hosts_to_loopback():
    from django.conf import settings

    code = "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"
    result = manage("shell", "-v", "0", "-c", code, SECRET_KEY="x" * 60)
    assert result.stdout.split(" ", 1)[0] == "False"
    assert "localhost" in result.stdout and "127.0.0.1" in result.stdout
    assert settings.ARCHIVE_MAX_SEED_BYTES == 5 * 1024 * 1024


@pytest.mark.django_db
def test_ensure_local_admin_creates_one_login_and_shows_it_again(tmp_path, settings, django_user_model):
    """
    GIVEN no superuser
    WHEN ensure_local_admin runs twice
    THEN one superuser exists and both runs print the same login
    """
    settings.DEBUG = True
    creds = tmp_path / "creds"
    first, second = StringIO(), StringIO()

    call_command("ensure_local_admin", credentials_file=creds, stdout=first)
    call_command("ensure_local_admin", credentials_file=creds, stdout=second)

    user = django_user_model.objects.get()
    password = creds.read_text().split()[1]
    assert user.is_superuser and user.check_password(password)
    assert password in first.getvalue() and password in second.getvalue()


@pytest.mark.django_db
def test_ensure_local_admin_refuses_without_debug(settings, tmp_path):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("ensure_local_admin", credentials_file=tmp_path / "c", stdout=StringIO())


STORED_PASSWORD = "the-stored-password"


@pytest.fixture
def stored_login(tmp_path, settings) -> Path:
    """A .local-admin file for "admin" kept by an earlier run, and DEBUG on as `make run` has it."""
    settings.DEBUG = True
    creds = tmp_path / "creds"
    creds.write_text(f"admin\n{STORED_PASSWORD}\n")
    return creds


def ensure_local_admin(creds: Path) -> str:
    """Run the command with ``creds`` and return what it printed."""
    out = StringIO()
    call_command("ensure_local_admin", credentials_file=creds, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_ensure_local_admin_resets_a_password_the_database_does_not_have(stored_login, django_user_model):
    """
    GIVEN a .local-admin written by a run on another database, and this database's admin with another password
    WHEN ensure_local_admin runs
    THEN the printed password is the stored one, and it now logs the admin in
    """
    django_user_model.objects.create_superuser("admin", "", "this-database-password")

    printed = ensure_local_admin(stored_login)

    assert f"password: {STORED_PASSWORD}" in printed
    assert django_user_model.objects.get(username="admin").check_password(STORED_PASSWORD)


@pytest.mark.django_db
def test_ensure_local_admin_creates_the_stored_login_beside_another_superuser(stored_login, django_user_model):
    """
    GIVEN a .local-admin for "admin", and a database whose only superuser is someone else
    WHEN ensure_local_admin runs
    THEN "admin" is created as a superuser with the stored password, which the command prints
    """
    django_user_model.objects.create_superuser("alice", "", "alices-own-password")

    printed = ensure_local_admin(stored_login)

    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password(STORED_PASSWORD)
    assert f"username: admin  password: {STORED_PASSWORD}" in printed


@pytest.mark.django_db
def test_ensure_local_admin_restores_the_rights_of_a_demoted_admin(stored_login, django_user_model):
    """
    GIVEN the stored login's user exists with the right password but is no longer an active superuser
    WHEN ensure_local_admin runs
    THEN it is an active staff superuser again, so the printed login opens the admin
    """
    django_user_model.objects.create_user("admin", "", STORED_PASSWORD, is_active=False)

    ensure_local_admin(stored_login)

    admin = django_user_model.objects.get(username="admin")
    assert admin.is_active and admin.is_staff and admin.is_superuser


@pytest.mark.django_db
def test_ensure_local_admin_refuses_a_malformed_credentials_file(tmp_path, settings):
    settings.DEBUG = True
    creds = tmp_path / "creds"
    creds.write_text("admin\n")
    with pytest.raises(CommandError, match="delete it to start over"):
        call_command("ensure_local_admin", credentials_file=creds, stdout=StringIO())
