"""Merging duplicate authors and publishers into a survivor, and undoing a merge.

A merge re-points every byline (or article publisher) of the merged rows to the
survivor, keeps each article's author order, puts the survivor in the merged publishers'
collections in their place, turns the merged names into aliases
of the survivor so later imports attach to it, deletes the merged rows and
stores in a ``Merge`` row everything needed to undo it exactly. Every change is
also recorded by django-simple-history with a reason naming the merge.

Undo restores the merged rows with their ids and slugs, the bylines at their
positions, the publishers of articles and the members of collections. It refuses (``UndoRefused``) when the
merge was already undone or its survivor is gone (deleted, or merged itself: undo
that later merge first). Articles deleted since the merge, or whose byline or
publisher an editor changed since, are skipped and listed in ``UndoResult.skipped``
rather than failing the whole undo: they keep what the editor made of them.
Articles imported since the merge whose source names a merged row were credited to
the survivor through an alias; undo gives them back to the restored row too (as the
importer would now) and lists them in ``UndoResult.reattributed``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any, TypeAlias, TypeVar

from django.apps import apps
from django.contrib.auth.models import AnonymousUser, User
from django.db import models, transaction
from django.db.models import OuterRef, ProtectedError, Q, QuerySet, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from articles import search_index
from articles.history import attribute_change, signed_in
from articles.imported_history import record_imported_states
from articles.models import Article, ArticleAuthor, Author, Collection, Merge, NamedEntity, Publisher
from articles.naming import name_slug

# django-simple-history's history_change_reason column is 100 characters wide.
REASON_MAX_LENGTH = 100

Entity = TypeVar("Entity", bound=NamedEntity)
# Who asks for a merge or an undo (a request's user); only a signed-in user is recorded.
Requester: TypeAlias = User | AnonymousUser | None
# A JSON object of a merge's snapshot (``Merge.merged``).
Json: TypeAlias = dict[str, Any]


class MergeError(ValueError):
    """A merge or an undo that cannot be done as asked."""


class UndoRefused(MergeError):
    """An undo that was refused: the merge was already undone, or undoing it is no longer safe."""


# --- Resolving names through aliases (used by the importer) ------------------------


def alias_map(*, model: type[Entity], slugs: Iterable[str]) -> dict[str, Entity]:
    """Map each of ``slugs`` that is an alias of a ``model`` row to that row, in one query."""
    slugs = set(slugs)
    if not slugs:
        return {}
    alias_model = model.alias_model()
    aliases = alias_model._default_manager.filter(slug__in=slugs).select_related(alias_model.owner_field)
    return {alias.slug: getattr(alias, alias_model.owner_field) for alias in aliases}


def resolve_slugs(*, model: type[Entity], slugs: Iterable[str]) -> dict[str, Entity]:
    """Map each of ``slugs`` to the ``model`` row it names, by slug or else by alias, in two queries at most."""
    slugs = set(slugs)
    found = {row.slug: row for row in model._default_manager.filter(slug__in=slugs)} if slugs else {}
    found.update(alias_map(model=model, slugs=slugs - found.keys()))
    return found


def resolve_slug(*, model: type[Entity], slug: str) -> Entity | None:
    """Return the ``model`` row ``slug`` names, directly or through an alias."""
    return resolve_slugs(model=model, slugs=[slug]).get(slug)


def entity_model(kind: str) -> type[NamedEntity]:
    """Return the model a merge of ``kind`` (a ``Merge.Kind``) folds rows of."""
    return apps.get_model("articles", kind)


# --- Previews (the admin's confirmation page) ----------------------------------------


@dataclass(frozen=True)
class ArticleChange:
    """How a merge changes one article: its authors (or publisher) before and after, by name."""

    article_id: int
    title: str
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class MergedPreview:
    """One author or publisher to be merged: the articles that move and the aliases it leaves."""

    id: int
    name: str
    slug: str
    articles: tuple[ArticleChange, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class MergePreview:
    """What a merge will do, for a confirmation page."""

    kind: str
    survivor: NamedEntity
    merged: tuple[MergedPreview, ...]
    filled: dict[str, str] = field(default_factory=dict)

    @property
    def article_count(self) -> int:
        return len({change.article_id for item in self.merged for change in item.articles})

    @property
    def alias_names(self) -> list[str]:
        return [name for item in self.merged for name in item.aliases]


def preview_merge(*, survivor: Entity, others: Iterable[Entity]) -> MergePreview:
    """Describe, without changing anything, what merging ``others`` into ``survivor`` would do."""
    model = type(survivor)
    others = _validated(survivor, others)
    merged_ids = {other.pk for other in others}
    changes = _CREDITS[model].preview(survivor, others, merged_ids)
    aliases = _alias_names(model, merged_ids)
    merged = tuple(
        MergedPreview(
            id=other.pk,
            name=other.name,
            slug=other.slug,
            articles=tuple(changes[other.pk]),
            aliases=(other.name, *aliases[other.pk]),
        )
        for other in others
    )
    return MergePreview(kind=_kind(model), survivor=survivor, merged=merged, filled=_filled_fields(survivor, others))


def _preview_bylines(survivor: Author, others: list[Author], merged_ids: set[int]) -> dict[int, list[ArticleChange]]:
    """Return, for each merged author, how the byline of each article crediting it changes."""
    rows = (
        ArticleAuthor.objects.filter(article_id__in=_articles_crediting(merged_ids).values("article_id"))
        .select_related("author", "article")
        .only("id", "position", "article_id", "author_id", "author__name", "article__title")
        .order_by("article_id", "position", "id")
    )
    by_article: dict[int, list[ArticleAuthor]] = defaultdict(list)
    for row in rows:
        by_article[row.article_id].append(row)
    changes: dict[int, list[ArticleChange]] = defaultdict(list)
    for plan in (_plan_byline(article_rows, survivor.pk, merged_ids) for article_rows in by_article.values()):
        names = {row.author_id: row.author.name for row in plan.rows} | {survivor.pk: survivor.name}
        change = ArticleChange(
            article_id=plan.article_id,
            title=plan.rows[0].article.title,
            before=tuple(row.author.name for row in plan.rows),
            after=tuple(names[author_id] for author_id, _ in plan.after),
        )
        for author_id in dict.fromkeys(row.author_id for row in plan.rows if row.author_id in merged_ids):
            changes[author_id].append(change)
    return changes


def _preview_publishers(
    survivor: Publisher, others: list[Publisher], merged_ids: set[int]
) -> dict[int, list[ArticleChange]]:
    """Return, for each merged publisher, its articles, each moving to the survivor."""
    names = {other.pk: other.name for other in others}
    changes: dict[int, list[ArticleChange]] = defaultdict(list)
    articles = Article.objects.filter(publisher_id__in=merged_ids).only("id", "title", "publisher_id")
    for article in articles.order_by("id"):
        publisher_id = article.publisher_id
        assert publisher_id is not None  # filtered on it
        changes[publisher_id].append(ArticleChange(article.pk, article.title, (names[publisher_id],), (survivor.name,)))
    return changes


def _alias_names(model: type[NamedEntity], owner_ids: set[int]) -> dict[int, list[str]]:
    alias_model = model.alias_model()
    key = f"{alias_model.owner_field}_id"
    names: dict[int, list[str]] = defaultdict(list)
    for owner_id, name in alias_model._default_manager.filter(**{f"{key}__in": owner_ids}).values_list(key, "name"):
        names[owner_id].append(name)
    return names


# --- Merging ----------------------------------------------------------------------------


@transaction.atomic
def merge_entities(*, survivor: Entity, others: Iterable[Entity], user: Requester = None) -> Merge:
    """Merge ``others`` into ``survivor``: their articles move to it in order, names become aliases, rows go."""
    model = type(survivor)
    survivor, merged = _lock(model, survivor, _validated(survivor, others))
    merge, recorded = _start(survivor, user)
    reason = _reason(f"merged into {survivor.name} #{survivor.pk} (merge #{merge.pk})")
    snapshot: dict[str, Any] = {"survivor": _row_fields(survivor), "rows": [_row_fields(row) for row in merged]}
    snapshot.update(_CREDITS[model].move(survivor, merged, recorded, reason))
    snapshot.update(_move_aliases(model, survivor, merged))
    snapshot["filled"] = _filled_fields(survivor, merged)
    for name, value in snapshot["filled"].items():
        setattr(survivor, name, value)
    return _finish(merge, survivor, merged, snapshot, recorded, reason)


def _start(survivor: NamedEntity, user: Requester) -> tuple[Merge, User | None]:
    """Create the merge's record first, so every history reason can name it; return it and the user it names."""
    recorded = signed_in(user)
    merge = Merge.objects.create(
        kind=_kind(type(survivor)), survivor_id=survivor.pk, survivor_name=survivor.name, user=recorded
    )
    return merge, recorded


