"""Undoing a merge: everything comes back exactly, once, and what changed since is left alone and reported."""

from __future__ import annotations

import pytest

from articles import merging
from articles.models import Article, ArticleAuthor, Author, AuthorAlias, Merge, Publisher, PublisherAlias
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory
from tests.merging.helpers import byline

pytestmark = pytest.mark.django_db


def bylines() -> list[tuple[int, int, int, int]]:
    return list(ArticleAuthor.objects.order_by("pk").values_list("pk", "article_id", "author_id", "position"))


def authors() -> list[dict]:
    return list(Author.objects.order_by("pk").values())


def without_survivor_update(rows: list[dict], survivor_id: int) -> list[dict]:
    return [{**row, "updated_at": None} if row["id"] == survivor_id else row for row in rows]


def test_undoing_an_author_merge_restores_everything_exactly(editor):
    """
    GIVEN articles credited [A, X, B], [X, B], [Y, X], X with an alias, A with no bio for X to fill
    WHEN X and Y are merged into A, then the merge is undone
    THEN authors (ids, slugs, bios, timestamps), bylines (ids, positions) and aliases are as before
    """
    a, b = AuthorFactory(name="Ann A", bio=""), AuthorFactory(name="Bob B")
    x, y = AuthorFactory(name="Ann X", social_handle="@annx"), AuthorFactory(name="Ann Y")
    old_alias = AuthorAlias.objects.create(author=x, name="A. X.", slug="a-x")
    ArticleFactory(authors=[a, x, b])
    ArticleFactory(authors=[x, b])
    ArticleFactory(authors=[y, x])
    before = (authors(), bylines(), list(AuthorAlias.objects.values()))
    merge = merging.merge_entities(survivor=a, others=[x, y], user=editor)
    assert authors() != before[0] and bylines() != before[1]

    result = merging.undo_merge(merge=merge, user=editor)

    # Only the survivor's updated_at moves on: it was changed twice.
    assert without_survivor_update(authors(), a.pk) == without_survivor_update(before[0], a.pk)
    assert bylines() == before[1]
    assert list(AuthorAlias.objects.values()) == before[2]
    assert AuthorAlias.objects.get().pk == old_alias.pk
    assert [author.pk for author in result.restored] == [x.pk, y.pk]
    assert result.skipped == []
    merge.refresh_from_db()
    assert (merge.undone_by, merge.undone_at is not None) == (editor, True)
    restored = Author.history.filter(id=x.pk, history_type="+").latest()
    assert (restored.history_change_reason, restored.history_user) == (f"merge #{merge.pk} undone", editor)


def test_an_undo_is_refused_the_second_time():
    s, x = AuthorFactory(), AuthorFactory()
    merge = merging.merge_entities(survivor=s, others=[x])
    merging.undo_merge(merge=merge)

    with pytest.raises(merging.UndoRefused, match="already undone"):
        merging.undo_merge(merge=merge)

    assert Author.objects.count() == 2
    assert issubclass(merging.UndoRefused, ValueError)


def test_the_survivor_blanks_come_back_unless_edited_since():
    """
    GIVEN S with no bio and no handle, filled from X by a merge, and S's handle then edited
    WHEN the merge is undone
    THEN S's bio is blank again, the edited handle stays, and the undo says so
    """
    s = AuthorFactory(bio="", social_handle="")
    x = AuthorFactory(bio="X's bio.", social_handle="@x")
    merge = merging.merge_entities(survivor=s, others=[x])
    Author.objects.filter(pk=s.pk).update(social_handle="@s")

    result = merging.undo_merge(merge=merge)

    s.refresh_from_db()
    assert (s.bio, s.social_handle) == ("", "@s")
    assert result.skipped == [f"author {s.name}: social_handle edited since the merge; kept"]


def test_articles_deleted_or_edited_since_the_merge_are_skipped_and_reported():
    """
    GIVEN X merged into S on three articles, then one deleted and one's byline edited
    WHEN the merge is undone
    THEN the untouched article gets X back, the edited one keeps the editor's byline, both are reported
    """
    s, x, b = AuthorFactory(name="Sam S"), AuthorFactory(name="Xan X"), AuthorFactory(name="Bob B")
    kept, deleted, edited = (ArticleFactory(authors=[x, b]) for _ in range(3))
    merge = merging.merge_entities(survivor=s, others=[x])
    deleted_pk = deleted.pk
    deleted.delete()
    edited.bylines.filter(author=b).delete()

    result = merging.undo_merge(merge=merge)

    assert byline(kept) == ["Xan X", "Bob B"]
    assert byline(edited) == ["Sam S"]
    assert result.skipped == [
        f"article #{deleted_pk}: deleted since the merge",
        f"article #{edited.pk} {edited.title}: byline changed since the merge; kept",
    ]
    assert Author.objects.filter(pk=x.pk, slug=x.slug).exists()


