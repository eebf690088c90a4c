"""History in the admin: readable diffs with who and when, and a safe revert of articles to an earlier version."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from articles.importing import bytes_source, import_sources
from articles.models import Article, Author
from articles.reverting import revert_article
from articles.review import conflict_reason
from tests.admin.conftest import import_seed
from tests.admin.helpers import change_form_data
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db

PROVENANCE = ["source_key", "content_sha256", "raw_text", "source_encoding", "parsed", "import_run_id", "slug"]


def history_url(article: Article) -> str:
    return reverse("admin:articles_article_history", args=[article.pk])


def version_url(article: Article, record) -> str:
    return reverse("admin:articles_article_simple_history", args=[article.pk, record.history_id])


def text(response) -> str:
    return " ".join(response.content.decode().split())


def first_version(article: Article):
    return Article.history.filter(id=article.pk).earliest("history_date")


@pytest.fixture
def edited(editor_client) -> Article:
    """An imported article by Jane Reporter whose subtitle, status and byline an editor then changed in the admin."""
    article = import_seed("history.txt", title="Bridge vote", subtitle="Council adjourns", author="Jane Reporter")
    newcomer = AuthorFactory(name="Second Author")
    data = change_form_data(
        article,
        subtitle="Council adjourns until May",
        status="withdrawn",
        **{"bylines-TOTAL_FORMS": 2, "bylines-1-position": 1, "bylines-1-author": newcomer.pk},
    )
    response = editor_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    return article


# --- The history page -------------------------------------------------------------------


def test_history_shows_each_change_as_a_diff_with_who_and_why(editor_client, edited):
    """
    GIVEN an article created by the importer and changed by an editor
    WHEN its history page is opened
    THEN the editor's change reads "Subtitle: old → new" and "Status: ...", by the editor; the import is listed with
         its reason; and the byline changes are listed with their authors
    """
    response = editor_client.get(history_url(edited))

    assert response.status_code == 200
    html = text(response)
    assert "<strong>Subtitle:</strong> Council adjourns &nbsp;&rarr;&nbsp;&nbsp;Council adjourns until May" in html
    assert "<strong>Status:</strong> published &nbsp;&rarr;&nbsp;&nbsp;withdrawn" in html
    assert f"created by import run #{edited.import_run_id}" in html
    assert ">editor</a>" in html
    assert html.count(">Revert</a>") == 1  # every version but the current one
    byline = html[html.index('id="byline-history"') :]
    assert "Second Author" in byline
    assert "Jane Reporter" in byline


def test_history_leaves_an_empty_change_reason_blank(editor_client, edited):
    """A change recorded without a reason: its reason cell is empty, not "None"."""
    edited.history.filter(pk=edited.history.first().pk).update(history_change_reason=None)
    html = text(editor_client.get(history_url(edited)))

    table = html[html.index('id="change-history"') : html.index("</table>", html.index('id="change-history"'))]
    newest = table[table.index("<tbody>") : table.index("</tr>", table.index("<tbody>"))]
    cells = re.findall(r"<td>(.*?)</td>", newest)
    assert edited.history.first().history_change_reason is None
    assert "Changed" in cells[2] and ">editor</a>" in cells[3]
    assert cells[4].strip() == ""


def test_history_names_the_user(editor_client, editor, edited):
    records = list(editor_client.get(history_url(edited)).context["page_obj"].object_list)

    assert records[0].history_user == editor
    assert records[-1].history_user is None  # the importer
    assert "the importer or the system" in text(editor_client.get(history_url(edited)))


def test_importer_updates_appear_in_history(editor_client, edited):
    import_sources(sources=[bytes_source(seed_text(title="Bridge vote, again").encode(), key="history.txt")])

    html = text(editor_client.get(history_url(edited)))

    assert "updated by import run #" in html


# --- Reverting an article ------------------------------------------------------------------


def test_revert_page_shows_what_changes(editor_client, edited):
    response = editor_client.get(version_url(edited, first_version(edited)))

    assert response.status_code == 200
    html = text(response)
    assert (
        '<tr id="revert-subtitle"><th scope="row">Subtitle</th><td><div class="revert-value">Council adjourns until May'
        '</div></td><td><div class="revert-value">Council adjourns</div></td></tr>'
    ) in html
    assert (
        '<tr id="revert-byline"><th scope="row">Byline</th><td>Jane Reporter, Second Author</td><td>Jane Reporter</td>'
    ) in html
    # Only what differs: the form's save changed neither the body nor the publication date.
    assert 'id="revert-body"' not in html
    assert 'id="revert-published_at"' not in html
    assert 'value="Revert to this version"' in html


def test_revert_restores_content_and_byline_and_keeps_provenance(editor_client, editor, edited):
    """
    GIVEN an imported article whose subtitle, status and byline an editor changed
    WHEN the editor reverts it to its first version, giving a reason
    THEN subtitle, status and byline are back, the provenance is today's, and the revert is a new version
         recorded with the editor and the reason
    """
    before = Article.objects.get(pk=edited.pk)
    first = first_version(edited)

    response = editor_client.post(version_url(edited, first), {"reason": "wrong subtitle"})

    assert response.status_code == 302
    assert response.url == reverse("admin:articles_article_change", args=[edited.pk])
    after = Article.objects.get(pk=edited.pk)
    assert (after.subtitle, after.status) == ("Council adjourns", "published")
    assert [b.author.name for b in after.bylines.select_related("author").order_by("position")] == ["Jane Reporter"]
    for field in PROVENANCE:
        assert getattr(after, field) == getattr(before, field), field
    latest = Article.history.filter(id=edited.pk).latest("history_date")
    assert latest.history_user == editor
    assert re.fullmatch(r"reverted to the version of \S+ \S+: wrong subtitle", latest.history_change_reason)
    assert Article.history.filter(id=edited.pk).count() == 3


def test_revert_is_itself_revertible(editor_client, edited):
    """A revert is a version like any other: reverting to the version before it undoes it."""
    editor_client.post(version_url(edited, first_version(edited)), {"reason": ""})
    changed = Article.history.filter(id=edited.pk).order_by("-history_date")[1]

    editor_client.post(version_url(edited, changed), {"reason": "undo the revert"})

    edited.refresh_from_db()
    assert (edited.subtitle, edited.status) == ("Council adjourns until May", "withdrawn")
    assert [b.author.name for b in edited.bylines.select_related("author").order_by("position")] == [
        "Jane Reporter",
        "Second Author",
    ]


def test_revert_restores_the_byline_an_import_replaced(editor_client):
    """
    GIVEN an article whose source was re-imported with another author (the importer writes the byline before the
          article)
    WHEN it is reverted to its first version
    THEN the first author is back
    """
    article = import_seed("byline.txt", author="Jane Reporter")
    import_sources(sources=[bytes_source(seed_text(author="John Writer").encode(), key="byline.txt")])
    article.refresh_from_db()
    assert [b.author.name for b in article.bylines.select_related("author")] == ["John Writer"]

    editor_client.post(version_url(article, first_version(article)), {"reason": ""})

    assert [b.author.name for b in article.bylines.select_related("author")] == ["Jane Reporter"]


def test_revert_keeps_a_byline_written_without_history(editor_client):
    """Bylines loaded without history rows (e.g. a bulk load) cannot be rebuilt: the byline stays, and it says so."""
    article = ArticleFactory(subtitle="Old", authors=[AuthorFactory(name="Ann Lee")])
    article.subtitle = "New"
    article.save()

    response = editor_client.post(version_url(article, first_version(article)), {"reason": ""}, follow=True)

    article.refresh_from_db()
    assert article.subtitle == "Old"
    assert [b.author.name for b in article.bylines.select_related("author")] == ["Ann Lee"]
    assert any("byline" in str(m) for m in response.context["messages"])


def test_revert_keeps_the_publisher_when_the_old_one_is_gone(editor_client):
    old, new = PublisherFactory(name="Old Press"), PublisherFactory(name="New Press")
    article = ArticleFactory(publisher=old)
    article.publisher = new
    article.save()
    old_pk = old.pk
    Article.objects.filter(publisher=old).update(publisher=new)
    old.delete()

    response = editor_client.post(version_url(article, first_version(article)), {"reason": ""}, follow=True)

    article.refresh_from_db()
    assert article.publisher == new
    assert any(f"#{old_pk}" in str(m) for m in response.context["messages"])


def test_reason_too_long_is_a_form_error(editor_client, edited):
    response = editor_client.post(version_url(edited, first_version(edited)), {"reason": "x" * 61})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    edited.refresh_from_db()
    assert edited.subtitle == "Council adjourns until May"


def test_version_of_another_article_is_404(editor_client, edited, article):
    response = editor_client.get(version_url(article, first_version(edited)))

    assert response.status_code == 404


def test_view_only_staff_see_versions_but_cannot_revert(client, django_user_model, edited):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)
    url = version_url(edited, first_version(edited))

    response = client.get(url)
    assert response.status_code == 200
    assert "Revert to this version" not in response.content.decode()

    assert client.post(url, {"reason": "no"}).status_code == 403
    edited.refresh_from_db()
    assert edited.subtitle == "Council adjourns until May"


def test_revert_settles_the_import_conflicts_on_what_it_restores(editor_client, edited):
    """
    GIVEN an article whose subtitle and byline an editor changed, then a re-import that parsed both differently
    WHEN the editor reverts it to its first version
    THEN both conflicts and their review reasons are gone, the article leaves review, the panel shows none
    """
    source = seed_text(title="Bridge vote", subtitle="Council meets", author="John Writer")
    import_sources(sources=[bytes_source(source.encode(), key="history.txt")])
    edited.refresh_from_db()
    assert set(edited.import_conflicts) == {"subtitle", "authors"}
    assert edited.needs_review is True

    response = editor_client.post(version_url(edited, first_version(edited)), {"reason": "back to the source"})

    assert response.status_code == 302
    edited.refresh_from_db()
    assert edited.subtitle == "Council adjourns"
    assert (edited.import_conflicts, edited.review_reasons, edited.needs_review) == ({}, [], False)
    html = text(editor_client.get(reverse("admin:articles_article_change", args=[edited.pk])))
    assert 'id="import-conflicts"' not in html


WARNING = "No author found"


@pytest.mark.parametrize(
    ("conflicts", "reasons", "left_conflicts", "left_reasons"),
    [
        (["subtitle"], [conflict_reason("subtitle")], [], []),
        (
            ["subtitle", "title"],
            [conflict_reason("subtitle"), conflict_reason("title")],
            ["title"],
            [conflict_reason("title")],
        ),
        (["subtitle"], [WARNING, conflict_reason("subtitle")], [], [WARNING]),
        # A conflict on a field the revert does not change stays pending.
        (["title"], [conflict_reason("title")], ["title"], [conflict_reason("title")]),
    ],
)
def test_revert_drops_only_the_conflicts_and_reasons_of_restored_fields(
    editor, conflicts, reasons, left_conflicts, left_reasons
):
    article = ArticleFactory(title="Same title", subtitle="Old")
    article.subtitle = "New"
    article.save()
    values = {name: {"editor": getattr(article, name), "parsed": "Parsed"} for name in conflicts}
    Article.objects.filter(pk=article.pk).update(import_conflicts=values, review_reasons=reasons, needs_review=True)

    revert_article(article=article, version=first_version(article), user=editor)

    article.refresh_from_db()
    assert article.subtitle == "Old"
    assert sorted(article.import_conflicts) == left_conflicts
    assert article.review_reasons == left_reasons
    assert article.needs_review is bool(left_reasons)


# --- Authors and publishers: simple-history's own revert ---------------------------------


def test_author_history_diff_and_revert(editor_client, editor):
    """
    GIVEN an author renamed by an editor
    WHEN the history shows the rename and the editor reverts it
    THEN the old name is back, recorded as a change by the editor
    """
    author = AuthorFactory(name="Jane Reporter", slug="jane-reporter")
    url = reverse("admin:articles_author_change", args=[author.pk])
    aliases = {"aliases-TOTAL_FORMS": 0, "aliases-INITIAL_FORMS": 0}
    data = {"name": "Jane Reportr", "slug": "jane-reporter", "bio": author.bio, "social_handle": "", **aliases}
    assert editor_client.post(url, data).status_code == 302
    history = reverse("admin:articles_author_history", args=[author.pk])
    assert "<strong>Name:</strong> Jane Reporter &nbsp;&rarr;&nbsp;&nbsp;Jane Reportr" in text(
        editor_client.get(history)
    )
    first = Author.history.filter(id=author.pk).earliest("history_date")
    version = reverse("admin:articles_author_simple_history", args=[author.pk, first.history_id])

    response = editor_client.post(
        version,
        {"name": first.name, "slug": first.slug, "bio": first.bio, "social_handle": first.social_handle, **aliases},
    )

    assert response.status_code == 302
    author.refresh_from_db()
    assert author.name == "Jane Reporter"
    assert Author.history.filter(id=author.pk).latest("history_date").history_user == editor


def test_an_imported_article_has_no_history_row_and_its_page_names_the_run(editor_client):
    """
    GIVEN an article created by an import and never changed
    WHEN its history page is opened
    THEN there is no history row (the run and provenance record the import) and the page says which run imported it
    """
    article = import_seed("fresh.txt", title="Fresh from the import")

    html = text(editor_client.get(history_url(article)))

    assert not Article.history.filter(id=article.pk).exists()
    assert f'Imported by <a href="/admin/articles/importrun/{article.import_run_id}/change/">import run #' in html


def test_the_first_change_of_an_imported_article_records_the_imported_version_first(editor_client):
    article = import_seed("first-change.txt", title="As imported", author="Jane Reporter")

    article.title = "Corrected"
    article.save()

    first, second = Article.history.filter(id=article.pk).order_by("history_date")
    assert (first.title, first.history_type, first.history_user) == ("As imported", "+", None)
    assert first.history_change_reason == f"created by import run #{article.import_run_id}"
    assert first.history_date == article.created_at
    assert second.title == "Corrected"
    assert list(article.bylines.model.history.filter(article_id=article.pk).values_list("history_type", flat=True)) == [
        "+"
    ]
