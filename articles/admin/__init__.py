"""The archive's admin: the editors' desk for articles, authors, publishers, collections, imports and merges.

Declarations only; the views are in ``articles.admin.views``, the forms in ``articles.admin.forms``,
the change list's performance parts in ``articles.admin.changelist`` and the business
logic in services (``review``, ``reverting``, ``importing``, ``merging``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from simple_history.admin import SimpleHistoryAdmin

from articles import boilerplate, conf, editing, importing, review, saved_searches
from articles.admin import deliveries as _deliveries  # noqa: F401  (registers DeliveryAdmin)
from articles.admin import views as admin_views
from articles.admin.changelist import (
    ArticleChangeList,
    CappedCountPaginator,
    CopyrightYearFilter,
    EmbargoFilter,
    PublisherFilter,
    QuickActionCheckboxMixin,
    row_bylines,
    search_result_ids,
)
from articles.admin.forms import (
    ArticleAdminForm,
    BoilerplateLineForm,
    BoilerplateLineFormSet,
    SavedSearchAdminForm,
    WithdrawActionForm,
    byline_authors,
    describe_unsaved,
)
from articles.api.querysets import newest_first
from articles.history import signed_in
from articles.importing import reparse_article
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    AuthorAlias,
    Collection,
    EntityAlias,
    ImportOutcome,
    ImportRun,
    ImportUpload,
    Merge,
    NamedEntity,
    Publisher,
    PublisherAlias,
    PublisherBoilerplate,
    SavedSearch,
    SourceRevision,
)
from articles.parsing import ParseError
from articles.search import PkIn, SearchQueryError, parse_query

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# The admin index shows the desk's entry points (review queue, upload, merges).
admin.site.index_template = "admin/archive_index.html"

# Raw sources can be long; keep them scrollable instead of stretching the page.
RAW_SOURCE_HTML = '<pre class="raw-source" style="white-space: pre-wrap; max-height: 40em; overflow: auto;">{}</pre>'
# Re-parsing is synchronous: a larger selection should go through the command line.
MAX_REPARSE = 1000


def related_count(queryset: QuerySet[Any], field: str) -> Coalesce:
    """Return an annotation counting the rows of ``queryset`` whose ``field`` points at the outer row."""
    # A correlated subquery instead of JOIN + GROUP BY, so search, sorting and
    # the paginator's count stay cheap on large tables.
    counts = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def raw_source_html(raw_text: str) -> str:
    """Render a raw source as an escaped ``<pre>`` block."""
    return format_html(RAW_SOURCE_HTML, raw_text)


def in_review_queue(request: HttpRequest) -> bool:
    """Tell whether the article list is showing the review queue."""
    return request.GET.get("needs_review__exact") == "1"


# --- Articles ---------------------------------------------------------------------------


class ArticleAuthorInline(admin.TabularInline[ArticleAuthor, Article]):
    """The byline, in order: the position decides it, autocomplete finds the author."""

    model = ArticleAuthor
    fields = ["position", "author"]
    autocomplete_fields = ["author"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = _("author")
    verbose_name_plural = _("byline")


class SourceRevisionInline(admin.TabularInline[SourceRevision, Article]):
    """Earlier sources of the article, kept by re-imports; never edited by hand."""

    model = SourceRevision
    # A tuple, as django-stubs types these two as lists of different items: one list cannot be both.
    fields = readonly_fields = ("replaced_at", "content_sha256", "import_run", "raw_source")
    classes = ["collapse"]
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[SourceRevision]:
        return super().get_queryset(request).select_related("import_run")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description=_("raw source"))
    def raw_source(self, obj: SourceRevision) -> str:
        return format_html(
            "<details><summary>{}</summary>{}</details>", _("Show raw source"), raw_source_html(obj.raw_text)
        )


@admin.register(Article)
class ArticleAdmin(QuickActionCheckboxMixin, SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    # "Show counts" would COUNT the whole table once per filter.
    show_facets = admin.ShowFacets.NEVER
    list_display = [
        "title",
        "publisher",
        "author_names",
        "status_and_embargo",
        "needs_review",
        "word_count",
        "created_at",
    ]
    list_filter = [
        "status",
        ("embargo_until", EmbargoFilter),
        "needs_review",
        ("publisher", PublisherFilter),
        ("copyright_year", CopyrightYearFilter),
        "language",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["publisher"]
    # Only switches the search box on: get_search_results() runs full-text search.
    search_fields = ["title"]
    search_help_text = _(
        'Full-text search of title, subtitle and body (words, "a phrase", OR, -exclude), '
        "or an author's or publisher's name."
    )
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = CappedCountPaginator
    # Rendering a row costs ~1 ms of template work (the SQL of a page is a few ms at any
    # size): fifty rows keep a page well inside its 150 ms at a million articles.
    list_per_page = 50
    changelist_deferred_fields = ["raw_text", "body", "parsed", "import_conflicts"]
    form = ArticleAdminForm
    autocomplete_fields = ["publisher"]
    inlines = [ArticleAuthorInline, SourceRevisionInline]
    actions = ["publish", "withdraw", "mark_reviewed", "reparse", "export_csv"]
    # A reason box beside the action menu: the withdraw action records it with the takedown.
    action_form = WithdrawActionForm
    fieldsets = [
        (
            _("Content"),
            {
                "fields": [
                    "title",
                    "slug",
                    "subtitle",
                    "body",
                    "image_credit",
                    "copyright_year",
                    "language",
                    "publisher",
                ]
            },
        ),
        (_("Status"), {"fields": ["status", "published_at", "embargo_until", "needs_review", "review_reasons"]}),
        # The story's own dates, read from its source; empty when the source gives none.
        (_("Original dates"), {"fields": ["original_published_at", "original_updated_at"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]
    # Provenance is the importer's to write: shown in the provenance panel
    # (admin/articles/article/provenance.html), never a form field.
    readonly_fields = [
        "source_key",
        "content_sha256",
        "source_encoding",
        "import_run",
        "created_at",
        "updated_at",
        "raw_text",
        "parsed",
        "import_conflicts",
        "review_reasons",
    ]
    object_history_template = "admin/articles/article/object_history.html"
    object_history_list_template = "admin/articles/article/object_history_list.html"

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[Article],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> CappedCountPaginator[Article]:
        # A search lists at most conf.admin_search_cap() matches; its count stops there.
        cap = conf.admin_search_cap() if request.GET.get(SEARCH_VAR, "").strip() else None
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, cap=cap)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ArticleChangeList

    def get_list_display(self, request: HttpRequest) -> list[str]:
        if in_review_queue(request):
            return [
                "title",
                "reasons",
                "review_priority",
                "publisher",
                "author_names",
                "status",
                "word_count",
                "created_at",
            ]
        columns: list[str] = super().get_list_display(request)  # typed here: SimpleHistoryAdmin is untyped
        return columns

    def get_ordering(self, request: HttpRequest) -> list[str | OrderBy]:
        # The queue is worked likeliest errors first, then oldest first: the order "Mark reviewed & next" follows.
        if in_review_queue(request):
            return list(review.REVIEW_ORDER)
        # The API's staff order (undated drafts last), which an index walks: the model's
        # default (-published_at, -created_at) matches none, so a page sorted every row.
        return newest_first(request.user)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Article], search_term: str
    ) -> tuple[QuerySet[Article], bool]:
        """Match the full-text index, or an author's or publisher's name; never a LIKE over bodies.

        The index is asked once per page, for the ids of the newest ``conf.admin_search_cap()``
        matches (``search_result_ids``), which go to the database as one parameter;
        the count (capped there too), the date hierarchy and the page then reuse them.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            query = parse_query(term)
        except SearchQueryError as exc:
            messages.error(request, str(exc))
            return queryset.none(), False
        ids = search_result_ids(term, query, limit=conf.admin_search_cap() + 1)
        return queryset.filter(PkIn(ids)), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Articles enter the archive through the importer, which records their
        # source and checksum; a hand-made article would have neither.
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/conflicts/<str:field>/",
                view(self.resolve_conflict_view),
                name="articles_article_conflict",
            ),
            path("<path:object_id>/duplicate/", view(self.resolve_duplicate_view), name="articles_article_duplicate"),
            path("review/", view(self.review_queue_view), name="articles_article_review"),
            path(
                "<path:object_id>/revisions/",
                view(self.source_revisions_view),
                name="articles_article_revisions",
            ),
            *super().get_urls(),
        ]

    def resolve_conflict_view(self, request: HttpRequest, object_id: str, field: str) -> HttpResponse:
        return admin_views.resolve_conflict_view(request, self, object_id, field)

    def resolve_duplicate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.resolve_duplicate_view(request, self, object_id)

    def source_revisions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.source_revisions_view(request, self, object_id)

    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(admin_views.review_queue_url())

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Article | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(
                admin_views.change_form_context(request, obj, can_change=self.has_change_permission(request, obj))
            )
        response: HttpResponse = super().render_change_form(request, context, add, change, form_url, obj)
        return response

    def save_model(self, request: HttpRequest, obj: Article, form: ArticleAdminForm, change: bool) -> None:
        # Nothing yet: save_related() hands the form and the byline to the editing service
        # in one write, as the API's PATCH does.
        pass

    def save_related(
        self,
        request: HttpRequest,
        form: ArticleAdminForm,
        formsets: list[BaseInlineFormSet[Any, Any, Any]],
        change: bool,
    ) -> None:
        data = form.edited_data()
        if "_review_next" in request.POST:
            data.pop("needs_review", None)  # reviewed=True below takes the article out of the queue
        for formset in formsets:
            if formset.model is ArticleAuthor and formset.has_changed():
                data["authors"] = byline_authors(formset)
            describe_unsaved(formset)
        reviewed = "_review_next" in request.POST
        reason = "marked reviewed" if reviewed else editing.DEFAULT_REASON
        priority = form.instance.review_priority  # where it stands in the queue, for "& next"
        editing.update_article(
            article=form.instance, data=data, user=signed_in(request.user), reason=reason, reviewed=reviewed
        )
        form.instance.refresh_from_db()
        setattr(form.instance, admin_views.QUEUE_PRIORITY_ATTR, priority)

    def response_change(self, request: HttpRequest, obj: Article) -> HttpResponse:
        if "_review_next" in request.POST:
            return admin_views.review_next_response(request, obj)
        response: HttpResponse = super().response_change(request, obj)
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        article = self.get_object(request, unquote(object_id))
        extra = (
            {"bylines_history": admin_views.byline_history(article), "imported": admin_views.imported_entry(article)}
            if article
            else {}
        )
        response: HttpResponse = super().history_view(request, object_id, {**extra, **(extra_context or {})})
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Not simple-history's revert, which would save stale provenance and an
        # empty raw source: restore the content only (articles.reverting).
        return admin_views.revert_view(request, self, object_id, version_id)

    # -- columns

    @admin.display(description=_("authors"))
    def author_names(self, obj: Article) -> str:
        return ", ".join(byline.author.name for byline in row_bylines(obj))

    @admin.display(description=_("status"), ordering="status")
    def status_and_embargo(self, obj: Article) -> str:
        # In the status column (a column of its own would not fit beside the side nav at 1280 px). A lifted
        # embargo is history: only one still running is shown, as the public's view depends on it.
        if obj.embargo_until is None or obj.embargo_until <= timezone.now():
            return obj.get_status_display()
        until = date_format(timezone.localtime(obj.embargo_until), "DATETIME_FORMAT")
        label = _("embargoed until %(moment)s") % {"moment": until}
        return format_html('{}<div class="embargoed">{}</div>', obj.get_status_display(), label)

    @admin.display(description=_("review reasons"))
    def reasons(self, obj: Article) -> str:
        return format_html_join("", "<div>{}</div>", ((reason,) for reason in obj.review_reasons or []))

    # -- actions

    @admin.action(description=_("Publish selected articles"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = review.publish_articles(queryset, user=signed_in(request.user))
        self.message_user(request, ngettext("Published %d article.", "Published %d articles.", count) % count)

    @admin.action(description=_("Withdraw selected articles"), permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        reason = request.POST.get("reason", "")
        count = review.withdraw_articles(queryset, user=signed_in(request.user), reason=reason)
        self.message_user(request, ngettext("Withdrew %d article.", "Withdrew %d articles.", count) % count)

    @admin.action(description=_("Mark selected articles reviewed"), permissions=["change"])
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = review.mark_reviewed(queryset, user=signed_in(request.user))
        self.message_user(
            request, ngettext("Marked %d article reviewed.", "Marked %d articles reviewed.", count) % count
        )

    @admin.action(description=_("Re-parse selected articles from their stored source"), permissions=["change"])
    def reparse(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MAX_REPARSE + 1])
        if len(ids) > MAX_REPARSE:
            self.message_user(
                request,
                _("Select at most %(max)d articles to re-parse at once.") % {"max": MAX_REPARSE},
                messages.ERROR,
            )
            return
        failed = []
        for article in Article.objects.filter(pk__in=ids).only("pk", "title"):
            try:
                reparse_article(article=article)
            except ParseError as exc:
                failed.append(f"“{article.title}”: {exc.reason}")
        done = len(ids) - len(failed)
        self.message_user(request, ngettext("Re-parsed %d article.", "Re-parsed %d articles.", done) % done)
        for failure in failed:
            self.message_user(request, _("Not re-parsed: %(failure)s") % {"failure": failure}, messages.ERROR)

    @admin.action(description=_("Export selected articles as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Article]) -> StreamingHttpResponse:
        return admin_views.export_csv_response(request, queryset)


# --- Authors and publishers ------------------------------------------------------------


class AliasInline(admin.TabularInline[EntityAlias, NamedEntity]):
    """Names merged into this row; later imports of them credit it. Read-only: undo the merge to change them."""

    # A tuple, as django-stubs types these two as lists of different items: one list cannot be both.
    fields = readonly_fields = ("name", "slug", "created_at")
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Whoever may see the author or publisher may see its aliases.
        return request.user.has_perm(f"articles.view_{self.parent_model._meta.model_name}")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AuthorAliasInline(AliasInline):
    model = AuthorAlias
    verbose_name_plural = _("aliases (names merged into this author)")


class PublisherAliasInline(AliasInline):
    model = PublisherAlias
    verbose_name_plural = _("aliases (names merged into this publisher)")


class PublisherBoilerplateInline(admin.TabularInline[PublisherBoilerplate, Publisher]):
    """The publisher's site boilerplate: learned lines to check or disable, lines to add by hand."""

    model = PublisherBoilerplate
    form = BoilerplateLineForm
    formset = BoilerplateLineFormSet
    fields = ["text", "enabled", "origin", "article_count", "created_at"]
    readonly_fields = ["origin", "article_count", "created_at"]
    ordering = ["key", "id"]
    extra = 0
    verbose_name = _("boilerplate line")
    verbose_name_plural = _(
        "boilerplate lines (removed from this publisher's articles as they are imported or re-parsed)"
    )


class ArticleCount(TypedDict):
    """The annotation NamedEntityAdmin.get_queryset() adds."""

    article_count: int


class NamedEntityAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    """Authors or publishers: found by name or slug, counted by article, merged into one by an action."""

    actions = ["merge_selected"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    # What the article count counts: the model whose rows credit the entity, and their field pointing at it.
    credits: tuple[type[Model], str]

    def get_inlines(
        self, request: HttpRequest, obj: NamedEntity | None = None
    ) -> list[type[InlineModelAdmin[Any, Any]]]:
        # A new author or publisher has no aliases: no inline to post.
        return super().get_inlines(request, obj) if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[WithAnnotations[NamedEntity, ArticleCount]]:
        crediting, field = self.credits
        entities: QuerySet[NamedEntity] = super().get_queryset(request)  # typed here: SimpleHistoryAdmin is untyped
        return entities.annotate(article_count=related_count(crediting._default_manager.all(), field))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj: WithAnnotations[NamedEntity, ArticleCount]) -> int:
        return obj.article_count

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return admin_views.can_merge(request, self.model)

    @admin.action(description=_("Merge selected %(verbose_name_plural)s"), permissions=["merge"])
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[NamedEntity]) -> HttpResponse | None:
        return admin_views.merge_action(self, request, queryset)


@admin.register(Author)
class AuthorAdmin(NamedEntityAdmin):
    list_display = ["name", "slug", "social_handle", "article_count"]
    fields = ["name", "slug", "social_handle", "bio", "created_at", "updated_at"]
    inlines = [AuthorAliasInline]
    credits = (ArticleAuthor, "author")


@admin.register(Publisher)
class PublisherAdmin(NamedEntityAdmin):
    list_display = ["name", "slug", "article_count"]
    fields = ["name", "slug", "created_at", "updated_at"]
    inlines = [PublisherBoilerplateInline, PublisherAliasInline]
    credits = (Article, "publisher")


@admin.register(Collection)
class CollectionAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    """Named sets of publishers (the API's ``collection`` filter); publishers found by autocomplete (there are many)."""

    list_display = ["name", "slug", "publisher_count", "updated_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["publishers"]
    fields = ["name", "slug", "description", "publishers", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Collection]:
        collections: QuerySet[Collection] = super().get_queryset(request)
        return collections.annotate(publisher_count=Count("publishers"))

    @admin.display(description=_("publishers"), ordering="publisher_count")
    def publisher_count(self, obj: Collection) -> int:
        return int(obj.publisher_count)  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin[SavedSearch]):
    """Every user's saved searches, for staff to look into; saved through ``articles.saved_searches``, as the API."""

    form = SavedSearchAdminForm
    list_display = ["name", "owner", "query", "email_digest", "webhook_url", "webhook_paused"]
    list_filter = ["email_digest", ("webhook_paused_at", admin.EmptyFieldListFilter)]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    search_help_text = _("A search's name or its owner's username.")
    autocomplete_fields = ["owner"]
    fields = [
        "owner",
        "name",
        "query",
        "email_digest",
        "webhook_url",
        "webhook_paused_at",
        "webhook_secret",
        "feed_token",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["webhook_paused_at", "webhook_secret", "feed_token", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: SavedSearch | None = None) -> list[str]:
        # A search belongs to its owner: the service moves none to another.
        return [*self.readonly_fields, "owner"] if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: SavedSearch, form: Any, change: bool) -> None:
        choices = {name: form.cleaned_data[name] for name in ("name", "query", "email_digest", "webhook_url")}
        if change:
            saved_searches.update_saved_search(saved_search=SavedSearch.objects.get(pk=obj.pk), **choices)
        else:
            obj.pk = saved_searches.create_saved_search(owner=form.cleaned_data["owner"], **choices).pk

    def delete_model(self, request: HttpRequest, obj: SavedSearch) -> None:
        saved_searches.delete_saved_search(saved_search=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SavedSearch]) -> None:
        saved_searches.delete_saved_searches(saved_searches=queryset)

    @admin.display(description=_("paused"), boolean=True, ordering="webhook_paused_at")
    def webhook_paused(self, obj: SavedSearch) -> bool:
        return obj.webhook_paused


@admin.register(PublisherBoilerplate)
class PublisherBoilerplateAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    """Every publisher's boilerplate lines: the learned ones to check, editors' own, and which are removed."""

    form = BoilerplateLineForm
    show_facets = admin.ShowFacets.NEVER
    list_display = ["text", "publisher", "origin", "enabled", "article_count", "created_at"]
    list_filter = ["origin", "enabled"]
    list_select_related = ["publisher"]
    search_fields = ["text", "publisher__name"]
    search_help_text = _("A line's text or its publisher's name.")
    autocomplete_fields = ["publisher"]
    fields = ["publisher", "text", "enabled", "origin", "article_count", "created_at", "updated_at"]
    readonly_fields = ["origin", "article_count", "created_at", "updated_at"]
    actions = ["disable", "enable"]

    def get_readonly_fields(self, request: HttpRequest, obj: PublisherBoilerplate | None = None) -> list[str]:
        # A line belongs to its publisher: moving it to another is removing it and adding another.
        return [*self.readonly_fields, "publisher"] if obj is not None else self.readonly_fields

    @admin.action(description=_("Keep selected lines in articles (disable; not learned again)"), permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[PublisherBoilerplate]) -> None:
        count = boilerplate.set_enabled(lines=queryset, enabled=False, user=signed_in(request.user))
        self.message_user(request, ngettext("Disabled %d line.", "Disabled %d lines.", count) % count)

    @admin.action(description=_("Remove selected lines from articles (enable)"), permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[PublisherBoilerplate]) -> None:
        count = boilerplate.set_enabled(lines=queryset, enabled=True, user=signed_in(request.user))
        self.message_user(request, ngettext("Enabled %d line.", "Enabled %d lines.", count) % count)


@admin.register(Merge)
class MergeAdmin(admin.ModelAdmin[Merge]):
    """Merges are records: listed, viewed and undone, never edited."""

    list_display = ["__str__", "kind", "survivor_link", "created_at", "user", "undone_at", "undone_by"]
    list_filter = ["kind", ("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "undone_by"]
    date_hierarchy = "created_at"
    # A tuple, as django-stubs types these two as lists of different items: one list cannot be both.
    fields = readonly_fields = (
        "kind",
        "survivor_link",
        "merged_names",
        "created_at",
        "user",
        "undone_at",
        "undone_by",
        "snapshot",
    )

    def has_view_permission(self, request: HttpRequest, obj: Merge | None = None) -> bool:
        # Editors merge authors and publishers: they see the merges, without a
        # permission of their own on this model.
        return (
            super().has_view_permission(request, obj)
            or admin_views.can_merge(request, Author)
            or admin_views.can_merge(request, Publisher)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The record is what makes the merge undoable.
        return False

    def get_urls(self) -> list[URLPattern]:
        undo = path("<path:object_id>/undo/", self.admin_site.admin_view(self.undo_view), name="articles_merge_undo")
        return [undo, *super().get_urls()]

    def undo_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.undo_merge_view(request, self, object_id)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        merge = self.get_object(request, object_id)
        extra = {"can_undo": merge is not None and not merge.is_undone and admin_views.can_undo(request, merge)}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    @admin.display(description=_("kept"))
    def survivor_link(self, obj: Merge) -> str:
        name = "author" if obj.kind == Merge.Kind.AUTHOR else "publisher"
        url = reverse(f"admin:articles_{name}_change", args=[obj.survivor_id])
        return format_html('<a href="{}">{}</a>', url, obj.survivor_name or obj.survivor_id)

    @admin.display(description=_("merged"))
    def merged_names(self, obj: Merge) -> str:
        return admin_views.merged_rows_display(obj)

    @admin.display(description=_("snapshot for undo"))
    def snapshot(self, obj: Merge) -> str:
        return raw_source_html(admin_views.merge_snapshot_json(obj))


# --- Imports ----------------------------------------------------------------------------


class ImportOutcomeInline(admin.TabularInline[ImportOutcome, ImportRun]):
    model = ImportOutcome
    # A tuple, as django-stubs types these two as lists of different items: one list cannot be both.
    fields = readonly_fields = ("path", "result", "error", "article")
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportOutcome]:
        # The article column only shows a linked title.
        heavy = [f"article__{name}" for name in ArticleAdmin.changelist_deferred_fields]
        return super().get_queryset(request).select_related("article").defer(*heavy)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    """Import runs are records of what happened: viewable and deletable, never edited; new ones come by upload."""

    list_display = [
        "started_at",
        "finished_at",
        "status_display",
        "trigger",
        "user",
        "created",
        "updated",
        "unchanged",
        "duplicates",
        "failed",
        "dry_run",
    ]
    list_filter = ["status", "trigger", "dry_run"]
    list_select_related = ["user"]
    date_hierarchy = "started_at"
    actions = ["settle_interrupted"]
    fields = [
        ("started_at", "finished_at"),
        ("status_display", "updated_at"),
        ("trigger", "user", "dry_run"),
        "paths",
        "defaults",
        ("created", "updated", "unchanged", "duplicates", "failed"),
        "upload_page",
    ]
    readonly_fields = ["status_display", "updated_at", "upload_page"]
    inlines = [ImportOutcomeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportRun]:
        # upload_page in the same query; naming "user" too, since the changelist then skips list_select_related.
        return super().get_queryset(request).select_related("user", "upload")

    @admin.display(description=_("upload"))
    def upload_page(self, obj: ImportRun) -> str:
        try:
            upload = obj.upload
        except ImportUpload.DoesNotExist:
            return "—"
        url = reverse("admin:articles_importrun_progress", args=[obj.pk])
        return format_html('{} · <a href="{}">{}</a>', upload.get_state_display(), url, _("progress and results"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: ImportRun) -> str:
        return str(ImportRun.Status(importing.run_status(obj)).label)

    @admin.action(description=_("Settle interrupted runs (recount from their stored outcomes)"), permissions=["view"])
    def settle_interrupted(self, request: HttpRequest, queryset: QuerySet[ImportRun]) -> None:
        settled = importing.settle_interrupted_runs()
        self.message_user(request, ngettext("%d run settled.", "%d runs settled.", len(settled)) % len(settled))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="articles_importrun_upload"),
            path("<path:object_id>/progress/", view(self.progress_view), name="articles_importrun_progress"),
            path(
                "<path:object_id>/progress/status/",
                view(self.progress_status_view),
                name="articles_importrun_progress_status",
            ),
            *super().get_urls(),
        ]

    @csrf_exempt  # see admin_views.import_upload_view
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        return admin_views.import_upload_view(request, self)

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.upload_progress_view(request, self, object_id)

    def progress_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.upload_status_view(request, self, object_id)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"can_run_import": request.user.has_perm(admin_views.RUN_IMPORT_PERMISSION)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})
