"""Restore an article's content from an earlier version in its history, keeping its provenance.

django-simple-history's own revert saves the historical row whole, which would
put an old checksum and source key beside the current raw source (and an empty
raw source: the history does not keep it). ``revert_article`` restores only the
content an editor owns (``REVERTED_FIELDS`` and the byline) and records the
revert itself as a new version, with the user and a reason. Restoring a field
settles any import conflict pending on it: the editor has decided.

The byline of a version is rebuilt from the bylines' own history: as it stood
halfway between that version and the next one. The importer writes the byline
just before saving the article and the admin just after, so halfway assigns
each byline change to the article version it belongs to. Where the history
cannot tell (bylines written without history, e.g. by a bulk load), the byline
is left as it is and the plan says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.db import models, transaction
from django.utils import timezone

from articles.editing import ARTICLE_FIELDS, set_byline
from articles.history import attribute_change
from articles.models import Article, ArticleAuthor, Author, Publisher
from articles.review import conflict_reason

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# What an editor may change, less the article's identity (its slug) and the review flag.
REVERTED_FIELDS = tuple(name for name in ARTICLE_FIELDS if name not in {"slug", "needs_review"})
# django-simple-history's history_change_reason column is 100 characters wide.
REASON_MAX_LENGTH = 100


class ArticleVersion(Protocol):
    """A row of ``Article.history`` (django-simple-history builds its class at run time), as a revert reads it.

    It also holds every field of ``REVERTED_FIELDS``, read by name.
    """

    id: int
    history_id: int
    history_date: datetime
    publisher_id: int | None


class RevertError(ValueError):
    """A version that cannot be restored onto this article."""


@dataclass(frozen=True)
class FieldChange:
    """One field a revert changes: its label, current value and the version's."""

    name: str
    label: str
    current: object
    target: object


@dataclass
class RevertPlan:
    """What restoring ``version`` would change, and what it cannot restore."""

    version: ArticleVersion
    changes: list[FieldChange] = field(default_factory=list)
    byline_current: list[Author] = field(default_factory=list)
    byline_target: list[Author] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def byline_changes(self) -> bool:
        return self.byline_target is not None and self.byline_target != self.byline_current

    @property
    def is_noop(self) -> bool:
        return not self.changes and not self.byline_changes

    @property
    def restored_fields(self) -> list[str]:
        """Return the fields the revert changes, named as import conflicts name them."""
        return [change.name for change in self.changes] + (["authors"] if self.byline_changes else [])


def plan_revert(*, article: Article, version: ArticleVersion) -> RevertPlan:
    """Describe, without changing anything, what restoring ``version`` of ``article`` would do."""
    if version.id != article.pk:
        raise RevertError(f"version #{version.history_id} is not a version of article #{article.pk}")
    plan = RevertPlan(version=version)
    for name in REVERTED_FIELDS:
        model_field = Article._meta.get_field(name)
        assert isinstance(model_field, models.Field), "REVERTED_FIELDS are the article's own columns"
        current, target = getattr(article, model_field.attname), getattr(version, model_field.attname)
        if current == target:
            continue
        if name == "publisher":
            current, target = _publisher(current), _publisher(target)
            if target is False:
                plan.notes.append(f"The publisher of that version (#{version.publisher_id}) no longer exists; kept.")
                continue
        plan.changes.append(FieldChange(name, str(model_field.verbose_name), current, target))
    plan.byline_current = [b.author for b in article.bylines.select_related("author").order_by("position", "id")]
    target_ids = byline_at(article=article, version=version)
    if target_ids is None:
        plan.notes.append("The byline's history is incomplete for that version; the byline is kept as it is.")
        return plan
    authors = Author.objects.in_bulk(target_ids)
    missing = [pk for pk in target_ids if pk not in authors]
    if missing:
        plan.notes.append(
            f"{len(missing)} author(s) of that version no longer exist (deleted or merged); the byline is kept."
        )
        return plan
    plan.byline_target = [authors[pk] for pk in target_ids]
    return plan


@transaction.atomic
def revert_article(
    *, article: Article, version: ArticleVersion, user: AbstractBaseUser | None = None, reason: str = ""
) -> RevertPlan:
    """Restore ``version``'s content and byline onto ``article``; provenance stays current.

    Import conflicts on the restored fields are settled; other review state stays current.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    plan = plan_revert(article=article, version=version)
    for change in plan.changes:
        setattr(article, change.name, change.target)
    _settle_conflicts(article, plan.restored_fields)
    text = f"reverted to the version of {timezone.localtime(version.history_date):%Y-%m-%d %H:%M:%S}"
    text = f"{text}: {reason}" if reason else text
    attribute_change(article, user=user, reason=text[:REASON_MAX_LENGTH])
    article.save()
    if plan.byline_changes and plan.byline_target is not None:
        set_byline(article, plan.byline_target, user=user, reason=text[:REASON_MAX_LENGTH])
    return plan


def _settle_conflicts(article: Article, fields: list[str]) -> None:
    """Drop the import conflicts on ``fields`` and their review reasons; the article leaves review if none is left."""
    conflicts = article.import_conflicts or {}
    settled = [name for name in fields if name in conflicts]
    if not settled:
        return
    article.import_conflicts = {name: value for name, value in conflicts.items() if name not in settled}
    reasons = {conflict_reason(name) for name in settled}
    article.review_reasons = [reason for reason in article.review_reasons or [] if reason not in reasons]
    article.needs_review = bool(article.review_reasons or article.import_conflicts)


def byline_at(*, article: Article, version: ArticleVersion) -> list[int] | None:
    """Return the author ids of the byline as ``version`` had it, in order; None when the history cannot tell."""
    history = ArticleAuthor.history.filter(article_id=article.pk)
    current_ids = set(article.bylines.values_list("pk", flat=True))
    recorded_ids = set(history.values_list("id", flat=True))
    if not current_ids <= recorded_ids or (not recorded_ids and current_ids):
        return None  # some byline was written without a history row
    cutoff = _cutoff(article, version)
    state: dict[int, tuple[int, int] | None] = {}
    for row in history.filter(history_date__lte=cutoff).order_by("history_date", "history_id"):
        state[row.id] = None if row.history_type == "-" else (row.position, row.author_id)
    return [author_id for _, author_id in sorted(value for value in state.values() if value is not None)]


def _cutoff(article: Article, version: ArticleVersion) -> datetime:
    """Return the moment halfway between ``version`` and the article's next version (or now)."""
    following = (
        Article.history.filter(id=article.pk, history_date__gt=version.history_date)
        .order_by("history_date", "history_id")
        .values_list("history_date", flat=True)
        .first()
    )
    end = following or timezone.now()
    return version.history_date + (end - version.history_date) / 2


def _publisher(pk: int | None) -> Publisher | bool | None:
    """Return the publisher ``pk`` names, None for no publisher, False if it is gone."""
    if pk is None:
        return None
    return Publisher.objects.filter(pk=pk).first() or False
