"""The ``field__any_of`` lookup: the same rows as ``field__in``, with the values sent as one parameter."""

import pytest
from django.db import connection

from articles.models import Article, ArticleAuthor, ArticleFingerprint
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


def test_any_of_matches_as_in_does_on_text_and_integer_columns():
    """GIVEN three articles WHEN filtering by keys and ids with any_of THEN the rows are those in__ finds."""
    articles = ArticleFactory.create_batch(3)
    keys = [articles[0].source_key, articles[2].source_key, "no-such-key"]
    assert set(Article.objects.filter(source_key__any_of=keys)) == set(Article.objects.filter(source_key__in=keys))
    assert set(Article.objects.filter(pk__any_of={articles[1].pk})) == {articles[1]}


def test_any_of_takes_64_bit_keys_and_an_empty_list():
    article = ArticleFactory()
    big = -(2**63) + 5
    ArticleFingerprint.objects.create(article=article, key=big)
    assert list(ArticleFingerprint.objects.filter(key__any_of=[big, 2**62]).values_list("key", flat=True)) == [big]
    assert not ArticleFingerprint.objects.filter(key__any_of=[]).exists()


def test_any_of_sends_one_parameter_however_many_values():
    values = [f"key-{i}" for i in range(500)]
    sql, params = Article.objects.filter(source_key__any_of=values).query.get_compiler("default").as_sql()
    assert len(params) == 1
    assert ("ANY(" in sql) if connection.vendor == "postgresql" else ("json_each" in sql)


def test_any_of_finds_keys_with_quotes_backslashes_commas_and_braces():
    keys = ['a "quoted", {braced} key', "back\\slash\\", "comma,key", "NULL", " spaced ", "ünï€ode"]
    for key in keys:
        ArticleFactory(source_key=key)
    ArticleFactory(source_key="other")
    found = Article.objects.filter(source_key__any_of=keys).values_list("source_key", flat=True)
    assert sorted(found) == sorted(keys)


def test_any_of_refuses_values_that_are_neither_integers_nor_strings():
    with pytest.raises(TypeError):
        list(Article.objects.filter(source_key__any_of=[1.5]))


def test_any_of_works_on_a_foreign_key():
    author = AuthorFactory()
    articles = [ArticleFactory(authors=[author]), ArticleFactory(authors=[author])]
    bylines = ArticleAuthor.objects.filter(article_id__any_of=[articles[0].pk])
    assert {byline.article_id for byline in bylines} == {articles[0].pk}
    assert set(ArticleAuthor.objects.filter(article__any_of=[a.pk for a in articles])) == set(
        ArticleAuthor.objects.all()
    )
