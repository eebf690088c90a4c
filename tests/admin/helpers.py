"""Helpers for the admin tests."""

from __future__ import annotations

import json

from django.contrib.admin.utils import flatten_fieldsets

from articles.admin import ArticleAdmin
from articles.admin.forms import EDIT_VERSION_FIELD, fingerprints
from articles.models import Article


def edit_version(article: Article) -> str:
    """The hidden edit_version of the article's change form opened now."""
    editable = set(flatten_fieldsets(ArticleAdmin.fieldsets)) - set(ArticleAdmin.readonly_fields)
    fields = [name for name in flatten_fieldsets(ArticleAdmin.fieldsets) if name in editable - {EDIT_VERSION_FIELD}]
    return json.dumps(fingerprints(Article.objects.get(pk=article.pk), fields))


def change_form_data(article: Article, **overrides) -> dict:
    """POST data for the article's change form, as the browser would send it unchanged."""
    bylines = list(article.bylines.order_by("position", "id"))
    revisions = list(article.source_revisions.all())
    data = {
        "title": article.title,
        "slug": article.slug,
        "subtitle": article.subtitle,
        "body": article.body,
        "image_credit": article.image_credit,
        "copyright_year": article.copyright_year or "",
        "publisher": article.publisher_id or "",
        "status": article.status,
        "published_at_0": f"{article.published_at:%Y-%m-%d}" if article.published_at else "",
        "published_at_1": f"{article.published_at:%H:%M:%S}" if article.published_at else "",
        **{
            f"{name}_{part}": f"{value:{form}}" if value else ""
            for name in ("original_published_at", "original_updated_at", "embargo_until")
            for value in [getattr(article, name)]
            for part, form in ((0, "%Y-%m-%d"), (1, "%H:%M:%S"))
        },
        "bylines-TOTAL_FORMS": len(bylines),
        "bylines-INITIAL_FORMS": len(bylines),
        "bylines-MIN_NUM_FORMS": 0,
        "bylines-MAX_NUM_FORMS": 1000,
        "source_revisions-TOTAL_FORMS": len(revisions),
        "source_revisions-INITIAL_FORMS": len(revisions),
        "source_revisions-MIN_NUM_FORMS": 0,
        "source_revisions-MAX_NUM_FORMS": 1000,
        "edit_version": edit_version(article),
    }
    if article.needs_review:
        data["needs_review"] = "on"
    for i, byline in enumerate(bylines):
        data |= {
            f"bylines-{i}-id": byline.pk,
            f"bylines-{i}-article": article.pk,
            f"bylines-{i}-position": byline.position,
            f"bylines-{i}-author": byline.author_id,
        }
    for i, revision in enumerate(revisions):
        data |= {f"source_revisions-{i}-id": revision.pk, f"source_revisions-{i}-article": article.pk}
    data.update(overrides)
    return data
