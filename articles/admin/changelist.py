"""The article change list's parts that keep it fast on a large archive.

What each page costs, whatever the size of the table:

* the rows: one query for the page, one for its bylines; the large text columns are deferred;
* the count: ``CappedCountPaginator`` counts at most ``ARCHIVE_ADMIN_COUNT_CAP`` rows
  (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``). Past the cap, the unfiltered list
  on PostgreSQL shows the planner's estimate (``pg_class.reltuples``), any other
  list "more than <cap>", with pages up to the cap; the full count Django's admin
  shows beside a filtered count is off (``show_full_result_count = False``);
* the publisher filter lists publishers that have an article with an ``EXISTS``
  per publisher (the foreign key's index), not a ``DISTINCT`` over every article, and
  offers the empty choice only when, by one ``EXISTS`` in the same query, some article has none;
* the copyright years are one ``DISTINCT`` query, cached for ``YEARS_CACHE_SECONDS``;
* a search is a list of at most ``2 * (ARCHIVE_ADMIN_SEARCH_CAP + 1)`` ids, gathered
  first (``search_result_ids``) and given to the database as one array: each query of
  the page then reads those rows by primary key, never a join over every article; its
  count stops at that cap;
* the date hierarchy (``archive_date_hierarchy`` tag) is drawn from ``MIN``/``MAX``
  of the indexed ``created_at``, never a ``DISTINCT`` over truncated dates.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.cache import cache
from django.db import connections
from django.db.models import Exists, Field, Max, Min, Model, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.related import RelatedField
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

from articles import conf, counting
from articles.models import Article, ArticleAuthor, Author, Publisher
from articles.search import Query, matching_ids

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django.core.paginator import _SupportsPagination

    class _ArticleAdmin(admin.ModelAdmin[Article]):
        """What the article change list needs of its admin (``articles.admin.ArticleAdmin``)."""

        changelist_deferred_fields: Sequence[str]


_T = TypeVar("_T")

YEARS_CACHE_KEY = "articles:admin:copyright-years"
YEARS_CACHE_SECONDS = 300


class CappedCountPaginator(counting.CappedCountPaginator[_T]):
    """The change list's paginator: at most ``ARCHIVE_ADMIN_COUNT_CAP`` rows counted.

    ``count_is_exact`` and ``count_is_estimate`` tell the template whether to
    say "N", "about N" or "more than N".
    """

    def __init__(
        self, object_list: _SupportsPagination[_T], per_page: int, *args: Any, cap: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, *args, cap=cap or conf.admin_count_cap(), **kwargs)
        self.count_is_estimate = False

    @cached_property
    def count(self) -> int:
        counted = super().count
        if self.count_is_exact:
            return counted
        queryset = self.object_list
        # The admin pages querysets; only an unfiltered one is the whole table.
        estimate = table_estimate(queryset) if isinstance(queryset, QuerySet) and not queryset.query.where else None
        if estimate and estimate > self.cap:
            self.count_is_estimate = True
            return estimate
        return self.cap


def table_estimate(queryset: QuerySet[Model]) -> int | None:
    """Return the planner's estimate of the rows in the queryset's table (PostgreSQL only)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    # -1: never analyzed.
    return int(row[0]) if row and row[0] > 0 else None


# Where the change list puts each article's bylines: a plain list, which Django fills
# without building a related queryset per row.
CHANGELIST_BYLINES_ATTR = "changelist_bylines"


class ArticleChangeList(ChangeList):
    """The article list: bylines in one query, and none of the large text columns."""

    model_admin: _ArticleAdmin

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Article]:
        # Done here rather than in ArticleAdmin.get_queryset(), which the change,
        # delete and history views share: they need the deferred columns and
        # have no use for the bylines (the byline inline loads its own).
        bylines = ArticleAuthor.objects.select_related("author").only("article", "position", "author__name")
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .defer(*self.model_admin.changelist_deferred_fields)
            .prefetch_related(
                Prefetch("bylines", queryset=bylines.order_by("position", "id"), to_attr=CHANGELIST_BYLINES_ATTR)
            )
        )

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if not self.paginator.count_is_exact and (self.show_all or not self.multi_page):
            # Django lists the whole queryset when its count fits one page: never past the cap counted to.
            self.result_list = self.queryset[: self.result_count]


def row_bylines(article: Article) -> list[ArticleAuthor]:
    """Return an article's bylines in order: the change list's prefetched ones, or from the database."""
    prefetched = getattr(article, CHANGELIST_BYLINES_ATTR, None)
    return prefetched if prefetched is not None else list(article.bylines.select_related("author"))


