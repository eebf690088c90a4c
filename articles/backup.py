"""Backing up the whole archive to one file and restoring it into an empty database of either kind.

Format
------
A gzip'd stream of JSON lines (NDJSON). The first line is a header (format,
version, the database it came from, each app's latest applied migration);
then, for each model in dependency order, a line ``{"model": label, "fields":
[attnames]}``, one JSON array per row (primary key order), and ``{"rows": n}``;
the last line is ``{"end": true}``, so a truncated file is told from a whole one.
Values are JSON, dates and times ISO 8601 to the microsecond, bytes base64.

What it holds
-------------
Every row of every concrete model of every installed app, primary keys kept:
articles, bylines, sources and their revisions, authors, publishers, aliases,
merges, import runs, outcomes and uploads, the simple-history rows, users,
groups, permissions, tokens and the admin log. Not the search outbox (the index
is rebuilt after a restore), sessions or queued background tasks (see
``EXCLUDED``). Content types and permissions, which ``migrate`` creates with
ids of its own in every database, are matched by natural key (app label and
model; content type and codename) and every reference to them is translated.

Why not ``dumpdata``/``loaddata``: ``dumpdata``'s JSON keeps only milliseconds
of a datetime, ``loaddata`` saves row by row with signals (hours at a million
articles) and reads a JSON fixture whole, and neither knows about the search
outbox or the index.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import gzip
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.fields.related import RelatedField
from django.utils import timezone
from django.utils.duration import duration_iso_string

from articles import search_index
from articles.models import SearchOutbox

FORMAT = "news-archive-backup"
VERSION = 1
# Transient or rebuilt state, never backed up: the outbox (the index is rebuilt), logins, queued tasks.
EXCLUDED = {
    "articles.searchoutbox",
    "sessions.session",
    "django_tasks_database.dbtaskresult",
    # Login lockout state (django-axes): failed attempts of the last cool-off, not archive content.
    "axes.accessattempt",
    "axes.accessattemptexpiration",
    "axes.accesslog",
    "axes.accessfailurelog",
}
# Rows ``migrate`` creates in every database, matched by natural key rather than by id.
NATURAL = (ContentType, Permission)
# Rows migrations seed (the Editors group and its permissions): replaced by the backup's own.
SEEDED = {"auth.group", "auth.group_permissions"}
# Values whose JSON form ``field.to_python()`` must turn back into Python ones.
CONVERTED = {"DateTimeField", "DateField", "TimeField", "DurationField", "DecimalField", "UUIDField", "BinaryField"}
CHUNK_SIZE = 2000
BATCH_SIZE = 1000


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says what, if anything, was changed."""


@dataclass
class Report:
    """Rows written or restored, per model label, in file order."""

    rows: dict[str, int] = field(default_factory=dict)
    indexed: int = 0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


Progress = Callable[[str, int], None]


# --- Which models, in which order ------------------------------------------------------


def archive_models() -> list[type[models.Model]]:
    """Return every model a backup holds, each after the models it refers to."""
    wanted = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in EXCLUDED
    ]
    return _dependency_order(wanted)


def _dependency_order(wanted: list[type[models.Model]]) -> list[type[models.Model]]:
    """Sort models so that each comes after those its foreign keys name (cycles broken in app order)."""
    pending = {model: _references(model, wanted) for model in wanted}
    ordered: list[type[models.Model]] = []
    while pending:
        ready = [model for model, needs in pending.items() if not needs - set(ordered)] or [next(iter(pending))]
        for model in ready:
            ordered.append(model)
            del pending[model]
    return ordered


def _references(model: type[models.Model], wanted: list[type[models.Model]]) -> set[type[models.Model]]:
    return {
        f.related_model
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model in wanted and f.related_model is not model
    }


