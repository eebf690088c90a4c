"""Query-string filters of the API."""

from __future__ import annotations

import django_filters

from articles.models import Article


class ArticleFilter(django_filters.FilterSet):
    """Filter articles by status (within what the requester may see)."""

    status = django_filters.ChoiceFilter(choices=Article.Status.choices, help_text="Only articles with this status.")

    class Meta:
        model = Article
        fields = ["status"]
