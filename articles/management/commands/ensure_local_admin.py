"""``manage.py ensure_local_admin``: a login for local development that works on the current database."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.base import BaseCommand, CommandError, CommandParser

CREDENTIALS_FILE = settings.BASE_DIR / ".local-admin"


class Command(BaseCommand):
    help = (
        "Make sure the local admin login kept in .local-admin works on the current database, and print it: "
        "create the superuser (or a new login when there is no file and no superuser), or reset its password "
        "when the database holds another one. Refuses to run with DEBUG off, so it can never create or change "
        "a login on a production server."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--username",
            default="admin",
            help="Username of a new login, when no credentials file exists yet (default: %(default)s).",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server will listen, to print the admin's address (default: %(default)s).",
        )
        parser.add_argument(
            "--credentials-file",
            type=Path,
            default=CREDENTIALS_FILE,
            help="Where the generated login is kept for later runs (default: %(default)s; git-ignored).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("ensure_local_admin only runs with DEBUG on (local development).")
        path: Path = options["credentials_file"]
        self.admin_url = options["base_url"].rstrip("/") + "/admin/"
        if path.exists():
            username, password = self._read(path)
            self._ensure_login(username, password)
        elif get_user_model().objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser already exists; use its login (or `manage.py changepassword`).")
            return
        else:
            username, password = options["username"], secrets.token_urlsafe(12)
            get_user_model().objects.create_superuser(username, "", password)
            path.write_text(f"{username}\n{password}\n", encoding="utf-8")
            path.chmod(0o600)
            self.stdout.write(self.style.SUCCESS("Created a local admin login."))
        self.stdout.write(f"Admin login: {self.admin_url}  username: {username}  password: {password}")

    def _read(self, path: Path) -> tuple[str, str]:
        """Return the username and password kept in ``path``."""
        words = path.read_text(encoding="utf-8").split()
        if len(words) < 2:
            raise CommandError(f"{path} should hold a username and a password, one a line: delete it to start over.")
        return words[0], words[1]

    def _ensure_login(self, username: str, password: str) -> None:
        """Create ``username`` as a superuser, or make its password and rights match the stored login."""
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            get_user_model().objects.create_superuser(username, "", password)
            self.stdout.write(self.style.SUCCESS(f"Created the local admin login kept in .local-admin ({username})."))
        elif not self._works(user, password):
            user.set_password(password)
            user.is_active = user.is_staff = user.is_superuser = True
            user.save()
            # This database held another login of that name (another database's run, a changed password).
            self.stdout.write(self.style.WARNING(f"Reset {username}'s password to the one kept in .local-admin."))

    @staticmethod
    def _works(user: AbstractUser, password: str) -> bool:
        """Tell whether ``user`` can log in to the admin with ``password`` and manage everything."""
        return user.is_active and user.is_staff and user.is_superuser and user.check_password(password)