def _kind(model: type[NamedEntity]) -> str:
    return Merge.Kind(str(model._meta.model_name))


def _finish(
    merge: Merge, survivor: NamedEntity, merged: Sequence[NamedEntity], snapshot: Json, user: User | None, reason: str
) -> Merge:
    """Record the survivor's change, delete the merged rows and store the snapshot that undoes it all."""
    _save(survivor, user, _reason(f"absorbed {_names(merged)} (merge #{merge.pk})"))
    _delete(merged, user, reason)
    merge.merged = snapshot
    merge.save(update_fields=["merged"])
    search_index.schedule_sync()  # bylines and publishers moved by bulk updates
    return merge


def _move_articles(
    survivor: Publisher, merged: list[Publisher], user: User | None, reason: str
) -> dict[str, list[Json]]:
    """Give the survivor every article of the merged publishers; record each article's previous publisher."""
    articles = list(
        Article.objects.select_for_update()
        .filter(publisher_id__in=[publisher.pk for publisher in merged])
        .defer(*_UNTRACKED_ARTICLE_FIELDS)
        .order_by("pk")
    )
    moved = [{"article": article.pk, "publisher": article.publisher_id} for article in articles]
    for article in articles:
        article.publisher = survivor
    if articles:
        record_imported_states(article.pk for article in articles)
        bulk_update_with_history(articles, Article, ["publisher"], default_user=user, default_change_reason=reason)
    return {"articles": moved, **_move_collections(survivor, merged, user, reason)}


