"""Keyset ("cursor") paging: each page continues from the last row seen, so depth costs nothing.

A cursor names a position in the queryset's ordering, which must end in a
unique key (the API always adds ``-id``). The next page is "rows after this
position", found through the ordering's index instead of an OFFSET that
grows with every page. The cursor is opaque to clients: base64 of a small
JSON document holding the direction, a fingerprint of the ordering and the
position's values.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol, Self

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import F, OrderBy, Q

MAX_CURSOR_CHARS = 8000
MAX_BIGINT = 2**63 - 1


class Walkable(Protocol):
    """What a keyset walk reads of its rows: a queryset, or the search index's stand-in for one (``ArticleSearch``)."""

    @property
    def model(self) -> type[models.Model]: ...

    @property
    def query(self) -> Any: ...  # only ``query.order_by`` is read

    def filter(self, *args: Any, **kwargs: Any) -> Self: ...

    def order_by(self, *terms: Any) -> Self: ...

    def __getitem__(self, item: slice, /) -> Any: ...


class InvalidCursor(ValueError):
    """The cursor cannot be decoded, or belongs to another ordering."""


@dataclass(frozen=True)
class OrderKey:
    """One term of an ordering: a field (or annotation), its direction, and where NULLs go.

    ``nulls`` is None when the ordering leaves NULL placement to the database,
    which is only right for columns that hold no NULLs in the ordered set.
    """

    name: str
    descending: bool
    nulls: str | None = None

    def reversed(self) -> OrderKey:
        flipped = {"first": "last", "last": "first"}.get(self.nulls) if self.nulls else None
        return OrderKey(self.name, not self.descending, flipped)

    def expression(self) -> str | OrderBy:
        if self.nulls is None:
            # A plain term, so the database can walk a matching index.
            return f"-{self.name}" if self.descending else self.name
        field = F(self.name)
        nulls = {"nulls_first": True} if self.nulls == "first" else {"nulls_last": True}
        return field.desc(**nulls) if self.descending else field.asc(**nulls)


def order_keys(queryset: Walkable) -> list[OrderKey]:
    """Return the ordering of ``queryset`` as keys; it must be plain field names or ``F()`` orderings."""
    keys = []
    for term in queryset.query.order_by:
        if isinstance(term, str) and term != "?":
            name = term.lstrip("-")
            keys.append(OrderKey("id" if name == "pk" else name, term.startswith("-")))
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            nulls = "first" if term.nulls_first else "last" if term.nulls_last else None
            name = term.expression.name  # type: ignore[attr-defined]  # django-stubs omit F.name
            keys.append(OrderKey(name, term.descending, nulls))
        else:
            raise ImproperlyConfigured(f"Cannot page by cursor over the ordering term {term!r}.")
    if not keys or keys[-1].name != "id":
        raise ImproperlyConfigured("A cursor ordering must end in the unique key 'id'.")
    return keys


def fingerprint(keys: list[OrderKey], salt: str = "") -> str:
    """Return a short digest of an ordering, so a cursor is only used with the ordering that made it.

    ``salt`` is what else makes the order (a random order's seed), beyond its keys.
    """
    text = ",".join(f"{'-' if k.descending else ''}{k.name}:{k.nulls or ''}" for k in keys) + salt
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def position_of(instance: models.Model, keys: list[OrderKey]) -> list[Any]:
    """Return the values of ``instance`` at the ordering's keys."""
    return [getattr(instance, key.name) for key in keys]


