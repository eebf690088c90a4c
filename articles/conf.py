"""The archive's own settings (``ARCHIVE_*``), each read through one typed accessor.

Their defaults and environment variables live in ``archive_project/settings.py``
alone (the README's settings table lists them). Code reads them here, at call
time, so ``override_settings`` and pytest-django's ``settings`` fixture apply.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def max_seed_bytes() -> int:
    """Return the largest seed file the importer accepts (``ARCHIVE_MAX_SEED_BYTES``)."""
    return int(settings.ARCHIVE_MAX_SEED_BYTES)


def max_upload_bytes() -> int:
    """Return the largest admin upload, all files together (``ARCHIVE_MAX_UPLOAD_BYTES``)."""
    return int(settings.ARCHIVE_MAX_UPLOAD_BYTES)


def upload_dir() -> Path:
    """Return the private spool of admin uploads (``ARCHIVE_UPLOAD_DIR``)."""
    return Path(settings.ARCHIVE_UPLOAD_DIR)


def upload_watch_seconds() -> float:
    """Return how soon a dead worker's upload is queued again (``ARCHIVE_UPLOAD_WATCH_SECONDS``)."""
    return float(settings.ARCHIVE_UPLOAD_WATCH_SECONDS)


def upload_max_attempts() -> int:
    """Return how many attempts an upload gets before it is marked failed (``ARCHIVE_UPLOAD_MAX_ATTEMPTS``)."""
    return int(settings.ARCHIVE_UPLOAD_MAX_ATTEMPTS)


def admin_count_cap() -> int:
    """Return how many rows an admin change list counts exactly at most (``ARCHIVE_ADMIN_COUNT_CAP``)."""
    return int(settings.ARCHIVE_ADMIN_COUNT_CAP)


def admin_search_cap() -> int:
    """Return how many matches an admin change list search shows at most (``ARCHIVE_ADMIN_SEARCH_CAP``)."""
    return int(settings.ARCHIVE_ADMIN_SEARCH_CAP)


def api_count_cap() -> int:
    """Return how many rows an API numbered page counts exactly at most (``ARCHIVE_API_COUNT_CAP``)."""
    return int(settings.ARCHIVE_API_COUNT_CAP)


def api_max_page() -> int:
    """Return the deepest numbered page the API serves (``ARCHIVE_API_MAX_PAGE``)."""
    return int(settings.ARCHIVE_API_MAX_PAGE)


def import_stale_minutes() -> int:
    """Return after how many silent minutes a running import shows as interrupted (``ARCHIVE_IMPORT_STALE_MINUTES``)."""
    return int(settings.ARCHIVE_IMPORT_STALE_MINUTES)


def seeds_dir() -> Path:
    """Return the directory a plain ``import_seeds`` reads (``ARCHIVE_SEEDS_DIR``)."""
    return Path(settings.ARCHIVE_SEEDS_DIR)


def search_index_dir() -> Path:
    """Return where the full-text search index lives (``ARCHIVE_SEARCH_INDEX_DIR``)."""
    return Path(settings.ARCHIVE_SEARCH_INDEX_DIR)


def import_parse_workers() -> int:
    """Return how many processes parse an import's files beside the one writing (``ARCHIVE_IMPORT_PARSE_WORKERS``)."""
    return int(settings.ARCHIVE_IMPORT_PARSE_WORKERS)


def webhook_allowed_hosts() -> list[str]:
    """Return the webhook hosts admitted whatever they resolve to (``ARCHIVE_WEBHOOK_ALLOWED_HOSTS``)."""
    return [str(host).lower() for host in settings.ARCHIVE_WEBHOOK_ALLOWED_HOSTS]


def base_url() -> str:
    """Return the site's public address, for the links alerts carry (``ARCHIVE_BASE_URL``)."""
    return str(settings.ARCHIVE_BASE_URL).rstrip("/")


def webhook_timeout_seconds() -> float:
    """Return how long a webhook POST may take (``ARCHIVE_WEBHOOK_TIMEOUT_SECONDS``)."""
    return float(settings.ARCHIVE_WEBHOOK_TIMEOUT_SECONDS)


def delivery_max_attempts() -> int:
    """Return how many attempts a delivery gets before it is abandoned (``ARCHIVE_DELIVERY_MAX_ATTEMPTS``)."""
    return int(settings.ARCHIVE_DELIVERY_MAX_ATTEMPTS)


def delivery_max_articles() -> int:
    """Return how many articles a delivery lists at most (``ARCHIVE_DELIVERY_MAX_ARTICLES``; it counts them all)."""
    return max(1, int(settings.ARCHIVE_DELIVERY_MAX_ARTICLES))


def delivery_backoff_seconds() -> float:
    """Return the wait after a delivery's first failure, doubled after each (``ARCHIVE_DELIVERY_BACKOFF_SECONDS``)."""
    return float(settings.ARCHIVE_DELIVERY_BACKOFF_SECONDS)
