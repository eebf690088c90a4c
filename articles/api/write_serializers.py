"""Serializers of what editors send: article changes, and new or changed authors and publishers.

They only validate; ``articles.editing`` applies the changes. Responses use the
read serializers, so a write answers with the same shape a read gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.db import models
from rest_framework import exceptions, serializers, status

from articles.models import Article, Author, NamedEntity, Publisher

if TYPE_CHECKING:
    from rest_framework.utils.model_meta import FieldInfo

    # To mypy the mixin derives from the field it is mixed into, so fail() and super() are checked.
    _CharFieldBase = serializers.CharField
else:
    _CharFieldBase = object

MAX_ID = 2**63 - 1
_M = TypeVar("_M", bound=models.Model)


class TextOnlyMixin(_CharFieldBase):
    """Text, and only text: a number is refused (DRF's CharField would take 0 as "0"), as the schema says."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextField(TextOnlyMixin, serializers.CharField):
    """A text field that takes text only."""


class TextSlugField(TextOnlyMixin, serializers.SlugField):
    """A slug that takes text only."""


class TextModelSerializer(serializers.ModelSerializer[_M]):
    """A model serializer whose text columns take text only."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
    }


class MissingReference(exceptions.APIException):
    """A well-formed id of an author or publisher the archive does not hold (now): a conflict with its state."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ExistingPublisherField(serializers.PrimaryKeyRelatedField[Publisher]):
    """A publisher id; one no publisher has is a 409 (the input is well-formed), a malformed one a 400."""

    def to_internal_value(self, data: Any) -> Publisher:
        if isinstance(data, int) and not isinstance(data, bool) and not 1 <= data <= MAX_ID:
            # No id is outside 1..2**63-1: a malformed value (the schema's bounds), not a missing row.
            raise serializers.ValidationError(f"Ids run from 1 to {MAX_ID}.")
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if exc.get_codes() == ["does_not_exist"]:
                raise MissingReference(f"No publisher has the id {data}.") from exc
            raise


class IdListField(serializers.ListField):
    """A list of ids; an item's error is reported as a plain message, like every other field's."""

    # Ids are 64-bit; a larger number would overflow the database's integer, not just miss.
    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data: Any) -> list[int]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            # ListField reports {index: [messages]}; flatten to "Item 0: message".
            raise serializers.ValidationError(
                [f"Item {index}: {message}" for index, messages in exc.detail.items() for message in messages]
            ) from exc


class BylineIdsField(IdListField):
    """The ids of an article's authors, in byline order."""

    def get_attribute(self, article: Article) -> list[int]:
        # Shown in the browsable API's edit form; writes go through ``validate_authors``.
        return list(article.bylines.order_by("position", "id").values_list("author_id", flat=True))


class ArticleWriteSerializer(serializers.Serializer[Article]):
    """The fields of an article an editor may change (send any of them)."""

    title = TextField(max_length=1000, help_text="Headline; cannot be blank.")
    subtitle = TextField(allow_blank=True, help_text="Standfirst under the headline.")
    body = TextField(allow_blank=True, trim_whitespace=False, help_text="Paragraphs separated by one blank line.")
    language = serializers.ChoiceField(
        # The model field's choices, ungrouped: ``choices`` itself is typed as possibly grouped, or None.
        choices=Article._meta.get_field("language").flatchoices,
        allow_blank=True,
        help_text='ISO 639-1 code of the article\'s language (a correction of the detected one); "" for unknown. '
        "Search stems the article's words in this language.",
    )
    status = serializers.ChoiceField(
        choices=Article.Status.choices,
        help_text="Publishing an article without a publication date dates it now.",
    )
    published_at = serializers.DateTimeField(
        allow_null=True, help_text="ISO 8601. A published article must keep a date: null is refused for it."
    )
    original_published_at = serializers.DateTimeField(
        allow_null=True,
        help_text="ISO 8601: when the story was first published, as its source says; null when unknown.",
    )
    original_updated_at = serializers.DateTimeField(
        allow_null=True, help_text="ISO 8601: when the story was last updated, as its source says; null when unknown."
    )
    embargo_until = serializers.DateTimeField(
        allow_null=True,
        help_text="ISO 8601: hide the article from the public until then, even when published; null lifts the embargo.",
    )
    authors = BylineIdsField(
        help_text="Author ids in byline order (first is the lead author); replaces the byline. [] removes it.",
    )
    publisher = ExistingPublisherField(
        queryset=Publisher.objects.all(), allow_null=True, help_text="Publisher id, or null for none."
    )

    def validate_authors(self, ids: list[int]) -> list[Author]:
        """Turn the ids into authors, in the order given, in one query."""
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("An author can appear only once in a byline.")
        found = Author.objects.in_bulk(ids)
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise MissingReference(f"No author has the id {', '.join(missing)}.")
        return [found[pk] for pk in ids]


class NamedWriteSerializer(TextModelSerializer[NamedEntity]):
    """An author or publisher as an editor creates or changes one: the ``editable_fields`` of ``Meta.model``."""

    class Meta:
        # Each subclass's Meta names the model: DRF's stubs cannot type Meta.model through the generic.
        model: ClassVar[type[NamedEntity]]

    slug = TextSlugField(
        max_length=255,
        required=False,
        help_text="Unique; made from the name when left out on creation.",
    )

    def get_field_names(
        self, declared_fields: Mapping[str, serializers.Field[Any, Any, Any, Any]], info: FieldInfo
    ) -> list[str]:
        return list(self.Meta.model.editable_fields)


class AuthorWriteSerializer(NamedWriteSerializer):
    """An author as an editor creates or changes one."""

    class Meta:
        model = Author


class PublisherWriteSerializer(NamedWriteSerializer):
    """A publisher as an editor creates or changes one."""

    class Meta:
        model = Publisher
