"""Serializers of the read API: articles with their byline, authors and publishers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.api.bases import ModelSerializerBase
from articles.api.compiled import AnyField, CompiledListSerializer
from articles.api.excerpts import make_excerpt
from articles.api.facets import Facets, LanguageCount, NamedCount, YearCount
from articles.api.links import IdentityLinkField, RelatedLinkField
from articles.api.querysets import BYLINES_ATTR, EXCERPT_SOURCE_CHARS, can_see_unpublished
from articles.api.shaping import FieldSelectionMixin, every_field
from articles.models import Article, ArticleAuthor, Author, Collection, ImportRun, NamedEntity, Publisher

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.utils.model_meta import FieldInfo


class StaffOnlyFieldsMixin(ModelSerializerBase):
    """Drop the ``Meta.staff_only_fields`` unless the request comes from a staff user.

    Schema generation runs with the requester's user, so the documented shape is
    the one that requester gets.
    """

    def get_fields(self) -> dict[str, AnyField]:
        fields = super().get_fields()
        request = self.context.get("request")
        if not can_see_unpublished(getattr(request, "user", None)):
            for name in getattr(self.Meta, "staff_only_fields", ()):
                fields.pop(name, None)
        return fields


class SearchOnlyFieldsMixin(ModelSerializerBase):
    """Drop the ``Meta.search_only_fields`` unless the response shows search results.

    They stay in the documented schema, where they say they come with ``q``.
    """

    def get_fields(self) -> dict[str, AnyField]:
        fields = super().get_fields()
        if not self.context.get("searching") and not every_field(self.context):
            for name in getattr(self.Meta, "search_only_fields", ()):
                fields.pop(name, None)
        return fields


@extend_schema_field(OpenApiTypes.URI)
class ArticlesLinkField(serializers.Field[str, str, str, Model]):
    """The URL of the article list filtered to this author's or publisher's articles."""

    def __init__(self, filter_param: str, **kwargs: Any) -> None:
        self.filter_param = filter_param
        super().__init__(source="slug", read_only=True, **kwargs)

    def to_representation(self, slug: str) -> str:
        url = f"{reverse('api:article-list')}?{urlencode({self.filter_param: slug})}"
        request: Request | None = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class NamedLinksMixin(ModelSerializerBase):
    """Build ``url`` and ``articles_url`` of an author or publisher for ``Meta.model``.

    ``url`` links the row itself, ``articles_url`` the article list filtered to it:
    naming them in ``Meta.fields`` is enough (DRF's ``build_url_field`` and
    ``build_field`` hooks).
    """

    def build_url_field(self, field_name: str, model_class: type[Model]) -> tuple[type[AnyField], dict[str, Any]]:
        return IdentityLinkField, {"view_name": f"api:{model_class._meta.model_name}-detail"}

    def build_field(
        self, field_name: str, info: FieldInfo, model_class: type[Model], nested_depth: int
    ) -> tuple[type[AnyField], dict[str, Any]]:
        # Here, not in build_unknown_field(), which DRF's stubs type as always raising: no model has an
        # ``articles_url``, so this is where build_field() would otherwise end.
        if field_name == "articles_url":
            return ArticlesLinkField, {"filter_param": model_class._meta.model_name}
        return super().build_field(field_name, info, model_class, nested_depth)


class PublisherSummarySerializer(NamedLinksMixin, serializers.ModelSerializer[Publisher]):
    """A publisher as shown inside an article."""

    class Meta:
        model = Publisher
        fields = ["id", "name", "slug", "url"]


class BylineAuthorSerializer(serializers.ModelSerializer[ArticleAuthor]):
    """One author of an article's byline."""

    id = serializers.IntegerField(source="author_id", read_only=True)
    name = serializers.CharField(source="author.name", read_only=True)
    slug = serializers.SlugField(source="author.slug", read_only=True)
    url = RelatedLinkField(source="author", view_name="api:author-detail", read_only=True)

    class Meta:
        model = ArticleAuthor
        fields = ["id", "name", "slug", "url"]