def encode_cursor(direction: str, keys: list[OrderKey], position: list[Any], *, salt: str = "") -> str:
    """Return an opaque cursor for the rows after (``"a"``) or before (``"b"``) ``position``."""
    values = [value.isoformat() if isinstance(value, dt.datetime) else value for value in position]
    document = json.dumps({"d": direction, "o": fingerprint(keys, salt), "v": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def decode_cursor(
    token: str, keys: list[OrderKey], model: type[models.Model], *, salt: str = ""
) -> tuple[str, list[Any]]:
    """Return the direction and position a cursor holds, typed for the ordering's fields."""
    if len(token) > MAX_CURSOR_CHARS:
        raise InvalidCursor("Invalid cursor.")
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("Invalid cursor.") from None
    if not isinstance(document, dict) or document.get("d") not in {"a", "b"} or not isinstance(document.get("v"), list):
        raise InvalidCursor("Invalid cursor.")
    if document.get("o") != fingerprint(keys, salt):
        raise InvalidCursor("This cursor was made for another ordering; start again without it.")
    if len(document["v"]) != len(keys):
        raise InvalidCursor("Invalid cursor.")
    return document["d"], [_typed(value, key, model) for value, key in zip(document["v"], keys, strict=True)]


def _typed(value: Any, key: OrderKey, model: type[models.Model]) -> Any:
    """Return a cursor value as the Python type of its field, refusing what the database could not take."""
    if value is None:
        if key.nulls is None:
            raise InvalidCursor("Invalid cursor.")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidCursor("Invalid cursor.")
    if isinstance(value, str) and "\x00" in value:
        raise InvalidCursor("Invalid cursor.")
    try:
        field = model._meta.get_field(key.name)
    except FieldDoesNotExist:
        # An annotation such as a rank: a number.
        if isinstance(value, str):
            raise InvalidCursor("Invalid cursor.") from None
        return value
    if not isinstance(field, models.Field):
        # A relation's reverse side is no ordering key a cursor could hold.
        raise InvalidCursor("Invalid cursor.")
    # ``date``: a generated column's values are of its output type (which Django requires; the stubs allow None).
    if isinstance(field, models.GeneratedField) and field.output_field is not None:
        field = field.output_field
    try:
        typed = field.to_python(value)
    except (ValidationError, ValueError, TypeError, OverflowError):
        raise InvalidCursor("Invalid cursor.") from None
    if isinstance(typed, int) and abs(typed) > MAX_BIGINT:
        raise InvalidCursor("Invalid cursor.")
    if isinstance(field, models.DateTimeField) and isinstance(typed, dt.datetime) and typed.tzinfo is None:
        raise InvalidCursor("Invalid cursor.")
    return typed


def after(keys: list[OrderKey], position: list[Any]) -> Q:
    """Return the condition "comes strictly after ``position`` in this ordering".

    The lexicographic condition is (k1 > v1) or (k1 = v1 and k2 > v2) or ...;
    it is also bounded by "k1 >= v1" on its own, so the database can start an
    index scan at the position instead of filtering every earlier row.
    """
    condition = Q(pk__in=[])
    for i, (key, value) in enumerate(zip(keys, position, strict=True)):
        step = Q()
        for earlier, earlier_value in zip(keys[:i], position[:i], strict=True):
            step &= _equal(earlier, earlier_value)
        condition |= step & _beyond(key, value)
    return _bound(keys[0], position[0]) & condition


def _equal(key: OrderKey, value: Any) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})


def _beyond(key: OrderKey, value: Any) -> Q:
    """Rows strictly past ``value`` on this key alone."""
    if value is None:
        # Past a NULL: nothing when NULLs come last, every non-NULL when they come first.
        return Q(**{f"{key.name}__isnull": False}) if key.nulls == "first" else Q(pk__in=[])
    past = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    return (past | Q(**{f"{key.name}__isnull": True})) if key.nulls == "last" else past


def _bound(key: OrderKey, value: Any) -> Q:
    """Rows at or past ``value`` on the first key: the range an index scan starts from."""
    if value is None:
        return Q(**{f"{key.name}__isnull": True}) if key.nulls == "last" else Q()
    at_or_past = Q(**{f"{key.name}__{'lte' if key.descending else 'gte'}": value})
    if key.nulls == "last":
        return at_or_past | Q(**{f"{key.name}__isnull": True})
    return at_or_past


@dataclass
class KeysetPage:
    """One page of a keyset walk, with the cursors of its neighbours (None at either end)."""

    rows: list[models.Model]
    next_cursor: str | None
    previous_cursor: str | None


def keyset_page(queryset: Walkable, token: str | None, size: int) -> KeysetPage:
    """Return the page of ``size`` rows at cursor ``token`` (the first page when it is empty)."""
    keys = order_keys(queryset)
    direction, position = decode_cursor(token, keys, queryset.model) if token else ("a", None)
    if direction == "a" or position is None:  # a "b" cursor always holds a position
        if position is not None:
            queryset = queryset.filter(after(keys, position))
        rows = list(queryset[: size + 1])
        has_more, rows = len(rows) > size, rows[:size]
        has_next, has_previous = has_more, position is not None
    else:
        backwards = [key.reversed() for key in keys]
        rows = list(
            queryset.filter(after(backwards, position)).order_by(*(k.expression() for k in backwards))[: size + 1]
        )
        has_more, rows = len(rows) > size, rows[:size][::-1]
        has_next, has_previous = True, has_more
    if not rows:
        # Walked off an end (or the rows went away): offer the way back.
        back = encode_cursor("b" if direction == "a" else "a", keys, position) if position else None
        return KeysetPage([], back if direction == "b" else None, back if direction == "a" else None)
    return KeysetPage(
        rows,
        encode_cursor("a", keys, position_of(rows[-1], keys)) if has_next else None,
        encode_cursor("b", keys, position_of(rows[0], keys)) if has_previous else None,
    )
