"""Takedowns: the durable record of articles withdrawn, deleted or reinstated, which consumers follow.

Each withdrawal (``review.withdraw_articles``, an editor's status change through
``editing.update_article``, ``deduplication.resolve_duplicate``), each deletion (any
``Article`` delete: the admin's, a cascade, the shell; the ``pre_delete`` and
``post_delete`` receivers below, one record per delete()) and each return to the
public archive of a withdrawn article (publishing it again, a re-import's included)
adds a ``Takedown`` row in the same transaction, which supersedes the article's
earlier row (``current``): a consumer asking "what changed since?" gets each article
once, with its latest state.

The public hook, for whoever acts on takedowns (the saved searches' webhooks):

- ``recorded``, a signal sent once the transaction commits, with ``takedowns``: the new
  rows (``article_id``, ``kind``, ``at``, ``reason``, ``user_id``, ``public``);
- ``changes(after=...)``, the current rows oldest first from a point (``at``, ``id``),
  walked by ``takedown_current_at_idx``: what a delivery worker reads after a restart.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from simple_history.models import HistoricalRecords

from articles.history import signed_in
from articles.models import Article, Takedown

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# The rows an ``IN (...)`` lists at most: well inside SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
REASON_MAX_LENGTH = 1000

# Sent on commit, ``takedowns=[Takedown, ...]``: the rows a transaction recorded (never for a rolled-back one).
recorded = Signal()


def taken_down(
    articles: Iterable[Article],
    *,
    kind: str,
    user: AbstractBaseUser | None = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> list[Takedown]:
    """Record that ``articles`` were withdrawn or deleted (``kind``), in the transaction that does it.

    A deletion is recorded before the rows go or just after: only their ids and publication dates are read.
    """
    if kind not in (Takedown.Kind.WITHDRAWN, Takedown.Kind.DELETED):
        raise ValueError(f"not a takedown: {kind!r} (a reinstatement is recorded by published())")
    return _record({a.pk: a.published_at is not None for a in articles}, kind, user, reason, at)


def published(
    article_ids: Iterable[int], *, user: AbstractBaseUser | None = None, at: dt.datetime | None = None
) -> list[Takedown]:
    """Record that the withdrawn ones among ``article_ids`` are published again (reinstated); the others need none."""
    ids = list(article_ids)
    withdrawn_ids: dict[int, bool] = {}
    for start in range(0, len(ids), CHUNK):
        rows = Takedown.objects.filter(
            article_id__in=ids[start : start + CHUNK], current=True, kind=Takedown.Kind.WITHDRAWN
        )
        withdrawn_ids.update(dict.fromkeys(rows.values_list("article_id", flat=True), True))
    return _record(withdrawn_ids, Takedown.Kind.REINSTATED, user, "", at)


def status_changed(article: Article, *, before: str, user: AbstractBaseUser | None = None, reason: str = "") -> None:
    """Record what an editor's change of ``article``'s status from ``before`` means for its consumers."""
    if article.status == before:
        return
    if article.status == Article.Status.WITHDRAWN:
        taken_down([article], kind=Takedown.Kind.WITHDRAWN, user=user, reason=reason)
    elif article.status == Article.Status.PUBLISHED:
        published([article.pk], user=user)


def current(*, public_only: bool = False) -> QuerySet[Takedown]:
    """Return each article's latest takedown or reinstatement, oldest first (``public_only``: those the public saw)."""
    rows = Takedown.objects.filter(current=True)
    if public_only:
        rows = rows.filter(public=True)
    return rows.order_by("at", "id")


def changes(*, after: tuple[dt.datetime, int] | None = None, public_only: bool = False) -> QuerySet[Takedown]:
    """Return the current rows after the position (``at``, ``id``) of the last one handled, oldest first."""
    rows = current(public_only=public_only)
    if after is None:
        return rows
    at, pk = after
    return rows.filter(Q(at__gt=at) | Q(at=at, id__gt=pk))


