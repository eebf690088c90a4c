"""Shared fixtures for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"
SEED_FILE = SEEDS_DIR / "000_d37bd627d5f2820d.txt"


@pytest.fixture
def seed_bytes() -> bytes:
    """The example seed shipped in ``seeds/``."""
    return SEED_FILE.read_bytes()


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous DRF test client."""
    return APIClient()


@pytest.fixture
def staff_client(django_user_model) -> APIClient:
    """A DRF client logged in as a staff user with every permission."""
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw-for-tests-only")
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache, so throttle counts never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_search_index(settings, tmp_path):
    """Give every test an empty search index of its own, so no rolled-back write leaves results behind."""
    from articles import search_index

    settings.ARCHIVE_SEARCH_INDEX_DIR = tmp_path / "search-index"
    search_index.reset_engine()
    yield
    search_index.reset_engine()
