"""The article list's actions: publish, withdraw, mark reviewed, re-parse and export, each recorded in history."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.admin.conftest import import_seed
from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_article_changelist")


def run_action(client, action: str, articles: list[Article], **extra):
    data = {"action": action, "_selected_action": [a.pk for a in articles], **extra}
    return client.post(CHANGELIST_URL, data)


def latest_history(article: Article):
    return Article.history.filter(id=article.pk).order_by("-history_date", "-history_id").first()


@pytest.fixture
def draft(db) -> Article:
    return ArticleFactory(status=Article.Status.DRAFT, published_at=None)


def test_publish_sets_the_date_once(editor_client, editor, draft):
    """
    GIVEN a draft never published and a withdrawn article published last year
    WHEN an editor publishes both
    THEN both are published, the draft dated now and the other keeping its date, each with a history row by the editor
    """
    last_year = timezone.now().replace(year=timezone.now().year - 1)
    withdrawn = ArticleFactory(status=Article.Status.WITHDRAWN, published_at=last_year)
    before = timezone.now()

    response = run_action(editor_client, "publish", [draft, withdrawn])

    assert response.status_code == 302
    draft.refresh_from_db()
    withdrawn.refresh_from_db()
    assert draft.status == withdrawn.status == Article.Status.PUBLISHED
    assert draft.published_at >= before
    assert withdrawn.published_at == last_year
    for article in (draft, withdrawn):
        record = latest_history(article)
        assert (record.status, record.history_user, record.history_change_reason) == ("published", editor, "published")


def test_publishing_a_published_article_changes_nothing(editor_client, article):
    rows = Article.history.filter(id=article.pk).count()

    run_action(editor_client, "publish", [article])

    assert Article.history.filter(id=article.pk).count() == rows


def test_withdraw_keeps_the_publication_date(editor_client, editor, article):
    published_at = article.published_at

    run_action(editor_client, "withdraw", [article])

    article.refresh_from_db()
    assert (article.status, article.published_at) == (Article.Status.WITHDRAWN, published_at)
    assert latest_history(article).history_user == editor


def test_mark_reviewed_clears_the_flag_reasons_and_conflicts(editor_client, editor):
    flagged = ArticleFactory(
        needs_review=True,
        review_reasons=["no author", "editor's title kept; the new import differs"],
        import_conflicts={"title": {"editor": "A", "parsed": "B"}},
    )

    response = run_action(editor_client, "mark_reviewed", [flagged])

    assert response.status_code == 302
    flagged.refresh_from_db()
    assert (flagged.needs_review, flagged.review_reasons, flagged.import_conflicts) == (False, [], {})
    record = latest_history(flagged)
    assert (record.needs_review, record.history_user, record.history_change_reason) == (
        False,
        editor,
        "marked reviewed",
    )


@pytest.mark.parametrize("count", [1, 30])
def test_bulk_actions_take_a_fixed_number_of_queries(editor_client, django_assert_max_num_queries, count):
    """Publishing any number of articles costs the same queries: one read, one bulk update, one history insert."""
    drafts = ArticleFactory.create_batch(count, status=Article.Status.DRAFT, published_at=None)

    # 15: with the one lookup of the selection's withdrawals to reinstate (articles.takedowns).
    with django_assert_max_num_queries(15):
        run_action(editor_client, "publish", drafts)

    assert Article.objects.filter(status=Article.Status.PUBLISHED).count() == count


def test_select_across_applies_to_the_whole_filtered_list(editor_client):
    drafts = ArticleFactory.create_batch(3, status=Article.Status.DRAFT, published_at=None)
    kept = ArticleFactory(status=Article.Status.WITHDRAWN)

    # The filter travels in the query string, as the change list form posts it.
    response = editor_client.post(
        CHANGELIST_URL + "?status__exact=draft",
        {"action": "publish", "_selected_action": [drafts[0].pk], "select_across": "1", "index": "0"},
    )

    assert response.status_code == 302
    assert set(Article.objects.filter(status="published").values_list("pk", flat=True)) == {d.pk for d in drafts}
    kept.refresh_from_db()
    assert kept.status == Article.Status.WITHDRAWN


def test_reparse_applies_the_current_parser_and_keeps_history(editor_client, editor):
    """
    GIVEN an imported article whose title and byline an editor changed by hand
    WHEN it is re-parsed from its stored source
    THEN the parsed title and byline are back, and the editor's title stays in the history
    """
    article = import_seed("reparse.txt", title="The parsed headline", author="Jane Reporter")
    article.title = "A hand-made headline"
    article.save()
    article.bylines.all().delete()

    response = run_action(editor_client, "reparse", [article])

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "The parsed headline"
    assert [b.author.name for b in article.bylines.select_related("author")] == ["Jane Reporter"]
    titles = list(Article.history.filter(id=article.pk).order_by("history_date").values_list("title", flat=True))
    assert "A hand-made headline" in titles
    record = latest_history(article)
    assert (record.history_user, record.history_change_reason) == (editor, "re-parsed from the stored source")


def test_reparse_reports_a_source_the_parser_now_refuses(editor_client):
    article = ArticleFactory(raw_text="\n\n   \n")

    response = run_action(editor_client, "reparse", [article])

    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Not re-parsed" in m and article.title in m for m in messages)


def test_export_csv(editor_client):
    """
    GIVEN two articles, one of them with a formula-like title
    WHEN they are exported
    THEN the CSV has a header and one row each, bylines in order, and the formula defused
    """
    first = ArticleFactory(
        title='=HYPERLINK("http://evil")', authors=[AuthorFactory(name="Zoe"), AuthorFactory(name="Adam")]
    )
    second = ArticleFactory(title="Plain headline", needs_review=True, review_reasons=["no author"])

    response = run_action(editor_client, "export_csv", [first, second])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="articles-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_id = {int(row["id"]): row for row in rows}
    assert set(by_id) == {first.pk, second.pk}
    assert by_id[first.pk]["title"] == '\'=HYPERLINK("http://evil")'
    assert by_id[first.pk]["authors_name"] == "Zoe; Adam"
    assert by_id[second.pk]["review_reasons"] == "no author"
    assert by_id[second.pk]["needs_review"] == "true"
    assert by_id[second.pk]["body"] == second.body


def test_the_export_action_writes_what_the_api_export_writes(editor_client):
    """
    GIVEN published articles and a draft
    WHEN an editor exports all of them from the change list, and from the API
    THEN both files are the same CSV, line for line (one exporter)
    """
    articles = [ArticleFactory(authors=[AuthorFactory()]) for _ in range(3)]
    articles.append(ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="-30- a draft"))

    from_admin = b"".join(run_action(editor_client, "export_csv", articles).streaming_content)
    from_api = b"".join(editor_client.get(reverse("api:article-export-csv")).streaming_content)

    assert from_admin.splitlines() == from_api.splitlines()
    assert b"'-30- a draft" in from_admin


def test_view_only_staff_cannot_run_change_actions(client, django_user_model, draft):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)

    response = client.get(CHANGELIST_URL)
    actions = {name for name, _label in response.context["action_form"].fields["action"].choices if name}
    assert actions == {"export_csv"}

    run_action(client, "publish", [draft])

    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
