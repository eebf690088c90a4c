"""Issue 8: the change list's cheaper rendering draws exactly what Django's admin draws."""

from __future__ import annotations

import pytest
from django.contrib import admin

from articles.admin import ArticleAdmin
from articles.admin.changelist import row_bylines
from articles.models import Article
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("title", ["Plain", 'Quotes " and <tags> & ampersands', "Ünïcödé — ‘curly’"])
def test_the_action_checkbox_is_django_s_markup(title):
    article = ArticleFactory(title=title)
    model_admin = ArticleAdmin(Article, admin.site)

    assert model_admin.action_checkbox(article) == admin.ModelAdmin.action_checkbox(model_admin, article)


def test_row_bylines_without_the_change_list_prefetch_reads_them_in_order():
    first, second = AuthorFactory(), AuthorFactory()
    article = ArticleFactory(authors=[second, first])

    assert [b.author for b in row_bylines(Article.objects.get(pk=article.pk))] == [second, first]