class ArticleSourceSerializer(serializers.ModelSerializer[Article]):
    """Where an article came from: its seed file, checksum and import run."""

    key = serializers.CharField(source="source_key", read_only=True)
    sha256 = serializers.CharField(source="content_sha256", read_only=True)
    encoding = serializers.CharField(source="source_encoding", read_only=True)
    import_run = serializers.PrimaryKeyRelatedField[ImportRun](read_only=True, allow_null=True)
    raw_url = IdentityLinkField(view_name="api:article-source")

    class Meta:
        model = Article
        fields = ["key", "sha256", "encoding", "import_run", "raw_url"]


class SearchResultFields(serializers.Serializer[Article]):
    """The fields an article gains as a search result."""

    rank = serializers.FloatField(read_only=True, help_text="Only with `q`: relevance, higher is better.")
    snippet = serializers.CharField(
        read_only=True,
        help_text="Only with `q`: HTML, the body around the matches, each match in `<mark>`, the rest escaped.",
    )


class ArticleBaseSerializer(
    FieldSelectionMixin,
    SearchOnlyFieldsMixin,
    StaffOnlyFieldsMixin,
    serializers.ModelSerializer[Article],
    SearchResultFields,
):
    """An article: every representation (list, detail, export, a write's answer) has the same fields to pick from.

    They differ only in what they show by default (``Meta.on_request_fields`` appear
    only when ``?fields=`` names them), so a ``fields`` valid on one is valid on all.
    """

    url = IdentityLinkField(view_name="api:article-detail")
    publisher = PublisherSummarySerializer(read_only=True, allow_null=True)
    # Read from the querysets' prefetched list (querysets.bylines_prefetch()).
    authors = BylineAuthorSerializer(source=BYLINES_ATTR, many=True, read_only=True)
    # The serializer's metaclass moves declared fields into _declared_fields, so this does not shadow Field.source
    # (the attribute a field reads) at runtime; DRF's stubs cannot express that and see the two collide.
    source = ArticleSourceSerializer(source="*", read_only=True)  # type: ignore[assignment]
    excerpt = serializers.SerializerMethodField(help_text="The start of the body, as plain text.")
    original_published_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the story was first published, as its source says; null when the source gives no date.",
    )
    original_updated_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the story was last updated, as its source says; null when the source gives no date.",
    )
    date = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="The article's date, which `ordering` and the `published_after`/`published_before` filters use: "
        "`original_published_at` when known, else `published_at` (its publication in the archive). Null only for "
        "an undated draft.",
    )
    date_is_original = serializers.SerializerMethodField(
        help_text="Whether `date` is the story's original publication date (true) or, unknown, the archive's (false)."
    )
    # The key column itself: no join, and the export's plain rows carry it.
    duplicate_of = serializers.IntegerField(
        source="duplicate_of_id",
        read_only=True,
        allow_null=True,
        help_text="The id of the article this one is a possible duplicate of (a syndicated or lightly edited copy "
        "found at import: at least 80% of its word shingles in common), or null.",
    )
    embargo_until = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Staff only: until when the article is hidden from the public, even when published; null: none.",
    )
    embargoed = serializers.SerializerMethodField(
        help_text="Staff only: whether the embargo still runs (the public does not see the article now)."
    )
    # Text rather than the model's choices: "" (unknown) is a value too, which an enum of the choices would refuse.
    language = serializers.CharField(
        read_only=True,
        help_text="ISO 639-1 code of the article's language (`en`, `es`, ...), detected at import or set by an "
        'editor; "" when unknown. Search stems the article\'s words in this language.',
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "url",
            "slug",
            "title",
            "subtitle",
            "word_count",
            "image_credit",
            "copyright_year",
            "language",
            "status",
            "published_at",
            "original_published_at",
            "original_updated_at",
            "date",
            "date_is_original",
            "created_at",
            "updated_at",
            "publisher",
            "authors",
            "source",
            "needs_review",
            "review_reasons",
            "embargo_until",
            "embargoed",
            "duplicate_of",
            "excerpt",
            "body",
            "rank",
            "snippet",
        ]
        staff_only_fields = ["needs_review", "review_reasons", "embargo_until", "embargoed"]
        # Present only in search results (with ``q``), even when ``?fields=`` names them.
        search_only_fields = ["rank", "snippet"]
        read_only_fields = fields
        list_serializer_class = CompiledListSerializer

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_date_is_original(self, article: Article) -> bool:
        return article.original_published_at is not None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_embargoed(self, article: Article) -> bool:
        return article.embargo_until is not None and article.embargo_until > timezone.now()

    def get_excerpt(self, article: Article) -> str:
        # The list queryset annotates only the body's head; fall back to the body elsewhere.
        head = getattr(article, "body_head", None)
        if head is None:
            return make_excerpt(article.body)
        return make_excerpt(head[:EXCERPT_SOURCE_CHARS], more=len(head) > EXCERPT_SOURCE_CHARS)