def _record(
    articles: Mapping[int, bool], kind: str, user: AbstractBaseUser | None, reason: str, at: dt.datetime | None
) -> list[Takedown]:
    """Add a ``kind`` row for each article id (-> whether it was public), superseding its earlier one."""
    if not articles:
        return []
    at = at or timezone.now()
    reason = reason.strip()[:REASON_MAX_LENGTH]
    ids = sorted(articles)
    rows = [
        Takedown(article_id=pk, kind=kind, at=at, reason=reason, user_id=user.pk if user else None, public=articles[pk])
        for pk in ids
    ]
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            Takedown.objects.filter(article_id__in=ids[start : start + CHUNK], current=True).update(current=False)
        Takedown.objects.bulk_create(rows, batch_size=CHUNK)
        transaction.on_commit(lambda: recorded.send(sender=Takedown, takedowns=rows))
    return rows


@dataclass
class _Deletion:
    """The articles one delete() removes, with who and why; ``done`` once they are recorded."""

    articles: dict[int, tuple[Article, AbstractBaseUser | None, str]] = field(default_factory=dict)
    done: bool = False


# A delete() (Django's ``Collector.delete``) sends ``pre_delete`` for every article it removes, deletes
# them, then sends ``post_delete`` for each, all inside the one atomic block it opens, and no signal says
# when it is done. So ``collect_deletion`` gathers the articles under that block and the first
# ``post_delete`` records them all in one call, in the deletion's transaction: a constant number of
# queries for 1 article or 10,000, whatever deletes them (the admin's page or bulk action,
# ``queryset.delete()``, a cascade, the shell: each goes through a Collector). Keyed by the block, not
# by the delete()'s origin: a delete() that failed leaves its articles under a block no later delete()
# runs in, so they are never recorded by mistake (weak keys: the entry goes with the block). On commit
# would be too late: the record must commit with the deletion.
_deletions: weakref.WeakKeyDictionary[transaction.Atomic, _Deletion] = weakref.WeakKeyDictionary()


def collect_deletion(sender: type[Article], instance: Article, using: str, **kwargs: Any) -> None:
    """``pre_delete`` receiver: note an article the running delete() removes, for ``record_deletion``."""
    block = _deleting(using)
    if block is None:  # not from a delete() (sent by hand): ``record_deletion`` records the article alone
        return
    deletion = _deletions.setdefault(block, _Deletion())
    deletion.articles[instance.pk] = (instance, _deleted_by(instance), _reason(instance))


def record_deletion(sender: type[Article], instance: Article, using: str, **kwargs: Any) -> None:
    """``post_delete`` receiver: record at once every article the running delete() removed (on its first one)."""
    block = _deleting(using)
    deletion = _deletions.get(block) if block is not None else None
    if deletion is None or instance.pk not in deletion.articles:  # not announced by pre_delete: alone, then
        deletion = _Deletion({instance.pk: (instance, _deleted_by(instance), _reason(instance))})
    if deletion.done:
        return
    deletion.done = True
    groups: dict[tuple[int | None, str], list[Article]] = {}
    users: dict[int | None, AbstractBaseUser | None] = {}
    for article, user, reason in deletion.articles.values():
        key = user.pk if user is not None else None
        users[key] = user
        groups.setdefault((key, reason), []).append(article)
    at = timezone.now()
    for (key, reason), articles in groups.items():
        taken_down(articles, kind=Takedown.Kind.DELETED, user=users[key], reason=reason, at=at)


def _deleting(using: str) -> transaction.Atomic | None:
    """Return the atomic block of the delete() sending the signal (the innermost: it sends them itself)."""
    blocks = transaction.get_connection(using).atomic_blocks
    return blocks[-1] if blocks else None


def _deleted_by(instance: Article) -> AbstractBaseUser | None:
    """Return the user that ``instance``'s history row names: the one set on it, else the request's."""
    user = getattr(instance, "_history_user", None)
    if user is None:
        # The request's user, as django-simple-history's middleware leaves it for the history row.
        request = getattr(HistoricalRecords.context, "request", None)
        user = signed_in(getattr(request, "user", None))
    return user


def _reason(instance: Article) -> str:
    """Return the reason ``instance``'s history row gives, if any."""
    return getattr(instance, "_change_reason", "") or ""
