"""Merging authors: byline order, aliases, blanks filled, history, the merge record and the preview."""

from __future__ import annotations

import pytest

from articles import merging
from articles.models import ArticleAuthor, Author, AuthorAlias, Merge
from tests.factories import ArticleFactory, AuthorFactory
from tests.merging.helpers import byline

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("before", "merged", "survivor", "after"),
    [
        ("AXB", "X", "A", "AB"),  # the survivor is credited already: the gap closes
        ("XB", "X", "S", "SB"),  # re-pointed in place
        ("BX", "X", "S", "BS"),
        ("XBA", "X", "A", "BA"),  # the survivor keeps its own place
        ("XYB", "XY", "S", "SB"),  # the first merged byline takes the survivor's name
        ("YAX", "XY", "A", "A"),
        ("BC", "X", "S", "BC"),  # untouched
    ],
)
def test_every_article_keeps_its_author_order(before, merged, survivor, after):
    authors = {letter: AuthorFactory(name=f"Writer {letter}") for letter in "ABCSXY"}
    article = ArticleFactory(authors=[authors[letter] for letter in before])

    merging.merge_entities(survivor=authors[survivor], others=[authors[letter] for letter in merged])

    assert byline(article) == [f"Writer {letter}" for letter in after]


def test_byline_rows_are_repointed_not_recreated():
    """
    GIVEN an article credited to [X, B]
    WHEN X is merged into S
    THEN the byline row that credited X now credits S, and B's row is untouched
    """
    x, b, s = AuthorFactory(), AuthorFactory(), AuthorFactory()
    article = ArticleFactory(authors=[x, b])
    rows = dict(article.bylines.values_list("author_id", "pk"))

    merging.merge_entities(survivor=s, others=[x])

    assert dict(article.bylines.values_list("author_id", "pk")) == {s.pk: rows[x.pk], b.pk: rows[b.pk]}


def test_merged_names_become_aliases_and_the_rows_go(editor):
    """
    GIVEN author X with an alias of its own from an earlier merge, and author Y
    WHEN both are merged into S
    THEN X, Y and X's alias all resolve to S, and X and Y no longer exist
    """
    s = AuthorFactory(name="Jane Reporter")
    x = AuthorFactory(name="J. Reporter", slug="j-reporter")
    y = AuthorFactory(name="Jane Reporter (Staff)", slug="jane-reporter-staff")
    AuthorAlias.objects.create(author=x, name="Jay Reporter", slug="jay-reporter")

    merging.merge_entities(survivor=s, others=[x, y], user=editor)

    assert set(s.aliases.values_list("name", "slug")) == {
        ("J. Reporter", "j-reporter"),
        ("Jane Reporter (Staff)", "jane-reporter-staff"),
        ("Jay Reporter", "jay-reporter"),
    }
    assert list(Author.objects.values_list("pk", flat=True)) == [s.pk]
    assert merging.alias_map(model=Author, slugs=["j-reporter", "jay-reporter", "nobody"]) == {
        "j-reporter": s,
        "jay-reporter": s,
    }
    assert merging.resolve_slug(model=Author, slug="jane-reporter-staff") == s
    assert merging.resolve_slug(model=Author, slug="jane-reporter") == s
    assert merging.resolve_slug(model=Author, slug="nobody") is None


@pytest.mark.parametrize(
    ("survivor_values", "merged_values", "expected"),
    [
        (("", ""), ("X's bio.", "@x"), ("X's bio.", "@x")),
        (("S's bio.", ""), ("X's bio.", "@x"), ("S's bio.", "@x")),
        (("S's bio.", "@s"), ("X's bio.", "@x"), ("S's bio.", "@s")),
        (("", "@s"), ("", ""), ("", "@s")),
    ],
)
def test_the_survivor_keeps_its_bio_and_handle_and_fills_blanks(survivor_values, merged_values, expected):
    s = AuthorFactory(bio=survivor_values[0], social_handle=survivor_values[1])
    x = AuthorFactory(bio=merged_values[0], social_handle=merged_values[1])

    merging.merge_entities(survivor=s, others=[x])

    s.refresh_from_db()
    assert (s.bio, s.social_handle) == expected


