"""Editors' changes to articles, authors and publishers, for the API and the admin alike.

Every change goes through the models' ``save()`` and ``delete()``, so the word
count, the search index (kept by database triggers) and django-simple-history
stay right, and each history record names the editor who made it.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from articles import takedowns
from articles.alerts import hooks as alerts
from articles.history import attribute_change
from articles.models import Article, ArticleAuthor, Author, NamedEntity

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# What an editor may change on an article (the API's write serializer offers a subset);
# the rest comes from its source.
ARTICLE_FIELDS = (
    "title",
    "slug",
    "subtitle",
    "body",
    "image_credit",
    "copyright_year",
    "language",
    "status",
    "published_at",
    "original_published_at",
    "original_updated_at",
    "embargo_until",
    "publisher",
    "needs_review",
)
DEFAULT_REASON = "edited"

Named = TypeVar("Named", bound=NamedEntity)
# Called with the row locked, before anything changes: raises to refuse the write (a stale If-Match, say).
Precondition = Callable[[], None]


class SlugTaken(ValidationError):
    """The slug asked for is another row's: the input is valid, the archive's state refuses it."""


class InUse(Exception):
    """An author or publisher cannot be deleted while articles still credit it."""

    def __init__(self, obj: models.Model, article_count: int) -> None:
        self.obj = obj
        self.article_count = article_count
        noun = "article" if article_count == 1 else "articles"
        verb = "credits" if article_count == 1 else "credit"
        kind = str(obj._meta.verbose_name).capitalize()
        super().__init__(f"{kind} '{obj}' cannot be deleted: {article_count} {noun} still {verb} it.")


def update_article(
    *,
    article: Article,
    data: Mapping[str, Any],
    user: AbstractBaseUser | None = None,
    reason: str = DEFAULT_REASON,
    precondition: Precondition | None = None,
    reviewed: bool = False,
) -> Article:
    """Apply an editor's changes to an article and its byline; return the saved article.

    ``data`` holds any of ``ARTICLE_FIELDS`` and ``authors`` (authors in byline
    order). ``reviewed`` also takes the article out of the review queue, in the
    same history row (any import conflict keeps the editor's value).
    Publishing an article without a publication date dates it now.
    Raises ``ValidationError`` for a change the archive refuses, and whatever
    ``precondition`` raises, called once the article is locked.
    """
    unknown = set(data) - {*ARTICLE_FIELDS, "authors"}
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        # Locked, so a concurrent import or edit cannot interleave with this one.
        article = Article.objects.select_for_update().get(pk=article.pk)
        if precondition is not None:
            precondition()
        status_before, embargo_before = article.status, article.embargo_until
        changed = [name for name in ARTICLE_FIELDS if name in data and getattr(article, name) != data[name]]
        for name in changed:
            setattr(article, name, data[name])
        changed += _date_if_published(article, data)
        if reviewed:
            changed += _mark_reviewed(article)
        _validate_article(article)
        byline_changed = "authors" in data and set_byline(article, list(data["authors"]), user=user)
        if changed or byline_changed:
            attribute_change(article, user=user, reason=reason)
            # updated_at moves for a byline change too: caches keyed on it must see it.
            article.save(update_fields={*changed, "updated_at"})
        takedowns.status_changed(article, before=status_before, user=user)
        if article.status == Article.Status.PUBLISHED and status_before != Article.Status.PUBLISHED:
            alerts.published_on_commit([article.pk])
        elif article.status == Article.Status.PUBLISHED and "embargo_until" in changed:
            alerts.embargo_changed(article, before=embargo_before)
        if "body" in changed:
            _refresh_fingerprints(article)
    return article


def _refresh_fingerprints(article: Article) -> None:
    """Index the body an editor wrote for near-duplicates, as an import indexes a parsed one."""
    # Imported here: deduplication writes through the importer's writers, whose package imports this module.
    from articles import deduplication

    deduplication.refresh_fingerprints(article=article)


def _mark_reviewed(article: Article) -> list[str]:
    fields = {"needs_review": False, "review_reasons": [], "import_conflicts": {}}
    changed = [name for name, value in fields.items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, fields[name])
    return changed


def check_article_change(*, article: Article, data: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``data`` for ``article`` as ``update_article`` would, without saving (a form's check).

    Return the values the save would set beyond ``data`` (a publication date
    for an undated article being published); raise ``ValidationError`` for a
    change it would refuse.
    """
    trial = copy.copy(article)
    for name in ARTICLE_FIELDS:
        if name in data:
            setattr(trial, name, data[name])
    implied = _date_if_published(trial, data)
    _validate_article(trial)
    return {name: getattr(trial, name) for name in implied}


def _date_if_published(article: Article, data: Mapping[str, Any]) -> list[str]:
    """Date a published article that has no publication date, unless the editor removed it on purpose."""
    if article.status != Article.Status.PUBLISHED or article.published_at is not None:
        return []
    if "published_at" in data:
        raise ValidationError({"published_at": "A published article needs a publication date."})
    article.published_at = timezone.now()
    return ["published_at"]


def _validate_article(article: Article) -> None:
    errors = {}
    if not article.title.strip():
        errors["title"] = "An article needs a title."
    if article.status not in Article.Status.values:
        errors["status"] = f"Unknown status '{article.status}'; use one of: {', '.join(Article.Status.values)}."
    if errors:
        raise ValidationError(errors)


def set_byline(
    article: Article, authors: Sequence[Author], *, user: AbstractBaseUser | None = None, reason: str = ""
) -> bool:
    """Make ``authors`` the article's byline in this order; return whether anything changed.

    Unchanged bylines are left alone; each changed one is saved (or deleted) with
    ``user`` and ``reason`` in its history row.
    """
    if len({author.pk for author in authors}) != len(authors):
        raise ValidationError({"authors": "An author can appear only once in a byline."})
    current = {byline.author_id: byline for byline in article.bylines.all()}
    wanted = {author.pk for author in authors}
    changed = False
    # Removed authors first: their history records come before the new order's.
    for author_id in set(current) - wanted:
        removed = current.pop(author_id)
        _stamp(removed, user, reason)
        removed.delete()
        changed = True
    for position, author in enumerate(authors):
        byline = current.get(author.pk)
        if byline is not None and byline.position == position:
            continue
        if byline is None:
            byline = ArticleAuthor(article=article, author=author, position=position)
        byline.position = position
        _stamp(byline, user, reason)
        byline.save()
        changed = True
    return changed


def _stamp(instance: models.Model, user: AbstractBaseUser | None, reason: str) -> None:
    """Name ``user`` and ``reason`` (if any) in the instance's next history row."""
    attribute_change(instance, user=user, reason=reason or None)


def create_named(*, model: type[Named], data: Mapping[str, Any], user: AbstractBaseUser | None = None) -> Named:
    """Create an author or publisher from its ``editable_fields``; the slug defaults to one made from the name."""
    return _save_named(model(), data, user)


def update_named(
    *,
    obj: Named,
    data: Mapping[str, Any],
    user: AbstractBaseUser | None = None,
    precondition: Precondition | None = None,
) -> Named:
    """Change any of an author's or publisher's ``editable_fields`` (once ``precondition`` holds, the row locked)."""
    return _save_named(obj, data, user, precondition)


def _save_named(
    obj: Named, data: Mapping[str, Any], user: AbstractBaseUser | None, precondition: Precondition | None = None
) -> Named:
    """Save an author or publisher with ``data``, keeping names present and slugs unique."""
    unknown = set(data) - set(obj.editable_fields)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if precondition is not None:
            # Locked, so no other write comes between the check and this one.
            type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
            precondition()
        for name, value in data.items():
            setattr(obj, name, value)
        _check_named(obj)
        attribute_change(obj, user=user)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as exc:
            # Another request took the slug between the check and the save.
            raise SlugTaken({"slug": f"The slug '{obj.slug}' is taken."}) from exc
    return obj


def _check_named(obj: NamedEntity) -> None:
    """Strip the name and derive a missing slug; raise ``ValidationError`` for no name or a taken slug."""
    obj.name = obj.name.strip()
    if not obj.name:
        raise ValidationError({"name": "A name is required."})
    if not obj.slug:
        # A name with nothing to slugify ("!!!") gets its kind and a random suffix: any name is acceptable.
        obj.slug = slugify(obj.name)[:255] or f"{type(obj)._meta.model_name}-{secrets.token_hex(4)}"
    model = type(obj)
    if model._default_manager.filter(slug=obj.slug).exclude(pk=obj.pk).exists():
        raise SlugTaken({"slug": f"The slug '{obj.slug}' is taken by another {model._meta.verbose_name}."})


def delete_named(*, obj: NamedEntity, user: AbstractBaseUser | None = None) -> None:
    """Delete an author or publisher no article credits; raise ``InUse`` otherwise (their foreign keys PROTECT it)."""
    count = Article.objects.filter(**{obj.article_relation: obj}).values("pk").distinct().count()
    if count:
        raise InUse(obj, count)
    attribute_change(obj, user=user)
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        # An article credited it after the count.
        raise InUse(obj, len(exc.protected_objects)) from exc
