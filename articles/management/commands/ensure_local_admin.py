"""``manage.py ensure_local_admin``: a login for local development."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

CREDENTIALS_FILE = settings.BASE_DIR / ".local-admin"


class Command(BaseCommand):
    help = (
        "Create a superuser for local use if no superuser exists, and print its login. "
        "Refuses to run with DEBUG off, so it can never create a login on a production server."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help="Username to create (default: %(default)s).")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server will listen, to print the admin's address (default: %(default)s).",
        )
        parser.add_argument(
            "--credentials-file",
            type=Path,
            default=CREDENTIALS_FILE,
            help="Where the generated password is kept for later runs (default: %(default)s; git-ignored).",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("ensure_local_admin only runs with DEBUG on (local development).")
        path: Path = options["credentials_file"]
        user_model = get_user_model()
        self.admin_url = options["base_url"].rstrip("/") + "/admin/"
        if user_model.objects.filter(is_superuser=True).exists():
            self._print_known_login(path)
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(options["username"], "", password)
        path.write_text(f"{options['username']}\n{password}\n", encoding="utf-8")
        path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS("Created a local admin login."))
        self._print_login(options["username"], password)

    def _print_known_login(self, path: Path) -> None:
        if path.exists():
            username, password = path.read_text(encoding="utf-8").split()[:2]
            self._print_login(username, password)
        else:
            self.stdout.write("A superuser already exists; use its login (or `manage.py changepassword`).")

    def _print_login(self, username: str, password: str) -> None:
        self.stdout.write(f"Admin login: {self.admin_url}  username: {username}  password: {password}")
