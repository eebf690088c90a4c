"""``manage.py restore_archive``: load a backup_archive file into an empty database, then rebuild the index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.backup import BATCH_SIZE, BackupError, restore_archive


class Command(BaseCommand):
    help = (
        "Load a file written by backup_archive into this database (SQLite or PostgreSQL, migrated to the same "
        "version), keeping every id, in one transaction: a bad or truncated file changes nothing. Refuses a "
        "database that already holds archive data unless --replace. Then resets the id sequences and rebuilds the "
        "search index."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", metavar="INPUT", help="A backup file written by backup_archive.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete everything the archive holds in this database first (users included), then restore.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help="Rows read and inserted at a time (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]

        def progress(label: str, rows: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"{label}: {rows} more rows…")

        try:
            report = restore_archive(
                source=Path(options["input"]),
                replace=options["replace"],
                batch_size=options["batch_size"],
                progress=progress,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Restored {report.total} rows of {len(report.rows)} tables from {options['input']}; "
                    f"the search index holds {report.indexed} articles."
                )
            )
