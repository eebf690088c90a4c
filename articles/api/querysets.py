"""What the API reads: who may see which articles, and the querysets each endpoint runs."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from django.db.models import Count, Exists, F, OrderBy, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Substr

from articles.models import Article, ArticleAuthor, Author, NamedEntity, Publisher, publicly_visible
from articles.models import Collection as CollectionModel  # not collections.abc's, which this module uses too

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Whoever makes a request: a user, an anonymous visitor, or nobody (a command, a test).
Requester: TypeAlias = "User | AnonymousUser | None"
_Person = TypeVar("_Person", Author, Publisher)

# The list excerpt is cut from this many leading characters of the body, so the
# list never loads whole bodies. One extra character tells whether the body goes on.
EXCERPT_SOURCE_CHARS = 300
# Columns no list shows; a detail shows only the body.
HEAVY_COLUMNS = ("body", "raw_text", "parsed", "import_conflicts")
# Where the API's article querysets put each article's byline: a plain list, which
# Django fills without building a related queryset per article (most of what the
# prefetch cost on a list page).
BYLINES_ATTR = "prefetched_bylines"
# Any of these model permissions on authors (or publishers) lets a user see every one of them.
PERSON_ACTIONS = ("view", "add", "change", "delete")


def can_see_unpublished(user: Requester) -> bool:
    """Return whether ``user`` may read drafts and withdrawn articles: staff, and editors who may change them."""
    if user is None or not user.is_active:
        return False
    return bool(user.is_staff or user.has_perm("articles.change_article"))


def newest_first(user: Requester) -> list[str | OrderBy]:
    """Return the newest-first ordering of the articles ``user`` may read (ending in the unique ``-id``).

    Newest by ``date``: the story's original publication date, else its publication in the archive.
    """
    if can_see_unpublished(user):
        # An undated draft (no date of either kind) is listed after dated articles on every
        # database (PostgreSQL otherwise puts NULLs first in a descending sort).
        return [F("date").desc(nulls_last=True), "-id"]
    # Published articles always have a date, so the plain ordering is the same and
    # lets the database walk the (status, -date, -id) index instead of
    # sorting every published row. Ids grow with creation, so -id breaks ties newest first.
    return ["-date", "-id"]


def visible_articles(user: Requester) -> QuerySet[Article]:
    """Return the articles ``user`` may read, newest first: every one for staff, else the public ones now."""
    articles = Article.objects.all() if can_see_unpublished(user) else Article.objects.public()
    return articles.order_by(*newest_first(user))


def wants(fields: Collection[str] | None, *names: str) -> bool:
    """Return whether a response limited to ``fields`` (None: every field) shows any of ``names``."""
    return fields is None or any(name in fields for name in names)


def with_related(articles: QuerySet[Article], fields: Collection[str] | None = None) -> QuerySet[Article]:
    """Join the publisher and prefetch the byline, each only when the response shows it."""
    if wants(fields, "publisher"):
        articles = articles.select_related("publisher")
    if wants(fields, "authors"):
        articles = articles.prefetch_related(bylines_prefetch())
    return articles


def bylines_prefetch() -> Prefetch[str, QuerySet[ArticleAuthor], str]:
    """Prefetch each article's bylines with their authors, in byline order, into ``BYLINES_ATTR``."""
    bylines = ArticleAuthor.objects.select_related("author").order_by("position", "id")
    return Prefetch("bylines", queryset=bylines, to_attr=BYLINES_ATTR)


def article_list_queryset(user: Requester, fields: Collection[str] | None = None) -> QuerySet[Article]:
    """Return the visible articles with what a list page shows (only ``fields``, if given), and nothing heavier."""
    # The body only when named: a list shows its excerpt by default.
    heavy = [column for column in HEAVY_COLUMNS if column != "body" or "body" not in (fields or ())]
    articles = with_related(visible_articles(user), fields).defer(*heavy)
    if wants(fields, "excerpt"):
        articles = articles.annotate(body_head=Substr("body", 1, EXCERPT_SOURCE_CHARS + 1))
    return articles


