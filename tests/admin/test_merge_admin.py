"""Merging authors and publishers from the admin: confirmation with a preview, aliases, merge records and undo."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from articles.models import Article, Author, AuthorAlias, Merge, PublisherAlias
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

AUTHORS_URL = reverse("admin:articles_author_changelist")
PUBLISHERS_URL = reverse("admin:articles_publisher_changelist")
MERGES_URL = reverse("admin:articles_merge_changelist")
# Session, user, the editor's user and group permissions, the count, the full
# count, the page with its users, the date hierarchy (min/max, then days).
MERGE_LIST_QUERIES = 9


def text(response) -> str:
    return " ".join(response.content.decode().split())


def byline(article: Article) -> list[str]:
    return [b.author.name for b in article.bylines.select_related("author").order_by("position")]


@pytest.fixture
def duplicates(db) -> dict:
    """Jane Reporter (two articles) and her duplicate J. Reporter (one article, second in its byline)."""
    jane = AuthorFactory(name="Jane Reporter", slug="jane-reporter", bio="")
    dup = AuthorFactory(name="J. Reporter", slug="j-reporter", bio="Writes about bridges.")
    lead = AuthorFactory(name="Lead Writer")
    return {
        "jane": jane,
        "dup": dup,
        "a1": ArticleFactory(title="Bridge opens", authors=[jane]),
        "a2": ArticleFactory(title="Bridge closes", authors=[jane]),
        "a3": ArticleFactory(title="Bridge repaired", authors=[lead, dup]),
    }


def start_merge(client, url: str, objs) -> object:
    return client.post(url, {"action": "merge_selected", "_selected_action": [o.pk for o in objs]})


def confirm_merge(client, url: str, objs, survivor) -> object:
    data = {
        "action": "merge_selected",
        "_selected_action": [o.pk for o in objs],
        "survivor": survivor.pk,
        "previewed": survivor.pk,
        # What a browser posts: the confirm button's label.
        "confirm": f"Merge into “{survivor}”",
    }
    return client.post(url, data)


def test_merge_action_shows_a_confirmation_with_what_moves(editor_client, duplicates):
    """
    GIVEN Jane Reporter and her duplicate J. Reporter selected in the author list
    WHEN the editor runs "Merge selected authors"
    THEN a confirmation page offers both as the one to keep (Jane, with more articles, chosen) and shows, per article,
         the byline before and after; nothing is merged yet
    """
    response = start_merge(editor_client, AUTHORS_URL, [duplicates["jane"], duplicates["dup"]])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/articles/merge_confirmation.html"
    html = text(response)
    assert response.context["survivor"] == duplicates["jane"]
    assert response.context["form"]["survivor"].value() == duplicates["jane"].pk
    assert html.count('type="radio" name="survivor"') == 2
    assert (
        "<tr><td>Bridge repaired</td><td>Lead Writer, J. Reporter</td><td>Lead Writer, Jane Reporter</td></tr>" in html
    )
    assert "Becomes an alias: J. Reporter" in html
    # Merging is the primary button; previewing again and going back are secondary.
    assert (
        '<input type="submit" name="confirm" value="Merge into “Jane Reporter”" class="default" id="confirm-merge">'
        in html
    )
    assert '<input type="submit" name="preview" value="Update preview" class="secondary">' in html
    assert 'class="button cancel-link">No, take me back</a>' in html
    assert Author.objects.count() == 3


def test_update_preview_for_another_survivor(editor_client, duplicates):
    data = {
        "action": "merge_selected",
        "_selected_action": [duplicates["jane"].pk, duplicates["dup"].pk],
        "survivor": duplicates["dup"].pk,
        "previewed": duplicates["jane"].pk,
        "preview": "Update preview",
    }

    response = editor_client.post(AUTHORS_URL, data)

    assert response.context["survivor"] == duplicates["dup"]
    assert "<tr><td>Bridge opens</td><td>Jane Reporter</td><td>J. Reporter</td></tr>" in text(response)
    assert Author.objects.count() == 3


def test_confirming_with_an_unpreviewed_survivor_previews_first(editor_client, duplicates):
    data = {
        "action": "merge_selected",
        "_selected_action": [duplicates["jane"].pk, duplicates["dup"].pk],
        "survivor": duplicates["dup"].pk,
        "previewed": duplicates["jane"].pk,
        "confirm": "yes",
    }

    response = editor_client.post(AUTHORS_URL, data)

    assert response.status_code == 200
    assert Author.objects.count() == 3


def test_merge_message_links_to_the_merge(editor_client, duplicates):
    """The success message says where the merge can be undone, and links there; the names in it are escaped."""
    jane, dup = duplicates["jane"], duplicates["dup"]
    Author.objects.filter(pk=dup.pk).update(name="J. <b>Reporter</b>")
    dup.refresh_from_db()

    response = confirm_merge(editor_client, AUTHORS_URL, [jane, dup], jane)

    merge = Merge.objects.get()
    merge_url = reverse("admin:articles_merge_change", args=[merge.pk])
    [message] = [str(m) for m in editor_client.get(response.url).context["messages"]]
    assert message == (
        f"Merged “J. &lt;b&gt;Reporter&lt;/b&gt;” into “Jane Reporter” (merge #{merge.pk}). "
        f'It can be undone from <a href="{merge_url}">the merge’s page</a>.'
    )


def test_merge_authors(editor_client, editor, duplicates):
    """
    GIVEN the confirmation page for Jane Reporter and J. Reporter
    WHEN the editor keeps Jane and confirms
    THEN J. Reporter is gone and an alias of Jane, every article credits Jane in the same place, the merge is listed,
         and both authors' histories record it in the editor's name
    """
    jane, dup = duplicates["jane"], duplicates["dup"]

    response = confirm_merge(editor_client, AUTHORS_URL, [jane, dup], jane)

    assert response.status_code == 302
    assert response.url == reverse("admin:articles_author_change", args=[jane.pk])
    assert not Author.objects.filter(pk=dup.pk).exists()
    assert AuthorAlias.objects.get(slug="j-reporter").author == jane
    assert byline(duplicates["a3"]) == ["Lead Writer", "Jane Reporter"]
    merge = Merge.objects.get()
    assert (merge.kind, merge.survivor_id, merge.user) == ("author", jane.pk, editor)
    jane.refresh_from_db()
    assert jane.bio == "Writes about bridges."
    absorbed = Author.history.filter(id=jane.pk).latest("history_date")
    removed = Author.history.filter(id=dup.pk).latest("history_date")
    assert f"(merge #{merge.pk})" in absorbed.history_change_reason
    assert (removed.history_type, removed.history_user) == ("-", editor)
    assert f"merge #{merge.pk}" in text(editor_client.get(reverse("admin:articles_author_history", args=[jane.pk])))


def test_the_survivor_shows_its_aliases(editor_client, duplicates):
    jane = duplicates["jane"]
    confirm_merge(editor_client, AUTHORS_URL, [jane, duplicates["dup"]], jane)

    response = editor_client.get(reverse("admin:articles_author_change", args=[jane.pk]))

    html = text(response)
    assert "aliases (names merged into this author)" in html.lower()
    assert "J. Reporter" in html and "j-reporter" in html
    [aliases] = [f for f in response.context["inline_admin_formsets"] if f.opts.model is AuthorAlias]
    assert not (aliases.has_add_permission or aliases.has_change_permission or aliases.has_delete_permission)


def test_merge_needs_two(editor_client, duplicates):
    response = start_merge(editor_client, AUTHORS_URL, [duplicates["jane"]])

    assert response.status_code == 302
    assert Author.objects.count() == 3


def test_merge_publishers(editor_client, editor):
    """
    GIVEN "Blaze Media LLC" with two articles and its duplicate "Blaze Media" with one
    WHEN the editor merges them keeping the first
    THEN every article names Blaze Media LLC, and "Blaze Media" is an alias of it
    """
    keep, dup = PublisherFactory(name="Blaze Media LLC"), PublisherFactory(name="Blaze Media")
    ArticleFactory.create_batch(2, publisher=keep)
    moved = ArticleFactory(title="Moved article", publisher=dup)

    preview = start_merge(editor_client, PUBLISHERS_URL, [keep, dup])
    assert "<tr><td>Moved article</td><td>Blaze Media</td><td>Blaze Media LLC</td></tr>" in text(preview)
    response = confirm_merge(editor_client, PUBLISHERS_URL, [keep, dup], keep)

    assert response.status_code == 302
    moved.refresh_from_db()
    assert moved.publisher == keep
    assert PublisherAlias.objects.get(slug=dup.slug).publisher == keep
    assert Article.history.filter(id=moved.pk).latest("history_date").history_user == editor


def test_merges_are_listed_and_can_be_undone(editor_client, editor, duplicates):
    """
    GIVEN a merge of J. Reporter into Jane Reporter
    WHEN the editor opens it from the merge list and confirms "Yes, undo the merge"
    THEN J. Reporter is back with her byline position and no alias is left; the merge says who undid it
    """
    jane, dup = duplicates["jane"], duplicates["dup"]
    confirm_merge(editor_client, AUTHORS_URL, [jane, dup], jane)
    merge = Merge.objects.get()
    listing = text(editor_client.get(MERGES_URL))
    change_url = reverse("admin:articles_merge_change", args=[merge.pk])
    undo_url = reverse("admin:articles_merge_undo", args=[merge.pk])
    assert change_url in listing
    assert f'<a href="{undo_url}" id="undo-merge-link">Undo this merge</a>' in text(editor_client.get(change_url))

    confirmation = editor_client.get(undo_url)
    assert confirmation.status_code == 200
    assert "Yes, undo the merge" in text(confirmation)
    assert Merge.objects.get().undone_at is None

    response = editor_client.post(undo_url)

    assert response.status_code == 302
    merge.refresh_from_db()
    assert (merge.is_undone, merge.undone_by) == (True, editor)
    assert byline(duplicates["a3"]) == ["Lead Writer", "J. Reporter"]
    assert not AuthorAlias.objects.exists()
    assert "Undo this merge" not in text(editor_client.get(change_url))


def test_undoing_twice_is_refused_with_a_message(editor_client, duplicates):
    confirm_merge(editor_client, AUTHORS_URL, [duplicates["jane"], duplicates["dup"]], duplicates["jane"])
    undo_url = reverse("admin:articles_merge_undo", args=[Merge.objects.get().pk])
    editor_client.post(undo_url)

    response = editor_client.post(undo_url, follow=True)

    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"


def test_merge_records_cannot_be_edited_or_deleted(editor_client, admin_client, duplicates):
    confirm_merge(editor_client, AUTHORS_URL, [duplicates["jane"], duplicates["dup"]], duplicates["jane"])
    merge = Merge.objects.get()

    for client in (editor_client, admin_client):
        assert client.get(reverse("admin:articles_merge_add")).status_code == 403
        assert client.post(reverse("admin:articles_merge_delete", args=[merge.pk]), {"post": "yes"}).status_code == 403
        assert (
            client.post(reverse("admin:articles_merge_change", args=[merge.pk]), {"kind": "publisher"}).status_code
            == 403
        )
    assert Merge.objects.get().kind == "author"


def test_staff_who_cannot_delete_authors_cannot_merge_or_undo(client, django_user_model, duplicates, editor_client):
    confirm_merge(editor_client, AUTHORS_URL, [duplicates["jane"], duplicates["dup"]], duplicates["jane"])
    user = django_user_model.objects.create_user("changer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_author", "change_author"]))
    client.force_login(user)

    assert client.get(AUTHORS_URL).context["action_form"] is None  # neither merge nor delete
    client.post(AUTHORS_URL, {"action": "merge_selected", "_selected_action": [duplicates["jane"].pk]})
    assert client.post(reverse("admin:articles_merge_undo", args=[Merge.objects.get().pk])).status_code == 403
    assert Merge.objects.get().undone_at is None


@pytest.mark.parametrize("count", [2, 20])
def test_merge_list_runs_a_fixed_number_of_queries(editor_client, editor, django_assert_num_queries, count):
    """Session, user, the editor's user and group permissions, the capped count... and the page with its users."""
    Merge.objects.bulk_create(
        Merge(kind=Merge.Kind.AUTHOR, survivor_id=i, survivor_name=f"Author {i}", user=editor, merged={"rows": []})
        for i in range(count)
    )

    with django_assert_num_queries(MERGE_LIST_QUERIES):
        response = editor_client.get(MERGES_URL)

    assert len(response.context["cl"].result_list) == count
