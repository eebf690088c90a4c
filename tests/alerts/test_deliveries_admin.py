"""The deliveries' admin: staff read every delivery and its outcome; nobody adds or edits one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import Delivery
from tests.factories import SavedSearchFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:articles_delivery_changelist")


def make(**fields) -> Delivery:
    values = {"kind": Delivery.Kind.WEBHOOK, "trigger": Delivery.Trigger.IMPORT, "article_ids": [1]} | fields
    return Delivery.objects.create(saved_search=SavedSearchFactory(), **values)


@pytest.mark.parametrize("count", [2, 25])
def test_the_changelist_lists_deliveries_in_fixed_queries(admin_client, django_assert_num_queries, count):
    for _ in range(count):
        make()

    with django_assert_num_queries(4):  # session, user, the capped count, the page with the searches
        response = admin_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count


def test_the_changelist_filters_by_status_and_kind_and_finds_a_delivery_by_its_id(admin_client):
    failed = make(status=Delivery.Status.FAILED)
    make(kind=Delivery.Kind.EMAIL, status=Delivery.Status.DELIVERED)

    by_status = admin_client.get(CHANGELIST_URL, {"status__exact": "failed"})
    by_kind = admin_client.get(CHANGELIST_URL, {"kind__exact": "email"})
    by_uid = admin_client.get(CHANGELIST_URL, {"q": str(failed.uid)})
    not_a_uid = admin_client.get(CHANGELIST_URL, {"q": "otters"})

    assert [d.pk for d in by_status.context["cl"].result_list] == [failed.pk]
    assert [d.kind for d in by_kind.context["cl"].result_list] == ["email"]
    assert [d.pk for d in by_uid.context["cl"].result_list] == [failed.pk]
    assert not_a_uid.status_code == 200


def test_a_delivery_is_read_only(admin_client):
    delivery = make()

    page = admin_client.get(reverse("admin:articles_delivery_change", args=[delivery.pk]))
    posted = admin_client.post(reverse("admin:articles_delivery_change", args=[delivery.pk]), {"status": "delivered"})

    assert page.status_code == 200 and str(delivery.uid) in page.content.decode()
    assert posted.status_code == 403
    assert admin_client.get(reverse("admin:articles_delivery_add")).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