def _move_collections(
    survivor: Publisher, merged: list[Publisher], user: Any, reason: str
) -> dict[str, list[dict[str, int]]]:
    """Put the survivor in each collection a merged publisher was in, and take the merged ones out (in the history)."""
    members = Collection.publishers.through.objects.filter(publisher_id__in=[publisher.pk for publisher in merged])
    memberships = list(members.values_list("collection_id", "publisher_id"))
    joined = []
    for collection in Collection.objects.filter(pk__in={pk for pk, _ in memberships}).order_by("pk"):
        # Explicitly rather than by the deletion's cascade, so the collection's history shows it.
        attribute_change(collection, user=user, reason=reason)
        collection.publishers.remove(*merged)
        if not collection.publishers.filter(pk=survivor.pk).exists():
            collection.publishers.add(survivor)
            joined.append({"collection": collection.pk})
    return {
        "collections": [{"collection": pk, "publisher": publisher} for pk, publisher in memberships],
        "collections_joined": joined,
    }


# Article fields django-simple-history does not track: no need to load them to record a change.
_UNTRACKED_ARTICLE_FIELDS = ("raw_text", "parsed", "import_conflicts")


def _validated(survivor: Entity, others: Iterable[Entity]) -> list[Entity]:
    """Return ``others`` without repeats, refusing an empty list, another kind of row or the survivor among them."""
    if survivor is None:
        raise MergeError("choose the row to keep")
    label = survivor._meta.verbose_name
    if survivor.pk is None:
        raise MergeError(f"choose a saved {label} to keep")
    unique = list({other.pk: other for other in others}.values())
    if not unique:
        raise MergeError(f"choose at least one other {label} to merge into {survivor}")
    if any(other.pk is None for other in unique):
        raise MergeError(f"only saved {label}s can be merged")
    if any(type(other) is not type(survivor) for other in unique):
        raise MergeError(f"only {label}s can be merged into {label} {survivor}")
    if survivor.pk in {other.pk for other in unique}:
        raise MergeError(f"cannot merge {label} {survivor} into itself")
    return unique


def _lock(model: type[Entity], survivor: Entity, others: list[Entity]) -> tuple[Entity, list[Entity]]:
    """Lock and reload the survivor and the rows to merge, in id order so merges cannot deadlock."""
    ids = [other.pk for other in others]
    locked = {
        row.pk: row
        for row in model._default_manager.select_for_update().filter(pk__in=[survivor.pk, *ids]).order_by("pk")
    }
    missing = [pk for pk in [survivor.pk, *ids] if pk not in locked]
    if missing:
        label = model._meta.verbose_name
        raise MergeError(f"{label} #{missing[0]} no longer exists; reload the page and try again")
    return locked[survivor.pk], [locked[pk] for pk in ids]


def _articles_crediting(author_ids: set[int]) -> QuerySet[ArticleAuthor]:
    """Return the bylines of ``author_ids`` (whose articles credit them)."""
    return ArticleAuthor.objects.filter(author_id__in=author_ids)


@dataclass
class _BylinePlan:
    """One article's byline before a merge and after it."""

    article_id: int
    rows: list[ArticleAuthor]
    after: list[tuple[int, int]]  # (author id, position)
    changed: list[ArticleAuthor]  # rows to update, already given their new author and position
    dropped: list[ArticleAuthor]
    repointed_position: int | None


