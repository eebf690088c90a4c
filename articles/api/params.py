"""Strict parsing of query-string values: a bad value is an error, never silently ignored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions

from articles.api.bases import ViewSetBase

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import QueryDict
    from rest_framework.request import Request

    from articles.models import Author, AuthorAlias, Collection, Publisher, PublisherAlias

TRUE_VALUES = frozenset({"true", "1", "yes", "on"})
FALSE_VALUES = frozenset({"false", "0", "no", "off"})
ISO_DATE = re.compile(r"\d{4}-?\d{2}-?\d{2}")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
NULL_CHARACTER = "\x00"


def reject_null_characters(params: Mapping[str, str]) -> None:
    """Raise a 400 naming every query parameter whose name or value holds a NUL byte.

    PostgreSQL cannot store or compare NUL in text, so psycopg refuses such a
    parameter outright; catching it here keeps every endpoint clear of that 500.
    """
    errors: dict[str, list[str]] = {}
    for name in params:
        values = params.getlist(name) if isinstance(params, MultiValueDict) else [params[name]]
        if NULL_CHARACTER in name or any(NULL_CHARACTER in value for value in values):
            errors[name.replace(NULL_CHARACTER, "\\x00")] = ["Null characters are not allowed."]
    if errors:
        raise exceptions.ValidationError(errors)


class QueryStringGuardMixin(ViewSetBase):
    """View mixin: refuse query strings holding NUL bytes before any of it reaches a filter or the database."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        reject_null_characters(request.query_params)


def parse_bounded_int(
    params: Mapping[str, str], name: str, *, default: int, minimum: int, maximum: int, out_of_range: str = ""
) -> int:
    """Return the integer parameter ``name`` (``default`` when absent or blank), or raise a 400."""
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[+-]?\d{1,18}", raw):
        raise exceptions.ValidationError({name: ["Enter a whole number."]})
    value = int(raw)
    if not minimum <= value <= maximum:
        raise exceptions.ValidationError({name: [out_of_range or f"Enter a whole number from {minimum} to {maximum}."]})
    return value


def parse_since(params: Mapping[str, str], name: str = "since") -> dt.datetime | None:
    """Return the ISO 8601 moment in ``name`` (None when absent), or raise a 400; present but empty is an error."""
    # Empty is a mistake, not "from the beginning": that is leaving the parameter out.
    value = params.get(name)
    if value is None:
        return None
    try:
        moment: dt.datetime = IsoDateTimeBoundField(required=True).clean(value)
    except ValidationError as exc:
        raise exceptions.ValidationError({name: exc.messages}) from None
    return moment


def parse_name_list(params: QueryDict, name: str) -> list[str]:
    """Return the comma-separated (or repeated) names given in ``name``, in order, without duplicates."""
    names: list[str] = []
    for raw in params.getlist(name):
        for part in raw.split(","):
            if (part := part.strip()) and part not in names:
                names.append(part)
    return names


def check_names(name: str, given: Sequence[str], valid: Iterable[str]) -> None:
    """Raise a 400 on ``name`` listing the valid names when ``given`` holds any other."""
    valid = list(valid)
    if unknown := [value for value in given if value not in valid]:
        raise exceptions.ValidationError(
            {name: [f"Unknown field(s): {', '.join(unknown)}. Valid fields: {', '.join(valid)}."]}
        )


class StrictBooleanField(forms.Field):
    """A yes/no value: ``true``/``false`` (or ``1``/``0``, ``yes``/``no``); anything else is an error.

    Django's ``NullBooleanField`` reads an unknown value as "not given", which
    would quietly drop the filter.
    """

    default_error_messages = {"invalid": "Enter true or false."}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class IsoDateTimeBoundField(forms.Field):
    """An ISO 8601 date or date-time, as an aware UTC date-time.

    A bare date stands for the start of that day (UTC), or with ``end_of_day``
    for its last microsecond, so an inclusive upper bound takes in the whole day.
    A date-time without an offset is read as UTC.
    """

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date or date-time, e.g. 2024-05-01 or 2024-05-01T12:30:00Z.",
        "range": "Enter a date between the years 1 and 9999.",
    }

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in (None, ""):
            return None
        text = str(value).strip()
        try:
            if ISO_DATE.fullmatch(text):
                day = dt.date.fromisoformat(text)
                moment = dt.datetime.combine(day, dt.time.max if self.end_of_day else dt.time.min)
                return moment.replace(tzinfo=dt.UTC)
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        moment = parsed
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            # e.g. 0001-01-01T00:00+05:00 lies before the first representable instant.
            raise ValidationError(self.error_messages["range"], code="range") from None