def test_the_merge_is_recorded_in_history_and_in_a_merge_row(editor):
    """
    GIVEN an article credited to [X, B]
    WHEN an editor merges X into S
    THEN the history of X, of the byline and of S says so, names the editor, and a Merge row keeps the snapshot
    """
    x, b = AuthorFactory(name="Xavier Dup"), AuthorFactory(name="Bea Other")
    s = AuthorFactory(name="Xavier Real")
    article = ArticleFactory(authors=[x, b])
    before = [[row.pk, row.author_id, row.position] for row in article.bylines.order_by("position")]

    merge = merging.merge_entities(survivor=s, others=[x], user=editor)

    assert (merge.kind, merge.survivor_id, merge.survivor_name, merge.user) == ("author", s.pk, "Xavier Real", editor)
    assert merge.undone_at is None
    assert str(merge) == "Xavier Dup → Xavier Real"
    reason = f"merged into Xavier Real #{s.pk} (merge #{merge.pk})"
    deleted = Author.history.get(id=x.pk, history_type="-")
    assert (deleted.history_change_reason, deleted.history_user) == (reason, editor)
    moved = ArticleAuthor.history.filter(article_id=article.pk, history_type="~").get()
    assert (moved.author_id, moved.history_change_reason, moved.history_user) == (s.pk, reason, editor)
    absorbed = Author.history.filter(id=s.pk, history_type="~").get()
    assert absorbed.history_change_reason == f"absorbed Xavier Dup #{x.pk} (merge #{merge.pk})"
    snapshot = Merge.objects.get().merged
    assert [(row["id"], row["name"], row["slug"]) for row in snapshot["rows"]] == [(x.pk, x.name, x.slug)]
    assert snapshot["bylines"] == [
        {"article": article.pk, "before": before, "after": [[s.pk, 0], [b.pk, 1]], "repointed_position": 0}
    ]
    assert [alias["slug"] for alias in snapshot["aliases_created"]] == [x.slug]


def test_a_long_name_still_fits_the_history_reason():
    s = AuthorFactory(name="S" * 200)
    x = AuthorFactory(name="X" * 200)

    merging.merge_entities(survivor=s, others=[x])

    reason = Author.history.get(id=x.pk, history_type="-").history_change_reason
    assert len(reason) == merging.REASON_MAX_LENGTH
    assert reason.startswith("merged into SSS")


@pytest.mark.parametrize(
    ("others", "message"),
    [
        (lambda s, x: [s], "into itself"),
        (lambda s, x: [x, s], "into itself"),
        (lambda s, x: [], "at least one"),
    ],
)
def test_bad_merges_are_refused_with_a_clear_error(others, message):
    s, x = AuthorFactory(), AuthorFactory()
    article = ArticleFactory(authors=[x])

    with pytest.raises(merging.MergeError, match=message):
        merging.merge_entities(survivor=s, others=others(s, x))

    assert Author.objects.count() == 2
    assert byline(article) == [x.name]
    assert not Merge.objects.exists()


def test_an_author_deleted_meanwhile_is_refused():
    s, x = AuthorFactory(), AuthorFactory()
    stale = Author.objects.get(pk=x.pk)
    x.delete()

    with pytest.raises(merging.MergeError, match="no longer exists"):
        merging.merge_entities(survivor=s, others=[stale])


def test_the_preview_lists_what_will_move_and_changes_nothing(django_assert_num_queries):
    """
    GIVEN X credited on [A, X, B] and [X], Y credited on [Y, B], and X with an alias
    WHEN a merge of X and Y into A is previewed
    THEN every article that moves is listed with its byline before and after, and the aliases to make
    """
    a, b = AuthorFactory(name="Ann A", bio=""), AuthorFactory(name="Bob B")
    x, y = AuthorFactory(name="Ann X", bio="", social_handle="@annx"), AuthorFactory(name="Ann Y")
    AuthorAlias.objects.create(author=x, name="A. X.", slug="a-x")
    first = ArticleFactory(title="First", authors=[a, x, b])
    second = ArticleFactory(title="Second", authors=[x])
    third = ArticleFactory(title="Third", authors=[y, b])
    ArticleFactory(title="Untouched", authors=[b])

    with django_assert_num_queries(2):
        preview = merging.preview_merge(survivor=a, others=[x, y])

    assert preview.kind == "author"
    assert preview.survivor == a
    assert preview.article_count == 3
    px, py = preview.merged
    assert (px.id, px.name, px.slug, px.aliases) == (x.pk, "Ann X", x.slug, ("Ann X", "A. X."))
    assert [(c.article_id, c.title, c.before, c.after) for c in px.articles] == [
        (first.pk, "First", ("Ann A", "Ann X", "Bob B"), ("Ann A", "Bob B")),
        (second.pk, "Second", ("Ann X",), ("Ann A",)),
    ]
    assert [(c.article_id, c.before, c.after) for c in py.articles] == [
        (third.pk, ("Ann Y", "Bob B"), ("Ann A", "Bob B"))
    ]
    assert preview.filled == {"bio": "Ann Y is a staff writer.", "social_handle": "@annx"}
    assert preview.alias_names == ["Ann X", "A. X.", "Ann Y"]
    assert Author.objects.count() == 4 and not Merge.objects.exists()


def test_the_preview_refuses_a_merge_into_itself():
    s = AuthorFactory()
    with pytest.raises(merging.MergeError, match="into itself"):
        merging.preview_merge(survivor=s, others=[s])
