"""What a run reports: counters, and its per-file outcomes streamed from where they are stored.

Nothing here holds every outcome of a run: a real run's outcomes are the
``ImportOutcome`` rows written batch by batch, read back in chunks; a dry run,
whose rows are rolled back, spools them to a temporary file instead.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any, overload

from django.db.models import QuerySet

from articles.importing.batches import FileOutcome
from articles.models import ImportOutcome

Result = ImportOutcome.Result
# Report keys, in the order the command prints them (by result: a FileOutcome's is a plain str).
COUNT_NAMES: dict[str, str] = {
    Result.CREATED: "created",
    Result.UPDATED: "updated",
    Result.UNCHANGED: "unchanged",
    Result.DUPLICATE: "duplicates",
    Result.FAILED: "failed",
}
CHUNK = 2000


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_NAMES.values(), 0)


class OutcomeLog:
    """The outcomes of a run in order: iterable any number of times, sized, sliceable, never all in memory."""

    def __init__(self, total: int = 0) -> None:
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[FileOutcome]:
        raise NotImplementedError

    def failed(self) -> Iterator[FileOutcome]:
        return (o for o in self if o.result == Result.FAILED)

    @overload
    def __getitem__(self, index: int) -> FileOutcome: ...
    @overload
    def __getitem__(self, index: slice) -> list[FileOutcome]: ...
    def __getitem__(self, index: int | slice) -> FileOutcome | list[FileOutcome]:
        if isinstance(index, slice):
            return list(islice(self, index.start, index.stop, index.step))
        if index < 0:
            index += self.total
        for outcome in islice(self, index, index + 1):
            return outcome
        raise IndexError(index)


class StoredOutcomes(OutcomeLog):
    """A run's outcomes read back from its ``ImportOutcome`` rows."""

    FIELDS = ("path", "source_key", "result", "error", "article_id")

    def __init__(self, run_id: int, total: int) -> None:
        super().__init__(total)
        self.run_id = run_id

    def _rows(self, **filters: object) -> QuerySet[ImportOutcome, tuple[Any, ...]]:
        return ImportOutcome.objects.filter(run_id=self.run_id, **filters).order_by("id").values_list(*self.FIELDS)

    def __iter__(self) -> Iterator[FileOutcome]:
        return (FileOutcome(*row) for row in self._rows().iterator(chunk_size=CHUNK))

    def failed(self) -> Iterator[FileOutcome]:
        return (FileOutcome(*row) for row in self._rows(result=Result.FAILED).iterator(chunk_size=CHUNK))

    @overload
    def __getitem__(self, index: int) -> FileOutcome: ...
    @overload
    def __getitem__(self, index: slice) -> list[FileOutcome]: ...
    def __getitem__(self, index: int | slice) -> FileOutcome | list[FileOutcome]:
        if isinstance(index, slice) and (index.step or 1) == 1 and (index.start or 0) >= 0:
            return [FileOutcome(*row) for row in self._rows()[index]]
        return super().__getitem__(index)


class SpooledOutcomes(OutcomeLog):
    """Outcomes kept in a temporary file (in memory while small): a dry run's, which the database does not keep."""

    def __init__(self) -> None:
        super().__init__()
        self.rolled_back_above: int | None = None
        # Closed with the report (garbage collected): it lives as long as the outcomes are read.
        self._file = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115

    def extend(self, outcomes: Iterable[FileOutcome]) -> None:
        self._file.seek(0, 2)
        for outcome in outcomes:
            self._file.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")
            self.total += 1

    def __iter__(self) -> Iterator[FileOutcome]:
        position = 0  # each iteration keeps its own place, so two may run side by side
        while True:
            self._file.seek(position)
            line = self._file.readline()
            if not line:
                return
            position = self._file.tell()
            yield self._load(line)

    def _load(self, line: str) -> FileOutcome:
        data = json.loads(line)
        data["warnings"] = tuple(data["warnings"])
        if self.rolled_back_above is not None and (data["article_id"] or 0) > self.rolled_back_above:
            data["article_id"] = None  # an article the dry run created: rolled back, nothing to point at
        return FileOutcome(**data)


@dataclass
class ImportReport:
    """The counts of one run and its outcomes (streamed, see ``OutcomeLog``)."""

    run_id: int | None = None
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=empty_counts)
    outcomes: OutcomeLog = field(default_factory=OutcomeLog)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, result: str) -> int:
        return self.counts[COUNT_NAMES[result]]

    def iter_errors(self) -> Iterator[dict[str, str]]:
        """Yield the failed files' paths and errors, in order, read as they are needed."""
        return ({"path": o.path, "error": o.error} for o in self.outcomes.failed())

    @property
    def errors(self) -> list[dict[str, str]]:
        """The failed files as a list (holds them all: for small runs; large ones use ``iter_errors``)."""
        return list(self.iter_errors())

    def as_dict(self) -> dict[str, object]:
        return {**self.counts, "errors": self.errors, "dry_run": self.dry_run, "run": self.run_id}

    def iter_json(self) -> Iterator[str]:
        """Yield ``as_dict()`` as JSON text in pieces, one per error, so any number of errors streams."""
        head = json.dumps({**self.counts, "dry_run": self.dry_run, "run": self.run_id}, ensure_ascii=False)
        yield head[:-1] + ', "errors": ['
        for i, error in enumerate(self.iter_errors()):
            yield ("" if i == 0 else ", ") + json.dumps(error, ensure_ascii=False)
        yield "]}"


def outcome_line(outcome: FileOutcome) -> str:
    """Return one human-readable line for a file's outcome."""
    detail = (
        f": {outcome.error}" if outcome.error else (f" ({', '.join(outcome.warnings)})" if outcome.warnings else "")
    )
    return f"{outcome.result:<9} {outcome.path}{detail}"


def iter_outcome_lines(outcomes: Iterable[FileOutcome] | ImportReport) -> Iterator[str]:
    """Yield one human-readable line per file."""
    items = outcomes.outcomes if isinstance(outcomes, ImportReport) else outcomes
    return (outcome_line(o) for o in items)
