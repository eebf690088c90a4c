"""``manage.py rebuild_search_index``."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from articles.models import Article
from articles.search import search
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def wipe_index() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trigger fires on title/subtitle/body changes only, so this sticks.
            cursor.execute("UPDATE articles_article SET search_vector = NULL")
        else:
            cursor.execute("INSERT INTO articles_article_fts(articles_article_fts) VALUES ('delete-all')")


def test_rebuild_restores_a_lost_index():
    """
    GIVEN an article whose index entry was lost
    WHEN rebuild_search_index runs
    THEN the article is found again
    """
    ArticleFactory(body="The heronry by the river was counted again.")
    wipe_index()
    assert not search(Article.objects.all(), "heronry").exists()
    out = StringIO()

    call_command("rebuild_search_index", stdout=out)

    assert search(Article.objects.all(), "heronry").count() == 1
    assert "Rebuilt" in out.getvalue()
