"""``manage.py import_seeds``: import seed files into the archive."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from articles import conf
from articles.importing import (
    BATCH_SIZE,
    FileOutcome,
    ImportDefaults,
    ImportReport,
    InvalidDefaults,
    OnOutcome,
    Source,
    SourceNotFound,
    collect_sources,
    import_sources,
    outcome_line,
    stopping,
)

EXIT_FAILED = 1
EXIT_USAGE = 2
# As a shell reports a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130


class Command(BaseCommand):
    help = (
        "Import seed files (raw article text) into the archive. PATHs are files or directories "
        "(searched recursively for *.txt; a symlink is followed only if it stays inside the directory, and anything "
        "unreadable is a failed file); the default is the seeds/ directory. Re-running is safe: "
        "unchanged files are skipped, changed ones update their article. Files without a copyright line or "
        "byline (plain title + body) can be given a publisher and an author with --publisher/--author, or per "
        "directory with --publisher-for/--author-for; a value given only fills what a file lacks. Exit status: "
        "0 when no file failed, 1 when some file failed, 2 for usage errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help=f"Seed files or directories to import (default: {conf.seeds_dir()}).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON object with the counts and errors as the last line of output, instead of a table.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Parse and report the same counts, but write nothing to the database.",
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=conf.max_seed_bytes(),
            help="Reject files larger than this many bytes (default: %(default)s).",
        )

        parser.add_argument(
            "--follow-symlinks",
            action="store_true",
            help="Follow symbolic links that lead outside the directory being imported (by default such a link "
            "is reported as a failed file and not read).",
        )
        parser.add_argument(
            "--publisher",
            default="",
            metavar="NAME",
            help="Publisher of every imported file that has no copyright line of its own (a file's own holder "
            "wins). Such a file counts as that publisher's article: it is not queued for review for lacking a "
            "publisher or an author, and is published if nothing else is amiss.",
        )
        parser.add_argument(
            "--author",
            default="",
            metavar="NAME",
            help="Author of every imported file that has no byline of its own (a file's own byline wins).",
        )
        parser.add_argument(
            "--publisher-for",
            action="append",
            default=[],
            metavar="DIR=NAME",
            help="Like --publisher, for the files under directory DIR only (repeatable; a deeper directory "
            "wins over a shallower one and over --publisher). DIR is matched against the paths files are found "
            "at, e.g. --publisher-for corpus/bbc='BBC News' for corpus/bbc/**/*.txt.",
        )
        parser.add_argument(
            "--author-for",
            action="append",
            default=[],
            metavar="DIR=NAME",
            help="Like --author, for the files under directory DIR only (repeatable, as --publisher-for).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help="Files imported per transaction (default: %(default)s): fewer hold less memory and shorter locks.",
        )

    def handle(self, *args: str, **options: Any) -> None:
        paths = options["paths"] or [conf.seeds_dir()]
        try:
            sources = collect_sources(paths, follow_symlinks=options["follow_symlinks"])
        except SourceNotFound as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from exc
        if options["max_bytes"] <= 0:
            raise CommandError("--max-bytes must be a positive number of bytes.", returncode=EXIT_USAGE)
        if options["batch_size"] <= 0:
            raise CommandError("--batch-size must be a positive number of files.", returncode=EXIT_USAGE)
        defaults = _defaults(options)
        try:
            with stopping.on_signals():  # Ctrl-C or SIGTERM stop the run, recorded as interrupted
                report = self._run(sources, paths, options, defaults)
        except KeyboardInterrupt:
            raise CommandError(
                "Stopped on request. The batches committed so far are kept and the run is recorded as "
                "interrupted; run the same command again to import the rest (files already imported are skipped).",
                returncode=EXIT_INTERRUPTED,
            ) from None
        self._report(report, options)
        failed = report.counts["failed"]
        if failed:
            raise CommandError(f"{failed} of {report.total} file(s) failed.", returncode=EXIT_FAILED)

    def _run(
        self,
        sources: Iterable[Source],  # consumed once
        paths: Sequence[str | Path],
        options: Mapping[str, Any],
        defaults: ImportDefaults,
    ) -> ImportReport:
        """Import with a progress bar on a terminal, or a line per file at verbosity 2 (as each batch commits)."""

        def run(on_outcome: OnOutcome | None = None) -> ImportReport:
            return import_sources(
                sources,
                paths=[str(Path(p)) for p in paths],
                dry_run=options["dry_run"],
                max_bytes=options["max_bytes"],
                batch_size=options["batch_size"],
                defaults=defaults,
                on_outcome=on_outcome,
            )

        if options["verbosity"] >= 2 and not options["json"]:
            return run(self._write_outcome)
        if options["verbosity"] == 1 and not options["json"] and self.stdout.isatty():
            with _progress(self.stdout) as progress:
                task = progress.add_task("Importing", total=None)  # the files are found as they are imported
                return run(lambda _: progress.advance(task))
        return run()

    def _write_outcome(self, outcome: FileOutcome) -> None:
        line = outcome_line(outcome)
        style = self.style.ERROR if outcome.error else self.style.SUCCESS if outcome.result == "created" else None
        self.stdout.write(style(line) if style else line)

    def _report(self, report: ImportReport, options: Mapping[str, Any]) -> None:
        if options["json"]:
            # Streamed from the stored outcomes: any number of errors, in bounded memory.
            for piece in report.iter_json():
                self.stdout.write(piece, ending="")
            self.stdout.write("")
            return
        if options["verbosity"] >= 1:
            self.stdout.write(_summary_table(report, color=self.stdout.isatty()), ending="")
        for error in report.iter_errors():
            self.stderr.write(f"{error['path']}: {error['error']}")


def _defaults(options: Mapping[str, Any]) -> ImportDefaults:
    """Return the publisher and author the options supply; a usage error for a bad name or directory."""
    try:
        return ImportDefaults(
            publisher=options["publisher"],
            author=options["author"],
            publisher_for=_by_directory(options["publisher_for"], "--publisher-for"),
            author_for=_by_directory(options["author_for"], "--author-for"),
        )
    except InvalidDefaults as exc:
        raise CommandError(f"{exc}.", returncode=EXIT_USAGE) from exc


def _by_directory(values: list[str], option: str) -> dict[str, str]:
    """Parse repeated ``DIR=NAME`` values; each DIR must be an existing directory (a typo would match nothing)."""
    found: dict[str, str] = {}
    for value in values:
        directory, equals, name = value.partition("=")
        if not equals or not directory or not name.strip():
            raise CommandError(f"{option} takes DIR=NAME, not {value!r}.", returncode=EXIT_USAGE)
        if not Path(directory).is_dir():
            raise CommandError(f"{option} {value!r}: {directory} is not a directory.", returncode=EXIT_USAGE)
        found[directory] = name
    return found


def _progress(stdout: OutputWrapper) -> Progress:
    """Return a progress bar drawn on the command's output terminal."""
    # The wrapped stream, not the wrapper (which ends each write with a newline); the stubs type
    # OutputWrapper's undeclared attributes as callables.
    console = Console(file=cast(TextIO, stdout._out))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, console=console, transient=True)


def _summary_table(report: ImportReport, *, color: bool) -> str:
    """Render the per-outcome counts as a table."""
    title = "Import summary (dry run: nothing was written)" if report.dry_run else "Import summary"
    if report.run_id:
        title += f" - run #{report.run_id}"
    table = Table(title=title, min_width=len(title) + 4)
    table.add_column("outcome")
    table.add_column("files", justify="right")
    for name, count in report.counts.items():
        table.add_row(name, str(count))
    table.add_row("total", str(report.total), style="bold")
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=color, width=80).print(table)
    return buffer.getvalue()