class ArticleListSerializer(ArticleBaseSerializer):
    """An article in a list: an excerpt instead of the body (and with ``q``, its rank and snippet)."""

    class Meta(ArticleBaseSerializer.Meta):
        on_request_fields = ["body"]


class ArticleDetailSerializer(ArticleBaseSerializer):
    """An article on its own, with its full body."""

    class Meta(ArticleBaseSerializer.Meta):
        on_request_fields = ["excerpt"]


class ArticleExportSerializer(ArticleDetailSerializer):
    """An article in a bulk export: the detail fields (and with ``q``, its rank and snippet)."""


class NamedEntitySerializer(NamedLinksMixin, FieldSelectionMixin, serializers.ModelSerializer[NamedEntity]):
    """An author or publisher, with the number of articles the requester may read and a link to them."""

    article_count = serializers.IntegerField(read_only=True)

    class Meta:
        list_serializer_class = CompiledListSerializer


class AuthorListSerializer(NamedEntitySerializer):
    """An author in a list, with the number of articles the requester may read and a link to them."""

    class Meta(NamedEntitySerializer.Meta):
        model = Author
        fields = ["id", "url", "name", "slug", "social_handle", "article_count", "articles_url"]


class AuthorDetailSerializer(AuthorListSerializer):
    """An author on their own, with their bio."""

    class Meta(AuthorListSerializer.Meta):
        fields = [*AuthorListSerializer.Meta.fields, "bio"]


class PublisherSerializer(NamedEntitySerializer):
    """A publisher, with the number of articles the requester may read and a link to them."""

    class Meta(NamedEntitySerializer.Meta):
        model = Publisher
        fields = ["id", "url", "name", "slug", "article_count", "articles_url"]


class CollectionSerializer(FieldSelectionMixin, serializers.ModelSerializer[Collection]):
    """A collection: a named set of publishers editors curate, with a link to their articles."""

    url = IdentityLinkField(view_name="api:collection-detail")
    publishers = PublisherSummarySerializer(
        many=True,
        read_only=True,
        help_text="Its publishers, by name (those you may see: as in `/publishers/`, a publisher with no published "
        "article is left out for anonymous users and readers).",
    )
    articles_url = ArticlesLinkField(
        filter_param="collection", help_text="The article list filtered to this collection (`?collection=<slug>`)."
    )

    class Meta:
        model = Collection
        fields = ["id", "url", "name", "slug", "description", "publishers", "articles_url", "created_at", "updated_at"]
        read_only_fields = fields
        list_serializer_class = CompiledListSerializer


class NamedCountSerializer(serializers.Serializer[NamedCount]):
    """A facet value that is an author or a publisher."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Matching articles credited to it.")


class YearCountSerializer(serializers.Serializer[YearCount]):
    """A facet value that is a copyright year."""

    year = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Matching articles of that year.")


class LanguageCountSerializer(serializers.Serializer[LanguageCount]):
    """A facet value that is a language."""

    language = serializers.CharField(
        help_text="ISO 639-1 code, or `und` for articles whose language is unknown (the `language` filter's values)."
    )
    count = serializers.IntegerField(help_text="Matching articles in that language.")


class FacetsSerializer(serializers.Serializer[Facets]):
    """Facet counts of the articles matching a request (documentation only: the service builds the data)."""

    count = serializers.IntegerField(help_text="Every matching article.")
    publishers = NamedCountSerializer(many=True)
    authors = NamedCountSerializer(many=True)
    copyright_years = YearCountSerializer(many=True)
    languages = LanguageCountSerializer(many=True)
