"""Merging publishers: articles move, names become aliases, history and the preview."""

from __future__ import annotations

import pytest

from articles import merging
from articles.models import Article, Author, Merge, Publisher, PublisherAlias
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db


def test_articles_move_to_the_survivor_and_names_become_aliases(editor):
    """
    GIVEN articles of publishers X and Y, X with an alias of its own, and one article of the survivor S
    WHEN X and Y are merged into S
    THEN every article is S's, X, Y and X's alias resolve to S, and X and Y no longer exist
    """
    s, x, y = PublisherFactory(name="Blaze Media LLC"), PublisherFactory(name="Blaze Media"), PublisherFactory()
    PublisherAlias.objects.create(publisher=x, name="The Blaze", slug="the-blaze")
    articles = [ArticleFactory(publisher=p) for p in (x, x, y, s)]

    merge = merging.merge_entities(survivor=s, others=[x, y], user=editor)

    assert {article.publisher_id for article in Article.objects.filter(pk__in=[a.pk for a in articles])} == {s.pk}
    assert list(Publisher.objects.values_list("pk", flat=True)) == [s.pk]
    assert set(s.aliases.values_list("slug", flat=True)) == {x.slug, y.slug, "the-blaze"}
    assert merging.alias_map(model=Publisher, slugs=[x.slug, "the-blaze", "nobody"]) == {x.slug: s, "the-blaze": s}
    assert merging.resolve_slug(model=Publisher, slug=y.slug) == s
    assert merging.resolve_slug(model=Publisher, slug=s.slug) == s
    assert (merge.kind, merge.survivor_id, merge.user) == (Merge.Kind.PUBLISHER, s.pk, editor)
    assert sorted(merge.merged["articles"], key=lambda e: e["article"]) == [
        {"article": a.pk, "publisher": p.pk} for a, p in zip(articles[:3], (x, x, y), strict=True)
    ]


def test_the_merge_is_recorded_in_the_history_of_every_row_it_touches(editor):
    s, x = PublisherFactory(name="Survivor Press"), PublisherFactory()
    article = ArticleFactory(publisher=x)

    merge = merging.merge_entities(survivor=s, others=[x], user=editor)

    reason = f"merged into Survivor Press #{s.pk} (merge #{merge.pk})"
    moved = Article.history.filter(id=article.pk).latest()
    assert (moved.publisher_id, moved.history_type, moved.history_change_reason, moved.history_user) == (
        s.pk,
        "~",
        reason,
        editor,
    )
    deleted = Publisher.history.get(id=x.pk, history_type="-")
    assert (deleted.history_change_reason, deleted.history_user) == (reason, editor)


@pytest.mark.parametrize("others", [lambda s: [s], lambda s: []])
def test_bad_publisher_merges_are_refused(others):
    s = PublisherFactory()

    with pytest.raises(merging.MergeError):
        merging.merge_entities(survivor=s, others=others(s))

    assert Publisher.objects.filter(pk=s.pk).exists()


def test_the_preview_lists_the_articles_that_move(django_assert_num_queries):
    s, x = PublisherFactory(name="Survivor Press"), PublisherFactory(name="Dup Press")
    PublisherAlias.objects.create(publisher=x, name="Dup Press Inc", slug="dup-press-inc")
    first, second = ArticleFactory(title="First", publisher=x), ArticleFactory(title="Second", publisher=x)
    ArticleFactory(publisher=s)

    with django_assert_num_queries(2):
        preview = merging.preview_merge(survivor=s, others=[x])

    assert preview.article_count == 2
    (item,) = preview.merged
    assert (item.id, item.name, item.aliases) == (x.pk, "Dup Press", ("Dup Press", "Dup Press Inc"))
    assert [(c.article_id, c.title, c.before, c.after) for c in item.articles] == [
        (first.pk, "First", ("Dup Press",), ("Survivor Press",)),
        (second.pk, "Second", ("Dup Press",), ("Survivor Press",)),
    ]
    assert Publisher.objects.count() == 2 and not Merge.objects.exists()


def test_an_author_cannot_be_merged_into_a_publisher():
    survivor, author = PublisherFactory(), AuthorFactory()

    with pytest.raises(merging.MergeError, match="only publishers can be merged"):
        merging.merge_entities(survivor=survivor, others=[author])

    assert Merge.objects.count() == 0
    assert Author.objects.filter(pk=author.pk).exists()
