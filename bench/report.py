"""The benchmark's figures: rows next to their floors and targets, printed and kept in results.md."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

HEADER = (
    "# Benchmark results\n\n"
    "Written by `bench/archive_bench.py`: one section per backend and archive size, replaced when the "
    "same backend and size run again. Every figure stands next to its floor, measured in the same run, "
    "and the issue's target. p50/p95 are milliseconds over the timed requests (warm-up excluded).\n"
)


@dataclass
class Row:
    """One measured figure."""

    section: str
    what: str
    value: float | None
    unit: str
    floor: float | None = None
    floor_label: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""
    p50: float | None = None
    floor_p50: float | None = None

    def cells(self) -> list[str]:
        value = _number(self.value)
        if self.p50 is not None:
            value = f"{_number(self.p50)} / {value}"
        floor = _number(self.floor)
        if self.floor_p50 is not None:
            floor = f"{_number(self.floor_p50)} / {floor}"
        if self.floor_label and self.floor is not None:
            floor += f" ({self.floor_label})"
        met = "" if self.met is None else ("met" if self.met else "MISSED")
        return [self.section, self.what, f"{value} {self.unit}".strip(), floor, self.target, met, self.note]


COLUMNS = ["section", "what", "measured (p50 / p95)", "floor, same run (p50 / p95)", "target", "met?", "notes"]


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass
class Report:
    """Rows and facts of one run, for one backend and archive size."""

    backend: str
    articles: int
    facts: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(" | ".join(cell for cell in row.cells() if cell), flush=True)

    @property
    def title(self) -> str:
        return f"{self.backend}, {self.articles:,} articles"

    def text(self) -> str:
        """Return the table as aligned plain text."""
        table = [COLUMNS, *(row.cells() for row in self.rows)]
        widths = [min(max(len(r[i]) for r in table), 60) for i in range(len(COLUMNS))]
        lines = [f"\n== {self.title}"]
        lines += [f"{key}: {value}" for key, value in self.facts.items()]
        for r in table:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip())
        return "\n".join(lines)

    def markdown(self, kept: list[str] = ()) -> str:
        lines = [f"## {self.title}", ""]
        lines += [f"- {key}: {value}" for key, value in self.facts.items()]
        if kept:
            parts = sorted({line.split("|")[1].strip() for line in kept})
            lines.append(f"- rows of {', '.join(parts)}: from an earlier run (not measured this time)")
        if self.problems:
            lines += [f"- **problem**: {problem}" for problem in self.problems]
        lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS), *kept]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row.cells()) + " |" for row in self.rows]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        """Put this run's section into ``path``, replacing the section of the same backend and size only.

        Rows of that section's parts this run did not measure (say, the import, with
        ``--skip-import``) are kept from the earlier run, and said to be.
        """
        text = path.read_text() if path.exists() else HEADER
        pattern = re.compile(rf"^## {re.escape(self.title)}\n.*?(?=^## |\Z)", re.S | re.M)
        earlier = pattern.search(text)
        kept = self._kept_rows(earlier.group(0)) if earlier else []
        section = self.markdown(kept)
        head, tail = (text[: earlier.start()], text[earlier.end() :]) if earlier else (text.rstrip("\n") + "\n\n", "")
        path.write_text((head + section + "\n" + tail).rstrip("\n") + "\n")

    def _kept_rows(self, section: str) -> list[str]:
        measured = {row.section for row in self.rows}
        rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| section")]
        return [line for line in rows if line.split("|")[1].strip() not in measured]