def test_a_byline_recreated_by_a_reimport_still_undoes():
    """
    GIVEN X merged into S on [X, B], and the byline rows then recreated with the same authors and positions
    WHEN the merge is undone
    THEN the byline reads [X, B] again
    """
    s, x, b = AuthorFactory(name="Sam S"), AuthorFactory(name="Xan X"), AuthorFactory(name="Bob B")
    article = ArticleFactory(authors=[x, b])
    merge = merging.merge_entities(survivor=s, others=[x])
    article.bylines.all().delete()
    ArticleAuthor.objects.bulk_create(
        [ArticleAuthor(article=article, author=a, position=i) for i, a in enumerate([s, b])]
    )

    merging.undo_merge(merge=merge)

    assert byline(article) == ["Xan X", "Bob B"]


def test_a_taken_slug_gets_a_new_one_and_is_reported():
    s, x = AuthorFactory(), AuthorFactory(name="Xan X", slug="xan-x")
    merge = merging.merge_entities(survivor=s, others=[x])
    Author.objects.create(name="Another Xan X", slug="xan-x")

    result = merging.undo_merge(merge=merge)

    assert Author.objects.get(pk=x.pk).slug == "xan-x-2"
    assert result.skipped == ["author Xan X: slug xan-x is taken now; restored as xan-x-2"]


def test_undoing_a_merge_whose_survivor_was_merged_later_is_refused_until_that_is_undone():
    """
    GIVEN X merged into A (first), then A merged into B (second)
    WHEN the first merge is undone
    THEN it is refused naming the second; once the second is undone, the first undoes too
    """
    a, b, x = AuthorFactory(name="Ann A"), AuthorFactory(name="Bob B"), AuthorFactory(name="Xan X")
    article = ArticleFactory(authors=[x, b])
    first = merging.merge_entities(survivor=a, others=[x])
    second = merging.merge_entities(survivor=b, others=[a])
    assert byline(article) == ["Bob B"]
    assert set(b.aliases.values_list("slug", flat=True)) == {a.slug, x.slug}

    with pytest.raises(merging.UndoRefused, match=f"merged into Bob B by merge #{second.pk}; undo that merge first"):
        merging.undo_merge(merge=first)
    merging.undo_merge(merge=second)
    merging.undo_merge(merge=first)

    assert byline(article) == ["Xan X", "Bob B"]
    assert not AuthorAlias.objects.exists()
    assert set(Author.objects.values_list("pk", flat=True)) == {a.pk, b.pk, x.pk}


def test_undoing_a_merge_whose_survivor_was_deleted_is_refused():
    s, x = AuthorFactory(name="Sam S"), AuthorFactory()
    merge = merging.merge_entities(survivor=s, others=[x])
    s.delete()

    with pytest.raises(merging.UndoRefused, match="was deleted since"):
        merging.undo_merge(merge=merge)

    assert not Merge.objects.get().is_undone


def test_undoing_a_publisher_merge_restores_everything_exactly(editor):
    """
    GIVEN articles of X, Y and S, and X with an alias
    WHEN X and Y are merged into S, one of X's articles given another publisher, then the merge undone
    THEN publishers (ids, slugs) and untouched articles' publishers are as before, aliases too; the other is reported
    """
    s, x, y, other = (PublisherFactory() for _ in range(4))
    alias = PublisherAlias.objects.create(publisher=x, name="X Inc", slug="x-inc")
    articles = [ArticleFactory(publisher=p) for p in (x, x, y, s)]
    before = list(Publisher.objects.order_by("pk").values("id", "name", "slug", "created_at", "updated_at"))
    merge = merging.merge_entities(survivor=s, others=[x, y], user=editor)
    Article.objects.filter(pk=articles[1].pk).update(publisher=other)

    result = merging.undo_merge(merge=merge, user=editor)

    after = list(Publisher.objects.order_by("pk").values("id", "name", "slug", "created_at", "updated_at"))
    assert [row for row in after if row["id"] != s.pk] == [row for row in before if row["id"] != s.pk]
    publishers = dict(Article.objects.values_list("pk", "publisher_id"))
    assert [publishers[a.pk] for a in articles] == [x.pk, other.pk, y.pk, s.pk]
    assert list(PublisherAlias.objects.values_list("pk", "publisher_id")) == [(alias.pk, x.pk)]
    assert result.skipped == [f"article #{articles[1].pk} {articles[1].title}: publisher changed since the merge; kept"]
    restored = Article.history.filter(id=articles[0].pk).latest()
    assert (restored.publisher_id, restored.history_change_reason) == (x.pk, f"merge #{merge.pk} undone")