def _plan_byline(rows: list[ArticleAuthor], survivor_id: int, merged_ids: set[int]) -> _BylinePlan:
    """Re-point the first merged byline to the survivor unless it is credited already; drop the rest.

    The rows are those of one article in byline order; they are not modified.
    """
    credited = any(row.author_id == survivor_id for row in rows)
    kept: list[tuple[ArticleAuthor, int]] = []
    dropped: list[ArticleAuthor] = []
    repointed_position = None
    for row in rows:
        if row.author_id not in merged_ids:
            kept.append((row, row.author_id))
        elif credited:
            dropped.append(row)
        else:
            credited, repointed_position = True, row.position
            kept.append((row, survivor_id))
    after = [(author_id, position) for position, (_, author_id) in enumerate(kept)]
    changed = []
    for (row, _), (author_id, position) in zip(kept, after, strict=True):
        if (row.author_id, row.position) != (author_id, position):
            changed.append(ArticleAuthor(pk=row.pk, article_id=row.article_id, author_id=author_id, position=position))
    return _BylinePlan(rows[0].article_id, rows, after, changed, dropped, repointed_position)


def _move_bylines(survivor: Author, merged: list[Author], user: User | None, reason: str) -> dict[str, list[Json]]:
    """Re-point the merged authors' bylines to the survivor, keeping every article's order."""
    merged_ids = {author.pk for author in merged}
    article_ids = list(
        ArticleAuthor.objects.filter(author_id__in=merged_ids)
        .values_list("article_id", flat=True)
        .order_by("article_id")
        .distinct()
    )
    # Lock the articles first, as an editor's save or a re-import would, then their bylines.
    list(Article.objects.select_for_update().filter(pk__in=article_ids).order_by("pk").values_list("pk"))
    rows = ArticleAuthor.objects.select_for_update().filter(article_id__in=article_ids)
    by_article: dict[int, list[ArticleAuthor]] = defaultdict(list)
    for row in rows.order_by("article_id", "position", "id"):
        by_article[row.article_id].append(row)
    plans = [_plan_byline(article_rows, survivor.pk, merged_ids) for article_rows in by_article.values()]
    # Taken before any change: a deleted row forgets its id.
    snapshot = [
        {
            "article": plan.article_id,
            "before": [[row.pk, row.author_id, row.position] for row in plan.rows],
            "after": [list(pair) for pair in plan.after],
            "repointed_position": plan.repointed_position,
        }
        for plan in plans
    ]
    record_imported_states(row.article_id for plan in plans for row in (*plan.dropped, *plan.changed))
    _delete([row for plan in plans for row in plan.dropped], user, reason)
    changed = [row for plan in plans for row in plan.changed]
    if changed:
        bulk_update_with_history(
            changed, ArticleAuthor, ["author", "position"], default_user=user, default_change_reason=reason
        )
    return {"bylines": snapshot}


def _move_aliases(
    model: type[NamedEntity], survivor: NamedEntity, merged: Sequence[NamedEntity]
) -> dict[str, list[Json]]:
    """Point the merged rows' aliases at the survivor and make each merged name an alias of it."""
    alias_model = model.alias_model()
    owner = alias_model.owner_field
    owner_id = f"{owner}_id"
    merged_ids = [row.pk for row in merged]
    slugs = [row.slug for row in merged]
    existing = list(
        alias_model._default_manager.filter(**{f"{owner_id}__in": merged_ids})
        | alias_model._default_manager.filter(slug__in=slugs)
    )
    moved = [{"id": alias.pk, "slug": alias.slug, "from": getattr(alias, owner_id)} for alias in existing]
    alias_model._default_manager.filter(pk__in=[alias.pk for alias in existing]).update(**{owner: survivor})
    taken = {alias.slug for alias in existing}
    new = [alias_model(**{owner: survivor}, name=row.name, slug=row.slug) for row in merged if row.slug not in taken]
    created = alias_model._default_manager.bulk_create(new)
    if created and created[0].pk is None:  # a backend that does not return ids from bulk inserts
        created = list(alias_model._default_manager.filter(slug__in=[alias.slug for alias in new]))
    return {
        "aliases_created": [{"id": alias.pk, "name": alias.name, "slug": alias.slug} for alias in created],
        "aliases_moved": moved,
    }


def _filled_fields(survivor: NamedEntity, others: Sequence[NamedEntity]) -> dict[str, str]:
    """Return the survivor's blank fields that the merged rows can fill, with the first value found."""
    filled = {}
    for name in survivor.merge_fillable_fields:
        if not getattr(survivor, name):
            value = next((getattr(other, name) for other in others if getattr(other, name)), "")
            if value:
                filled[name] = value
    return filled


# --- Undoing ---------------------------------------------------------------------------


@dataclass
class UndoResult:
    """What an undo restored, and what it had to leave as it is, with why."""

    merge: Merge
    restored: list[NamedEntity] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Articles imported since the merge, whose source names a restored row, credited to it again.
    reattributed: list[Article] = field(default_factory=list)


