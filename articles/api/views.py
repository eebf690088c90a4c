"""API views: articles, authors, publishers, collections (reads here; editors' writes from ``write_mixins.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer

from articles.api import querysets
from articles.api.conditional import ConditionalRetrieveMixin, latest
from articles.api.export import CSV_TYPE, JSONLD_TYPE, NDJSON_TYPE, export_response
from articles.api.facets import DEFAULT_FACET_SIZE, MAX_FACET_SIZE, facet_counts
from articles.api.filters import ArticleFilter, AuthorFilter, PublisherFilter
from articles.api.formats import FORMAT_FIELDS
from articles.api.histogram import DESCRIPTION as HISTOGRAM_DESCRIPTION
from articles.api.histogram import PARAMETERS as HISTOGRAM_PARAMETERS
from articles.api.histogram import HistogramSerializer, histogram_response
from articles.api.links import CANONICAL_LINKS
from articles.api.ordering import StrictOrderingFilter
from articles.api.pagination import ArchivePagination
from articles.api.params import QueryStringGuardMixin, parse_bounded_int, parse_name_list
from articles.api.renderers import (
    JsonLdRenderer,
    NewsMLG2Renderer,
    NinjsRenderer,
    NitfRenderer,
    PlainTextRenderer,
    StandardFormatRenderer,
)
from articles.api.search_filters import ArticleFilterBackend, FullTextSearchFilter, search_query
from articles.api.serializers import (
    ArticleDetailSerializer,
    ArticleExportSerializer,
    ArticleListSerializer,
    AuthorDetailSerializer,
    AuthorListSerializer,
    CollectionSerializer,
    FacetsSerializer,
    PublisherSerializer,
)
from articles.api.shaping import FIELDS_PARAM, FieldSelectionViewMixin
from articles.api.terms import DESCRIPTION as TOP_TERMS_DESCRIPTION
from articles.api.terms import PARAMETERS as TOP_TERMS_PARAMETERS
from articles.api.terms import TopTermsSerializer, top_terms_response
from articles.api.write_mixins import ArticleWriteMixin, NamedWriteMixin, named_write_schema
from articles.api.write_serializers import AuthorWriteSerializer, PublisherWriteSerializer
from articles.api.xml_formats import NEWSMESSAGE_TYPE
from articles.models import Article, Author, Collection, Publisher
from articles.search import ArticleSearch

_M = TypeVar("_M", Article, Author, Collection, Publisher)
_Named = TypeVar("_Named", Author, Publisher)

FACET_SIZE_PARAMETER = OpenApiParameter(
    "facet_size",
    {"type": "integer", "minimum": 1, "maximum": MAX_FACET_SIZE, "default": DEFAULT_FACET_SIZE},
    description=f"How many values each facet lists, 1 to {MAX_FACET_SIZE} (default {DEFAULT_FACET_SIZE}).",
)
EXPORT_DESCRIPTION = (
    "Every article matching the same filters and `q` as the list (in the same order), with its body, byline, "
    "publisher and source, streamed in one response in constant memory: made for taking the whole archive. "
    "`fields` picks the fields. "
)
# The exports in a standard format show the fields that format is built from, whatever ``fields`` says.
STANDARD_EXPORTS = frozenset({"export_jsonld", "export_ninjs", "export_newsmlg2", "export_nitf"})
EXPORT_ACTIONS = frozenset({"export_ndjson", "export_csv", *STANDARD_EXPORTS})
# The reads also answered in a standard format (``?format=jsonld`` / ``ninjs``, or ``Accept: application/ld+json``).
FORMAT_ACTIONS = frozenset({"list", "retrieve"})


class ReadMixin(QueryStringGuardMixin, ConditionalRetrieveMixin[_M], FieldSelectionViewMixin):
    """What every read viewset shares: strict query strings, ``?fields=``, conditional GET, both paging styles."""

    pagination_class: type[ArchivePagination] | None = ArchivePagination


class ArticleViewSet(ArticleWriteMixin, ReadMixin[Article], viewsets.ReadOnlyModelViewSet[Article]):
    """Articles, newest first (best match first with `q`): published ones for everybody, every status for staff."""

    filterset_class = ArticleFilter
    filter_backends = [ArticleFilterBackend, FullTextSearchFilter, StrictOrderingFilter]
    # ``date``: the original publication date, else the archive's (the default order, newest first).
    ordering_fields = ["date", "title", "published_at", "created_at", "word_count"]
    # The review queue's order (articles.triage): staff-only data, like the review flag itself.
    staff_ordering_fields = ["review_priority"]
    # ``ordering=random&seed=N``: a reproducible random order, walked along the sample key (articles.api.sampling).
    random_ordering = True
    # Whether search results carry snippets (facets only need the matching set).
    search_ranks = True
    # Whether the index answers without ``q`` too (the facets).
    search_without_q = False
    searchable = True
    # The standard exports have fixed fields (``selected_fields``), so no ``?fields=`` is documented for them.
    shaped_actions = frozenset({"list", "retrieve", "partial_update", *(EXPORT_ACTIONS - STANDARD_EXPORTS)})
    serializer_class = ArticleDetailSerializer
    # DRF's defaults first: a client asking for any type (*/*) or for JSON gets the API's own JSON.
    renderer_classes = [
        JSONRenderer,
        BrowsableAPIRenderer,
        JsonLdRenderer,
        NinjsRenderer,
        NewsMLG2Renderer,
        NitfRenderer,
    ]
    serializer_classes: dict[str, type[BaseSerializer[Article]]] = {
        "list": ArticleListSerializer,
        "export_ndjson": ArticleExportSerializer,
        "export_csv": ArticleExportSerializer,
        "export_jsonld": ArticleExportSerializer,
        "export_ninjs": ArticleExportSerializer,
        "export_newsmlg2": ArticleExportSerializer,
        "export_nitf": ArticleExportSerializer,
    }
    # The builders of the shaped actions also take ``fields``.
    queryset_for_action: dict[str, Callable[..., QuerySet[Article]]] = {
        "list": querysets.article_list_queryset,
        "source": querysets.article_source_queryset,
        "facets": querysets.visible_articles,
        "histogram": querysets.visible_articles,
        "top_terms": querysets.visible_articles,
    }

    def get_queryset(self) -> QuerySet[Article]:
        build = self.queryset_for_action.get(self.action, querysets.article_detail_queryset)
        if self.action in self.shaped_actions or self.action in STANDARD_EXPORTS:
            return build(self.request.user, fields=self.selected_fields())
        return build(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Article]]:
        return self.serializer_classes.get(self.action, self.serializer_class)

    def get_renderers(self) -> list[BaseRenderer]:
        renderers = super().get_renderers()
        if self.action == "list":
            # The XML formats are documents of one article: a list page is none.
            return [r for r in renderers if not (isinstance(r, StandardFormatRenderer) and r.detail_only)]
        if self.action in FORMAT_ACTIONS:
            return renderers
        # Writes, facets: their answers have no standard format (asking for one is a 404, or a 406 by Accept).
        return [renderer for renderer in renderers if not isinstance(renderer, StandardFormatRenderer)]

    def in_standard_format(self) -> bool:
        """Return whether the answer is in a standard format: a standard export, or a read rendered in one."""
        renderer = getattr(self.request, "accepted_renderer", None)
        read_in_format = self.action in FORMAT_ACTIONS and isinstance(renderer, StandardFormatRenderer)
        return read_in_format or self.action in STANDARD_EXPORTS

    def selected_fields(self) -> list[str] | None:
        if self.in_standard_format():
            if parse_name_list(self.request.query_params, FIELDS_PARAM):
                raise ValidationError({FIELDS_PARAM: ["A standard format has its own fields: leave out fields."]})
            return list(FORMAT_FIELDS)
        return super().selected_fields()

    def get_serializer_context(self) -> dict[str, Any]:
        searching = self.action in {"list", *EXPORT_ACTIONS} and search_query(self.request) is not None
        return {**super().get_serializer_context(), "searching": searching, CANONICAL_LINKS: self.in_standard_format()}

    def get_last_modified(self, instance: Article) -> dt.datetime | None:
        # The representation also shows the publisher's and the authors' names.
        fields = self.selected_fields()
        publisher = instance.publisher if querysets.wants(fields, "publisher") else None
        bylines = getattr(instance, querysets.BYLINES_ATTR) if querysets.wants(fields, "authors") else []
        return latest(
            instance.updated_at,
            publisher.updated_at if publisher else None,
            *(byline.author.updated_at for byline in bylines),
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        if self.action in EXPORT_ACTIONS:
            # The format is in the URL; errors (the only rendered responses) are JSON whatever Accept says.
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        in_format = isinstance(getattr(request, "accepted_renderer", None), StandardFormatRenderer)
        if in_format and getattr(response, "exception", False):
            # An error is no article: the API's JSON error body, as JSON.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="Facet counts",
        description="How the articles matching the same filters and `q` as the list spread over publishers, "
        "authors and copyright years: the total, and the largest counts of each (ties by name; by latest year).",
        filters=True,
        parameters=[FACET_SIZE_PARAMETER],
        responses=FacetsSerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[ArticleFilterBackend, FullTextSearchFilter],
        pagination_class=None,
        search_ranks=False,
        search_without_q=True,
    )
    def facets(self, request: Request) -> Response:
        """Count the matching articles per publisher, author and copyright year."""
        size = parse_bounded_int(
            request.query_params, "facet_size", default=DEFAULT_FACET_SIZE, minimum=1, maximum=MAX_FACET_SIZE
        )
        # What the backends hand back is the index's ArticleSearch, where DRF's types say a queryset.
        articles: object = self.filter_queryset(self.get_queryset())
        assert isinstance(articles, ArticleSearch), "search_without_q: the index answers the facets"
        return Response(facet_counts(articles, size))

    @extend_schema(
        summary="Histogram over time",
        description=HISTOGRAM_DESCRIPTION,
        filters=True,
        parameters=HISTOGRAM_PARAMETERS,
        responses=HistogramSerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[ArticleFilterBackend, FullTextSearchFilter],
        pagination_class=None,
        search_ranks=False,
        # Counted in the index with or without q: the database's GROUP BY reads every visible row.
        search_without_q=True,
    )
    def histogram(self, request: Request) -> Response:
        """Count the matching articles per day, week, month or year, beside all the requester may see."""
        return histogram_response(self, request)

    @extend_schema(
        summary="Significant terms",
        description=TOP_TERMS_DESCRIPTION,
        filters=True,
        parameters=TOP_TERMS_PARAMETERS,
        responses=TopTermsSerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="top-terms",
        filter_backends=[ArticleFilterBackend, FullTextSearchFilter],
        pagination_class=None,
        search_ranks=False,
        # Sampled and counted from the index with or without q.
        search_without_q=True,
    )
    def top_terms(self, request: Request) -> Response:
        """List the words that set the matching articles apart from the archive."""
        return top_terms_response(self, request)

    @extend_schema(
        summary="Export as NDJSON",
        description=EXPORT_DESCRIPTION + "One JSON object per line, shaped like an article's detail.",
        filters=True,
        responses={(200, NDJSON_TYPE): OpenApiResponse(OpenApiTypes.STR, description="One article per line.")},
    )
    def export_ndjson(self, request: Request) -> StreamingHttpResponse:
        """Stream every matching article as newline-delimited JSON."""
        return self.export("ndjson")

    @extend_schema(
        summary="Export as CSV",
        description=EXPORT_DESCRIPTION + "UTF-8 CSV with a header row; nested objects become one column per "
        "sub-field (`publisher_name`, `source_key`), lists are joined with `; ` (`authors_name`).",
        filters=True,
        responses={
            (200, CSV_TYPE): OpenApiResponse(OpenApiTypes.STR, description="A header row, then one article per row.")
        },
    )
    def export_csv(self, request: Request) -> StreamingHttpResponse:
        """Stream every matching article as CSV."""
        return self.export("csv")

    @extend_schema(
        summary="Export as JSON-LD",
        description=EXPORT_DESCRIPTION.replace("`fields` picks the fields. ", "")
        + 'One JSON-LD document: `{"@context": "https://schema.org", "@graph": [...]}`, each item a schema.org '
        "`NewsArticle` (streamed, one per line). `fields` is refused (400).",
        filters=True,
        responses={(200, JSONLD_TYPE): OpenApiResponse(OpenApiTypes.OBJECT, description="A schema.org @graph.")},
    )
    def export_jsonld(self, request: Request) -> StreamingHttpResponse:
        """Stream every matching article as one schema.org JSON-LD graph."""
        return self.export("jsonld")

    @extend_schema(
        summary="Export as IPTC ninjs",
        description=EXPORT_DESCRIPTION.replace("`fields` picks the fields. ", "")
        + "One IPTC ninjs 3.1 news item (type `text`) per line. `fields` is refused (400).",
        filters=True,
        responses={(200, NDJSON_TYPE): OpenApiResponse(OpenApiTypes.STR, description="One ninjs item per line.")},
    )
    def export_ninjs(self, request: Request) -> StreamingHttpResponse:
        """Stream every matching article as newline-delimited IPTC ninjs."""
        return self.export("ninjs.ndjson")

    @extend_schema(
        summary="Export as NewsML-G2",
        description=EXPORT_DESCRIPTION.replace("`fields` picks the fields. ", "")
        + "One IPTC NewsML-G2 2.35 `newsMessage` whose `itemSet` holds a `newsItem` per article (streamed, one "
        "per line), each as the detail's `?format=newsmlg2`. `fields` is refused (400).",
        filters=True,
        responses={(200, NEWSMESSAGE_TYPE): OpenApiResponse(OpenApiTypes.STR, description="A NewsML-G2 newsMessage.")},
    )
    def export_newsmlg2(self, request: Request) -> StreamingHttpResponse:
        """Stream every matching article as one NewsML-G2 news message."""
        return self.export("newsmlg2.xml")

    @extend_schema(
        summary="Export as NITF",
        description=EXPORT_DESCRIPTION.replace("`fields` picks the fields. ", "")
        + "NITF has no container of several documents: one IPTC NewsML-G2 `newsMessage` whose `newsItem`s each "
        "carry the article's NITF 3.6 document (the detail's `?format=nitf`) in their `inlineXML` "
        '(`contenttype="application/nitf+xml"`), as IPTC\'s G2 guidelines convey NITF. `fields` is refused (400).',
        filters=True,
        responses={
            (200, NEWSMESSAGE_TYPE): OpenApiResponse(
                OpenApiTypes.STR, description="A NewsML-G2 newsMessage of NITF documents."
            )
        },
    )
    def export_nitf(self, request: Request) -> StreamingHttpResponse:
        """Stream every matching article's NITF document, in one NewsML-G2 news message."""
        return self.export("nitf.xml")

    def export(self, export_format: str) -> StreamingHttpResponse:
        # Filters, q and fields are all checked here, before the first byte goes out.
        articles = self.filter_queryset(self.get_queryset())
        serializer = self.get_serializer()
        assert isinstance(serializer, Serializer), "an export writes the fields of one serializer"
        return export_response(articles, serializer, export_format)

    @extend_schema(
        filters=False,
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The raw source text.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PlainTextRenderer], filterset_class=None)
    def source(self, request: Request, pk: str | None = None) -> Response:
        """Return the article's source text exactly as it was imported."""
        article = self.get_object()
        assert isinstance(article, Article)  # the reads' get_object() looks it up in get_queryset()'s articles
        return Response(article.raw_text)