def article_detail_queryset(user: Requester, fields: Collection[str] | None = None) -> QuerySet[Article]:
    """Return the visible articles with what a detail page shows (only ``fields``, if given)."""
    articles = with_related(visible_articles(user), fields)
    heavy = [column for column in HEAVY_COLUMNS if column != "body" or not wants(fields, "body", "excerpt")]
    return articles.defer(*heavy)


def article_source_queryset(user: Requester) -> QuerySet[Article]:
    """Return the visible articles with their raw source text only."""
    return visible_articles(user).only("id", "status", "raw_text")


def visible_related_articles(user: Requester, relation: str) -> QuerySet[Article]:
    """Return the articles ``user`` may read whose ``relation`` (a model's ``article_relation``) is the outer row."""
    articles = Article.objects.filter(**{relation: OuterRef("pk")})
    if not can_see_unpublished(user):
        articles = articles.filter(publicly_visible())
    return articles


def visible_article_count(user: Requester, relation: str) -> Coalesce:
    """Count the related articles ``user`` may read (for authors and publishers), for each outer row.

    A correlated subquery rather than a join and GROUP BY over every article: the
    database computes it only for the rows it returns (a page), on the indexed
    foreign key, so a list page costs the same whatever the archive's size.
    """
    counted = visible_related_articles(user, relation).order_by().values(relation).annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), 0)


def has_visible_articles(user: Requester, relation: str) -> Exists:
    """Tell whether the outer row has related articles ``user`` may read (EXISTS on the indexed foreign key)."""
    return Exists(visible_related_articles(user, relation))


def can_see_every(user: Requester, model: type[NamedEntity]) -> bool:
    """Return whether ``user`` may see every author (or publisher): those who may read drafts, or manage them."""
    if can_see_unpublished(user):
        return True
    # Whoever may add, change or delete them reaches every one by id anyway.
    name = model._meta.model_name
    return user is not None and any(user.has_perm(f"articles.{action}_{name}") for action in PERSON_ACTIONS)


def visible_people(user: Requester, model: type[_Person]) -> QuerySet[_Person]:
    """Return the authors (or publishers) ``user`` may see: all for editors, else those a published article credits.

    Someone credited only on drafts or withdrawn articles (or on nothing, once
    taken off a draft) is unpublished material too. An EXISTS on the indexed
    foreign key, which stops at the first published article, keeps it cheap at any size.
    """
    people = model.objects.all()
    if not can_see_every(user, model):
        people = people.filter(has_visible_articles(user, model.article_relation))
    return people


def visible_authors(user: Requester) -> QuerySet[Author]:
    """Return the authors ``user`` may see (see ``visible_people``)."""
    return visible_people(user, Author)


def visible_publishers(user: Requester) -> QuerySet[Publisher]:
    """Return the publishers ``user`` may see (see ``visible_people``)."""
    return visible_people(user, Publisher)


def people_with_counts(user: Requester, model: type[_Person]) -> QuerySet[_Person]:
    """Return the authors (or publishers) ``user`` may see, each with the number of articles ``user`` may read."""
    counted = visible_people(user, model).annotate(article_count=visible_article_count(user, model.article_relation))
    return counted.order_by("name", "id")


def authors_with_counts(user: Requester) -> QuerySet[Author]:
    """Return the authors ``user`` may see, with their article counts (see ``people_with_counts``)."""
    return people_with_counts(user, Author)


def publishers_with_counts(user: Requester) -> QuerySet[Publisher]:
    """Return the publishers ``user`` may see, with their article counts (see ``people_with_counts``)."""
    return people_with_counts(user, Publisher)


def collections_with_publishers(user: Requester) -> QuerySet[CollectionModel]:
    """Return every collection, each with the publishers in it ``user`` may see prefetched (by name)."""
    # One query for a whole page's publishers; a publisher unpublished for ``user`` is left out as everywhere.
    publishers = visible_publishers(user).order_by("name", "id").only("id", "name", "slug")
    return CollectionModel.objects.order_by("name", "id").prefetch_related(Prefetch("publishers", queryset=publishers))