@transaction.atomic
def undo_merge(*, merge: Merge, user: Requester = None) -> UndoResult:
    """Undo ``merge``: restore the merged rows, their bylines or articles, and remove its aliases."""
    locked = Merge.objects.select_for_update().filter(pk=merge.pk).first()
    if locked is None:
        raise UndoRefused("this merge no longer exists")
    if locked.undone_at is not None:
        raise UndoRefused(f"merge #{locked.pk} was already undone on {locked.undone_at:%Y-%m-%d %H:%M}")
    recorded = signed_in(user)
    reason = _reason(f"merge #{locked.pk} undone")
    result = _undo(locked, entity_model(locked.kind), recorded, reason)
    locked.undone_at, locked.undone_by = timezone.now(), recorded
    locked.save(update_fields=["undone_at", "undone_by"])
    return result


def _undo(merge: Merge, model: type[NamedEntity], user: User | None, reason: str) -> UndoResult:
    search_index.schedule_sync()  # bylines and publishers move back by bulk updates
    snapshot = merge.merged
    survivor = model._default_manager.select_for_update().filter(pk=merge.survivor_id).first()
    if survivor is None:
        raise UndoRefused(_survivor_gone(merge, model))
    result = UndoResult(merge=merge)
    alias_model = model.alias_model()
    owner = alias_model.owner_field
    alias_model._default_manager.filter(
        pk__in=[alias["id"] for alias in snapshot.get("aliases_created", [])], **{owner: survivor}
    ).delete()
    ids = _restore_rows(model, snapshot["rows"], user, reason, result)
    for alias in snapshot.get("aliases_moved", []):
        # An alias that belonged to a row gone again since can only stay with the survivor.
        back_to = ids.get(alias["from"], alias["from"])
        if model._default_manager.filter(pk=back_to).exists():
            alias_model._default_manager.filter(pk=alias["id"], **{owner: survivor}).update(**{f"{owner}_id": back_to})
    _CREDITS[model].restore(merge, survivor, ids, user, reason, result)
    _restore_filled(survivor, snapshot, result)
    _save(survivor, user, reason)
    return result


def _undo_bylines(
    merge: Merge, survivor: Author, ids: dict[int, int], user: User | None, reason: str, result: UndoResult
) -> None:
    """Put the merged authors' bylines back, and credit them again where a later import's source names them."""
    edited = _restore_bylines(merge.merged, survivor, ids, user, reason, result)
    fixed = _reattribute_bylines(merge, survivor, set(ids.values()), user, reason, result)
    # Re-credited as its source says, an article's byline is no editor's change to report.
    settled = {edited[pk] for pk in fixed if pk in edited}
    result.skipped = [note for note in result.skipped if note not in settled]


def _undo_publishers(
    merge: Merge, survivor: Publisher, ids: dict[int, int], user: User | None, reason: str, result: UndoResult
) -> None:
    """Give the merged publishers their articles back, and those a later import's source names them on."""
    _restore_publishers(merge.merged, survivor, ids, user, reason, result)
    _reattribute_publishers(merge, survivor, set(ids.values()), user, reason, result)
    _restore_collections(merge.merged, survivor, ids, user, reason)


def _restore_collections(
    snapshot: dict[str, Any], survivor: Publisher, ids: dict[int, int], user: Any, reason: str
) -> None:
    """Put the restored publishers back in their collections; take the survivor out of those the merge put it in."""
    members: dict[int, list[int]] = defaultdict(list)
    for entry in snapshot.get("collections", []):
        members[entry["collection"]].append(ids[entry["publisher"]])
    joined = {entry["collection"] for entry in snapshot.get("collections_joined", [])}
    # A collection deleted since is left deleted.
    for collection in Collection.objects.filter(pk__in={*members, *joined}).order_by("pk"):
        attribute_change(collection, user=user, reason=reason)
        if collection.pk in members:
            collection.publishers.add(*members[collection.pk])
        if collection.pk in joined:
            collection.publishers.remove(survivor)


def _survivor_gone(merge: Merge, model: type[NamedEntity]) -> str:
    """Explain why the survivor is missing, naming the later merge to undo first if there is one."""
    label = model._meta.verbose_name
    later = Merge.objects.filter(kind=merge.kind, undone_at__isnull=True, pk__gt=merge.pk).order_by("pk")
    for other in later:
        if any(row.get("id") == merge.survivor_id for row in other.merged.get("rows", [])):
            return (
                f"cannot undo merge #{merge.pk}: {label} {merge.survivor_name} was merged into "
                f"{other.survivor_name} by merge #{other.pk}; undo that merge first"
            )
    return f"cannot undo merge #{merge.pk}: {label} {merge.survivor_name} #{merge.survivor_id} was deleted since"


