"""``manage.py rebuild_search_index``: recompute the full-text index of every article."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from articles.search import rebuild_search_index


class Command(BaseCommand):
    help = (
        "Recompute the full-text search index of every article: after changing ARCHIVE_SEARCH_CONFIG "
        "on PostgreSQL, or to repair an index by hand. Imports, admin and API edits keep it current by themselves."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            choices=list(connections),
            help="Database to rebuild the index on (default: %(default)s).",
        )

    def handle(self, *args, **options) -> None:
        with transaction.atomic(using=options["database"]):
            rebuild_search_index(using=options["database"])
        if options["verbosity"] >= 1:
            vendor = connections[options["database"]].vendor
            self.stdout.write(self.style.SUCCESS(f"Rebuilt the full-text search index ({vendor})."))
