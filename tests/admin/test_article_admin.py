"""The article admin: list, search, filters, provenance and the change form."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleAuthor, Publisher, SourceRevision
from tests.admin.helpers import change_form_data
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_article_changelist")
BODY_LIKE = re.compile(r'"body"(::text)?\)? LIKE', re.IGNORECASE)
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"

# Session, user, the review queue's count, publisher filter choices,
# copyright years, date hierarchy (one MIN/MAX), the capped count, the page,
# its bylines (test_article_changelist.py pins the editor's page of 200).
CHANGELIST_QUERIES = 9


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def listed(response) -> list[Article]:
    return list(response.context["cl"].result_list)


# --- The changelist ------------------------------------------------------------


def test_changelist_shows_authors_in_byline_order(admin_client, article):
    response = admin_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert "Zoe Second, Adam First" in response.content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_changelist_query_count_does_not_grow_with_rows(admin_client, django_assert_num_queries, count):
    """
    GIVEN `count` articles with two authors each
    WHEN the changelist is loaded
    THEN it runs the same fixed number of queries and lists every article
    """
    for _ in range(count):
        ArticleFactory(authors=AuthorFactory.create_batch(2))

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert len(listed(response)) == count


def test_changelist_does_not_load_large_columns(admin_client, article):
    response = admin_client.get(CHANGELIST_URL)

    [row] = listed(response)
    assert {"raw_text", "body", "parsed"} <= row.get_deferred_fields()


def test_changelist_skips_the_full_count(admin_client, article):
    response = admin_client.get(CHANGELIST_URL, {"q": "nothing matches this"})

    assert response.context["cl"].show_full_result_count is False
    assert response.context["cl"].full_result_count is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Tariff", {"Tariff vote delayed"}),
        ("tariff VOTE", {"Tariff vote delayed"}),
        ("harbour", {"Storm closes port"}),  # in the subtitle
        ("lighthouse", {"Storm closes port"}),  # in the body
        ("lighthouses", {"Storm closes port"}),  # stemmed
        ('"keeper saw"', {"Storm closes port"}),  # a phrase
        ('"saw keeper"', set()),
        ("storm -lighthouse", set()),
        ("Ann Lee", {"Tariff vote delayed"}),  # an author's name
        ("ann", {"Tariff vote delayed"}),  # part of a name
        ("Globe Press", {"Storm closes port"}),  # a publisher's name
        ("", {"Tariff vote delayed", "Storm closes port"}),
    ],
)
def test_search_is_full_text_and_names(admin_client, query, expected):
    ArticleFactory(title="Tariff vote delayed", subtitle="Senate adjourns", authors=[AuthorFactory(name="Ann Lee")])
    ArticleFactory(
        title="Storm closes port",
        subtitle="Harbour shut",
        body="The lighthouse keeper saw it.",
        publisher=PublisherFactory(name="Globe Press"),
    )

    response = admin_client.get(CHANGELIST_URL, {"q": query})

    assert response.status_code == 200
    assert {a.title for a in listed(response)} == expected


def test_search_never_scans_bodies_with_like(admin_client, article):
    """
    GIVEN an article
    WHEN the list is searched for a word of its body
    THEN it is found, and no query compares the body with LIKE: only the full-text index reaches it
    """
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST_URL, {"q": "paragraph"})

    assert listed(response) == [article]
    assert not [q["sql"] for q in queries if BODY_LIKE.search(q["sql"])]


@pytest.mark.parametrize("query", ['-only "', "x" * 1001])
def test_unsearchable_query_shows_an_error(admin_client, article, query):
    response = admin_client.get(CHANGELIST_URL, {"q": query}, follow=True)

    assert response.status_code == 200
    assert listed(response) == []
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


@pytest.fixture
def filtered_articles(db) -> dict[str, Article]:
    acme, globe = PublisherFactory(name="Acme"), PublisherFactory(name="Globe")
    PublisherFactory(name="Unused Press")
    return {
        "published": ArticleFactory(publisher=acme, copyright_year=2019),
        "draft": ArticleFactory(publisher=globe, status=Article.Status.DRAFT, published_at=None, copyright_year=2020),
        "flagged": ArticleFactory(publisher=globe, needs_review=True, copyright_year=2020),
        "withdrawn": ArticleFactory(publisher=None, status=Article.Status.WITHDRAWN, copyright_year=None),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "draft"}, {"draft"}),
        ({"status__exact": "published"}, {"published", "flagged"}),
        ({"needs_review__exact": "1"}, {"flagged"}),
        ({"needs_review__exact": "0"}, {"published", "draft", "withdrawn"}),
        ({"publisher__isnull": "True"}, {"withdrawn"}),
        ({"copyright_year": "2020"}, {"draft", "flagged"}),
        ({"copyright_year": "2020", "needs_review__exact": "0"}, {"draft"}),
        ({"copyright_year__isnull": "True"}, {"withdrawn"}),
    ],
)
def test_filters(admin_client, filtered_articles, params, expected):
    response = admin_client.get(CHANGELIST_URL, params)

    assert response.status_code == 200
    assert {name for name, article in filtered_articles.items() if article in listed(response)} == expected


@pytest.mark.parametrize(("publisher", "expected"), [("Acme", {"published"}), ("Globe", {"draft", "flagged"})])
def test_publisher_filter(admin_client, filtered_articles, publisher, expected):
    params = {"publisher__id__exact": Publisher.objects.get(name=publisher).pk}

    response = admin_client.get(CHANGELIST_URL, params)

    assert response.status_code == 200
    assert {name for name, article in filtered_articles.items() if article in listed(response)} == expected


def test_publisher_filter_offers_only_publishers_with_articles(admin_client, filtered_articles):
    response = admin_client.get(CHANGELIST_URL)

    [publisher_filter] = [spec for spec in response.context["cl"].filter_specs if spec.field_path == "publisher"]
    assert {name for _pk, name in publisher_filter.lookup_choices} == {"Acme", "Globe"}


@pytest.mark.parametrize(("without_publisher", "offered"), [(False, False), (True, True)])
def test_publisher_filter_offers_the_empty_choice_only_when_an_article_has_no_publisher(
    admin_client, without_publisher, offered
):
    """
    GIVEN two articles with a publisher, and perhaps one without
    WHEN the change list is loaded
    THEN the publisher filter offers its empty choice ("-") only if there is one without
    """
    ArticleFactory.create_batch(2)
    if without_publisher:
        ArticleFactory(publisher=None)

    response = admin_client.get(CHANGELIST_URL)

    [publisher_filter] = [spec for spec in response.context["cl"].filter_specs if spec.field_path == "publisher"]
    choices = [str(choice["display"]) for choice in publisher_filter.choices(response.context["cl"])]
    assert ("-" in choices) is offered
    assert len(choices) == 3 + offered  # "All" and the two publishers
    assert ("?publisher__isnull=True" in response.content.decode()) is offered


def test_facets_load(admin_client, filtered_articles):
    response = admin_client.get(CHANGELIST_URL, {"_facets": "True"})

    assert response.status_code == 200
    assert len(listed(response)) == 4


@pytest.mark.parametrize("params", [{"copyright_year": "not-a-year"}, {"nonexistent_field": "1"}])
def test_bad_filter_values_redirect_instead_of_failing(admin_client, article, params):
    response = admin_client.get(CHANGELIST_URL, params)

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_date_hierarchy_drills_down(admin_client, article):
    created = article.created_at

    response = admin_client.get(CHANGELIST_URL, {"created_at__year": created.year, "created_at__month": created.month})

    assert response.status_code == 200
    assert listed(response) == [article]


def test_delete_selected_action(admin_client, article):
    """
    GIVEN an article shown in the changelist (whose rows have deferred columns)
    WHEN it is deleted through the bulk action
    THEN the article and its bylines are gone, and the deletion is in its history
    """
    response = admin_client.post(
        CHANGELIST_URL, {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"}
    )

    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    assert not ArticleAuthor.objects.filter(article_id=article.pk).exists()
    assert Article.history.filter(id=article.pk, history_type="-").exists()


# --- The change form -------------------------------------------------------------


def test_raw_source_is_shown_escaped(admin_client):
    article = ArticleFactory(raw_text=f"Headline\n\n{SCRIPT}\n<b>bold</b> & more\n")

    response = admin_client.get(change_url(article))

    content = response.content.decode()
    assert response.status_code == 200
    assert f"{ESCAPED_SCRIPT}\n&lt;b&gt;bold&lt;/b&gt; &amp; more" in content
    assert SCRIPT not in content
    assert "<b>bold</b>" not in content


def test_parsed_values_are_shown_escaped(admin_client):
    article = ArticleFactory(parsed={"title": SCRIPT})

    content = admin_client.get(change_url(article)).content.decode()

    assert ESCAPED_SCRIPT in content
    assert SCRIPT not in content


def test_source_revisions_are_shown_collapsed_and_escaped(admin_client, article):
    SourceRevision.objects.create(article=article, content_sha256="f" * 64, raw_text=f"Old {SCRIPT}")

    response = admin_client.get(change_url(article))

    content = response.content.decode()
    assert "f" * 64 in content
    assert "<details><summary>Show raw source</summary><pre" in content
    assert f"Old {ESCAPED_SCRIPT}" in content
    assert SCRIPT not in content


def test_provenance_fields_are_not_in_the_form(admin_client, article):
    response = admin_client.get(change_url(article))

    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields.isdisjoint({"raw_text", "parsed", "source_key", "content_sha256", "import_run"})
    assert {"title", "body", "status", "publisher"} <= form_fields


def test_post_cannot_change_provenance(admin_client, article):
    """
    GIVEN an article with a raw source
    WHEN its change form is posted with new provenance values and a new title
    THEN the title changes and the raw source, checksum, source key and parsed values do not
    """
    article.parsed = {"title": article.title}
    article.save()
    before = Article.objects.get(pk=article.pk)
    data = change_form_data(
        article,
        title="A corrected headline",
        raw_text="forged source",
        content_sha256="f" * 64,
        source_key="forged.txt",
        parsed=json.dumps({"forged": True}),
        source_encoding="latin-1",
    )

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    after = Article.objects.get(pk=article.pk)
    assert after.title == "A corrected headline"
    for field in ["raw_text", "content_sha256", "source_key", "parsed", "source_encoding"]:
        assert getattr(after, field) == getattr(before, field), field


def test_a_browser_post_saves_only_what_changed(admin_client):
    """
    GIVEN an article published at a time with microseconds
    WHEN its form comes back as a browser sends it (CRLF line breaks, the time to the second) with a new subtitle
    THEN only the subtitle changed: the body keeps its LF breaks and the publication date its microseconds
    """
    article = ArticleFactory(body="One.\n\nTwo.", published_at=timezone.now().replace(microsecond=123456))
    data = change_form_data(article, subtitle="New subtitle", body="One.\r\n\r\nTwo.")

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 302
    after = Article.objects.get(pk=article.pk)
    assert (after.subtitle, after.body, after.published_at) == ("New subtitle", "One.\n\nTwo.", article.published_at)
    latest, previous = Article.history.filter(id=article.pk).order_by("-history_date")[:2]
    assert [change.field for change in latest.diff_against(previous).changes] == ["subtitle"]


def test_post_reorders_and_adds_authors(admin_client, article):
    """
    GIVEN an article by "Zoe Second, Adam First"
    WHEN the byline is posted with the positions swapped and a third author added
    THEN the byline reads "Adam First, Zoe Second, New Third"
    """
    newcomer = AuthorFactory(name="New Third")
    data = change_form_data(
        article,
        **{
            "bylines-0-position": 1,
            "bylines-1-position": 0,
            "bylines-TOTAL_FORMS": 3,
            "bylines-2-position": 2,
            "bylines-2-author": newcomer.pk,
        },
    )

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 302
    names = [b.author.name for b in article.bylines.order_by("position", "id").select_related("author")]
    assert names == ["Adam First", "Zoe Second", "New Third"]


@pytest.mark.parametrize(
    ("overrides", "error_field"),
    [
        ({"status": "published", "published_at_0": "", "published_at_1": ""}, None),  # the check constraint
        ({"slug": "taken"}, "slug"),
        ({"copyright_year": "not-a-year"}, "copyright_year"),
    ],
)
def test_invalid_post_shows_errors(admin_client, article, overrides, error_field):
    ArticleFactory(slug="taken")
    before = Article.objects.get(pk=article.pk)

    response = admin_client.post(change_url(article), change_form_data(article, title="Changed", **overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert error_field in errors if error_field else errors
    assert Article.objects.get(pk=article.pk).title == before.title


def test_duplicate_author_in_byline_shows_an_error(admin_client, article):
    first = article.bylines.order_by("position").first()
    data = change_form_data(
        article, **{"bylines-TOTAL_FORMS": 3, "bylines-2-position": 5, "bylines-2-author": first.author_id}
    )

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 200
    assert article.bylines.count() == 2
    [byline_formset, _revisions] = response.context["inline_admin_formsets"]
    assert byline_formset.formset.non_form_errors()


def test_change_is_recorded_in_history(admin_client, article):
    admin_client.post(change_url(article), change_form_data(article, title="Retitled"))

    latest = Article.history.filter(id=article.pk).latest("history_date")
    assert latest.title == "Retitled"
    assert latest.history_user.username == "admin"


def test_view_only_staff_can_read_but_not_change(client, django_user_model, article):
    """
    GIVEN a staff user who may only view articles
    WHEN they open an article and post a change
    THEN the page shows the escaped raw source without a form, and the post is refused
    """
    user = django_user_model.objects.create_user("viewer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)

    response = client.get(change_url(article))

    assert response.status_code == 200
    assert not response.context["adminform"].form.fields
    assert '<pre class="raw-source"' in response.content.decode()

    response = client.post(change_url(article), change_form_data(article, title="Changed"))

    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).title == article.title


# --- The admin writes through the editing service, as the API does (issue 11) ----------


def test_publishing_an_undated_draft_in_the_form_dates_it_as_the_api_does(admin_client):
    """
    GIVEN an undated draft
    WHEN an editor sets it to published in the change form, leaving the date empty
    THEN it is published and dated now (the API's rule), not refused by a database constraint
    """
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    response = admin_client.post(change_url(draft), change_form_data(draft, status=Article.Status.PUBLISHED))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    assert abs(draft.published_at - timezone.now()).total_seconds() < 60
    assert draft.history.first().history_change_reason == "edited"


def test_clearing_the_date_of_a_published_article_is_a_form_error(admin_client, article):
    response = admin_client.post(change_url(article), change_form_data(article, published_at_0="", published_at_1=""))

    assert response.status_code == 200
    assert "A published article needs a publication date." in response.content.decode()
    article.refresh_from_db()
    assert article.published_at is not None


def test_a_byline_edit_in_the_form_is_one_change_by_the_editor(admin_client, article, django_user_model):
    """
    GIVEN an article with two authors
    WHEN the editor removes the first from the byline inline
    THEN the byline holds the other alone, renumbered from 0, and the history names the editor on the byline rows
    """
    first, second = article.bylines.order_by("position")
    data = change_form_data(article, **{"bylines-0-DELETE": "on"})

    admin_client.post(change_url(article), data)

    assert [(b.author_id, b.position) for b in article.bylines.all()] == [(second.author_id, 0)]
    removed = ArticleAuthor.history.filter(id=first.pk, history_type="-").get()
    assert removed.history_user == django_user_model.objects.get(username="admin")


def test_an_editor_sets_the_original_dates_in_the_change_form(admin_client, article):
    """GIVEN an article without original dates WHEN the change form sets them THEN they and its date are saved."""
    data = change_form_data(
        article,
        original_published_at_0="2019-05-01",
        original_published_at_1="12:00:00",
        original_updated_at_0="2019-05-02",
        original_updated_at_1="08:30:00",
    )

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    article.refresh_from_db()
    assert f"{article.original_published_at:%Y-%m-%d %H:%M}" == "2019-05-01 12:00"
    assert f"{article.original_updated_at:%Y-%m-%d %H:%M}" == "2019-05-02 08:30"
    assert article.date == article.original_published_at
    assert b"Original dates" in admin_client.get(change_url(article)).content
