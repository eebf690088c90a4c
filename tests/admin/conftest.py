"""Fixtures for the admin tests."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from articles.models import Article, ImportOutcome, ImportRun, SourceRevision
from tests.factories import ArticleFactory, AuthorFactory


@pytest.fixture(autouse=True)
def _cold_content_type_cache():
    """Start each test with an empty content type cache, so pinned query counts don't depend on test order."""
    ContentType.objects.clear_cache()


@pytest.fixture
def article(db) -> Article:
    """A published article with two authors and one earlier source."""
    article = ArticleFactory(authors=[AuthorFactory(name="Zoe Second"), AuthorFactory(name="Adam First")])
    SourceRevision.objects.create(
        article=article, content_sha256="0" * 64, raw_text="An older source.\n", source_encoding="utf-8"
    )
    return article


@pytest.fixture
def import_run(db, admin_user, article) -> ImportRun:
    """A finished run that created one article and failed on one file."""
    run = ImportRun.objects.create(
        trigger=ImportRun.Trigger.ADMIN, user=admin_user, paths=["seeds/"], created=1, failed=1
    )
    ImportOutcome.objects.create(run=run, path="seeds/ok.txt", result=ImportOutcome.Result.CREATED, article=article)
    ImportOutcome.objects.create(
        run=run, path="seeds/bad.txt", result=ImportOutcome.Result.FAILED, error="No <title> found"
    )
    return run
