"""Serializers run as plain functions: the same representation, without DRF's per-field work per row.

A list page or an export turns every row through each field's ``get_attribute``
and ``to_representation``, with DRF's checks around each call: most of a list
page's time. ``compile_representation`` walks a bound serializer's fields once
and returns a function doing only what those fields do, so the serializer
stays the one definition of the shape (fields, ``?fields=``, staff-only and
search-only fields, nested objects) and a row costs a fraction of it.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeAlias

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.db.models import Manager, Model
from django.dispatch import receiver
from rest_framework import ISO_8601, serializers
from rest_framework.fields import Field, empty
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField
from rest_framework.settings import api_settings

Represent = Callable[[Any], Any]
AnyField: TypeAlias = Field[Any, Any, Any, Any]
AnySerializer: TypeAlias = serializers.Serializer[Any]
# Fields whose to_representation() returns a value read from their model column unchanged
# (exact types only: a subclass may convert).
IDENTITY_FIELDS = frozenset(
    {
        serializers.CharField,
        serializers.SlugField,
        serializers.IntegerField,
        serializers.BooleanField,
        serializers.ChoiceField,
        serializers.JSONField,
    }
)


# Zones whose offset is always zero: a datetime in them is written as in ``datetime.UTC``.
UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"})


def compile_representation(serializer: AnySerializer, *, represented: Collection[str] = ()) -> Represent:
    """Return a function that gives ``serializer.to_representation(obj)`` for any ``obj``.

    The fields named in ``represented`` read their value from their source attribute as
    it is: the caller put their representation there (an export represents a chunk's
    publishers and bylines once each, not once per article).
    """
    steps = [
        # A bound field's source is set (its name unless given); "or name" says so to the type checker.
        (name, operator.attrgetter(field.source or name) if name in represented else compile_field(field))
        for name, field in serializer.fields.items()
        if not field.write_only
    ]

    def represent(obj: Any) -> dict[str, Any]:
        return {name: step(obj) for name, step in steps}

    return represent


def compile_field(field: AnyField) -> Represent:
    """Return a function from the parent object to ``field``'s value in the representation."""
    get = attribute_getter(field)
    if isinstance(field, serializers.ListSerializer):
        assert isinstance(field.child, serializers.Serializer), "a nested list of serializers"
        child = compile_representation(field.child)
        return lambda obj: [child(item) for item in as_iterable(get(obj))]
    if identity(field) and field.source_attrs:
        # Their representation of a database value of their type is the value itself.
        return get
    convert = converter(field)
    if not isinstance(field, RelatedField):

        def plain_step(obj: Any) -> Any:
            value = get(obj)
            return None if value is None else convert(value)

        return plain_step

    def step(obj: Any) -> Any:
        value = get(obj)
        # DRF's pk-only optimisation stands for a missing relation with a key of None.
        if value is None or (isinstance(value, PKOnlyObject) and value.pk is None):
            return None
        return convert(value)

    return step


def identity(field: AnyField) -> bool:
    """Tell whether ``field``'s representation of a database value of its type is the value itself."""
    if type(field) is serializers.BigIntegerField:
        return not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    return type(field) in IDENTITY_FIELDS and not getattr(field, "binary", False)


def converter(field: AnyField) -> Represent:
    """Return the function turning ``field``'s attribute into its representation."""
    if isinstance(field, serializers.Serializer):
        return compile_representation(field)
    if hasattr(field, "compiled"):
        # A link field: the URL template is resolved once for the request.
        compiled: Represent = field.compiled()
        return compiled
    if isinstance(field, PrimaryKeyRelatedField) and not field.pk_field:
        return operator.attrgetter("pk")
    if isinstance(field, serializers.DateTimeField) and iso_8601(field):
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        if zone is not None:
            return datetime_writer(field, zone)
    return field.to_representation


def datetime_writer(field: serializers.DateTimeField, zone: dt.tzinfo) -> Represent:
    """Return what DRF does to an aware datetime, with the zone looked up once and the last answer kept.

    A zone of fixed offset zero writes as ``datetime.UTC`` does, which is several
    times cheaper than a ``ZoneInfo``; and a row's dates are often one instant (an
    import sets all three), so the last value's text is reused.
    """
    zone = dt.UTC if getattr(zone, "key", None) in UTC_KEYS else zone
    last: list[tuple[dt.datetime | None, str]] = [(None, "")]  # One tuple, replaced whole: threads may share it.

    def write(value: dt.datetime) -> str:
        seen, text = last[0]
        if seen is not None and value == seen:
            return text
        if not value.tzinfo:
            return field.to_representation(value)
        text = utc_z(value.astimezone(zone).isoformat())
        last[0] = (value, text)
        return text

    return write


