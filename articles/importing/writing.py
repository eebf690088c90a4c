"""Writing rows in bulk, one implementation per database backend.

PostgreSQL: ``COPY`` into a temporary staging table, then one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``; plain inserts ``COPY``
straight into the table. SQLite: multi-row ``INSERT ... ON CONFLICT DO NOTHING
RETURNING`` and ``executemany`` inside the caller's transaction. Rows are model
instances, converted with each field's own ``get_db_prep_save``, so a column added
to a model is written without touching this module.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, Model


class BulkWriter:
    """Inserts model instances in bulk on the default connection; the caller owns the transaction."""

    def insert_new(self, model: type[Model], objs: Sequence[Model], *, key: str) -> dict:
        """Insert ``objs`` skipping any that a unique constraint refuses; map ``key`` -> id of each inserted row."""
        raise NotImplementedError

    def insert_all(self, model: type[Model], objs: Sequence[Model]) -> None:
        """Insert ``objs``; any conflict is an error."""
        raise NotImplementedError

    @staticmethod
    def fields(model: type[Model]) -> list[Field]:
        """Return the concrete columns written for ``model``: all but the automatic primary key."""
        return [f for f in model._meta.concrete_fields if not f.primary_key]

    @staticmethod
    def values(obj: Model, fields: Sequence[Field]) -> tuple:
        return tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)


class PostgresWriter(BulkWriter):
    def insert_new(self, model, objs, *, key):
        if not objs:
            return {}
        table, fields = model._meta.db_table, self.fields(model)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        stage = f"import_stage_{table}"
        key_column = connection.ops.quote_name(model._meta.get_field(key).column)
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

    def insert_all(self, model, objs):
        if not objs:
            return
        fields = self.fields(model)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            self._copy(cursor, model._meta.db_table, columns, fields, objs)

    def _copy(self, cursor, table: str, columns: str, fields, objs) -> None:
        # The psycopg 3 cursor under Django's wrapper: COPY is not part of the DB-API.
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(self.values(obj, fields))


class SQLiteWriter(BulkWriter):
    # SQLite's default limit on bound parameters per statement (since 3.32).
    MAX_PARAMS = 32766

    def insert_new(self, model, objs, *, key):
        if not objs:
            return {}
        table, fields = model._meta.db_table, self.fields(model)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        key_column = connection.ops.quote_name(model._meta.get_field(key).column)
        row_marks = "(" + ", ".join("%s" for _ in fields) + ")"
        per_statement = max(1, self.MAX_PARAMS // len(fields))
        inserted: dict = {}
        with connection.cursor() as cursor:
            for start in range(0, len(objs), per_statement):
                chunk = objs[start : start + per_statement]
                params = [value for obj in chunk for value in self.values(obj, fields)]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_marks] * len(chunk))} "  # noqa: S608
                    f"ON CONFLICT DO NOTHING RETURNING {key_column}, id",
                    params,
                )
                inserted.update(cursor.fetchall())
        return inserted

    def insert_all(self, model, objs):
        if not objs:
            return
        fields = self.fields(model)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join("%s" for _ in fields)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})",  # noqa: S608
                [self.values(obj, fields) for obj in objs],
            )


def bulk_writer() -> BulkWriter:
    """Return the bulk writer for the default database."""
    if connection.vendor == "postgresql":
        return PostgresWriter()
    if connection.vendor == "sqlite":
        return SQLiteWriter()
    raise NotImplementedError(f"the importer writes to PostgreSQL or SQLite, not {connection.vendor}")