class QuickActionCheckboxMixin:
    """Draw each row's action checkbox with ``format_html`` instead of a widget template per row.

    The same markup as ``ModelAdmin.action_checkbox``; rendering a hundred widget
    templates was a fifth of a change list page.
    """

    def action_checkbox(self, obj: Model) -> str:
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class PublisherFilter(admin.RelatedOnlyFieldListFilter):
    """Publishers that have at least one article, found through the foreign key's index.

    The empty choice is offered only when some article has no publisher; the
    same query tells, by an uncorrelated ``EXISTS`` the database runs once.
    """

    some_without_publisher = False

    # django-stubs say the choices' values are strings; Django's own are primary keys, as these.
    def field_choices(  # type: ignore[override]
        self, field: RelatedField[Any, Any], request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[int, str]]:
        has_articles = Exists(Article.objects.filter(publisher=OuterRef("pk")))
        without_publisher = Exists(Article.objects.filter(publisher=None))
        ordering = self.field_admin_ordering(field, request, model_admin) or Publisher._meta.ordering or ()
        publishers = list(
            Publisher.objects.filter(has_articles)
            .annotate(without_publisher=without_publisher)
            .order_by(*ordering)
            .only("name")
        )
        # No publisher with articles: the filter has no choice to offer anyway.
        self.some_without_publisher = any(p.without_publisher for p in publishers)
        return [(p.pk, str(p)) for p in publishers]

    @property
    def include_empty_choice(self) -> bool:
        return self.some_without_publisher


class CopyrightYearFilter(admin.AllValuesFieldListFilter):
    """The copyright years in the archive, from a cached list."""

    def __init__(
        self,
        field: Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[Model],
        model_admin: admin.ModelAdmin[Any],
        field_path: str,
    ) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        years = self.lookup_choices  # lazy: not run unless the cache is cold
        # django-stubs say a queryset; the template only iterates the years.
        self.lookup_choices = cache.get_or_set(YEARS_CACHE_KEY, lambda: list(years), YEARS_CACHE_SECONDS)  # type: ignore[assignment]


class EmbargoFilter(admin.FieldListFilter):
    """Articles whose embargo still runs (hidden from the public now), or those under none running."""

    CHOICES = (("running", _("Embargoed now")), ("none", _("Not embargoed")))

    def __init__(
        self,
        field: Field[Any, Any],
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[Model],
        model_admin: admin.ModelAdmin[Any],
        field_path: str,
    ) -> None:
        self.parameter_name = f"{field_path}__state"
        values = params.get(self.parameter_name)
        self.value: str | None = values[-1] if values else None
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("embargo")

    def expected_parameters(self) -> list[str | None]:
        return [self.parameter_name]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Compared with the clock now, as the public's visibility is (models.publicly_visible).
        running = Q(**{f"{self.field_path}__gt": timezone.now()})
        if self.value == "running":
            return queryset.filter(running)
        if self.value == "none":
            return queryset.exclude(running)
        return queryset

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        yield {
            "selected": self.value is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All"),
        }
        for value, label in self.CHOICES:
            yield {
                "selected": self.value == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


# --- The date hierarchy -----------------------------------------------------------


def date_span(queryset: QuerySet[Model], field: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    """Return the first and last ``field`` values of ``queryset`` in local time, or None when empty."""
    span = queryset.order_by().aggregate(first=Min(field), last=Max(field))
    if span["first"] is None:
        return None
    return timezone.localtime(span["first"]), timezone.localtime(span["last"])


def drilldown(queryset: QuerySet[Model], field: str, year: int | None, month: int | None) -> list[datetime.date]:
    """Return the dates to offer below ``year``/``month`` in a date hierarchy, from one MIN/MAX query.

    Every year, month or day between the first and last value is offered, so a
    choice may lead to an empty page; the price of not scanning every row.
    """
    span = date_span(queryset, field)
    if span is None:
        return []
    first, last = span
    if year is None:
        return [datetime.date(y, 1, 1) for y in range(first.year, last.year + 1)]
    if month is None:
        return [datetime.date(year, m, 1) for m in range(first.month, last.month + 1)]
    days = calendar.monthrange(year, month)[1]
    return [datetime.date(year, month, d) for d in range(first.day, min(last.day, days) + 1)]


def search_result_ids(term: str, query: Query, *, limit: int) -> list[int]:
    """Return the ids of the articles matching ``query`` or crediting an author or publisher named like ``term``.

    At most ``limit`` of each kind: the newest matches of the index, then
    articles of the matching authors and publishers (one query).
    """
    ids = dict.fromkeys(matching_ids(query, limit=limit))
    authors = Author.objects.filter(name__icontains=term).values("pk")
    by_author = ArticleAuthor.objects.filter(author__in=authors).order_by().values_list("article_id", flat=True)
    publishers = Publisher.objects.filter(name__icontains=term).values("pk")
    by_publisher = Article.objects.filter(publisher__in=publishers).order_by().values_list("pk", flat=True)
    ids.update(dict.fromkeys(by_author.union(by_publisher)[:limit]))
    return list(ids)
