"""The browsable API keeps working with the read API's parameters: filters form, cursors, search, facets."""

from __future__ import annotations

import pytest

from tests.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("client_fixture", ["api_client", "staff_client"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=otter&ordering=relevance",
        "?page_mode=cursor&page_size=1",
        "?page_mode=cursor&page_size=1&ordering=title",
        "?author=ann&author=bob&min_words=1",
        "?fields=id,title",
        "?min_words=x",
    ],
)
def test_article_list_renders_as_html(request, client_fixture, query):
    ann, bob = AuthorFactory(slug="ann"), AuthorFactory(slug="bob")
    ArticleFactory(authors=[ann], body="otter one")
    ArticleFactory(authors=[bob], body="otter two")

    response = request.getfixturevalue(client_fixture).get(f"/api/v1/articles/{query}", HTTP_ACCEPT="text/html")

    assert response.status_code in {200, 400}
    assert response["Content-Type"].startswith("text/html")
    assert b"</html>" in response.content


def test_cursor_page_shows_next_control(api_client):
    ArticleFactory.create_batch(3)

    response = api_client.get("/api/v1/articles/?page_mode=cursor&page_size=1", HTTP_ACCEPT="text/html")

    assert b"cursor=" in response.content
    assert b'class="pager"' in response.content or b"pagination" in response.content


def test_filter_form_shows_slug_values(api_client):
    ann, bob = AuthorFactory(slug="ann"), AuthorFactory(slug="bob")
    ArticleFactory(authors=[ann, bob])

    response = api_client.get("/api/v1/articles/?author=ann&author=bob", HTTP_ACCEPT="text/html")

    assert b'value="ann,bob"' in response.content


@pytest.mark.parametrize("path", ["articles/facets/", "authors/?has_articles=true", "publishers/?name=a"])
def test_other_read_pages_render_as_html(api_client, path):
    ArticleFactory(authors=[AuthorFactory()])

    response = api_client.get(f"/api/v1/{path}", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
