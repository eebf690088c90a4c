"""The article endpoints: shapes, byline order, visibility, filtering, ordering, raw source."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, ArticleAuthor, ImportRun
from tests.api.helpers import ARTICLES_URL, ids, make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

PUBLIC_FIELDS = {
    "id",
    "url",
    "slug",
    "title",
    "subtitle",
    "word_count",
    "image_credit",
    "copyright_year",
    "language",
    "status",
    "published_at",
    # Issue 9: the story's own dates, and the date the list orders and filters by.
    "original_published_at",
    "original_updated_at",
    "date",
    "date_is_original",
    "created_at",
    "updated_at",
    "publisher",
    "authors",
    "source",
    # Issue 12: the article this one may be a copy of (``articles.deduplication``).
    "duplicate_of",
}
STAFF_FIELDS = {"needs_review", "review_reasons", "embargo_until", "embargoed"}
LIST_FIELDS = PUBLIC_FIELDS | {"excerpt"}
DETAIL_FIELDS = PUBLIC_FIELDS | {"body"}
UNPUBLISHED = [Article.Status.DRAFT, Article.Status.WITHDRAWN]


def detail_url(article: Article) -> str:
    return f"{ARTICLES_URL}{article.pk}/"


# --- Shapes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_fixture", "expected"),
    [("api_client", LIST_FIELDS), ("user_client", LIST_FIELDS), ("staff_client", LIST_FIELDS | STAFF_FIELDS)],
)
def test_list_item_fields(request, client_fixture, expected):
    ArticleFactory(authors=[AuthorFactory()])

    response = request.getfixturevalue(client_fixture).get(ARTICLES_URL)

    assert response.status_code == 200
    assert set(response.json()) == {"count", "count_is_exact", "next", "previous", "results"}
    [item] = response.json()["results"]
    assert set(item) == expected


@pytest.mark.parametrize(
    ("client_fixture", "expected"),
    [("api_client", DETAIL_FIELDS), ("user_client", DETAIL_FIELDS), ("staff_client", DETAIL_FIELDS | STAFF_FIELDS)],
)
def test_detail_fields(request, client_fixture, expected):
    article = ArticleFactory(authors=[AuthorFactory()])

    response = request.getfixturevalue(client_fixture).get(detail_url(article))

    assert response.status_code == 200
    assert set(response.json()) == expected


def test_detail_values(api_client):
    """GIVEN an imported article with a publisher and an author
    WHEN its detail is fetched
    THEN every value, nested object and absolute URL is the article's own.
    """
    run = ImportRun.objects.create()
    publisher = PublisherFactory(name="Blaze Media LLC", slug="blaze-media-llc")
    author = AuthorFactory(name="Kyle Shiver", slug="kyle-shiver")
    article = ArticleFactory(
        publisher=publisher,
        authors=[author],
        body="One two three.\n\nFour five.",
        image_credit="Photo by Somebody",
        import_run=run,
        source_encoding="cp1252",
    )

    data = api_client.get(detail_url(article)).json()

    assert data["id"] == article.pk
    assert data["url"] == f"http://testserver/api/v1/articles/{article.pk}/"
    assert data["slug"] == article.slug
    assert data["title"] == article.title
    assert data["subtitle"] == article.subtitle
    assert data["body"] == "One two three.\n\nFour five."
    assert data["word_count"] == 5
    assert data["image_credit"] == "Photo by Somebody"
    assert data["copyright_year"] == 2024
    assert data["status"] == "published"
    assert data["published_at"] is not None
    assert data["publisher"] == {
        "id": publisher.pk,
        "name": "Blaze Media LLC",
        "slug": "blaze-media-llc",
        "url": f"http://testserver/api/v1/publishers/{publisher.pk}/",
    }
    assert data["authors"] == [
        {
            "id": author.pk,
            "name": "Kyle Shiver",
            "slug": "kyle-shiver",
            "url": f"http://testserver/api/v1/authors/{author.pk}/",
        }
    ]
    assert data["source"] == {
        "key": article.source_key,
        "sha256": article.content_sha256,
        "encoding": "cp1252",
        "import_run": run.pk,
        "raw_url": f"http://testserver/api/v1/articles/{article.pk}/source/",
    }


def test_staff_sees_review_flags(staff_client):
    article = ArticleFactory(needs_review=True, review_reasons=["no byline found"])

    data = staff_client.get(detail_url(article)).json()

    assert data["needs_review"] is True
    assert data["review_reasons"] == ["no byline found"]


def test_article_without_publisher_or_import_run(api_client):
    article = ArticleFactory(publisher=None)

    for data in (api_client.get(detail_url(article)).json(), api_client.get(ARTICLES_URL).json()["results"][0]):
        assert data["publisher"] is None
        assert data["authors"] == []
        assert data["source"]["import_run"] is None


# --- Byline order -------------------------------------------------------------


@pytest.mark.parametrize(
    "creation_order",
    [
        pytest.param([("Zed", 2), ("Amy", 1), ("Kim", 0)], id="positions-reversed"),
        # Neither id, reverse id nor name order gives Kim, Amy, Zed here.
        pytest.param([("Amy", 1), ("Zed", 2), ("Kim", 0)], id="positions-scrambled"),
    ],
)
def test_authors_follow_byline_position(api_client, creation_order):
    """GIVEN bylines created out of position order, with names in neither order
    WHEN the article is listed and fetched
    THEN the authors come in byline position order.
    """
    article = ArticleFactory()
    for name, position in creation_order:
        ArticleAuthor.objects.create(article=article, author=AuthorFactory(name=name), position=position)
    expected = ["Kim", "Amy", "Zed"]

    listed = api_client.get(ARTICLES_URL).json()["results"][0]["authors"]
    detailed = api_client.get(detail_url(article)).json()["authors"]

    assert [a["name"] for a in listed] == expected
    assert [a["name"] for a in detailed] == expected


# --- Visibility ---------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client"])
def test_non_staff_list_only_published(request, client_fixture):
    published = make_article()
    for status in UNPUBLISHED:
        make_article(status)

    response = request.getfixturevalue(client_fixture).get(ARTICLES_URL)

    assert response.json()["count"] == 1
    assert ids(response) == [published.pk]


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client"])
@pytest.mark.parametrize("status", UNPUBLISHED)
def test_non_staff_cannot_fetch_unpublished(request, client_fixture, status):
    article = make_article(status)
    client = request.getfixturevalue(client_fixture)

    assert client.get(detail_url(article)).status_code == 404
    assert client.get(f"{detail_url(article)}source/").status_code == 404


def test_staff_sees_every_status(staff_client):
    articles = [make_article(status) for status in Article.Status.values]

    response = staff_client.get(ARTICLES_URL)

    assert response.json()["count"] == 3
    assert sorted(ids(response)) == sorted(a.pk for a in articles)
    for article in articles:
        assert staff_client.get(detail_url(article)).json()["status"] == article.status


# --- Status filter ------------------------------------------------------------


@pytest.mark.parametrize("status", Article.Status.values)
def test_staff_filters_by_status(staff_client, status):
    by_status = {s: make_article(s) for s in Article.Status.values}

    response = staff_client.get(ARTICLES_URL, {"status": status})

    assert response.status_code == 200
    assert ids(response) == [by_status[status].pk]


@pytest.mark.parametrize(("status", "expected_count"), [("draft", 0), ("withdrawn", 0), ("published", 1)])
def test_anonymous_status_filter_never_reveals_unpublished(api_client, status, expected_count):
    for s in Article.Status.values:
        make_article(s)

    response = api_client.get(ARTICLES_URL, {"status": status})

    assert response.status_code == 200
    assert response.json()["count"] == expected_count
    assert all(item["status"] == "published" for item in response.json()["results"])


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("value", ["bogus", "DRAFT", "1"])
def test_invalid_status_is_a_400_naming_the_parameter(request, client_fixture, value):
    make_article()

    response = request.getfixturevalue(client_fixture).get(ARTICLES_URL, {"status": value})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert list(response.json()) == ["status"]
    assert value in response.json()["status"][0]


# --- Ordering -----------------------------------------------------------------


def test_newest_first(api_client):
    now = timezone.now()
    old = make_article(published_at=now - timedelta(days=2))
    new = make_article(published_at=now)
    middle = make_article(published_at=now - timedelta(days=1))

    assert ids(api_client.get(ARTICLES_URL)) == [new.pk, middle.pk, old.pk]


def test_staff_ordering_puts_undated_drafts_after_dated_articles(staff_client):
    """GIVEN dated articles and undated drafts created in between
    WHEN staff list everything
    THEN dated articles come first, newest first, then drafts, newest created first
    (the same on SQLite and PostgreSQL, whose NULL ordering differs).
    """
    now = timezone.now()
    old = make_article(published_at=now - timedelta(days=1))
    first_draft = make_article(Article.Status.DRAFT)
    new = make_article(published_at=now)
    second_draft = make_article(Article.Status.DRAFT)

    assert ids(staff_client.get(ARTICLES_URL)) == [new.pk, old.pk, second_draft.pk, first_draft.pk]


# --- Excerpt and what the list loads ------------------------------------------


def test_list_excerpt_is_a_word_boundary_cut_of_a_long_body(api_client):
    body = "\n\n".join(f"Paragraph {n} has several words of running text in it." for n in range(40))
    ArticleFactory(body=body)

    excerpt = api_client.get(ARTICLES_URL).json()["results"][0]["excerpt"]

    assert excerpt.endswith("…")
    assert len(excerpt) <= 201
    assert "\n" not in excerpt
    stem = excerpt[:-1]
    flat = " ".join(body.split())
    assert flat.startswith(stem)
    assert flat[len(stem)] in " ,.", "cut inside a word"


def test_list_excerpt_of_a_short_body_is_the_whole_body(api_client):
    ArticleFactory(body="Just one short paragraph.\n\nAnd another.")

    assert api_client.get(ARTICLES_URL).json()["results"][0]["excerpt"] == "Just one short paragraph. And another."


def test_list_does_not_load_bodies_or_sources(api_client):
    """GIVEN an article
    WHEN the list is fetched
    THEN its SQL reads only the head of the body, and never the raw text or parsed values.
    """
    ArticleFactory(authors=[AuthorFactory()])

    with CaptureQueriesContext(connection) as ctx:
        assert api_client.get(ARTICLES_URL).status_code == 200

    sql = "\n".join(q["sql"] for q in ctx.captured_queries if '"articles_article"' in q["sql"])
    assert "SUBSTR" in sql.upper()
    assert sql.count('"articles_article"."body"') == 1, "body is read whole, not only inside SUBSTR"
    assert '"raw_text"' not in sql
    assert '"parsed"' not in sql


# --- Raw source ---------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "text/plain", "*/*"])
def test_source_returns_raw_text_as_plain_text(api_client, accept):
    raw = "Héadline\n\nBody with “quotes”.\n"
    article = ArticleFactory(raw_text=raw)
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = api_client.get(f"{detail_url(article)}source/", **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode("utf-8") == raw


def test_staff_can_fetch_a_drafts_source(staff_client):
    article = make_article(Article.Status.DRAFT, raw_text="draft source")

    response = staff_client.get(f"{detail_url(article)}source/")

    assert response.status_code == 200
    assert response.content == b"draft source"


def test_source_of_missing_article_is_a_plain_404(api_client):
    response = api_client.get(f"{ARTICLES_URL}999999/source/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")


def test_source_ignores_list_filters(api_client):
    article = ArticleFactory(raw_text="raw")

    response = api_client.get(f"{detail_url(article)}source/", {"status": "bogus"})

    assert response.status_code == 200
    assert response.content == b"raw"


# --- Browsable API --------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize("path", ["", "articles/", "articles/{pk}/", "authors/", "publishers/"])
def test_browsable_api_renders(request, client_fixture, path):
    article = ArticleFactory(authors=[AuthorFactory()])

    response = request.getfixturevalue(client_fixture).get(
        f"/api/v1/{path.format(pk=article.pk)}", HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# --- Writes: who is refused (the writes themselves: test_writes.py, test_permissions.py) ---


WRITES = [
    ("post", "{list}"),
    ("put", "{detail}"),
    ("patch", "{detail}"),
    ("delete", "{detail}"),
]
RESOURCES = ["articles", "authors", "publishers"]
# Articles come from the importer: editors may only PATCH them. Authors and publishers take
# POST, PATCH and DELETE. PUT is offered nowhere.
OFFERED = {
    ("articles", "patch"),
    *((resource, method) for resource in ["authors", "publishers"] for method in ["post", "patch", "delete"]),
}


@pytest.fixture
def urls() -> dict[str, dict[str, str]]:
    article = ArticleFactory(authors=[AuthorFactory()])
    author, publisher = article.authors.get(), article.publisher
    return {
        name: {"list": f"/api/v1/{name}/", "detail": f"/api/v1/{name}/{obj.pk}/"}
        for name, obj in [("articles", article), ("authors", author), ("publishers", publisher)]
    }


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize(("method", "url"), WRITES)
def test_anonymous_cannot_write(api_client, urls, resource, method, url):
    response = getattr(api_client, method)(url.format(**urls[resource]), {"title": "x"})

    assert response.status_code == (401 if (resource, method) in OFFERED else 405)


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize(("method", "url"), WRITES)
def test_reader_without_permissions_cannot_write(user_client, urls, resource, method, url):
    response = getattr(user_client, method)(url.format(**urls[resource]), {"title": "x"})

    assert response.status_code == (403 if (resource, method) in OFFERED else 405)


@pytest.mark.parametrize(
    ("resource", "method", "url"),
    [(resource, *write) for resource in RESOURCES for write in WRITES if (resource, write[0]) not in OFFERED],
)
def test_writes_not_offered_are_refused_even_for_staff(staff_client, urls, resource, method, url):
    response = getattr(staff_client, method)(url.format(**urls[resource]), {"title": "x"})

    assert response.status_code == 405
    assert Article.objects.count() == 1
