"""Writing rows in bulk, one implementation per database backend.

PostgreSQL: ``COPY`` straight into the table, new rows under ids taken from its
sequence beforehand; only when that meets a row that exists already (a unique
constraint fails the whole ``COPY``), ``COPY`` into a temporary staging table, then
one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``. SQLite:
``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING`` inside the caller's
transaction, the new rows read back by id. Rows are model instances, converted
with each field's own ``get_db_prep_save``, so a column added to a model is
written without touching this module.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

import psycopg
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, JSONField, Model

# A row for ``insert_all`` that skips building a model instance: attributes named as the fields' attnames.
Row = SimpleNamespace
# A concrete column of a model (a field's value and form types vary with its class).
Column = Field[Any, Any]
# A field's conversion of a Python value to the one the driver is given (Django types both as Any).
Converter = Callable[[Any, BaseDatabaseWrapper], Any]
# Field types whose Python values the drivers take as they are.
PLAIN_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "BooleanField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "SmallIntegerField",
        "ForeignKey",
    }
)


class BulkWriter:
    """Inserts model instances in bulk on the default connection; the caller owns the transaction."""

    def insert_new(self, model: type[Model], objs: Sequence[Model], *, key: str) -> dict[str, int]:
        """Insert ``objs`` skipping any that a unique constraint refuses; map ``key`` -> id of each inserted row."""
        raise NotImplementedError

    def insert_all(self, model: type[Model], objs: Sequence[Model | Row]) -> None:
        """Insert ``objs`` (model instances, or ``Row``s with the fields' attnames); any conflict is an error."""
        raise NotImplementedError

    def insert_values(self, model: type[Model], attnames: Sequence[str], values: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows given as tuples of database values (integers, text) of ``attnames``; any conflict is an error.

        For the narrow rows a batch writes by the ten thousand (bylines, fingerprints):
        no object and no conversion per value.
        """
        raise NotImplementedError

    @staticmethod
    def fields(model: type[Model]) -> list[Column]:
        """Return the concrete columns written for ``model``: all but the automatic primary key and generated ones."""
        return [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]

    def rows(self, objs: Sequence[Model | Row], fields: Sequence[Column]) -> Iterator[tuple[Any, ...]]:
        """Yield each object's database values for ``fields`` (any type a field's conversion gives)."""
        pairs = [(f.attname, self._converter(f)) for f in fields]
        for obj in objs:
            yield tuple(
                value if convert is None or value is None else convert(value, connection)
                for value, convert in ((getattr(obj, name), convert) for name, convert in pairs)
            )

    def _converter(self, field: Column) -> Converter | None:
        """Return the field's conversion to a database value; None where the Python value is already one.

        ``get_db_prep_save`` costs microseconds per value and a batch has tens of
        thousands; text, numbers, booleans and keys are passed as they are.
        """
        kind = field.get_internal_type()
        if kind in PLAIN_TYPES:
            return None
        if isinstance(field, JSONField):
            encoder = field.encoder
            return lambda value, connection: json.dumps(value, cls=encoder)
        return field.get_db_prep_save


class PostgresWriter(BulkWriter):
    def _converter(self, field: Column) -> Converter | None:
        # COPY takes an aware datetime as it is; a JSON text is parsed by the jsonb column.
        return None if field.get_internal_type() == "DateTimeField" else super()._converter(field)

    def insert_new(self, model: type[Model], objs: Sequence[Model], *, key: str) -> dict[str, int]:
        if not objs:
            return {}
        try:
            with transaction.atomic():
                return self._copy_new(model, objs, key=key)
        except psycopg.errors.UniqueViolation:
            return self._stage_new(model, objs, key=key)  # some exist already: skip those

    def _copy_new(self, model: type[Model], objs: Sequence[Model], *, key: str) -> dict[str, int]:
        """COPY ``objs`` straight into the table under ids taken from its sequence; a conflict fails the whole COPY."""
        table, fields = model._meta.db_table, self.fields(model)
        id_column = _key_column(model, "id")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(objs)]
            )
            ids = [new_id for (new_id,) in cursor.fetchall()]
            rows = ((*row, new_id) for row, new_id in zip(self.rows(objs, fields), ids, strict=True))
            _copy_rows(cursor, table, f"{_columns(fields)}, {id_column}", rows)
        return {getattr(obj, key): new_id for obj, new_id in zip(objs, ids, strict=True)}

    def _stage_new(self, model: type[Model], objs: Sequence[Model], *, key: str) -> dict[str, int]:
        """COPY ``objs`` into a staging table, then insert those no unique constraint refuses."""
        table, fields = model._meta.db_table, self.fields(model)
        columns = _columns(fields)
        stage = f"import_stage_{table}"
        key_column = _key_column(model, key)
        with connection.cursor() as cursor:
            # Dropped at the end of the session; an empty copy of the columns only, without constraints.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {columns} FROM {table} WITH NO DATA")  # noqa: S608
            self._copy(cursor, stage, columns, fields, objs)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "  # noqa: S608
                f"ON CONFLICT DO NOTHING RETURNING {key_column}, id"
            )
            inserted = dict(cursor.fetchall())
            cursor.execute(f"TRUNCATE {stage}")
        return inserted

    def insert_all(self, model: type[Model], objs: Sequence[Model | Row]) -> None:
        if not objs:
            return
        fields = self.fields(model)
        columns = _columns(fields)
        with connection.cursor() as cursor:
            self._copy(cursor, model._meta.db_table, columns, fields, objs)

    def insert_values(self, model: type[Model], attnames: Sequence[str], values: Sequence[tuple[Any, ...]]) -> None:
        if not values:
            return
        columns = _attname_columns(model, attnames)
        with connection.cursor() as cursor:
            _copy_rows(cursor, model._meta.db_table, columns, values)

    def _copy(
        self, cursor: CursorWrapper, table: str, columns: str, fields: Sequence[Column], objs: Sequence[Model | Row]
    ) -> None:
        _copy_rows(cursor, table, columns, self.rows(objs, fields))


class SQLiteWriter(BulkWriter):
    def _converter(self, field: Column) -> Converter | None:
        if field.get_internal_type() == "DateTimeField":
            return _sqlite_datetime  # the same few timestamps over and over: converted once each
        return super()._converter(field)

    def insert_new(self, model: type[Model], objs: Sequence[Model], *, key: str) -> dict[str, int]:
        if not objs:
            return {}
        table, fields = model._meta.db_table, self.fields(model)
        columns = _columns(fields)
        key_column = _key_column(model, key)
        marks = ", ".join("%s" for _ in fields)
        with connection.cursor() as cursor:
            # Rows get ids above the largest one; the transaction's lock keeps other writers out meanwhile.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            (top,) = cursor.fetchone()
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING",  # noqa: S608
                list(self.rows(objs, fields)),
            )
            cursor.execute(f"SELECT {key_column}, id FROM {table} WHERE id > %s", [top])  # noqa: S608
            return dict(cursor.fetchall())

    def insert_all(self, model: type[Model], objs: Sequence[Model | Row]) -> None:
        if not objs:
            return
        fields = self.fields(model)
        columns = _columns(fields)
        marks = ", ".join("%s" for _ in fields)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})",  # noqa: S608
                list(self.rows(objs, fields)),
            )

    def insert_values(self, model: type[Model], attnames: Sequence[str], values: Sequence[tuple[Any, ...]]) -> None:
        if not values:
            return
        columns = _attname_columns(model, attnames)
        marks = ", ".join("%s" for _ in attnames)
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})", values)  # noqa: S608


def _copy_rows(cursor: CursorWrapper, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    # The psycopg 3 cursor under Django's wrapper: COPY is not part of the DB-API.
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _columns(fields: Sequence[Column]) -> str:
    return ", ".join(_column(f) for f in fields)


def _attname_columns(model: type[Model], attnames: Sequence[str]) -> str:
    """Return the quoted columns of the model's concrete fields with ``attnames`` (``article_id``, say)."""
    fields = [model._meta.get_field(name) for name in attnames]
    assert all(isinstance(f, Field) for f in fields), "attnames name concrete fields"
    return _columns(cast(list[Column], fields))


def _column(field: Column) -> str:
    """Return the quoted name of a concrete field's column."""
    assert field.column is not None, "a concrete field has a column"
    return connection.ops.quote_name(field.column)


def _key_column(model: type[Model], key: str) -> str:
    field = model._meta.get_field(key)
    assert isinstance(field, Field), "the key is a concrete field"
    return _column(field)


def _sqlite_datetime(value: dt.datetime, connection: BaseDatabaseWrapper) -> str | None:
    return _sqlite_datetime_text(value)


@lru_cache(maxsize=256)
def _sqlite_datetime_text(value: dt.datetime) -> str | None:
    return connection.ops.adapt_datetimefield_value(value)


def bulk_writer() -> BulkWriter:
    """Return the bulk writer for the default database."""
    if connection.vendor == "postgresql":
        return PostgresWriter()
    if connection.vendor == "sqlite":
        return SQLiteWriter()
    raise NotImplementedError(f"the importer writes to PostgreSQL or SQLite, not {connection.vendor}")
