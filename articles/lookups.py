"""``field__any_of=values``: membership in a long list of values, sent as one parameter.

``field__in=values`` sends a placeholder per value, and each one is prepared by the
field, quoted by the driver and parsed by the server: for the thousands of keys,
hashes and ids an import batch looks up, that was a tenth of the importer's time.
``any_of`` sends the values as one array (PostgreSQL: ``= ANY(%s::type[])``) or one
JSON text (SQLite: ``IN (SELECT value FROM json_each(%s))``), and both use the
column's index as ``IN`` does. The values must already be what the column stores
(text, integers): they are not passed through the field's conversions.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(Lookup[Any]):
    """``field__any_of=[...]``: the column's value is one of the given values."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        """Return the values as a list (a set or a generator is read once, here), all integers or all strings."""
        values: list[Any] = list(self.rhs)
        if not (all(isinstance(v, int) for v in values) or all(isinstance(v, str) for v in values)):
            raise TypeError(f"{self.lookup_name} takes a list of integers or of strings")
        return values

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if connection.vendor == "postgresql":
            array_type = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{array_type}[])", (*lhs_params, array_literal(values))
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(values))  # noqa: S608 (a column)


def array_literal(values: list[Any]) -> str:
    """Return PostgreSQL's text form of an array of ``values`` (all integers, or all strings).

    Sent as one text parameter and cast to the column's array type: psycopg's client-side
    binding (Django's default) would otherwise quote the list element by element in Python.
    """
    if all(isinstance(value, int) for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return "{" + ",".join(map(_quoted, values)) + "}"


def _quoted(value: str) -> str:
    """Return an array element in double quotes, its backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# On every field; a foreign key (``article_id__any_of``) has lookups of its own, so it is registered there too.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
