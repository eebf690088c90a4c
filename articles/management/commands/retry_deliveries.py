"""``manage.py retry_deliveries``: queue again the saved-search deliveries a crash or a restart left unsent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from articles.alerts.deliveries import retry_due


class Command(BaseCommand):
    help = (
        "Queue the sending of every saved-search delivery (e-mail digest, webhook POST) that is due and whose task "
        "is gone, finished without sending it, or overdue: what a crash, a restart or a lost queue left behind. "
        "Safe to run at any time (a delivery is sent once: a second task finds it delivered); `make run` runs it "
        "before starting the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace-minutes",
            type=float,
            default=1.0,
            help="A delivery whose queued task has not run this many minutes after it was due is queued again "
            "(default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids = retry_due(grace=timedelta(minutes=options["grace_minutes"]))
        self.stdout.write(f"Queued {len(ids)} undelivered delivery(ies) again.")
