"""Who a change is recorded for: a request's user, as the services take it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User

from articles.history import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("make_user", "recorded"),
    [
        (lambda: User.objects.create_user("editor"), True),
        (lambda: User(username="unsaved"), False),
        (AnonymousUser, False),
        (lambda: None, False),
    ],
    ids=["signed-in", "unsaved", "anonymous", "none"],
)
def test_signed_in_keeps_only_a_saved_signed_in_user(make_user, recorded):
    user = make_user()
    assert signed_in(user) is (user if recorded else None)
