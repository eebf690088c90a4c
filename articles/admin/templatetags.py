"""Template tags for the archive's admin pages."""

from __future__ import annotations

import datetime
from typing import Any, NotRequired, TypedDict

from django import template
from django.contrib.admin.views.main import ChangeList
from django.template import Context
from django.urls import reverse
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from articles.admin.changelist import drilldown

register = template.Library()
# The review queue's count stops here: "1000+" needs no scan of the rest.
REVIEW_COUNT_CAP = 1000


class DateChoice(TypedDict):
    """One link of the date hierarchy (the current day has no link)."""

    title: str
    link: NotRequired[str]


class DateHierarchy(TypedDict):
    """The context of ``admin/date_hierarchy.html``."""

    show: bool
    back: NotRequired[DateChoice | None]
    choices: NotRequired[list[DateChoice]]


class Desk(TypedDict, total=False):
    """The desk's entry points, each present only for a user who may use it."""

    review_url: str
    review_count: str
    upload_url: str
    merges_url: str


@register.inclusion_tag("admin/date_hierarchy.html")
def archive_date_hierarchy(cl: ChangeList) -> DateHierarchy:
    """Draw the change list's date hierarchy from one MIN/MAX query (see ``articles.admin.changelist.drilldown``)."""
    field = cl.date_hierarchy
    keys = {"year": f"{field}__year", "month": f"{field}__month", "day": f"{field}__day"}
    year, month, day = (_int(cl.params.get(key)) for key in keys.values())

    def link(**values: int) -> str:
        return cl.get_query_string({keys[name]: value for name, value in values.items()}, [f"{field}__"])

    if year and month and day:
        try:
            date = datetime.date(year, month, day)
        except ValueError:  # the change list has already refused it
            return {"show": False}
        return {
            "show": True,
            "back": {
                "link": link(year=year, month=month),
                "title": capfirst(formats.date_format(date, "YEAR_MONTH_FORMAT")),
            },
            "choices": [{"title": capfirst(formats.date_format(date, "MONTH_DAY_FORMAT"))}],
        }
    if year and month:
        return {
            "show": True,
            "back": {"link": link(year=year), "title": str(year)},
            "choices": [
                {
                    "link": link(year=year, month=month, day=d.day),
                    "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
                }
                for d in drilldown(cl.queryset, field, year, month)
            ],
        }
    if year:
        return {
            "show": True,
            "back": {"link": link(), "title": _("All dates")},
            "choices": [
                {"link": link(year=year, month=d.month), "title": capfirst(formats.date_format(d, "YEAR_MONTH_FORMAT"))}
                for d in drilldown(cl.queryset, field, year, None)
            ],
        }
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link(year=d.year), "title": str(d.year)} for d in drilldown(cl.queryset, field, None, None)
        ],
    }


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register.simple_tag(takes_context=True)
def archive_desk(context: Context) -> Desk:
    """Return the desk's entry points the current user may use: review queue (with its count), upload, merges."""
    from articles.admin.views import RUN_IMPORT_PERMISSION, can_merge, review_queue_url
    from articles.models import Article, Author, Publisher

    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_active or not user.is_staff:
        return {}
    desk: Desk = {}
    if user.has_perm("articles.view_article") or user.has_perm("articles.change_article"):
        count = Article.objects.needing_review().order_by()[: REVIEW_COUNT_CAP + 1].count()
        desk["review_url"] = review_queue_url()
        desk["review_count"] = f"{REVIEW_COUNT_CAP}+" if count > REVIEW_COUNT_CAP else str(count)
    if user.has_perm(RUN_IMPORT_PERMISSION):
        desk["upload_url"] = reverse("admin:articles_importrun_upload")
    if user.has_perm("articles.view_merge") or can_merge(request, Author) or can_merge(request, Publisher):
        desk["merges_url"] = reverse("admin:articles_merge_changelist")
    return desk


@register.filter
def differs(rows: list[dict[str, Any]]) -> bool:
    """Tell whether any row of a side-by-side view (``articles.revisions.side_by_side``) shows a change."""
    return any(row["op"] != "equal" for row in rows)
