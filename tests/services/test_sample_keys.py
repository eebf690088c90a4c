"""``Article.sample_key``: drawn at creation, by every way articles are written, and filled in by its migration."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from articles.models import SAMPLE_KEY_BITS, Article
from tests.api.helpers import make_article

pytestmark = pytest.mark.django_db

migration = importlib.import_module("articles.migrations.0024_sample_key")


def test_the_migration_gives_every_existing_article_its_own_key(monkeypatch):
    """GIVEN articles that all got the one key the added column was filled with
    WHEN the migration's data step runs (in batches smaller than the table)
    THEN each has a random key of its own, in range."""
    made = [make_article() for _ in range(7)]
    Article.objects.update(sample_key=0)
    monkeypatch.setattr(migration, "BATCH", 3)

    migration.fill_sample_keys(apps, SimpleNamespace(connection=connection))

    keys = dict(Article.objects.values_list("pk", "sample_key"))
    assert set(keys) == {a.pk for a in made}
    assert len(set(keys.values())) == 7
    assert all(0 <= key < 2**SAMPLE_KEY_BITS for key in keys.values())


def test_bulk_writes_draw_keys():
    """The importer's bulk writer (COPY on PostgreSQL, executemany on SQLite) writes each article's own key."""
    from articles.importing.writing import bulk_writer

    articles = [
        Article(
            title=f"T{n}",
            slug=f"t-{n}",
            source_key=f"k{n}",
            content_sha256=f"{n:064d}",
            raw_text="x",
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
        for n in range(5)
    ]

    bulk_writer().insert_new(Article, articles, key="source_key")

    assert len(set(Article.objects.values_list("sample_key", flat=True))) == 5
    assert sorted(Article.objects.values_list("sample_key", flat=True)) == sorted(a.sample_key for a in articles)
