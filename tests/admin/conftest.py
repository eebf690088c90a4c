"""Fixtures for the admin tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from articles.importing import bytes_source, import_sources
from articles.models import Article, ImportOutcome, ImportRun, SourceRevision
from tests.factories import ArticleFactory, AuthorFactory
from tests.seedtext import seed_text


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


EDITOR_PASSWORD = "pw-for-tests-only"


@pytest.fixture
def editor(db, django_user_model):
    """A staff user whose only permissions come from the Editors group (migration 0003)."""
    user = django_user_model.objects.create_user("editor", password=EDITOR_PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    """A test client logged in as ``editor``."""
    client.force_login(editor)
    return client


@pytest.fixture
def bare_staff_client(client, django_user_model):
    """A test client logged in as a staff user with no permission at all."""
    user = django_user_model.objects.create_user("bare", password=EDITOR_PASSWORD, is_staff=True)
    client.force_login(user)
    return client


def import_seed(key: str, **parts) -> Article:
    """Import one seed built from ``parts`` through the import service and return its article."""
    report = import_sources(sources=[bytes_source(seed_text(**parts).encode(), key=key)])
    assert report.counts["created"] + report.counts["updated"] == 1, report.errors
    return Article.objects.get(source_key=key)
