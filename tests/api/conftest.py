"""Fixtures for the API tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def user_client(django_user_model) -> APIClient:
    """A DRF client logged in as an ordinary (non-staff) user."""
    user = django_user_model.objects.create_user("reader", "reader@example.com", "pw-for-tests-only")
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def editor(django_user_model):
    """A non-staff user whose only permissions come from the Editors group the migrations create."""
    user = django_user_model.objects.create_user("editor", "editor@example.com", "pw-for-tests-only")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(editor) -> APIClient:
    """A DRF client sending the editor's API token, as a real client would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    return client
