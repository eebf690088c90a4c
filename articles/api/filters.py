"""Query-string filters of the API.

Every filter validates its value strictly: a bad value is a 400 naming the
parameter, never a filter silently dropped. Unknown parameters are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import django_filters
from django import forms
from django.db.models import QuerySet

from articles import languages
from articles.api import querysets
from articles.api.params import CollectionSlugListField, IsoDateTimeBoundField, SlugListField, StrictBooleanField
from articles.api.querysets import Requester, can_see_unpublished
from articles.languages import UNKNOWN_LANGUAGE
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    AuthorAlias,
    Collection,
    EntityAlias,
    NamedEntity,
    Publisher,
    PublisherAlias,
)

if TYPE_CHECKING:
    from articles.api.schema import Schema

_Entity = TypeVar("_Entity", bound=NamedEntity)

# One value of a slug filter: up to 100 slugs separated by commas (of at most 255 characters each); the
# parameter may be repeated up to 100 times (SlugListField.max_slugs is their product).
SLUG_LIST_PATTERN = r"^[-a-zA-Z0-9_]{1,255}(,[-a-zA-Z0-9_]{1,255}){0,99}$"
SLUG_VALUES = 100
MAX_SMALLINT = 32767
MAX_INT = 2**31 - 1


class StrictBooleanFilter(django_filters.Filter):
    """A boolean filter that answers a bad value with an error instead of ignoring it.

    A plain ``Filter``: ``BooleanFilter`` adds nothing but its ``NullBooleanField``, which this replaces.
    """

    field_class = StrictBooleanField

    def openapi_schema(self) -> Schema:
        """Return the parameter's schema (``schema.FilterExtension`` reads it)."""
        return {"type": "boolean"}


class IntegerFilter(django_filters.Filter):
    """A whole-number filter.

    Not a ``NumberFilter``: that takes decimals, and adds a bound of 1e50 the field's own max_value makes moot.
    """

    field_class = forms.IntegerField

    def openapi_schema(self) -> Schema:
        """Return the parameter's schema, with its bounds."""
        return {"type": "integer", "minimum": self.extra["min_value"], "maximum": self.extra["max_value"]}


class DateTimeBoundFilter(django_filters.Filter):
    """An inclusive date or date-time bound; see ``IsoDateTimeBoundField``."""

    field_class = IsoDateTimeBoundField

    def openapi_schema(self) -> Schema:
        """Return the parameter's schema: an ISO 8601 date or date-time."""
        return {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}


class SlugsFilter(django_filters.Filter):
    """A filter taking one or more slugs, repeated or comma-separated."""

    def openapi_schema(self) -> Schema:
        """Return the parameter's schema: repeated slugs (each may also hold several, comma-separated)."""
        item = {"type": "string", "pattern": SLUG_LIST_PATTERN}
        return {"type": "array", "items": item, "maxItems": SLUG_VALUES}


class CollectionFilter(SlugsFilter):
    """One or more collection slugs: the articles of any publisher in any of them (see ``CollectionSlugListField``).

    Collections are public (every requester sees them all); the articles stay those the requester may see.
    """

    field_class = CollectionSlugListField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, queryset=Collection.objects.all(), **kwargs)


class SlugListFilter(SlugsFilter):
    """One or more slugs (repeated or comma-separated), any of which matches; an unknown slug matches nothing.

    ``people`` returns the rows the requester may name (given the user), so a
    slug the requester may not see is as unknown as one nobody has; the merged
    names (``alias_model``) are looked up among the aliases of those rows only.
    """

    field_class = SlugListField

    def __init__(
        self,
        *args: Any,
        people: Callable[[Requester], QuerySet[NamedEntity]],
        alias_model: type[EntityAlias],
        **kwargs: Any,
    ) -> None:
        self.people = people
        self.alias_model = alias_model
        super().__init__(*args, **kwargs)

    @property
    def field(self) -> SlugListField:
        if not hasattr(self, "_field"):
            request = getattr(getattr(self, "parent", None), "request", None)
            visible = self.people(getattr(request, "user", None))
            aliases = self.alias_model._default_manager.filter(**{f"{self.extra['alias_target']}__in": visible})
            self.extra.update(queryset=visible, aliases=aliases)
        field = super().field
        assert isinstance(field, SlugListField)  # made from field_class
        return field


