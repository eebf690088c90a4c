"""The review queue: its entry points, its reasons, import conflicts settled one by one, and "Mark reviewed & next"."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from articles.importing import bytes_source, import_sources
from articles.models import Article
from tests.admin.conftest import import_seed
from tests.admin.helpers import change_form_data
from tests.factories import ArticleFactory
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_article_changelist")
QUEUE_URL = CHANGELIST_URL + "?needs_review__exact=1"


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def text(response) -> str:
    return " ".join(response.content.decode().split())


def reimport(key: str, **parts) -> None:
    report = import_sources(sources=[bytes_source(seed_text(**parts).encode(), key=key)])
    assert report.counts["updated"] == 1, report.as_dict()


@pytest.fixture
def conflicted(db) -> Article:
    """An imported article whose title an editor corrected before a changed source was imported again."""
    article = import_seed("conflict.txt", title="Orginal headline", subtitle="First subtitle")
    article.title = "Original headline"
    article.save()
    reimport("conflict.txt", title="Original headline, updated", subtitle="Second subtitle")
    article.refresh_from_db()
    assert article.import_conflicts == {
        "title": {"editor": "Original headline", "parsed": "Original headline, updated"}
    }
    return article


# --- Entry points ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [reverse("admin:index"), CHANGELIST_URL])
def test_entry_point_links_to_the_queue_with_its_count(editor_client, url):
    ArticleFactory.create_batch(2, needs_review=True, review_reasons=["no author"])
    ArticleFactory()

    response = editor_client.get(url)

    assert f'<a href="{QUEUE_URL.replace("&", "&amp;")}" id="review-queue-link">Review queue (2)</a>' in text(response)


def test_the_review_url_redirects_to_the_queue(editor_client):
    response = editor_client.get(reverse("admin:articles_article_review"))

    assert response.status_code == 302
    assert response.url == QUEUE_URL


def test_the_queue_lists_flagged_articles_oldest_first_with_their_reasons(editor_client):
    """
    GIVEN two flagged articles of the same priority, the newer created first, and one clean article
    WHEN the queue is opened
    THEN it lists the flagged ones oldest first, with a column of their reasons and one of their priority
    """
    newer = ArticleFactory(needs_review=True, review_reasons=["no author"])
    older = ArticleFactory(needs_review=True, review_reasons=["no publisher", "no body"])
    Article.objects.filter(pk=older.pk).update(created_at=newer.created_at - datetime.timedelta(days=1))
    Article.objects.filter(pk__in=[newer.pk, older.pk]).update(review_priority=20)
    ArticleFactory()

    response = editor_client.get(QUEUE_URL)

    assert list(response.context["cl"].result_list) == [older, newer]
    headers = [str(h["text"]) for h in response.context["result_headers"]]
    assert "review reasons" in headers and "review priority" in headers
    assert "<div>no publisher</div><div>no body</div>" in response.content.decode()


def test_the_queue_lists_the_likeliest_errors_first(editor_client):
    """
    GIVEN flagged articles, oldest first: plain (no publisher, no author), unrecognised layout, no body
    WHEN the queue is opened
    THEN the unrecognised layout comes first, then the missing body, then the missing metadata
    """
    plain = import_seed("plain.txt", publisher=None, author=None, subtitle="", credit=None)
    Article.objects.filter(pk=plain.pk).update(created_at=plain.created_at - datetime.timedelta(days=2))
    layout = ArticleFactory(needs_review=True, review_reasons=["unrecognised layout"])
    empty = ArticleFactory(needs_review=True, review_reasons=["no body"])
    assert plain.review_reasons == ["no publisher", "no author"]

    response = editor_client.get(QUEUE_URL)

    assert list(response.context["cl"].result_list) == [layout, empty, plain]
    assert [a.review_priority for a in response.context["cl"].result_list] == [80, 60, 40]


def test_the_change_form_of_a_flagged_article_shows_its_reasons(editor_client):
    flagged = ArticleFactory(needs_review=True, review_reasons=["no author <script>"])

    response = editor_client.get(change_url(flagged))

    content = response.content.decode()
    assert '<ul class="reasons" id="review-reasons">' in content
    assert "<li>no author &lt;script&gt;</li>" in content
    assert 'name="_review_next"' in content


def test_a_clean_article_has_no_review_panel(editor_client, article):
    content = editor_client.get(change_url(article)).content.decode()

    assert 'id="review-panel"' not in content
    assert 'name="_review_next"' not in content


# --- Mark reviewed & next ----------------------------------------------------------------


def test_mark_reviewed_and_next_saves_and_moves_on(editor_client, editor):
    """
    GIVEN two flagged articles, A older than B
    WHEN an editor fixes A's subtitle and presses "Mark reviewed & next"
    THEN A is saved with the fix and out of the queue (one history row, by the editor), and B's form opens
    """
    a = ArticleFactory(needs_review=True, review_reasons=["no author"])
    b = ArticleFactory(needs_review=True, review_reasons=["no publisher"])
    Article.objects.filter(pk=a.pk).update(created_at=b.created_at - datetime.timedelta(hours=1))
    a.refresh_from_db()
    rows = Article.history.filter(id=a.pk).count()

    response = editor_client.post(change_url(a), change_form_data(a, subtitle="Fixed subtitle", _review_next="1"))

    assert response.status_code == 302
    assert response.url == change_url(b)
    a.refresh_from_db()
    assert (a.subtitle, a.needs_review, a.review_reasons) == ("Fixed subtitle", False, [])
    assert Article.history.filter(id=a.pk).count() == rows + 1
    record = Article.history.filter(id=a.pk).latest("history_date")
    assert (record.history_user, record.history_change_reason, record.subtitle) == (
        editor,
        "marked reviewed",
        "Fixed subtitle",
    )


def test_mark_reviewed_and_next_follows_the_priority_order(editor_client):
    """
    GIVEN three flagged articles: an unrecognised layout, a missing body, missing metadata
    WHEN an editor marks the middle one (missing body) reviewed & next
    THEN the one after it in the queue opens (missing metadata), not the top of the queue
    """
    low = ArticleFactory(needs_review=True, review_reasons=["no author"])
    ArticleFactory(needs_review=True, review_reasons=["unrecognised layout"])
    middle = ArticleFactory(needs_review=True, review_reasons=["no body"])

    response = editor_client.post(change_url(middle), change_form_data(middle, _review_next="1"))

    assert response.url == change_url(low)


def test_mark_reviewed_and_next_wraps_around_then_ends_in_the_empty_queue(editor_client):
    a = ArticleFactory(needs_review=True, review_reasons=["no author"])
    b = ArticleFactory(needs_review=True, review_reasons=["no author"])
    Article.objects.filter(pk=a.pk).update(created_at=b.created_at - datetime.timedelta(hours=1))
    a.refresh_from_db()

    response = editor_client.post(change_url(b), change_form_data(b, _review_next="1"))
    assert response.url == change_url(a)

    response = editor_client.post(change_url(a), change_form_data(a, _review_next="1"), follow=True)

    assert response.redirect_chain[-1][0] == QUEUE_URL
    assert "The review queue is empty." in [str(m) for m in response.context["messages"]]
    assert not Article.objects.filter(needs_review=True).exists()


def test_invalid_form_with_mark_reviewed_changes_nothing(editor_client):
    flagged = ArticleFactory(needs_review=True, review_reasons=["no author"])

    response = editor_client.post(change_url(flagged), change_form_data(flagged, title="", _review_next="1"))

    assert response.status_code == 200
    flagged.refresh_from_db()
    assert flagged.needs_review is True


# --- Import conflicts -----------------------------------------------------------------


def test_conflict_is_shown_with_both_values(editor_client, conflicted):
    response = editor_client.get(change_url(conflicted))

    content = text(response)
    assert 'id="conflict-title"' in content
    assert '<td class="conflict-editor">Original headline</td>' in content
    assert '<td class="conflict-parsed">Original headline, updated</td>' in content
    assert "Accept parsed value" in content
    assert "Keep editor's value" in content


@pytest.mark.parametrize(
    ("choice", "title", "reason"),
    [
        ("parsed", "Original headline, updated", "import conflict: accepted the parsed title"),
        ("editor", "Original headline", "import conflict: kept the editor's title"),
    ],
)
def test_settling_a_conflict(editor_client, editor, conflicted, choice, title, reason):
    """
    GIVEN an article with an import conflict on its title and no other reason for review
    WHEN the editor accepts the parsed title, or keeps theirs
    THEN the title is that value, the conflict and its reason are gone, the article leaves the queue, and the
         history records who chose what
    """
    url = reverse("admin:articles_article_conflict", args=[conflicted.pk, "title"])

    response = editor_client.post(url, {"choice": choice})

    assert response.status_code == 302
    assert response.url == change_url(conflicted)
    conflicted.refresh_from_db()
    assert conflicted.title == title
    assert (conflicted.import_conflicts, conflicted.review_reasons, conflicted.needs_review) == ({}, [], False)
    record = Article.history.filter(id=conflicted.pk).latest("history_date")
    assert (record.history_user, record.history_change_reason) == (editor, reason)


def test_settling_one_of_two_conflicts_keeps_the_article_in_the_queue(editor_client):
    article = import_seed("two.txt", title="First title", subtitle="First subtitle")
    article.title, article.subtitle = "Editor title", "Editor subtitle"
    article.save()
    reimport("two.txt", title="Second title", subtitle="Second subtitle")

    editor_client.post(reverse("admin:articles_article_conflict", args=[article.pk, "title"]), {"choice": "editor"})

    article.refresh_from_db()
    assert set(article.import_conflicts) == {"subtitle"}
    assert article.review_reasons == ["editor's subtitle kept; the new import differs"]
    assert article.needs_review is True


def test_accepting_parsed_authors_and_publisher(editor_client):
    """
    GIVEN an article whose byline and publisher an editor changed, then re-imported with other ones
    WHEN the editor accepts the parsed byline and publisher
    THEN the article credits the newly parsed author and publisher
    """
    article = import_seed("people.txt", author="Jane Reporter", publisher="Blaze Media LLC")
    other = ArticleFactory()
    article.publisher = other.publisher
    article.save()
    article.bylines.all().delete()
    reimport("people.txt", author="John Writer", publisher="Other Media Inc", title="Changed title")
    article.refresh_from_db()
    assert set(article.import_conflicts) == {"authors", "publisher"}

    for field in ["authors", "publisher"]:
        url = reverse("admin:articles_article_conflict", args=[article.pk, field])
        assert editor_client.post(url, {"choice": "parsed"}).status_code == 302

    article.refresh_from_db()
    assert article.publisher.name == "Other Media Inc."  # as printed, "Inc." keeps its full stop
    assert [b.author.name for b in article.bylines.select_related("author")] == ["John Writer"]
    assert article.needs_review is False


@pytest.mark.parametrize(("field", "data"), [("title", {"choice": "maybe"}), ("subtitle", {"choice": "parsed"})])
def test_bad_conflict_requests_show_an_error(editor_client, conflicted, field, data):
    url = reverse("admin:articles_article_conflict", args=[conflicted.pk, field])

    response = editor_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    conflicted.refresh_from_db()
    assert "title" in conflicted.import_conflicts


def test_conflict_url_refuses_get(editor_client, conflicted):
    response = editor_client.get(reverse("admin:articles_article_conflict", args=[conflicted.pk, "title"]))

    assert response.status_code == 405


def test_view_only_staff_cannot_settle_conflicts(client, django_user_model, conflicted):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)

    assert 'id="conflict-title"' not in client.get(change_url(conflicted)).content.decode()
    url = reverse("admin:articles_article_conflict", args=[conflicted.pk, "title"])
    assert client.post(url, {"choice": "parsed"}).status_code == 403
