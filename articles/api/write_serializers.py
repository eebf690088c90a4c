"""Serializers of what editors send: article changes, and new or changed authors and publishers.

They only validate; ``articles.editing`` applies the changes. Responses use the
read serializers, so a write answers with the same shape a read gives.
"""

from __future__ import annotations

from rest_framework import serializers

from articles.models import Article, Author, Publisher

MAX_ID = 2**63 - 1


class IdListField(serializers.ListField):
    """A list of ids; an item's error is reported as a plain message, like every other field's."""

    # Ids are 64-bit; a larger number would overflow the database's integer, not just miss.
    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data):
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


class ArticleWriteSerializer(serializers.Serializer):
    """The fields of an article an editor may change (send any of them)."""

    title = serializers.CharField(max_length=1000, help_text="Headline; cannot be blank.")
    subtitle = serializers.CharField(allow_blank=True, help_text="Standfirst under the headline.")
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="Paragraphs separated by one blank line."
    )
    status = serializers.ChoiceField(
        choices=Article.Status.choices,
        help_text="Publishing an article without a publication date dates it now.",
    )
    published_at = serializers.DateTimeField(
        allow_null=True, help_text="ISO 8601. A published article must keep a date: null is refused for it."
    )
    authors = BylineIdsField(
        help_text="Author ids in byline order (first is the lead author); replaces the byline. [] removes it.",
    )
    publisher = serializers.PrimaryKeyRelatedField(
        queryset=Publisher.objects.all(), allow_null=True, help_text="Publisher id, or null for none."
    )

    def validate_authors(self, ids: list[int]) -> list[Author]:
        """Turn the ids into authors, in the order given, in one query."""
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("An author can appear only once in a byline.")
        found = Author.objects.in_bulk(ids)
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(f"No author has the id {', '.join(missing)}.")
        return [found[pk] for pk in ids]


class AuthorWriteSerializer(serializers.ModelSerializer):
    """An author as an editor creates or changes one."""

    slug = serializers.SlugField(
        max_length=255,
        required=False,
        help_text="Unique; made from the name when left out on creation.",
    )

    class Meta:
        model = Author
        fields = ["name", "slug", "bio", "social_handle"]


class PublisherWriteSerializer(serializers.ModelSerializer):
    """A publisher as an editor creates or changes one."""

    slug = serializers.SlugField(
        max_length=255,
        required=False,
        help_text="Unique; made from the name when left out on creation.",
    )

    class Meta:
        model = Publisher
        fields = ["name", "slug"]