class ArticleFilter(django_filters.FilterSet):
    """Filter articles, always within what the requester may see."""

    publisher = SlugListFilter(
        people=querysets.visible_publishers,
        alias_model=PublisherAlias,
        alias_target="publisher_id",
        method="filter_publisher",
        help_text="Publisher slug; repeat (or separate with commas) for any of several. The slug of a "
        "publisher merged into another stands for the one it was merged into.",
    )
    author = SlugListFilter(
        people=querysets.visible_authors,
        alias_model=AuthorAlias,
        alias_target="author_id",
        method="filter_author",
        help_text="Author slug; repeat (or separate with commas) for articles by any of several. The slug "
        "of an author merged into another stands for the one they were merged into.",
    )
    collection = CollectionFilter(
        method="filter_publisher",
        help_text="Collection slug (a set of publishers editors curate, see `/collections/`): articles of any of its "
        "publishers. Repeat (or separate with commas) for any of several; with `publisher`, only the publishers "
        "named by both. An unknown or empty collection matches no article.",
    )
    status = django_filters.ChoiceFilter(
        choices=Article.Status.choices,
        help_text="Only articles with this status. Anonymous users and readers only ever see published "
        "articles, so `draft` or `withdrawn` gives them an empty list.",
    )
    needs_review = StrictBooleanFilter(
        method="filter_needs_review",
        help_text="Articles the importer flagged for review (true), or not (false). Staff and editors only: for "
        "other requesters a valid value is ignored (the flag is theirs to see), a bad one is a 400 all the same.",
    )
    # On ``date``, as the list's order: the story's own publication date, else the archive's.
    published_after = DateTimeBoundFilter(
        field_name="date",
        lookup_expr="gte",
        help_text="Dated (`date`: the original publication date when known, else the publication in the archive) "
        "at or after this ISO 8601 date or date-time (a date means its start, UTC).",
    )
    published_before = DateTimeBoundFilter(
        field_name="date",
        lookup_expr="lte",
        end_of_day=True,
        help_text="Dated (`date`: the original publication date when known, else the publication in the archive) "
        "at or before this ISO 8601 date or date-time (a date includes that whole day, UTC).",
    )
    created_after = DateTimeBoundFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Added to the archive at or after this ISO 8601 date or date-time (a date means its start, UTC).",
    )
    created_before = DateTimeBoundFilter(
        field_name="created_at",
        lookup_expr="lte",
        end_of_day=True,
        help_text="Added to the archive at or before this ISO 8601 date or date-time (a date includes that "
        "whole day, UTC).",
    )
    changed_since = DateTimeBoundFilter(
        field_name="source_changed_at",
        lookup_expr="gt",
        help_text="Articles whose source a re-import changed after this ISO 8601 date or date-time (a date means "
        "its start, UTC): to follow corrections. Their earlier texts are under `/articles/{id}/revisions/`.",
    )
    copyright_year = IntegerFilter(min_value=0, max_value=MAX_SMALLINT, help_text="Copyright year, exactly.")
    copyright_year_min = IntegerFilter(
        field_name="copyright_year",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_SMALLINT,
        help_text="Copyright year at least this.",
    )
    copyright_year_max = IntegerFilter(
        field_name="copyright_year",
        lookup_expr="lte",
        min_value=0,
        max_value=MAX_SMALLINT,
        help_text="Copyright year at most this.",
    )
    min_words = IntegerFilter(
        field_name="word_count",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_INT,
        help_text="At least this many words in the body.",
    )
    max_words = IntegerFilter(
        field_name="word_count",
        lookup_expr="lte",
        min_value=0,
        max_value=MAX_INT,
        help_text="At most this many words in the body.",
    )
    has_image_credit = StrictBooleanFilter(
        method="filter_has_image_credit", help_text="Articles with (true) or without (false) an image credit."
    )
    language = django_filters.ChoiceFilter(
        choices=[*languages.CHOICES, (UNKNOWN_LANGUAGE, "Unknown")],
        method="filter_language",
        help_text="Articles in this language: an ISO 639-1 code (`en`, `es`, ...), or "
        f"`{UNKNOWN_LANGUAGE}` for those whose language could not be detected.",
    )
    has_duplicate_of = StrictBooleanFilter(
        field_name="duplicate_of",
        lookup_expr="isnull",
        exclude=True,
        help_text="Articles flagged as a possible duplicate of another (true), or not (false).",
    )
    source = django_filters.CharFilter(
        field_name="source_key",
        max_length=1000,
        help_text="Source key (the seed file's path as imported), exactly.",
    )

    class Meta:
        model = Article
        fields: list[str] = []

    def filter_needs_review(self, queryset: QuerySet[Article], name: str, value: bool | None) -> QuerySet[Article]:
        # The review flag is staff-only data; filtering on it would reveal it.
        if value is None or not can_see_unpublished(getattr(self.request, "user", None)):
            return queryset
        return queryset.filter(needs_review=value)

    def filter_publisher(self, queryset: QuerySet[Article], name: str, value: frozenset[int]) -> QuerySet[Article]:
        return queryset.filter(publisher__in=value)

    def filter_author(self, queryset: QuerySet[Article], name: str, value: frozenset[int]) -> QuerySet[Article]:
        # A subquery, not a join: an article by two of the authors is listed once, without DISTINCT.
        return queryset.filter(pk__in=ArticleAuthor.objects.filter(author__in=value).values("article_id"))

    def filter_language(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        return queryset.filter(language="" if value == UNKNOWN_LANGUAGE else value) if value else queryset

    def filter_has_image_credit(self, queryset: QuerySet[Article], name: str, value: bool | None) -> QuerySet[Article]:
        if value is None:
            return queryset
        return queryset.exclude(image_credit="") if value else queryset.filter(image_credit="")


class NamedEntityFilter(django_filters.FilterSet):
    """Filter authors (or publishers: ``Meta.model``) by name and by whether they have visible articles.

    ``has_articles`` is an EXISTS on the indexed foreign key, which stops at the
    first visible article, rather than a filter on the counted ``article_count``.
    """

    name = django_filters.CharFilter(lookup_expr="icontains", max_length=255, help_text="Name contains this.")
    has_articles = StrictBooleanFilter(
        method="filter_has_articles", help_text="Those with (true) or without (false) articles you may read."
    )

    def filter_has_articles(self, queryset: QuerySet[_Entity], name: str, value: bool | None) -> QuerySet[_Entity]:
        if value is None:
            return queryset
        relation = queryset.model.article_relation  # Meta.model: the filterset filters its rows
        exists = querysets.has_visible_articles(getattr(self.request, "user", None), relation)
        return queryset.filter(exists if value else ~exists)


class AuthorFilter(NamedEntityFilter):
    """Filter authors by name and by whether they have visible articles."""

    class Meta:
        model = Author
        fields: list[str] = []


class PublisherFilter(NamedEntityFilter):
    """Filter publishers by name and by whether they have visible articles."""

    class Meta:
        model = Publisher
        fields: list[str] = []
