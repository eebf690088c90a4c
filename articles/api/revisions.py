"""An article's source revisions and their diffs (``articles.revisions``), under the article's URL."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from articles import revisions
from articles.api import querysets
from articles.api.errors import JsonErrorsMixin
from articles.api.params import QueryStringGuardMixin, parse_bounded_int
from articles.api.renderers import PlainTextRenderer
from articles.models import Article

MAX_NUMBER = 2**31 - 1


class RevisionSerializer(serializers.Serializer[Any]):
    """One source text of an article (documentation and output)."""

    n = serializers.IntegerField(source="number", help_text="The revision's number: 1 is the oldest source.")
    imported_at = serializers.DateTimeField(allow_null=True, help_text="When this text became the source.")
    replaced_at = serializers.DateTimeField(
        allow_null=True, help_text="When a re-import replaced it; null for the current source."
    )
    current = serializers.BooleanField(source="is_current", help_text="Whether this is the article's source now.")
    import_run = serializers.IntegerField(source="import_run_id", allow_null=True, help_text="The import run.")
    sha256 = serializers.CharField(help_text="SHA-256 of the normalized source text.")
    changed_fields = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The parsed fields that differ from the previous revision ([] for the first; null when one of "
        "the two texts no longer parses).",
    )


class RevisionListSerializer(serializers.Serializer[Any]):
    """The revisions of an article, oldest first (documentation only)."""

    count = serializers.IntegerField(help_text="How many revisions the article has (the current source included).")
    results = RevisionSerializer(many=True)


class DiffOpSerializer(serializers.Serializer[Any]):
    op = serializers.ChoiceField(choices=["equal", "replace", "delete", "insert"])
    old = serializers.ListField(child=serializers.CharField(allow_blank=True))
    new = serializers.ListField(child=serializers.CharField(allow_blank=True))


class HunkSerializer(serializers.Serializer[Any]):
    old_start = serializers.IntegerField()
    old_lines = serializers.IntegerField()
    new_start = serializers.IntegerField()
    new_lines = serializers.IntegerField()
    ops = DiffOpSerializer(many=True)


class DiffSerializer(serializers.Serializer[Any]):
    """A diff between two revisions (documentation only)."""

    n = serializers.IntegerField(help_text="The revision shown (the new side).")
    against = serializers.IntegerField(help_text="The revision compared with (the old side; 0: nothing).")
    changed_fields = serializers.ListField(child=serializers.CharField(), allow_null=True)
    unified = serializers.CharField(allow_blank=True, help_text="The unified diff of the raw texts.")
    hunks = HunkSerializer(many=True)


ARTICLE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The article's id.")
NUMBER = OpenApiParameter(
    "n", int, OpenApiParameter.PATH, description="The revision's number: 1 is the oldest source, the current the last."
)
FORMAT = OpenApiParameter(
    "format",
    {"type": "string", "enum": ["json", "txt"]},
    description="`txt`: the unified diff as `text/plain` (as `Accept: text/plain`); `json` (the default): "
    "the structured form with the unified diff in it.",
)
AGAINST = OpenApiParameter(
    "against",
    {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER},
    description="The revision to compare with; by default the previous one (for revision 1, an empty text).",
)


class ArticleRevisionViewSet(JsonErrorsMixin, QueryStringGuardMixin, viewsets.GenericViewSet[Article]):
    """Source revisions of the articles the requester may read (drafts are 404 for anonymous users)."""

    pagination_class = None
    filter_backends: list[Any] = []
    serializer_class = RevisionSerializer

    def get_queryset(self) -> QuerySet[Article]:
        return querysets.visible_articles(self.request.user).only(
            "id", "status", "created_at", "raw_text", "content_sha256", "source_encoding", "import_run_id"
        )

    @extend_schema(summary="Source revisions", parameters=[ARTICLE_ID], responses=RevisionListSerializer)
    def list_revisions(self, request: Request, pk: str | None = None) -> Response:
        """List the article's source revisions, oldest first; the current source is the last."""
        found = revisions.revisions(article=self.get_object())
        return Response({"count": len(found), "results": RevisionSerializer(found, many=True).data})

    @extend_schema(
        summary="Diff of two source revisions",
        parameters=[ARTICLE_ID, NUMBER, AGAINST, FORMAT],
        responses={
            (200, "application/json"): DiffSerializer,
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The unified diff."),
        },
    )
    def diff(self, request: Request, pk: str | None = None, n: str = "") -> HttpResponseBase:
        """Show what changed between two source revisions of the article (JSON, or a unified diff as text)."""
        against = parse_bounded_int(request.query_params, "against", default=0, minimum=1, maximum=MAX_NUMBER)
        try:
            result = revisions.diff(article=self.get_object(), number=int(n), against=against or None)
        except revisions.RevisionNotFound as exc:
            raise Http404(str(exc)) from None
        if request.accepted_renderer.format == PlainTextRenderer.format:
            # Not a Response: DRF drops the Content-Type of an empty body (two identical revisions).
            return HttpResponse(result.unified, content_type="text/plain; charset=utf-8")
        return Response(
            {
                "n": result.new.number,
                "against": result.old.number,
                "changed_fields": revisions.changed_fields(*map(_parse, (result.old, result.new))),
                "unified": result.unified,
                "hunks": result.hunks,
            }
        )

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "diff":
            return [JSONRenderer(), PlainTextRenderer()]
        return [JSONRenderer()]


def _parse(revision: revisions.Revision) -> dict[str, Any] | None:
    return revisions.snapshot(revision.raw_text, revision.encoding) if revision.number else {}