class NamedReadMixin(ReadMixin[_Named]):
    """Reads of authors and publishers: ETags only (no ``Last-Modified``: see ``get_last_modified``)."""

    def get_last_modified(self, instance: _Named) -> dt.datetime | None:
        # The article count changes when an article is withdrawn or deleted, which leaves
        # no later timestamp anywhere: a Last-Modified could only go stale. The ETag,
        # a hash of the representation itself, is always right.
        return None


@named_write_schema(noun="an author", credits="credits")
class AuthorViewSet(NamedWriteMixin, NamedReadMixin[Author], viewsets.ReadOnlyModelViewSet[Author]):
    """Authors, each with the number of their articles the requester may read; editors write them too."""

    filterset_class = AuthorFilter
    serializer_class = AuthorDetailSerializer
    write_serializer_class = AuthorWriteSerializer
    serializer_classes: dict[str, type[BaseSerializer[Author]]] = {"list": AuthorListSerializer}

    def get_queryset(self) -> QuerySet[Author]:
        return querysets.authors_with_counts(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Author]]:
        return self.serializer_classes.get(self.action, self.serializer_class)


@named_write_schema(noun="a publisher", credits="names")
class PublisherViewSet(NamedWriteMixin, NamedReadMixin[Publisher], viewsets.ReadOnlyModelViewSet[Publisher]):
    """Publishers, each with the number of their articles the requester may read; editors write them too."""

    filterset_class = PublisherFilter
    serializer_class = PublisherSerializer
    write_serializer_class = PublisherWriteSerializer

    def get_queryset(self) -> QuerySet[Publisher]:
        return querysets.publishers_with_counts(self.request.user)


class CollectionViewSet(ReadMixin[Collection], viewsets.ReadOnlyModelViewSet[Collection]):
    """Collections: named sets of publishers that editors curate in the admin (read-only in the API)."""

    serializer_class = CollectionSerializer

    def get_queryset(self) -> QuerySet[Collection]:
        return querysets.collections_with_publishers(self.request.user)

    def get_last_modified(self, instance: Collection) -> dt.datetime | None:
        # It shows its publishers' names, and which of them the requester may see, which change
        # without touching the collection: only the ETag (a hash of the representation) is always right.
        return None
