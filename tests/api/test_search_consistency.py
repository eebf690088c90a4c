"""Every service that writes articles keeps search right at once: import, edit, merge, revert, review, delete.

Run on SQLite and on PostgreSQL. Each test searches through the API, as a reader would.
"""

from __future__ import annotations

import pytest

from articles import importing, merging, review
from articles.models import Article
from articles.reverting import revert_article
from tests.api.helpers import ARTICLES_URL
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db
FACETS_URL = "/api/v1/articles/facets/"


def search_ids(client, q: str, **params) -> set[int]:
    response = client.get(ARTICLES_URL, {"q": q, "page_size": 100, **params})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def test_a_re_import_is_found_by_its_new_text(api_client, tmp_path):
    """
    GIVEN a seed imported, then corrected on disk
    WHEN it is imported again
    THEN the article is found by the corrected words and no longer by the old ones.
    """
    path = tmp_path / "story.txt"
    path.write_text(seed_text(paragraphs=("The lighthouse keeper retired.",)))
    importing.import_paths(paths=[tmp_path])
    [article] = Article.objects.all()
    assert search_ids(api_client, "lighthouse") == {article.pk}

    path.write_text(seed_text(paragraphs=("The harbourmaster retired.",)))
    importing.import_paths(paths=[tmp_path])

    assert search_ids(api_client, "harbourmaster") == {article.pk}
    assert search_ids(api_client, "lighthouse") == set()


def test_publish_and_withdraw_show_and_hide_an_article(api_client):
    draft = ArticleFactory(body="quokka census", status=Article.Status.DRAFT, published_at=None)
    assert search_ids(api_client, "quokka") == set()

    review.publish_articles(Article.objects.filter(pk=draft.pk))
    assert search_ids(api_client, "quokka") == {draft.pk}

    review.withdraw_articles(Article.objects.filter(pk=draft.pk))
    assert search_ids(api_client, "quokka") == set()


def test_an_author_merge_moves_the_articles_to_the_survivor(api_client):
    """
    GIVEN an article by a duplicate author
    WHEN the duplicate is merged into the survivor
    THEN searching with the survivor as author filter finds the article, and the facets count it for them.
    """
    survivor, duplicate = AuthorFactory(), AuthorFactory()
    ArticleFactory(body="otter holts", authors=[survivor])
    article = ArticleFactory(body="wombat burrows", authors=[duplicate])
    assert search_ids(api_client, "wombat", author=survivor.slug) == set()

    merging.merge_entities(survivor=survivor, others=[duplicate])

    assert search_ids(api_client, "wombat", author=survivor.slug) == {article.pk}
    facets = api_client.get(FACETS_URL, {"q": "wombat"}).json()
    assert facets["authors"] == [{"slug": survivor.slug, "name": survivor.name, "count": 1}]


def test_a_publisher_merge_and_its_undo_move_the_articles(api_client):
    survivor, duplicate = PublisherFactory(), PublisherFactory()
    ArticleFactory(body="otter holts", publisher=survivor)
    article = ArticleFactory(body="wombat burrows", publisher=duplicate)

    merge = merging.merge_entities(survivor=survivor, others=[duplicate])
    assert search_ids(api_client, "wombat", publisher=survivor.slug) == {article.pk}

    merging.undo_merge(merge=merge)
    restored = Article.objects.get(pk=article.pk).publisher
    assert restored != survivor
    assert search_ids(api_client, "wombat", publisher=restored.slug) == {article.pk}
    assert search_ids(api_client, "wombat", publisher=survivor.slug) == set()


def test_a_revert_brings_back_the_old_words(api_client, editor_client):
    article = ArticleFactory(title="Harbour dredging begins")
    response = editor_client.patch(f"{ARTICLES_URL}{article.pk}/", {"title": "Airport expansion begins"})
    assert response.status_code == 200, response.content
    assert search_ids(api_client, "airport") == {article.pk}

    first = Article.history.filter(id=article.pk).earliest("history_date")
    revert_article(article=Article.objects.get(pk=article.pk), version=first)

    assert search_ids(api_client, "harbour") == {article.pk}
    assert search_ids(api_client, "airport") == set()


def test_a_deleted_article_is_no_longer_found_or_counted(api_client):
    kept, deleted = ArticleFactory(body="kestrel one"), ArticleFactory(body="kestrel two")
    assert search_ids(api_client, "kestrel") == {kept.pk, deleted.pk}

    deleted.delete()

    assert search_ids(api_client, "kestrel") == {kept.pk}
    assert api_client.get(ARTICLES_URL, {"q": "kestrel"}).json()["count"] == 1
    assert api_client.get(FACETS_URL, {"q": "kestrel"}).json()["count"] == 1


def test_bad_syntax_is_a_400_never_a_500(api_client):
    for url in (ARTICLES_URL, FACETS_URL):
        response = api_client.get(url, {"q": "-only -excluded"})
        assert response.status_code == 400
        assert "only excludes" in response.json()["q"][0]


def test_a_search_cursor_walk_by_title_is_a_400_not_a_500(api_client):
    ArticleFactory.create_batch(3, body="kestrel")
    first = api_client.get(
        ARTICLES_URL, {"q": "kestrel", "page_mode": "cursor", "ordering": "title", "page_size": 1}
    ).json()

    response = api_client.get(first["next"])

    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]
