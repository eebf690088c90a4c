"""Boilerplate lines in the admin: the inline on a publisher, the changelist, its actions and the editors' rights."""

from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import Publisher, PublisherBoilerplate
from tests.factories import PublisherFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_publisherboilerplate_changelist")
# Session, user, the page's count, the full count, the page (publishers joined).
CHANGELIST_QUERIES = 5


def publisher_form(publisher: Publisher, lines: list[dict], **extra) -> dict:
    """POST data for the publisher's change form with ``lines`` as its boilerplate inline rows."""
    data = {
        "name": publisher.name,
        "slug": publisher.slug,
        "boilerplate_lines-TOTAL_FORMS": len(lines),
        "boilerplate_lines-INITIAL_FORMS": sum("id" in line for line in lines),
        "boilerplate_lines-MIN_NUM_FORMS": 0,
        "boilerplate_lines-MAX_NUM_FORMS": 1000,
        "aliases-TOTAL_FORMS": 0,
        "aliases-INITIAL_FORMS": 0,
        "aliases-MIN_NUM_FORMS": 0,
        "aliases-MAX_NUM_FORMS": 1000,
        **extra,
    }
    for i, line in enumerate(lines):
        data |= {f"boilerplate_lines-{i}-{name}": value for name, value in line.items()}
        data[f"boilerplate_lines-{i}-publisher"] = publisher.pk
    return data


@pytest.fixture
def globe(db) -> Publisher:
    """A publisher with one learned line and one an editor disabled."""
    globe = PublisherFactory(name="Globe Daily")
    PublisherBoilerplate.objects.create(
        publisher=globe, text="Sign up for our newsletter", origin=PublisherBoilerplate.Origin.LEARNED, article_count=42
    )
    PublisherBoilerplate.objects.create(publisher=globe, text="He declined to comment.", enabled=False)
    return globe


def test_the_publisher_page_lists_its_lines_with_origin_and_count(admin_client, globe):
    response = admin_client.get(reverse("admin:articles_publisher_change", args=[globe.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Sign up for our newsletter" in content
    assert "learned by the importer" in content
    assert "42" in content
    assert "Boilerplate lines (removed from this publisher" in content


def test_an_editor_adds_disables_and_removes_lines_on_the_publisher_page(editor_client, globe):
    """
    GIVEN a publisher with a learned line and a disabled one
    WHEN an editor adds a line, disables the learned one and deletes the other in one save
    THEN the publisher has the new editor's line enabled, the learned one disabled, and the history says who
    """
    learned, disabled = globe.boilerplate_lines.order_by("key")  # "he declined ...", "sign up ..."
    lines = [
        {"id": learned.pk, "text": learned.text, "enabled": "on", "DELETE": "on"},
        {"id": disabled.pk, "text": disabled.text},
        {"text": "  Read MORE  on Globe ", "enabled": "on"},
    ]

    response = editor_client.post(
        reverse("admin:articles_publisher_change", args=[globe.pk]), publisher_form(globe, lines)
    )

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert list(globe.boilerplate_lines.order_by("key").values_list("text", "key", "origin", "enabled")) == [
        ("Read MORE  on Globe", "read more on globe", "editor", True),
        ("Sign up for our newsletter", "sign up for our newsletter", "learned", False),
    ]
    assert disabled.history.latest().history_user.username == "editor"


def test_a_line_the_publisher_has_already_is_refused(admin_client, globe):
    lines = [{"text": "SIGN UP for our   newsletter", "enabled": "on"}]

    response = admin_client.post(
        reverse("admin:articles_publisher_change", args=[globe.pk]), publisher_form(globe, lines)
    )

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors == [{"text": ["Globe Daily has this line already."]}]
    assert globe.boilerplate_lines.count() == 2


def test_the_same_new_line_twice_in_one_save_is_refused(admin_client, globe):
    lines = [{"text": "Follow us", "enabled": "on"}, {"text": "follow US", "enabled": "on"}]

    response = admin_client.post(
        reverse("admin:articles_publisher_change", args=[globe.pk]), publisher_form(globe, lines)
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[1] == {"text": ["This line is listed twice."]}
    assert globe.boilerplate_lines.count() == 2


def test_the_changelist_filters_and_searches(admin_client, globe):
    PublisherBoilerplate.objects.create(publisher=PublisherFactory(name="Other Co"), text="Subscribe today")

    learned = admin_client.get(CHANGELIST_URL, {"origin__exact": "learned"})
    kept = admin_client.get(CHANGELIST_URL, {"enabled__exact": "0"})
    other = admin_client.get(CHANGELIST_URL, {"q": "other co"})

    assert [line.text for line in learned.context["cl"].result_list] == ["Sign up for our newsletter"]
    assert [line.text for line in kept.context["cl"].result_list] == ["He declined to comment."]
    assert [line.text for line in other.context["cl"].result_list] == ["Subscribe today"]


@pytest.mark.parametrize("count", [2, 25])
def test_the_changelist_costs_the_same_queries_however_many_lines(admin_client, django_assert_num_queries, count):
    for i in range(count):
        PublisherBoilerplate.objects.create(publisher=PublisherFactory(), text=f"Line {i}")

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = admin_client.get(CHANGELIST_URL)

    assert len(response.context["cl"].result_list) == count


def test_the_disable_action_keeps_the_lines_and_records_the_history(editor_client, globe):
    ids = list(globe.boilerplate_lines.values_list("pk", flat=True))

    response = editor_client.post(CHANGELIST_URL, {"action": "disable", "_selected_action": ids}, follow=True)

    assert response.status_code == 200
    assert "Disabled 1 line." in response.content.decode()
    assert not globe.boilerplate_lines.filter(enabled=True).exists()
    line = globe.boilerplate_lines.get(origin=PublisherBoilerplate.Origin.LEARNED)
    assert line.history.latest().history_user.username == "editor"


def test_the_enable_action(admin_client, globe):
    ids = list(globe.boilerplate_lines.values_list("pk", flat=True))

    admin_client.post(CHANGELIST_URL, {"action": "enable", "_selected_action": ids})

    assert globe.boilerplate_lines.filter(enabled=True).count() == 2


def test_a_line_is_added_from_the_changelist_with_its_publisher(admin_client, globe):
    response = admin_client.post(
        reverse("admin:articles_publisherboilerplate_add"),
        {"publisher": globe.pk, "text": "Share this article", "enabled": "on"},
    )

    assert response.status_code == 302
    line = globe.boilerplate_lines.get(key="share this article")
    assert line.origin == PublisherBoilerplate.Origin.EDITOR


def test_staff_without_the_permission_cannot_see_the_lines(bare_staff_client, globe):
    assert bare_staff_client.get(CHANGELIST_URL).status_code == 403
