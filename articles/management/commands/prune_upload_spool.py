"""``manage.py prune_upload_spool``: delete upload files no upload needs any more."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from articles.uploads import stale_spool_files, upload_dir


class Command(BaseCommand):
    help = (
        "Delete files in ARCHIVE_UPLOAD_DIR that no queued or running upload needs, once they are old enough: "
        "what a web process that died while receiving an upload left behind. Finished uploads delete their own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=24.0,
            help="Only delete files last written this many hours ago or more (default: %(default)s).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = stale_spool_files(older_than=timedelta(hours=options["older_than_hours"]))
        for path in paths:
            if not options["dry_run"]:
                path.unlink(missing_ok=True)
            if options["verbosity"] >= 2:
                self.stdout.write(f"{'would delete' if options['dry_run'] else 'deleted'} {path.name}")
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(paths)} stale file(s) from {upload_dir()}."))