def _restore_rows(
    model: type[NamedEntity], rows: list[Json], user: User | None, reason: str, result: UndoResult
) -> dict[int, int]:
    """Recreate the merged rows, with their own id and slug where still free; return old id -> id."""
    label = model._meta.verbose_name
    taken_ids = set(model._default_manager.filter(pk__in=[row["id"] for row in rows]).values_list("pk", flat=True))
    taken_slugs = set(
        model._default_manager.filter(slug__in=[row["slug"] for row in rows]).values_list("slug", flat=True)
    )
    ids: dict[int, int] = {}
    for row in rows:
        values = {name: value for name, value in row.items() if name not in ("id", "created_at", "updated_at")}
        if row["slug"] in taken_slugs:
            values["slug"] = _free_slug(model, row["slug"])
            result.skipped.append(
                f"{label} {row['name']}: slug {row['slug']} is taken now; restored as {values['slug']}"
            )
        instance = model(**values)
        if row["id"] not in taken_ids:
            instance.pk = row["id"]  # its own id back
        _save(instance, user, reason, force_insert=True)
        # Both timestamps are set by the database on insert; put the originals back.
        model._default_manager.filter(pk=instance.pk).update(
            created_at=datetime.fromisoformat(row["created_at"]), updated_at=datetime.fromisoformat(row["updated_at"])
        )
        ids[row["id"]] = instance.pk
        result.restored.append(instance)
    return ids


def _free_slug(model: type[NamedEntity], slug: str) -> str:
    for n in range(2, 1000):
        candidate = f"{slug[:250]}-{n}"
        if not model._default_manager.filter(slug=candidate).exists():
            return candidate
    raise MergeError(f"no free slug left for {slug}")


def _restore_bylines(
    snapshot: Json, survivor: Author, ids: dict[int, int], user: User | None, reason: str, result: UndoResult
) -> dict[int, str]:
    """Put every byline back as it was, on the articles whose byline nobody changed since.

    Return the note reported for each article whose byline changed since, by article id.
    """
    entries = snapshot.get("bylines", [])
    titles = dict(
        Article.objects.select_for_update().filter(pk__in=[e["article"] for e in entries]).values_list("pk", "title")
    )
    current: dict[int, dict[int, ArticleAuthor]] = defaultdict(dict)
    for row in ArticleAuthor.objects.select_for_update().filter(article_id__in=titles).order_by("position", "id"):
        current[row.article_id][row.author_id] = row
    merged_ids = set(ids)
    taken = set(
        ArticleAuthor.objects.filter(pk__in=[row[0] for e in entries for row in e["before"]]).values_list(
            "pk", flat=True
        )
    )
    changed: list[ArticleAuthor] = []
    created: list[ArticleAuthor] = []
    edited: dict[int, str] = {}
    for entry in entries:
        article_id = entry["article"]
        if article_id not in titles:
            result.skipped.append(f"article #{article_id}: deleted since the merge")
            continue
        rows = current[article_id]
        if sorted([row.author_id, row.position] for row in rows.values()) != sorted(entry["after"]):
            edited[article_id] = f"article #{article_id} {titles[article_id]}: byline changed since the merge; kept"
            result.skipped.append(edited[article_id])
            continue
        for byline_id, author_id, position in entry["before"]:
            if author_id not in merged_ids:
                row = rows[author_id]
            elif position == entry["repointed_position"]:
                row = rows[survivor.pk]
            else:
                pk = None if byline_id in taken else byline_id
                created.append(ArticleAuthor(pk=pk, article_id=article_id, author_id=ids[author_id], position=position))
                continue
            if (row.author_id, row.position) != (ids.get(author_id, author_id), position):
                row.author_id, row.position = ids.get(author_id, author_id), position
                changed.append(row)
    record_imported_states(row.article_id for row in (*changed, *created))
    if changed:
        bulk_update_with_history(
            changed, ArticleAuthor, ["author", "position"], default_user=user, default_change_reason=reason
        )
    if created:
        bulk_create_with_history(created, ArticleAuthor, default_user=user, default_change_reason=reason)
    return edited


