"""``manage.py backup_archive``: write the whole archive to one gzip'd NDJSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.backup import BackupError, backup_archive


class Command(BaseCommand):
    help = (
        "Write every row of the archive (articles, sources and revisions, authors, publishers, bylines, aliases, "
        "merges, import runs and outcomes, history, users, groups, tokens) to OUTPUT, a gzip'd NDJSON file, read "
        "from one snapshot of the database in constant memory; imports and edits go on meanwhile. Restore it with "
        "restore_archive into an empty database of either kind (SQLite or PostgreSQL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", metavar="OUTPUT", help="The file to write, e.g. archive-2026-12-02.ndjson.gz.")
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Replace OUTPUT if it exists (by default an existing file is never touched).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]

        def progress(label: str, rows: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"{label}: {rows} rows…")

        try:
            report = backup_archive(output=Path(options["output"]), overwrite=options["overwrite"], progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            summary = f"Backed up {report.total} rows of {len(report.rows)} tables to {options['output']}."
            self.stdout.write(self.style.SUCCESS(summary))
