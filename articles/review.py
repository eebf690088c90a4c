"""Editorial services: publish, withdraw, mark reviewed and settle import conflicts.

The admin's actions and buttons call these; each runs in one transaction and
records a historical row per article, naming the user and the reason, so no
editorial change is anonymous or irreversible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from articles import merging, search_index, takedowns, triage
from articles.alerts import hooks as alerts
from articles.editing import set_byline
from articles.history import attribute_change
from articles.imported_history import record_imported_states
from articles.models import Article, Author, Publisher, Takedown
from articles.naming import name_slug

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# Columns simple-history does not record; history rows are built from the rest,
# so the rows an action updates are loaded without these and with everything else.
UNTRACKED_FIELDS = ("raw_text", "parsed", "import_conflicts")
# The fields whose import conflicts an editor can settle, beside the curated text fields.
RELATION_CONFLICTS = ("publisher", "authors")
# django-simple-history's change reason column.
HISTORY_REASON_MAX_LENGTH = 100


class ConflictError(ValueError):
    """A request to settle an import conflict the article does not have."""


# The review queue's order: likeliest errors first (``articles.triage``), then oldest first;
# the partial index article_review_priority_idx holds it, so a page is walked, never sorted.
REVIEW_ORDER = ("-review_priority", "created_at", "id")


def review_queue() -> QuerySet[Article]:
    """Return the articles waiting for an editor, highest review priority first, then oldest first."""
    return Article.objects.needing_review().order_by(*REVIEW_ORDER)


def next_for_review(*, after: Article | None = None, priority: int | None = None) -> Article | None:
    """Return the flagged article that follows ``after`` in the review queue, wrapping around.

    ``priority``: the one ``after`` had in the queue (default: its ``review_priority``),
    to be given once marking it reviewed has reset it.
    """
    queue = review_queue()
    if after is None:
        return queue.first()
    priority = after.review_priority if priority is None else priority
    later = (
        Q(review_priority__lt=priority)
        | Q(review_priority=priority, created_at__gt=after.created_at)
        | Q(review_priority=priority, created_at=after.created_at, id__gt=after.pk)
    )
    return queue.filter(later).first() or queue.exclude(pk=after.pk).first()


def publish_articles(articles: QuerySet[Article], *, user: AbstractBaseUser | None = None) -> int:
    """Publish ``articles``; those never published get today as their publication date."""
    now = timezone.now()

    def change(article: Article) -> None:
        article.status = Article.Status.PUBLISHED
        article.published_at = article.published_at or now

    def reinstate(rows: list[Article]) -> None:
        takedowns.published([row.pk for row in rows], user=user, at=now)
        alerts.published_on_commit([row.pk for row in rows])

    unpublished = articles.exclude(status=Article.Status.PUBLISHED)
    return _update(unpublished, change, ["status", "published_at"], user, "published", then=reinstate)


def withdraw_articles(articles: QuerySet[Article], *, user: AbstractBaseUser | None = None, reason: str = "") -> int:
    """Withdraw ``articles`` from the public archive, recording the takedown (and ``reason``); dates are kept."""

    def change(article: Article) -> None:
        article.status = Article.Status.WITHDRAWN

    def record(rows: list[Article]) -> None:
        takedowns.taken_down(rows, kind=Takedown.Kind.WITHDRAWN, user=user, reason=reason)

    history_reason = f"withdrawn: {reason.strip()}" if reason.strip() else "withdrawn"
    if len(history_reason) > HISTORY_REASON_MAX_LENGTH:
        history_reason = history_reason[: HISTORY_REASON_MAX_LENGTH - 1] + "…"
    return _update(
        articles.exclude(status=Article.Status.WITHDRAWN), change, ["status"], user, history_reason, then=record
    )


def mark_reviewed(articles: QuerySet[Article], *, user: AbstractBaseUser | None = None) -> int:
    """Take ``articles`` out of the review queue; any import conflict keeps the editor's value."""

    def change(article: Article) -> None:
        article.needs_review = False
        article.review_reasons = []
        article.import_conflicts = {}
        article.review_priority = 0

    fields = ["needs_review", "review_reasons", "import_conflicts", "review_priority"]
    return _update(articles.filter(needs_review=True), change, fields, user, "marked reviewed", untracked=False)


