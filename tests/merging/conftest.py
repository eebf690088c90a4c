"""Fixtures for the merge tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def editor(django_user_model):
    """A staff user who performs merges."""
    return django_user_model.objects.create_user("editor", "editor@example.com", "pw-for-tests-only", is_staff=True)
