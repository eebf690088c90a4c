"""The archive's admin: articles, authors, publishers and the imports that made them."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from articles.models import Article, ArticleAuthor, Author, ImportOutcome, ImportRun, Publisher, SourceRevision

# Raw sources can be long; keep them scrollable instead of stretching the page.
RAW_SOURCE_HTML = '<pre class="raw-source" style="white-space: pre-wrap; max-height: 40em; overflow: auto;">{}</pre>'


def related_count(queryset: QuerySet, field: str) -> Coalesce:
    """Return an annotation counting the rows of ``queryset`` whose ``field`` points at the outer row."""
    # A correlated subquery instead of JOIN + GROUP BY, so search, sorting and
    # the paginator's count stay cheap on large tables.
    counts = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def raw_source_html(raw_text: str) -> str:
    """Render a raw source as an escaped ``<pre>`` block."""
    return format_html(RAW_SOURCE_HTML, raw_text)


class ArticleChangeList(ChangeList):
    """The article list: bylines in one query, and none of the large text columns."""

    def get_queryset(self, request: HttpRequest, exclude_parameters=None) -> QuerySet:
        # Done here rather than in ArticleAdmin.get_queryset(), which the change,
        # delete and history views share: they need the deferred columns and
        # have no use for the bylines (the byline inline loads its own).
        bylines = ArticleAuthor.objects.select_related("author").only("article", "position", "author__name")
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .defer(*self.model_admin.changelist_deferred_fields)
            .prefetch_related(Prefetch("bylines", queryset=bylines.order_by("position", "id")))
        )


class ArticleAuthorInline(admin.TabularInline):
    model = ArticleAuthor
    fields = ["position", "author"]
    autocomplete_fields = ["author"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = _("author")
    verbose_name_plural = _("byline")


class SourceRevisionInline(admin.TabularInline):
    """Earlier sources of the article, kept by re-imports; never edited by hand."""

    model = SourceRevision
    fields = ["replaced_at", "content_sha256", "import_run", "raw_source"]
    readonly_fields = fields
    classes = ["collapse"]
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("import_run")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("raw source"))
    def raw_source(self, obj: SourceRevision) -> str:
        return format_html(
            "<details><summary>{}</summary>{}</details>", _("Show raw source"), raw_source_html(obj.raw_text)
        )


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "author_names", "status", "needs_review", "word_count", "created_at"]
    list_filter = ["status", "needs_review", ("publisher", admin.RelatedOnlyFieldListFilter), "copyright_year"]
    list_select_related = ["publisher"]
    # Not body: a LIKE scan over every body is what full-text search will replace.
    search_fields = ["title", "subtitle"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    changelist_deferred_fields = ["raw_text", "body", "parsed"]
    autocomplete_fields = ["publisher"]
    inlines = [ArticleAuthorInline, SourceRevisionInline]
    fieldsets = [
        (
            _("Content"),
            {"fields": ["title", "slug", "subtitle", "body", "image_credit", "copyright_year", "publisher"]},
        ),
        (_("Status"), {"fields": ["status", "published_at", "needs_review", "review_reasons"]}),
        (
            _("Provenance"),
            {
                "fields": [
                    "source_key",
                    "content_sha256",
                    "source_encoding",
                    "import_run",
                    "created_at",
                    "updated_at",
                    "raw_source",
                    "parsed_values",
                ]
            },
        ),
    ]
    # raw_text and parsed are listed too so they stay out of the form even if
    # someone adds them to the fieldsets: provenance is the importer's to write.
    readonly_fields = [
        "source_key",
        "content_sha256",
        "source_encoding",
        "import_run",
        "created_at",
        "updated_at",
        "raw_text",
        "parsed",
        "raw_source",
        "parsed_values",
    ]

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return ArticleChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Articles enter the archive through the importer, which records their
        # source and checksum; a hand-made article would have neither.
        return False

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        # A revert would restore an old checksum and source key next to the
        # current raw source, so past versions can be viewed, not restored.
        return True

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        # revert_disabled() only hides the button; refuse the POST it would send.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.display(description=_("authors"))
    def author_names(self, obj: Article) -> str:
        return ", ".join(byline.author.name for byline in obj.bylines.all())

    @admin.display(description=_("raw source"))
    def raw_source(self, obj: Article) -> str:
        return raw_source_html(obj.raw_text)

    @admin.display(description=_("parsed values"))
    def parsed_values(self, obj: Article) -> str:
        return raw_source_html(json.dumps(obj.parsed, indent=2, ensure_ascii=False, sort_keys=True))


@admin.register(Author)
class AuthorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "social_handle", "article_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "social_handle", "bio", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(article_count=related_count(ArticleAuthor.objects, "author"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj: Author) -> int:
        return obj.article_count


@admin.register(Publisher)
class PublisherAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(article_count=related_count(Article.objects, "publisher"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj: Publisher) -> int:
        return obj.article_count


class ImportOutcomeInline(admin.TabularInline):
    model = ImportOutcome
    fields = ["path", "result", "error", "article"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The article column only shows a linked title.
        heavy = [f"article__{name}" for name in ArticleAdmin.changelist_deferred_fields]
        return super().get_queryset(request).select_related("article").defer(*heavy)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Import runs are records of what happened: viewable and deletable, never edited."""

    list_display = [
        "started_at",
        "finished_at",
        "trigger",
        "user",
        "created",
        "updated",
        "unchanged",
        "duplicates",
        "failed",
        "dry_run",
    ]
    list_filter = ["trigger", "dry_run"]
    list_select_related = ["user"]
    date_hierarchy = "started_at"
    fields = [
        ("started_at", "finished_at"),
        ("trigger", "user", "dry_run"),
        "paths",
        ("created", "updated", "unchanged", "duplicates", "failed"),
    ]
    inlines = [ImportOutcomeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
