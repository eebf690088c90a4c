"""Atom and RSS feeds of published articles, filtered as the API's article list is.

A feed takes the list's filters and ``q`` (``/feeds/articles.atom?publisher=...&q=...``), so a
publisher, an author or a saved search is a feed. The filtering is the API's own (the
viewset's filter backends and FilterSet): one way to filter, and a bad value is the same
JSON 400. Feeds are public: they show published articles only, whoever asks. An entry's
``updated`` is the article's last change in the archive, which a re-import of a changed
source moves on.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from articles import takedowns
from articles.api import querysets
from articles.api.views import ArticleViewSet
from articles.models import Article, SavedSearch, Takedown

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

# Entries per feed: the newest (or best-ranked, with ``q``) ones; a reader polls, it does not page.
FEED_SIZE = 50
EXCERPT_CHARS = 300


_Obj = TypeVar("_Obj")


def feed_articles(request: HttpRequest, params: _ImmutableQueryDict | None = None) -> QuerySet[Article]:
    """Return up to FEED_SIZE published articles the list filters and ``q`` select (``params``, or the request's)."""
    if params is not None:
        # The request as it came, but for its query string.
        request = copy.copy(request)
        request.GET = params
    view = ArticleViewSet(action="list", format_kwarg=None, args=(), kwargs={})
    # No authenticators: the request is anonymous whatever its session, so drafts never reach a feed.
    view.request = Request(request, authenticators=())
    articles = querysets.visible_articles(AnonymousUser())
    articles = articles.select_related("publisher").prefetch_related("bylines__author")
    return view.filter_queryset(articles)[:FEED_SIZE]


class ArticleEntries(Feed[Article, _Obj], Generic[_Obj]):
    """What the article feeds share: an entry per article, and a bad filter answered as the API's JSON 400."""

    feed_type: type[SyndicationFeed] = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().__call__(request, *args, **kwargs)
        except ValidationError as exc:
            return JsonResponse(exc.detail, status=400, safe=False)

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.subtitle or item.body[:EXCERPT_CHARS]

    def item_link(self, item: Article) -> str:
        return item.get_absolute_url()

    def item_author_name(self, item: Article) -> str:
        return ", ".join(byline.author.name for byline in item.bylines.all())

    def item_pubdate(self, item: Article) -> Any:
        return item.date

    def item_updateddate(self, item: Article) -> Any:
        return item.updated_at

    def item_categories(self, item: Article) -> list[str]:
        return [item.publisher.name] if item.publisher else []


class ArticleAtomFeed(ArticleEntries[QuerySet[Article]]):
    """The archive's published articles as an Atom feed."""

    title = "News archive: articles"
    link = "/api/v1/articles/"
    subtitle = description = "Published articles, newest first (or ranked, with q)."

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> QuerySet[Article]:
        return feed_articles(request)

    def items(self, obj: QuerySet[Article]) -> QuerySet[Article]:
        return obj


class ArticleRssFeed(ArticleAtomFeed):
    """The same feed as RSS 2.0."""

    feed_type = Rss201rev2Feed


class WithdrawnAtomFeed(Feed[Takedown, None]):
    """The articles withdrawn, deleted or reinstated, newest first: what the public saw go (ids, no content)."""

    feed_type: type[SyndicationFeed] = Atom1Feed
    title = "News archive: withdrawn articles"
    link = "/api/v1/articles/withdrawn/"
    subtitle = description = "Articles withdrawn or deleted (delete your copies), or reinstated, newest first."

    def items(self) -> QuerySet[Takedown]:
        return takedowns.current(public_only=True).order_by("-at", "-id")[:FEED_SIZE]

    def item_title(self, item: Takedown) -> str:
        return f"Article #{item.article_id} {item.kind}"

    def item_description(self, item: Takedown) -> str:
        return f"Article #{item.article_id} was {item.kind} at {item.at.isoformat()}."

    def item_link(self, item: Takedown) -> str:
        return reverse("api:article-detail", kwargs={"pk": item.article_id})

    def item_guid(self, item: Takedown) -> str:
        return f"urn:archive:takedown:{item.pk}"

    def item_pubdate(self, item: Takedown) -> Any:
        return item.at

    def item_updateddate(self, item: Takedown) -> Any:
        return item.at


@dataclass(frozen=True)
class SavedSearchMatches:
    """A saved search and the published articles its query selects."""

    saved_search: SavedSearch
    articles: QuerySet[Article]


class SavedSearchAtomFeed(ArticleEntries[SavedSearchMatches]):
    """A saved search's published matches, found by its feed token (a feed reader cannot log in)."""

    def get_object(self, request: HttpRequest, *args: Any, token: str = "", **kwargs: Any) -> SavedSearchMatches:
        saved_search = get_object_or_404(SavedSearch, feed_token=token)
        # Public whoever owns it, as every feed: the address may be shared, and readers do not log in.
        return SavedSearchMatches(saved_search, feed_articles(request, QueryDict(saved_search.query)))

    def items(self, obj: SavedSearchMatches) -> QuerySet[Article]:
        return obj.articles

    def title(self, obj: SavedSearchMatches) -> str:
        return f"News archive: {obj.saved_search.name}"

    def link(self, obj: SavedSearchMatches) -> str:
        return f"/api/v1/articles/?{obj.saved_search.query}"

    def description(self, obj: SavedSearchMatches) -> str:
        return (
            f"Published articles matching the saved search {obj.saved_search.name!r}, newest first (or ranked, with q)."
        )

    subtitle = description


class SavedSearchRssFeed(SavedSearchAtomFeed):
    """The same feed as RSS 2.0."""

    feed_type = Rss201rev2Feed