def iso_8601(field: serializers.DateTimeField) -> bool:
    """Tell whether ``field`` writes aware ISO 8601 datetimes, the case the fast path covers."""
    output = getattr(field, "format", empty)
    output = api_settings.DATETIME_FORMAT if output is empty else output
    return isinstance(output, str) and output.lower() == ISO_8601 and django_settings.USE_TZ


def utc_z(text: str) -> str:
    """Write UTC as ``Z``, as DRF does."""
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def attribute_getter(field: AnyField) -> Represent:
    """Return the fastest function that reads ``field``'s attribute as DRF's ``get_attribute`` would."""
    if field.source == "*":
        return lambda obj: obj
    if isinstance(field, PrimaryKeyRelatedField) and not field.pk_field and len(field.source_attrs) == 1:
        return key_getter(field.source_attrs[0])
    # Link and key fields read the related object (their converter takes its pk);
    # many-valued sources are managers, DRF's to unwrap.
    direct = hasattr(field, "compiled") or isinstance(field, PrimaryKeyRelatedField)
    plain = direct or not isinstance(field, RelatedField | serializers.ListSerializer)
    if plain and len(field.source_attrs) == 1:
        return operator.attrgetter(field.source_attrs[0])
    if plain:
        return chained_getter(field)
    return field.get_attribute


def key_getter(name: str) -> Represent:
    """Read a foreign key's value without loading the related row, as DRF's pk-only optimisation does."""

    def read(obj: Any) -> Any:
        if isinstance(obj, Model):
            pk = obj.serializable_value(name)
            return None if pk is None else PKOnlyObject(pk=pk)
        return getattr(obj, name)  # an export's plain record carries the key as it is

    return read


def chained_getter(field: AnyField) -> Represent:
    """Read a dotted source (``author.name``) directly, leaving a missing link to DRF's rules."""
    get = operator.attrgetter(".".join(field.source_attrs))

    def read(obj: Any) -> Any:
        try:
            return get(obj)
        except AttributeError:
            return field.get_attribute(obj)

    return read


def as_iterable(value: Any) -> Iterable[Any]:
    """Return the rows of a many-valued attribute (a related manager's prefetched rows)."""
    return value.all() if isinstance(value, Manager) else value


# Compiled functions by shape, most recently used last: building a page's serializer
# fields and URL templates cost more than turning its twenty rows (about 10 ms a page).
# (serializer class, field names, (scheme, host, script prefix) or None, format suffix)
ShapeKey: TypeAlias = tuple[type[AnySerializer], tuple[str, ...], tuple[str, str, str] | None, str | None]
_compiled: OrderedDict[ShapeKey, Represent] = OrderedDict()
MAX_COMPILED = 256


def shape_key(serializer: AnySerializer) -> ShapeKey:
    """Return what fixes ``serializer``'s compiled function: its class, its fields and the links' base URL.

    Nested serializers take no part in the choice of fields (``?fields=``,
    staff-only and search-only fields are chosen at the top), so the top-level
    names say the whole shape; the links also depend on the request's scheme,
    host and script prefix, and on the format suffix.
    """
    request = serializer.context.get("request")
    root = None
    if request is not None:
        root = (request.scheme, request.get_host(), request.META.get("SCRIPT_NAME", ""))
    return type(serializer), tuple(serializer.fields), root, serializer.context.get("format")


def cached_representation(serializer: AnySerializer) -> Represent:
    """Return ``compile_representation(serializer)``, compiled once per shape.

    A compiled function keeps the fields of the serializer it was compiled from,
    so a field of a compiled serializer must not read the request beyond its
    ``shape_key`` (method fields read the object only).
    """
    key = shape_key(serializer)
    represent = _compiled.get(key)
    if represent is None:
        represent = _compiled[key] = compile_representation(serializer)
        if len(_compiled) > MAX_COMPILED:
            _compiled.popitem(last=False)
    else:
        _compiled.move_to_end(key)
    return represent


@receiver(setting_changed)
def _forget_compiled(**kwargs: Any) -> None:
    # Time zones, URL configuration and date formats are read at compile time.
    _compiled.clear()


class CompiledListSerializer(serializers.ListSerializer[Any]):
    """A list serializer that runs its child as a compiled function."""

    def to_representation(self, data: Any) -> list[Any]:
        assert isinstance(self.child, serializers.Serializer), "compiled lists are of serializers"
        represent = cached_representation(self.child)
        return [represent(item) for item in as_iterable(data)]