def _reattribute_bylines(
    merge: Merge, survivor: Author, restored_ids: set[int], user: User | None, reason: str, result: UndoResult
) -> set[int]:
    """Credit the restored authors again on the articles imported since the merge whose source names them.

    Such an import resolved a merged name through the merge's alias and credited the
    survivor. Only bylines written since the merge and still exactly as the import
    made them are changed; an editor's byline stays. Return the ids of the articles changed.
    """
    written_since = ArticleAuthor.history.filter(history_type="+", history_date__gte=merge.created_at).values("id")
    # An import creates bylines without history rows: its articles are known by their creation time.
    imported_since = Article.objects.filter(created_at__gte=merge.created_at, import_run__isnull=False).values("id")
    bylines = ArticleAuthor.objects.filter(Q(pk__in=written_since) | Q(article_id__in=imported_since), author=survivor)
    article_ids = set(bylines.values_list("article_id", flat=True))
    if not article_ids:
        return set()
    locked = Article.objects.select_for_update().filter(pk__in=article_ids).order_by("pk")
    articles = list(locked.only("id", "title", "parsed"))
    credited = {article.pk: _parsed_slugs(article) for article in articles}
    named = resolve_slugs(model=Author, slugs=chain.from_iterable(credited.values()))
    resolved = {slug: author.pk for slug, author in named.items()}
    # The byline each source gives now; only one naming a restored author can have gone through the merge's alias.
    wanted: dict[int, list[int]] = {}
    for pk, slugs in credited.items():
        found = list(dict.fromkeys(resolved.get(slug) for slug in slugs))
        ids = [author_id for author_id in found if author_id is not None]
        if len(ids) == len(found) and restored_ids & set(ids):  # every name resolved, one to a restored author
            wanted[pk] = ids
    current: dict[int, list[ArticleAuthor]] = defaultdict(list)
    for row in ArticleAuthor.objects.select_for_update().filter(article_id__in=wanted).order_by("position", "id"):
        current[row.article_id].append(row)
    changed: list[ArticleAuthor] = []
    created: list[ArticleAuthor] = []
    fixed: set[int] = set()
    for article_id, author_ids in wanted.items():
        as_merged = list(dict.fromkeys(survivor.pk if pk in restored_ids else pk for pk in author_ids))
        if [row.author_id for row in current[article_id]] != as_merged:
            continue  # changed by an editor since: theirs to keep
        changes = _byline_towards(current[article_id], author_ids, survivor.pk)
        changed.extend(row for row in changes if row.pk is not None)
        created.extend(row for row in changes if row.pk is None)
        fixed.add(article_id)
    record_imported_states(row.article_id for row in (*changed, *created))
    if changed:
        bulk_update_with_history(
            changed, ArticleAuthor, ["author", "position"], default_user=user, default_change_reason=reason
        )
    if created:
        bulk_create_with_history(created, ArticleAuthor, default_user=user, default_change_reason=reason)
    result.reattributed.extend(article for article in articles if article.pk in fixed)
    return fixed


def _byline_towards(rows: list[ArticleAuthor], author_ids: list[int], survivor_id: int) -> list[ArticleAuthor]:
    """Return the rows to save so that ``rows``, one article's byline in order, credit ``author_ids``.

    Every row keeps its author, except the survivor's when the source does not name the
    survivor itself: that row, at its position, goes to the first restored author. Other
    restored authors get new rows (without a pk). The rows given are not modified.
    """
    by_author = {row.author_id: row for row in rows}
    spare = None if survivor_id in author_ids else by_author.pop(survivor_id)
    changes = []
    for position, author_id in enumerate(author_ids):
        row = by_author.get(author_id)
        if row is None and spare is not None:
            row, spare = spare, None
        if row is None:
            changes.append(ArticleAuthor(article_id=rows[0].article_id, author_id=author_id, position=position))
        elif (row.author_id, row.position) != (author_id, position):
            changes.append(ArticleAuthor(pk=row.pk, article_id=row.article_id, author_id=author_id, position=position))
    return changes


def _parsed_slugs(article: Article) -> list[str]:
    """Return the slugs of the author names the article's last import parsed, in order, without repeats."""
    return list(dict.fromkeys(name_slug(name) for name in (article.parsed or {}).get("author_names", [])))


