"""``manage.py find_duplicates``: the near-duplicate clusters of the archive, found through the band-key index."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles import deduplication, duplicates
from articles.deduplication import Cluster


class Command(BaseCommand):
    help = (
        "Report the clusters of near-duplicate articles (syndicated or lightly edited copies: at least "
        "--threshold of their word shingles in common), as the importer finds them: articles sharing a band "
        "key of the index are candidates, verified with the exact similarity of their bodies. Indexes the "
        "articles that have no fingerprint yet first. Walks the archive in batches by id and by key, never "
        "the whole of it at once. One line per cluster (its articles, oldest first), then a summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threshold",
            type=float,
            default=duplicates.THRESHOLD,
            help="Share of word shingles in common (Jaccard similarity, 0 to 1) that makes a copy "
            "(default: %(default)s, as the importer).",
        )
        parser.add_argument(
            "--index-missing",
            action="store_true",
            default=True,
            help="Fingerprint the articles that have none before looking (the default).",
        )
        parser.add_argument(
            "--no-index-missing",
            action="store_false",
            dest="index_missing",
            help="Look only at the fingerprints already stored.",
        )
        parser.add_argument(
            "--flag",
            action="store_true",
            help="Flag each copy not flagged yet as a possible duplicate of the oldest article of its cluster "
            "it was matched with, as the importer does (a draft for review, with duplicate_of set).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=deduplication.SCAN_BATCH,
            help="Articles (when indexing) and shared keys (when grouping) read per query (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        threshold, size = options["threshold"], options["batch_size"]
        if not 0 < threshold <= 1:
            raise CommandError("--threshold must be above 0 and at most 1.")
        if size < 1:
            raise CommandError("--batch-size must be at least 1.")
        indexed = deduplication.index_missing(batch_size=size) if options["index_missing"] else 0
        clusters = deduplication.find_clusters(threshold=threshold, batch_size=size)
        flagged = 0
        for cluster in clusters:
            self.stdout.write(self._line(cluster))
            if options["flag"]:
                flagged += deduplication.flag_cluster(cluster)
        articles = sum(len(cluster.members) for cluster in clusters)
        summary = f"{len(clusters)} clusters of near-duplicates ({articles} articles); {indexed} articles indexed"
        self.stdout.write(summary + (f"; {flagged} copies flagged" if options["flag"] else ""))

    def _line(self, cluster: Cluster) -> str:
        titles = deduplication.titles_of(cluster.members)
        return " · ".join(f"#{pk} {titles.get(pk, '')}".rstrip() for pk in cluster.members)
