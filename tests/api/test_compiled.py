"""Issue 8: compiled serializers give exactly what DRF's serializers give, for lists and exports."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from articles.api import querysets
from articles.api.compiled import compile_field, compile_representation
from articles.api.serializers import (
    ArticleDetailSerializer,
    ArticleExportSerializer,
    ArticleListSerializer,
    AuthorListSerializer,
    PublisherSerializer,
)
from articles.models import Article, ImportRun
from tests.api.helpers import ARTICLES_URL, make_article
from tests.factories import AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(django_user_model):
    """Articles with and without publisher, byline, import run and image credit, and a draft."""
    authors = AuthorFactory.create_batch(3)
    make_article(publisher=PublisherFactory(), authors=authors[:2], import_run=ImportRun.objects.create())
    make_article(publisher=None, authors=[], image_credit="Photo", copyright_year=None)
    make_article(Article.Status.DRAFT, authors=authors[2:], body="")
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only")


def context(user, **extra) -> dict:
    request = Request(APIRequestFactory().get(ARTICLES_URL, {"format": "json"}))
    request.user = user
    return {"request": request, "format": None, **extra}


@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.parametrize(
    ("serializer_class", "build"),
    [
        (ArticleListSerializer, querysets.article_list_queryset),
        (ArticleDetailSerializer, querysets.article_detail_queryset),
        (ArticleExportSerializer, querysets.article_detail_queryset),
    ],
)
@pytest.mark.parametrize("fields", [None, ["id", "title"], ["authors", "publisher", "source", "published_at"]])
def test_article_representations_match_drf(archive, staff, serializer_class, build, fields):
    user = archive if staff else AnonymousUser()
    serializer = serializer_class(context=context(user, selected_fields=fields))
    represent = compile_representation(serializer)

    articles = list(build(user))
    assert articles
    for article in articles:
        assert json.dumps(represent(article)) == json.dumps(serializer.to_representation(article))


@pytest.mark.parametrize(
    ("serializer_class", "build"),
    [(AuthorListSerializer, querysets.authors_with_counts), (PublisherSerializer, querysets.publishers_with_counts)],
)
def test_author_and_publisher_representations_match_drf(archive, serializer_class, build):
    serializer = serializer_class(context=context(AnonymousUser()))
    represent = compile_representation(serializer)

    for row in build(AnonymousUser()):
        assert represent(row) == serializer.to_representation(row)


def test_the_export_reads_the_same_as_the_detail(api_client, archive):
    """GIVEN articles of every shape
    WHEN they are exported (plain rows, no model instances)
    THEN each line is exactly the article's detail representation."""
    lines = b"".join(api_client.get(f"{ARTICLES_URL}export.ndjson").streaming_content).splitlines()

    exported = [json.loads(line) for line in lines]
    assert len(exported) == 2
    for row in exported:
        assert row == api_client.get(f"{ARTICLES_URL}{row['id']}/").json()


def test_a_compiled_shape_is_reused_only_for_the_same_shape(api_client, archive, settings):
    """
    GIVEN list pages already served (their compiled functions cached)
    WHEN the same list is asked on another host, with other fields, and as staff
    THEN each response has its own links, fields and staff-only fields
    """
    settings.ALLOWED_HOSTS = ["testserver", "archive.example.org"]
    api_client.get(ARTICLES_URL)

    other_host = api_client.get(ARTICLES_URL, HTTP_HOST="archive.example.org").json()["results"]
    fields = api_client.get(ARTICLES_URL, {"fields": "id,title"}).json()["results"]
    api_client.force_login(archive)
    staff = api_client.get(ARTICLES_URL).json()["results"]

    assert all(row["url"].startswith("http://archive.example.org/") for row in other_host)
    assert {tuple(row) for row in fields} == {("id", "title")}
    assert all("needs_review" in row for row in staff)
    assert len(staff) == Article.objects.count()


def test_a_changed_setting_forgets_the_compiled_shapes(api_client, archive, settings):
    api_client.get(ARTICLES_URL)

    settings.TIME_ZONE = "America/New_York"
    settings.USE_TZ = True
    rows = api_client.get(ARTICLES_URL).json()["results"]

    assert all(row["created_at"].endswith(("-05:00", "-04:00")) for row in rows)


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "America/New_York"])
def test_dates_are_written_as_drf_writes_them(settings, zone):
    """GIVEN a time zone, fixed at zero offset or not
    WHEN aware datetimes (repeated, alternating, in other zones, whole seconds) and naive ones are written
    THEN each text is DRF's own."""
    settings.TIME_ZONE = zone
    field = serializers.DateTimeField(read_only=True)
    field.bind("when", serializers.Serializer())
    step = compile_field(field)
    instant = dt.datetime(2024, 3, 10, 7, 30, 15, 123456, tzinfo=dt.UTC)
    values = [
        instant,
        instant,
        instant.astimezone(dt.timezone(dt.timedelta(hours=5))),
        instant.replace(microsecond=0),
        instant,
        instant + dt.timedelta(days=200),
        dt.datetime(2024, 3, 10, 7, 30),
        None,
    ]

    for value in values:
        assert step(SimpleNamespace(when=value)) == field.to_representation(value)


@pytest.mark.parametrize("coerce", [False, True])
def test_big_integers_are_written_as_drf_writes_them(settings, coerce):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "COERCE_BIGINT_TO_STRING": coerce}
    field = serializers.BigIntegerField(read_only=True)
    field.bind("n", serializers.Serializer())

    assert compile_field(field)(SimpleNamespace(n=2**53 + 1)) == field.to_representation(2**53 + 1)