def _reattribute_publishers(
    merge: Merge, survivor: Publisher, restored_ids: set[int], user: User | None, reason: str, result: UndoResult
) -> None:
    """Give the restored publishers back the articles imported since the merge whose source names them.

    Such an import resolved a merged name through the merge's alias. Only articles whose
    publisher was not already the survivor when the merge was made are changed, so an
    editor's earlier choice stays.
    """
    changed_since = Article.history.filter(history_date__gte=merge.created_at, publisher_id=survivor.pk).values("id")
    at_merge = (
        Article.history.filter(id=OuterRef("pk"), history_date__lt=merge.created_at)
        .order_by("-history_date", "-history_id")
        .values("publisher_id")[:1]
    )
    # An import creates articles without history rows: those are known by their creation time.
    imported_since = Q(created_at__gte=merge.created_at, import_run__isnull=False)
    articles = list(
        Article.objects.select_for_update()
        .filter(Q(pk__in=changed_since) | imported_since, publisher=survivor)
        .annotate(publisher_at_merge=Subquery(at_merge))
        .defer("raw_text", "import_conflicts")
        .order_by("pk")
    )
    holders = {
        article.pk: name_slug(article.parsed["copyright_holder"])
        for article in articles
        # Annotated above; to mypy an ArticleQuerySet's rows are plain Articles.
        if article.publisher_at_merge != survivor.pk  # type: ignore[attr-defined]
        and (article.parsed or {}).get("copyright_holder")
    }
    resolved = resolve_slugs(model=Publisher, slugs=holders.values())
    changed = []
    for article in articles:
        publisher = resolved.get(holders.get(article.pk, ""))
        if publisher is not None and publisher.pk in restored_ids:
            article.publisher = publisher
            changed.append(article)
    if changed:
        record_imported_states(article.pk for article in changed)
        bulk_update_with_history(changed, Article, ["publisher"], default_user=user, default_change_reason=reason)
    result.reattributed.extend(changed)


def _restore_filled(survivor: NamedEntity, snapshot: Json, result: UndoResult) -> None:
    """Blank again the survivor's fields the merge filled, unless an editor changed them since."""
    for name, value in snapshot.get("filled", {}).items():
        if getattr(survivor, name) == value:
            setattr(survivor, name, snapshot["survivor"][name])
        else:
            result.skipped.append(f"{survivor._meta.verbose_name} {survivor.name}: {name} edited since the merge; kept")


def _restore_publishers(
    snapshot: Json, survivor: Publisher, ids: dict[int, int], user: User | None, reason: str, result: UndoResult
) -> None:
    """Give every article its publisher back, unless it was deleted or given another publisher since."""
    entries = snapshot.get("articles", [])
    articles = Article.objects.select_for_update().filter(pk__in=[e["article"] for e in entries])
    by_id = {article.pk: article for article in articles.defer(*_UNTRACKED_ARTICLE_FIELDS)}
    changed = []
    for entry in entries:
        article = by_id.get(entry["article"])
        if article is None:
            result.skipped.append(f"article #{entry['article']}: deleted since the merge")
        elif article.publisher_id != survivor.pk:
            result.skipped.append(f"article #{article.pk} {article.title}: publisher changed since the merge; kept")
        else:
            article.publisher_id = ids[entry["publisher"]]
            changed.append(article)
    if changed:
        record_imported_states(article.pk for article in changed)
        bulk_update_with_history(changed, Article, ["publisher"], default_user=user, default_change_reason=reason)


# --- Small helpers ----------------------------------------------------------------------


def _row_fields(row: NamedEntity) -> Json:
    """Return every column of ``row``, timestamps as ISO 8601: what an undo recreates it from."""
    fields = {field.attname: field.value_from_object(row) for field in row._meta.concrete_fields}
    return fields | {"created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}


def _names(rows: Sequence[models.Model]) -> str:
    return ", ".join(f"{row} #{row.pk}" for row in rows)


def _reason(text: str) -> str:
    """Fit a history change reason into its column."""
    return text if len(text) <= REASON_MAX_LENGTH else text[: REASON_MAX_LENGTH - 1] + "…"


def _save(instance: models.Model, user: User | None, reason: str, **kwargs: Any) -> None:
    attribute_change(instance, user=user, reason=reason)
    instance.save(**kwargs)


def _delete(instances: Iterable[models.Model], user: User | None, reason: str) -> None:
    """Delete each instance, so that django-simple-history records who and why."""
    for instance in instances:
        attribute_change(instance, user=user, reason=reason)
        try:
            instance.delete()
        except ProtectedError as exc:
            raise MergeError(f"{instance} is still referenced elsewhere and cannot be merged: {exc.args[0]}") from exc


@dataclass(frozen=True)
class _Credits:
    """How articles credit one kind of row: what merging rows of it previews, moves and undoes."""

    # (survivor, others, merged ids) -> {merged id: [ArticleChange]}
    preview: Callable[..., dict[int, list[ArticleChange]]]
    # (survivor, merged rows, user, reason) -> the snapshot's part that undoes the move
    move: Callable[..., dict[str, list[Json]]]
    # (merge, survivor, {old id: id}, user, reason, UndoResult) -> None
    restore: Callable[..., None]


_CREDITS: dict[type[NamedEntity], _Credits] = {
    Author: _Credits(preview=_preview_bylines, move=_move_bylines, restore=_undo_bylines),
    Publisher: _Credits(preview=_preview_publishers, move=_move_articles, restore=_undo_publishers),
}
