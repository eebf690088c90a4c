"""Near-duplicates in the archive: the band-key index, finding a new article's original, flagging and resolving copies.

The index is ``ArticleFingerprint``: one row per LSH band key of an article's body
(``articles.duplicates``). Finding the originals of a batch costs two queries
whatever its size or the archive's: one lookup of every band key it carries, one
of the candidates' bodies for the exact check. A copy becomes a draft for review
with the reason "possible duplicate of #N" (``triage.DUPLICATE_REASON``) and
``duplicate_of`` set; the importer and ``find_duplicates --flag`` both mark it
through ``mark_copy``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from articles import duplicates, triage
from articles.duplicates import Fingerprint
from articles.history import attribute_change
from articles.importing.writing import Row
from articles.models import Article, ArticleFingerprint

# The candidates checked exactly per new body, those sharing the most keys: a copy shares about 3 of 10,
# an unrelated body almost never one, but templated stories (results, listings) share some by the thousand.
MAX_CANDIDATES = 4
# The articles looked up per band key at most, the oldest first.
KEY_LIMIT = 20


@dataclass(frozen=True)
class Original:
    """What a new body copies: an article of the archive (``article_id``) or an earlier item of its batch."""

    similarity: float
    article_id: int | None = None
    earlier: int | None = None


def duplicate_reason(original_id: int) -> str:
    """Return the review reason of a copy of article ``original_id``."""
    return triage.DUPLICATE_REASON.format(id=original_id)


def fingerprint_rows(article_id: int, fingerprint: Fingerprint) -> list[Row]:
    """Return the index rows of an article's fingerprint (none for a body too short to tell)."""
    return [Row(article_id=article_id, key=key) for key in fingerprint.keys]


def find_originals(prints: Sequence[Fingerprint], *, threshold: float = duplicates.THRESHOLD) -> list[Original | None]:
    """Return, for each fingerprint of a batch in order, the article or earlier item it copies, if any.

    An archive article and an earlier item of the batch are candidates when they
    share a band key; the one with the most shingles in common at ``threshold`` or
    more is the original (the archive's on a tie, then the lowest id). Only the
    ``MAX_CANDIDATES`` sharing the most keys are checked, of each, so templated
    stories sharing keys by the thousand cost no more than a few bodies a file.
    """
    ids_by_key = candidate_ids({key for item in prints for key in item.keys})
    chosen = [closest(item.keys, ids_by_key) for item in prints]
    stored = fingerprints_of({pk for ids in chosen for pk in ids})
    by_key: dict[int, list[int]] = defaultdict(list)
    originals: list[Original | None] = []
    for i, item in enumerate(prints):
        found = duplicates.best_match(item, {pk: stored[pk] for pk in chosen[i] if pk in stored}, threshold=threshold)
        original = Original(found[1], article_id=found[0]) if found else None
        for j in closest(item.keys, by_key):
            similarity = duplicates.jaccard(item.shingles, prints[j].shingles)
            if similarity >= threshold and (original is None or similarity > original.similarity):
                original = Original(similarity, earlier=j)
        originals.append(original)
        for key in item.keys:
            by_key[key].append(i)
    return originals


def closest(keys: Iterable[int], ids_by_key: dict[int, list[int]] | dict[int, set[int]]) -> list[int]:
    """Return the ``MAX_CANDIDATES`` ids sharing the most of ``keys`` (then the lowest ids)."""
    shared = Counter(pk for key in keys for pk in ids_by_key.get(key, ()))
    return sorted(shared, key=lambda pk: (-shared[pk], pk))[:MAX_CANDIDATES]


