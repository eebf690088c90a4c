"""Fixtures for the API tests."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def user_client(django_user_model) -> APIClient:
    """A DRF client logged in as an ordinary (non-staff) user."""
    user = django_user_model.objects.create_user("reader", "reader@example.com", "pw-for-tests-only")
    client = APIClient()
    client.force_authenticate(user)
    return client