class SlugListWidget(forms.TextInput):
    """A text box for one or more slugs: reads every repeated value, shows them comma-separated."""

    def value_from_datadict(self, data: Mapping[str, Any], files: Mapping[str, Any], name: str) -> list[str]:
        return data.getlist(name) if isinstance(data, MultiValueDict) else [data[name]] if name in data else []

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        formatted: str | None = super().format_value(value)
        return formatted


class SlugListField(forms.Field):
    """Slugs (repeated or comma-separated), cleaned to the ids of the rows of ``queryset`` they name.

    A well-formed slug that names no row matches nothing, like a filter value no
    article has: the list is empty, not a 400 (a slug the requester may not see
    is dealt with the same way, so the answer tells nothing about it). Cleans to
    None when no slug is given, else to a frozenset of ids (empty: nothing matches),
    in one query. A slug that is no row's but one of ``aliases`` (``slug`` -> ``target_id``
    rows, left behind when duplicates were merged) stands for its target, at the cost of one more query.
    """

    widget = SlugListWidget
    default_error_messages = {
        "invalid": "'%(value)s' is not a valid slug.",
        "too_many": "Give at most %(limit)d slugs.",
        "too_many_values": "Give the parameter at most %(limit)d times (each value may hold several slugs, "
        "comma-separated).",
    }
    # 100 values of 100 slugs each (as the schema says); one query looks them all up.
    max_slugs = 10_000
    # How many times the parameter may be repeated (the schema's maxItems).
    max_values = 100

    def __init__(
        self,
        *,
        queryset: QuerySet[Author] | QuerySet[Publisher] | QuerySet[Collection],
        aliases: QuerySet[AuthorAlias] | QuerySet[PublisherAlias] | None = None,
        alias_target: str = "",
        **kwargs: Any,
    ) -> None:
        self.queryset = queryset
        self.aliases = aliases
        self.alias_target = alias_target
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        raw = value if isinstance(value, list | tuple) else [value] if value else []
        if len(raw) > self.max_values:
            raise ValidationError(
                self.error_messages["too_many_values"], code="too_many_values", params={"limit": self.max_values}
            )
        slugs: list[str] = []
        # A blank value is no value; any other is slugs separated by commas, nothing else (as the schema says).
        for part in (part for item in raw if str(item).strip() for part in str(item).split(",")):
            if not SLUG.fullmatch(part) or len(part) > 255:
                raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": part[:100]})
            if part not in slugs:
                slugs.append(part)
        if len(slugs) > self.max_slugs:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"limit": self.max_slugs})
        return slugs

    def clean(self, value: Any) -> frozenset[int] | None:
        slugs = super().clean(value)
        return self.resolve(slugs) if slugs else None

    def resolve(self, slugs: list[str]) -> frozenset[int]:
        """Return the ids the (well-formed, non-empty) ``slugs`` stand for."""
        found = dict(self.queryset.filter(slug__in=slugs).values_list("slug", "pk"))
        if self.aliases is not None and (missing := [slug for slug in slugs if slug not in found]):
            found |= dict(self.aliases.filter(slug__in=missing).values_list("slug", self.alias_target))
        return frozenset(found.values())


class CollectionSlugListField(SlugListField):
    """Collection slugs, cleaned to the ids of the publishers in any of those collections, in one query.

    As for a publisher slug, an unknown collection (or an empty one) matches nothing: an empty set, not a 400.
    """

    def __init__(self, *, queryset: QuerySet[Collection], **kwargs: Any) -> None:
        self.collections = queryset
        super().__init__(queryset=queryset, **kwargs)

    def resolve(self, slugs: list[str]) -> frozenset[int]:
        # One LEFT JOIN through the membership table (an empty collection: one NULL).
        ids = self.collections.filter(slug__in=slugs).values_list("publishers", flat=True)
        return frozenset(pk for pk in ids if pk is not None)