def _stored_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Return the columns a backup holds: the concrete ones the database does not compute itself."""
    return [f for f in model._meta.concrete_fields if not f.generated]


def _attnames(model: type[models.Model]) -> list[str]:
    return [f.attname for f in _stored_fields(model)]


# --- Backup ---------------------------------------------------------------------------------


def backup_archive(*, output: Path, overwrite: bool = False, progress: Progress | None = None) -> Report:
    """Write every row of the archive to ``output`` (gzip'd NDJSON), read from one snapshot, in constant memory.

    The file appears only once complete (it is written beside it, then renamed).
    """
    output = Path(output)
    if output.exists() and not overwrite:
        raise BackupError(f"{output} already exists; choose another name or overwrite it on purpose.")
    partial = output.with_name(f".{output.name}.partial")
    report = Report()
    try:
        with gzip.open(partial, "wb", compresslevel=6) as stream, _snapshot(DEFAULT_DB_ALIAS):
            _write(stream, _header(DEFAULT_DB_ALIAS))
            for model in archive_models():
                report.rows[model._meta.label_lower] = _write_model(stream, model, progress)
            _write(stream, {"end": True})
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return report


@contextlib.contextmanager
def _snapshot(alias: str) -> Iterator[None]:
    """Read everything from one consistent snapshot of the database, without blocking writers."""
    conn = connections[alias]
    if conn.in_atomic_block:  # Already inside a transaction (a test, or a caller's): read in it.
        yield
    elif conn.vendor == "postgresql":
        with transaction.atomic(using=alias), conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif conn.vendor == "sqlite":
        # Django's BEGIN IMMEDIATE would hold SQLite's write lock for the whole backup; a deferred
        # read transaction sees one snapshot (WAL) and lets imports and edits go on meanwhile.
        with conn.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with conn.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic(using=alias):
            yield


def _header(alias: str) -> dict[str, Any]:
    latest: dict[str, str] = {}
    for app, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        latest[app] = name
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now(),
        "vendor": connections[alias].vendor,
        "migrations": latest,
    }


def _write_model(stream: gzip.GzipFile, model: type[models.Model], progress: Progress | None) -> int:
    names = _attnames(model)
    _write(stream, {"model": model._meta.label_lower, "fields": names})
    count = 0
    rows = model._base_manager.using(DEFAULT_DB_ALIAS).order_by("pk").values_list(*names)
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        _write(stream, row)
        count += 1
        if progress and count % CHUNK_SIZE == 0:
            progress(model._meta.label_lower, count)
    _write(stream, {"rows": count})
    if progress:
        progress(model._meta.label_lower, count)
    return count


def _write(stream: gzip.GzipFile, value: Any) -> None:
    stream.write(orjson.dumps(value, default=_encode))
    stream.write(b"\n")


def _encode(value: Any) -> Any:
    """Return the JSON form of a value orjson does not write itself."""
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"Cannot back up a value of type {type(value).__name__}")


# --- Restore --------------------------------------------------------------------------------


def restore_archive(
    *, source: Path, replace: bool = False, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> Report:
    """Load a backup into this database in one transaction, then rebuild the search index.

    Refuses (``BackupError``) a database that holds archive data unless ``replace``
    (which empties it first, in the same transaction). A bad or truncated file
    changes nothing.
    """
    report = Report()
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            _check_empty(replace=replace)
            _flush()
            with _open_backup(Path(source)) as lines:
                _Loader(lines, batch_size=max(1, batch_size), progress=progress, report=report).load()
            _reset_sequences()
            # The triggers queued every article and byline inserted; the rebuild below indexes them all.
            SearchOutbox.objects.all().delete()
    except DatabaseError as exc:
        raise BackupError(f"The database refused the backup's rows ({exc}); nothing was restored.") from exc
    _analyze()
    try:
        report.indexed = search_index.rebuild()
    except Exception as exc:
        raise BackupError(
            f"Restored {report.total} rows, but the search index could not be rebuilt ({exc}): fix that, then run "
            "manage.py rebuild_search_index."
        ) from exc
    return report


def _check_empty(*, replace: bool) -> None:
    if replace:
        return
    held = [
        model._meta.label_lower
        for model in archive_models()
        if not issubclass(model, NATURAL)
        and model._meta.label_lower not in SEEDED
        and model._base_manager.using(DEFAULT_DB_ALIAS).exists()
    ]
    if held:
        raise BackupError(
            f"The database is not empty ({', '.join(held[:5])}{', …' if len(held) > 5 else ''} hold rows): restore "
            "into a freshly migrated database, or replace its contents on purpose (--replace)."
        )


def _flush() -> None:
    """Empty every table the backup refills (and the outbox), keeping content types and permissions."""
    conn = connections[DEFAULT_DB_ALIAS]
    tables = [m._meta.db_table for m in archive_models() if not issubclass(m, NATURAL)]
    statements = conn.ops.sql_flush(no_style(), [*tables, SearchOutbox._meta.db_table], allow_cascade=False)
    if conn.vendor == "postgresql":
        # TRUNCATE refuses tables with deferred foreign key checks pending (rows written earlier in
        # this transaction, when a caller holds one): run those checks now, defer again for the load.
        statements = ["SET CONSTRAINTS ALL IMMEDIATE", *statements, "SET CONSTRAINTS ALL DEFERRED"]
    conn.ops.execute_sql_flush(statements)


def _analyze() -> None:
    """Give PostgreSQL's planner statistics of the restored tables at once (as a large import does)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor == "postgresql":
        tables = ", ".join(conn.ops.quote_name(m._meta.db_table) for m in archive_models())
        with conn.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def _reset_sequences() -> None:
    """Move every id sequence past the restored ids (PostgreSQL; SQLite follows its max rowid)."""
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cursor:
        for statement in conn.ops.sequence_reset_sql(no_style(), archive_models()):
            cursor.execute(statement)


@contextlib.contextmanager
def _open_backup(path: Path) -> Iterator[Iterator[tuple[int, Any]]]:
    """Yield the backup's lines, decoded and numbered; any read or decode error is a ``BackupError``."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file.")
    with gzip.open(path, "rb") as stream:
        yield _decoded(path, stream)


def _decoded(path: Path, stream: gzip.GzipFile) -> Iterator[tuple[int, Any]]:
    number = 0
    try:
        for number, line in enumerate(stream, start=1):
            yield number, orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise BackupError(f"{path}: line {number} is not JSON ({exc}); nothing was restored.") from exc
    except (OSError, EOFError) as exc:  # not gzip, or cut short
        raise BackupError(f"{path}: unreadable after line {number} ({exc}); nothing was restored.") from exc


class _Loader:
    """Reads a backup's sections and inserts their rows in batches."""

    def __init__(
        self, lines: Iterator[tuple[int, Any]], *, batch_size: int, progress: Progress | None, report: Report
    ) -> None:
        self.lines, self.batch_size, self.progress, self.report = lines, batch_size, progress, report
        self.number = 0
        # The latest migration of each app, as the backup's header names them.
        self.migrations: dict[str, str] = {}
        self.known = {m._meta.label_lower: m for m in archive_models()}
        self.natural_ids: dict[type[models.Model], dict[int, int]] = {model: {} for model in NATURAL}

    def load(self) -> None:
        self._check_header(self._next("a header"))
        while _is_section(line := self._next("a model section or the end marker")):
            self._load_model(line)
        if line != {"end": True}:
            raise self._error("expected a model section or the end marker")
        if missing := set(self.known) - set(self.report.rows):
            raise BackupError(f"The backup holds no section for {', '.join(sorted(missing))}; nothing was restored.")

    def _next(self, what: str) -> Any:
        try:
            self.number, line = next(self.lines)
        except StopIteration:
            raise BackupError(f"The backup ends before {what}: it is incomplete; nothing was restored.") from None
        return line

    def _error(self, message: str) -> BackupError:
        return BackupError(f"Line {self.number} of the backup: {message}; nothing was restored.")

    def _check_header(self, header: Any) -> None:
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise self._error("not an archive backup (no header)")
        if header.get("version") != VERSION:
            raise self._error(f"backup format version {header.get('version')} (this archive reads {VERSION})")
        self.migrations = header.get("migrations", {})

    def _load_model(self, section: dict[str, Any]) -> None:
        label = section["model"]
        model = self.known.get(label)
        if model is None:
            raise self._error(f"unknown model {label!r} (is the backup from a newer version of the archive?)")
        if extra := set(section["fields"]) ^ set(_attnames(model)):
            only_here = sorted(extra - set(section["fields"]))
            raise self._error(
                f"{label} differs: columns only in the backup {sorted(extra - set(only_here))}, only here {only_here}; "
                f"migrate this database to the backup's migrations ({self.migrations.get(model._meta.app_label, '?')})"
            )
        columns = _Columns(model, section["fields"], self.natural_ids)
        count = self._load_rows(model, columns)
        self.report.rows[label] = count

    def _load_rows(self, model: type[models.Model], columns: _Columns) -> int:
        batch: list[list[Any]] = []
        count = 0
        while isinstance(line := self._next(f"the end of {model._meta.label_lower}"), list):
            batch.append(columns.values(line, self._error))
            if len(batch) >= self.batch_size:
                count += self._flush_batch(model, columns, batch)
                batch = []
        count += self._flush_batch(model, columns, batch)
        if line != {"rows": count}:
            raise self._error(f"{model._meta.label_lower} ends with {line}, after {count} rows")
        return count

    def _flush_batch(self, model: type[models.Model], columns: _Columns, batch: list[list[Any]]) -> int:
        if not batch:
            return 0
        if issubclass(model, NATURAL):
            columns.match_natural(batch)
        else:
            _insert(model, columns.names, batch)
            # Keep the outbox small however many articles a restore inserts (see restore_archive()).
            SearchOutbox.objects.all().delete()
        if self.progress:
            self.progress(model._meta.label_lower, len(batch))
        return len(batch)


def _is_section(line: Any) -> bool:
    return isinstance(line, dict) and isinstance(line.get("model"), str) and isinstance(line.get("fields"), list)


class _Columns:
    """How one model's values are read from its rows in a backup: reordered, converted, ids translated."""

    def __init__(
        self, model: type[models.Model], dumped: list[str], natural_ids: dict[type[models.Model], dict[int, int]]
    ) -> None:
        self.model = model
        self.names = _attnames(model)
        self.order = [dumped.index(name) for name in self.names]
        self.natural_ids = natural_ids
        self.fields = _stored_fields(model)
        self.convert = [_converter(f) for f in self.fields]
        self.translate = [
            natural_ids.get(f.related_model) if f.is_relation and f.related_model is not None else None
            for f in self.fields
        ]

    def values(self, row: list[Any], error: Callable[[str], BackupError]) -> list[Any]:
        if len(row) != len(self.order):
            raise error(f"a row of {self.model._meta.label_lower} has {len(row)} values, not {len(self.order)}")
        values = [row[i] for i in self.order]
        for i, (convert, translate) in enumerate(zip(self.convert, self.translate, strict=True)):
            value = values[i]
            if value is None:
                continue
            if convert:
                try:
                    values[i] = convert(value)
                except (ValidationError, ValueError, TypeError) as exc:
                    raise error(f"{self.model._meta.label_lower}.{self.names[i]} cannot be {value!r} ({exc})") from exc
            if translate is not None:
                if value not in translate:
                    raise error(f"{self.fields[i].name} refers to a row the backup does not hold ({value})")
                values[i] = translate[value]
        return values

    def match_natural(self, batch: list[list[Any]]) -> None:
        """Map the backup's content type or permission ids to this database's, creating the missing ones."""
        ids = self.natural_ids[self.model]
        for values in batch:
            row = dict(zip(self.names, values, strict=True))
            found: ContentType | Permission
            if self.model is ContentType:
                found, _ = ContentType.objects.get_or_create(app_label=row["app_label"], model=row["model"])
            else:
                found, _ = Permission.objects.get_or_create(
                    content_type_id=row["content_type_id"], codename=row["codename"], defaults={"name": row["name"]}
                )
            ids[row["id"]] = found.pk


def _converter(f: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    target = f.target_field if isinstance(f, RelatedField) else f  # a concrete relation is a RelatedField
    return target.to_python if target.get_internal_type() in CONVERTED else None


def _insert(model: type[models.Model], names: list[str], batch: list[list[Any]]) -> None:
    """Insert rows as they were, ids and timestamps included.

    Not ``bulk_create()``: it runs each field's ``pre_save()``, which would stamp
    every ``auto_now`` field with the time of the restore. ``raw=True`` is what
    ``loaddata`` uses, here for a batch of rows at a time.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    fields = _stored_fields(model)
    objs = [model.from_db(DEFAULT_DB_ALIAS, names, values) for values in batch]
    size = max(1, conn.ops.bulk_batch_size(fields, objs))
    for start in range(0, len(objs), size):
        # QuerySet._insert() is Django's private API (what a raw save uses), which django-stubs leave out.
        model._base_manager._insert(  # type: ignore[attr-defined]
            objs[start : start + size], fields=fields, using=DEFAULT_DB_ALIAS, raw=True
        )