@transaction.atomic
def _update(
    articles: QuerySet[Article],
    change: Callable[[Article], None],
    fields: list[str],
    user: AbstractBaseUser | None,
    reason: str,
    *,
    untracked: bool = True,
    then: Callable[[list[Article]], None] | None = None,
) -> int:
    """Apply ``change`` to each of ``articles`` and save ``fields`` with a history row each, then call ``then``."""
    # Re-select by id: the caller's queryset may defer the body or carry a
    # prefetch; history rows need every tracked column of each article.
    locked = Article.objects.filter(pk__in=articles.values("pk")).order_by("pk").select_for_update()
    rows = list(locked.defer(*UNTRACKED_FIELDS) if untracked else locked.defer("raw_text", "parsed"))
    now = timezone.now()
    for article in rows:
        change(article)
        article.updated_at = now
    record_imported_states(row.pk for row in rows)
    bulk_update_with_history(
        rows, Article, [*fields, "updated_at"], batch_size=500, default_user=user, default_change_reason=reason
    )
    search_index.schedule_sync()  # bulk_update() sends no signals
    if then is not None:
        then(rows)
    return len(rows)


def conflict_reason(field: str) -> str:
    """Return the review reason the importer gives for a conflict on ``field``."""
    return triage.CONFLICT_REASON.format(field=field)


@transaction.atomic
def resolve_conflict(
    *, article: Article, field: str, accept_parsed: bool, user: AbstractBaseUser | None = None
) -> Article:
    """Settle one import conflict: take the newly parsed value, or keep the editor's.

    Either way the conflict and its review reason go; the article leaves the
    review queue when no reason is left.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    conflict = (article.import_conflicts or {}).get(field)
    if conflict is None:
        raise ConflictError(f"The article has no import conflict on {field!r}.")
    if accept_parsed:
        _accept_parsed(article, field, conflict["parsed"], user)
    article.import_conflicts = {name: value for name, value in article.import_conflicts.items() if name != field}
    article.review_reasons = [reason for reason in article.review_reasons if reason != conflict_reason(field)]
    article.needs_review = bool(article.review_reasons or article.import_conflicts)
    verb = "accepted the parsed" if accept_parsed else "kept the editor's"
    attribute_change(article, user=user, reason=f"import conflict: {verb} {field}")
    article.save()
    return article


def _accept_parsed(article: Article, field: str, parsed: Any, user: AbstractBaseUser | None) -> None:
    """Set ``field`` to the value the import parsed (JSON: a name, a list of names or a field's value)."""
    if field == "publisher":
        article.publisher = publisher_named(parsed) if parsed else None
    elif field == "authors":
        set_byline(article, authors_named(parsed), user=user, reason="import conflict: accepted the parsed authors")
    elif field in {f.name for f in Article._meta.concrete_fields} and field not in UNTRACKED_FIELDS:
        setattr(article, field, parsed)
    else:
        raise ConflictError(f"{field!r} is not a field an import conflict can set.")


def publisher_named(name: str) -> Publisher:
    """Return the publisher called ``name`` (or one it was merged into), creating it if it is new."""
    slug = name_slug(name)
    return merging.resolve_slug(model=Publisher, slug=slug) or Publisher.objects.create(slug=slug, name=name)


def authors_named(names: Iterable[str]) -> list[Author]:
    """Return the authors called ``names``, in order and without repeats, creating the new ones."""
    names = list(dict.fromkeys(names))
    found = merging.resolve_slugs(model=Author, slugs=(name_slug(name) for name in names))
    authors: list[Author] = []
    for name in names:
        slug = name_slug(name)
        author = found.get(slug) or found.setdefault(slug, Author.objects.create(slug=slug, name=name))
        if author not in authors:
            authors.append(author)
    return authors
