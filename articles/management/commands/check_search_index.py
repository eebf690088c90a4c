"""``manage.py check_search_index``: compare the search index with the database, and repair it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles import search_index


class Command(BaseCommand):
    help = (
        "Compare the search index with the articles table, in batches by id: articles missing from the index, "
        "documents that no longer match their article (by a fingerprint of what was indexed), and documents of "
        "deleted articles. With --repair, "
        "reindex those articles. Exits with an error if a divergence is found and not repaired."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Reindex every divergent article (queue it and drain the queue) instead of only reporting.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Articles compared per batch (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.compare(options)
        except search_index.SearchIndexOutdated as exc:
            raise CommandError(str(exc)) from None

    def compare(self, options: dict[str, Any]) -> None:
        """Compare the index with the database, and repair it with ``--repair``."""
        verbosity = options["verbosity"]
        # What is still queued is not a divergence: drain it first.
        search_index.sync_pending()

        def progress(done: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"Checked {done} articles…")

        report = search_index.check_index(batch_size=max(1, options["batch_size"]), progress=progress)
        if verbosity >= 2:
            for label, ids in (("missing", report.missing), ("stale", report.stale), ("deleted", report.extra)):
                for pk in ids:
                    self.stdout.write(f"Article {pk}: {label}")
        summary = (
            f"Checked {report.checked} articles: {len(report.missing)} missing from the index, "
            f"{len(report.stale)} stale, {len(report.extra)} deleted but still indexed."
        )
        if not report.divergent:
            if verbosity >= 1:
                self.stdout.write(self.style.SUCCESS(summary))
            return
        if not options["repair"]:
            raise CommandError(summary + " Run with --repair to fix.")
        repaired = search_index.repair(report)
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"{summary} Reindexed {repaired} articles."))