def candidate_ids(keys: Iterable[int]) -> dict[int, set[int]]:
    """Return, in one query, the ids of the articles indexed under each of ``keys``."""
    keys = list(keys)
    found: dict[int, set[int]] = defaultdict(set)
    if keys:
        # The oldest KEY_LIMIT articles of each key: a template's keys would otherwise bring the
        # thousands of stories that share them, and the original of a copy is the oldest.
        oldest = Window(RowNumber(), partition_by=[F("key")], order_by=[F("article_id").asc()])
        rows = ArticleFingerprint.objects.filter(key__in=keys).annotate(rank=oldest).filter(rank__lte=KEY_LIMIT)
        for key, article_id in rows.values_list("key", "article_id"):
            found[key].add(article_id)
    return found


def fingerprints_of(ids: set[int]) -> dict[int, Fingerprint]:
    """Return, in one query, the fingerprints of the bodies of the articles ``ids``."""
    rows = Article.objects.filter(pk__in=ids).values_list("id", "body") if ids else []
    return {pk: duplicates.fingerprint(body) for pk, body in rows}


def mark_copy(article: Article, original_id: int) -> None:
    """Make ``article`` (unsaved changes) a draft for review as a possible duplicate of ``original_id``.

    A published article goes back to draft (one being imported has no publication
    date then, like any draft the importer makes); a withdrawn one stays withdrawn.
    Its other review reasons stay, and its review priority is recomputed.
    """
    if article.status == Article.Status.PUBLISHED:
        article.status = Article.Status.DRAFT
        article.published_at = None if article._state.adding else article.published_at
    others = [reason for reason in article.review_reasons or [] if not triage.is_duplicate_reason(reason)]
    article.review_reasons = [*others, duplicate_reason(original_id)]
    article.needs_review = True
    article.review_priority = triage.review_priority(article.review_reasons)  # bulk writes do not save()
    article.duplicate_of_id = original_id


def duplicate_reasons(article: Article) -> list[str]:
    """Return the article's "possible duplicate" review reasons, which an update keeps."""
    return [reason for reason in article.review_reasons or [] if triage.is_duplicate_reason(reason)]


def refresh_fingerprints(*, article: Article) -> None:
    """Replace the article's index rows with those of its body as it is now."""
    ArticleFingerprint.objects.filter(article_id=article.pk).delete()
    rows = fingerprint_rows(article.pk, duplicates.fingerprint(article.body))
    ArticleFingerprint.objects.bulk_create(ArticleFingerprint(article_id=row.article_id, key=row.key) for row in rows)


@transaction.atomic
def flag_duplicate(*, article: Article, original: Article, user=None) -> Article:
    """Flag ``article`` as a possible duplicate of ``original``: a draft in the review queue, linked to it."""
    if article.pk == original.pk:
        raise ValueError("An article cannot be a duplicate of itself.")
    article = Article.objects.select_for_update().get(pk=article.pk)
    mark_copy(article, original.pk)
    attribute_change(article, user=user, reason=f"possible duplicate of #{original.pk}")
    article.save()
    return article


@transaction.atomic
def resolve_duplicate(*, article: Article, keep_both: bool, user=None) -> Article:
    """Settle a possible duplicate: keep both (unlink; published again if nothing else is to review), or withdraw it.

    Either way the duplicate reason goes and the article leaves the review queue
    when no other reason is left; a withdrawn copy keeps its link to the original.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.duplicate_of_id is None and not duplicate_reasons(article):
        raise ValueError("The article is not flagged as a possible duplicate.")
    article.review_reasons = [r for r in article.review_reasons or [] if not triage.is_duplicate_reason(r)]
    article.needs_review = bool(article.review_reasons or article.import_conflicts)
    if keep_both:
        article.duplicate_of = None
        if article.status == Article.Status.DRAFT and not article.needs_review:
            article.status = Article.Status.PUBLISHED
            article.published_at = article.published_at or timezone.now()
        reason = "possible duplicate: kept both"
    else:
        article.status = Article.Status.WITHDRAWN
        reason = f"possible duplicate of #{article.duplicate_of_id}: withdrawn"
    attribute_change(article, user=user, reason=reason)
    article.save()
    return article
