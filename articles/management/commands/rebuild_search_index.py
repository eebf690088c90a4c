"""``manage.py rebuild_search_index``: index every article afresh, then swap the new index in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from articles import search_index


class Command(BaseCommand):
    help = (
        "Index every article into a new search index, in batches of plain SELECTs by id, then make it the live "
        "index in one atomic swap: searches keep using the old index meanwhile, and what changes during the "
        "rebuild is replayed into the new one. Imports and edits keep the index current by themselves; rebuild "
        "after restoring a database, after an upgrade that changes the index schema, or to start afresh."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Articles read per SELECT (default: %(default)s).",
        )
        parser.add_argument(
            "--if-outdated",
            action="store_true",
            help="Rebuild only an index built for another schema version (an upgrade's); else do nothing. "
            "A missing index is built by the first import or search, so it is left alone too.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        if options["if_outdated"] and not search_index.is_outdated():
            if verbosity >= 2:
                self.stdout.write("The search index is up to date: nothing to rebuild.")
            return

        def progress(done: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"Indexed {done} articles…")

        total = search_index.rebuild(batch_size=max(1, options["batch_size"]), progress=progress)
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Rebuilt the search index: {total} articles."))
