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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from articles import duplicates, takedowns, triage
from articles.duplicates import Fingerprint
from articles.history import attribute_change
from articles.importing.writing import bulk_writer
from articles.models import Article, ArticleFingerprint

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# The candidates checked exactly per new body, those sharing the most keys: a copy shares about 3 of 10,
# an unrelated body almost never one, but templated stories (results, listings) share some by the thousand.
MAX_CANDIDATES = 4
# The articles looked up per band key at most, the oldest first (at import; when scanning the archive).
KEY_LIMIT = 20
SCAN_KEY_LIMIT = 50
# Articles, or shared keys, read per query when scanning the archive.
SCAN_BATCH = 200


@dataclass(frozen=True)
class Original:
    """What a new body copies: an article of the archive (``article_id``) or an earlier item of its batch."""

    similarity: float
    article_id: int | None = None
    earlier: int | None = None


def duplicate_reason(original_id: int) -> str:
    """Return the review reason of a copy of article ``original_id``."""
    return triage.DUPLICATE_REASON.format(id=original_id)


# The columns of ``fingerprint_rows``: an import writes ten a file, so they are plain tuples.
FINGERPRINT_COLUMNS = ("article_id", "key")


def fingerprint_rows(article_id: int, fingerprint: Fingerprint) -> list[tuple[int, int]]:
    """Return the index rows of an article's fingerprint, as ``FINGERPRINT_COLUMNS`` (none for a short body)."""
    return [(article_id, key) for key in fingerprint.keys]


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


def candidate_ids(keys: Iterable[int], *, limit: int = KEY_LIMIT) -> dict[int, set[int]]:
    """Return, in one query, the ids of the (``limit`` oldest) articles indexed under each of ``keys``."""
    keys = list(keys)
    found: dict[int, set[int]] = defaultdict(set)
    if keys:
        # The oldest KEY_LIMIT articles of each key: a template's keys would otherwise bring the
        # thousands of stories that share them, and the original of a copy is the oldest.
        oldest = Window(RowNumber(), partition_by=[F("key")], order_by=[F("article_id").asc()])
        rows = ArticleFingerprint.objects.filter(key__any_of=keys).annotate(rank=oldest).filter(rank__lte=limit)
        for key, article_id in rows.values_list("key", "article_id"):
            found[key].add(article_id)
    return found


def fingerprints_of(ids: set[int]) -> dict[int, Fingerprint]:
    """Return, in one query, the fingerprints of the bodies of the articles ``ids``."""
    rows = Article.objects.filter(pk__any_of=ids).values_list("id", "body") if ids else []
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
    ArticleFingerprint.objects.bulk_create(ArticleFingerprint(article_id=pk, key=key) for pk, key in rows)


@transaction.atomic
def flag_duplicate(*, article: Article, original: Article, user: AbstractBaseUser | None = None) -> Article:
    """Flag ``article`` as a possible duplicate of ``original``: a draft in the review queue, linked to it."""
    if article.pk == original.pk:
        raise ValueError("An article cannot be a duplicate of itself.")
    article = Article.objects.select_for_update().get(pk=article.pk)
    mark_copy(article, original.pk)
    attribute_change(article, user=user, reason=f"possible duplicate of #{original.pk}")
    article.save()
    return article


@transaction.atomic
def resolve_duplicate(*, article: Article, keep_both: bool, user: AbstractBaseUser | None = None) -> Article:
    """Settle a possible duplicate: keep both (unlink; published again if nothing else is to review), or withdraw it.

    Either way the duplicate reason goes and the article leaves the review queue
    when no other reason is left; a withdrawn copy keeps its link to the original.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.duplicate_of_id is None and not duplicate_reasons(article):
        raise ValueError("The article is not flagged as a possible duplicate.")
    status_before = article.status
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
    takedowns.status_changed(article, before=status_before, user=user, reason=reason)
    return article


@dataclass
class Cluster:
    """Near-duplicate articles: ``members`` oldest first; ``links`` maps each copy to the oldest it matched."""

    members: list[int]
    links: dict[int, int]


def index_missing(*, batch_size: int = SCAN_BATCH) -> int:
    """Fingerprint the articles that have no index rows, ``batch_size`` at a time by id; return how many got some."""
    indexed, last = 0, 0
    unindexed = Article.objects.filter(~Exists(ArticleFingerprint.objects.filter(article=OuterRef("pk"))))
    while rows := list(unindexed.filter(pk__gt=last).order_by("pk").values_list("id", "body")[:batch_size]):
        last = rows[-1][0]
        new = [row for pk, body in rows for row in fingerprint_rows(pk, duplicates.fingerprint(body))]
        with transaction.atomic():
            bulk_writer().insert_values(ArticleFingerprint, FINGERPRINT_COLUMNS, new)
        indexed += len({pk for pk, _ in new})
    return indexed


def shared_keys(*, batch_size: int = SCAN_BATCH) -> Iterator[list[int]]:
    """Yield, ``batch_size`` at a time in order, the band keys that more than one article has."""
    last: int | None = None
    while True:
        rows = ArticleFingerprint.objects.all() if last is None else ArticleFingerprint.objects.filter(key__gt=last)
        grouped = rows.values("key").annotate(count=Count("id")).filter(count__gt=1).order_by("key")
        keys = list(grouped.values_list("key", flat=True)[:batch_size])
        if not keys:
            return
        yield keys
        last = keys[-1]


def find_clusters(*, threshold: float = duplicates.THRESHOLD, batch_size: int = SCAN_BATCH) -> list[Cluster]:
    """Return the archive's clusters of near-duplicates, oldest first: articles sharing a key, verified exactly.

    Each article under a key is checked against the ``MAX_CANDIDATES`` oldest others
    under it (originals come first); memory holds one batch of keys' bodies and the
    matches found, never the archive.
    """
    best: dict[int, int] = {}  # copy -> the oldest article it matched
    for keys in shared_keys(batch_size=batch_size):
        ids_by_key = candidate_ids(keys, limit=SCAN_KEY_LIMIT)
        prints = fingerprints_of({pk for group in ids_by_key.values() for pk in group})
        for group in ids_by_key.values():
            ordered = sorted(group)
            for position, copy in enumerate(ordered[1:], start=1):
                for original in ordered[: min(MAX_CANDIDATES, position)]:
                    if original >= best.get(copy, copy):
                        break
                    if duplicates.is_copy(prints[original], prints[copy], threshold=threshold):
                        best[copy] = original
                        break
    return _clusters(best)


def _clusters(best: dict[int, int]) -> list[Cluster]:
    """Group the matches into connected clusters, each oldest first, the clusters by their oldest article."""
    root: dict[int, int] = {}

    def find(pk: int) -> int:
        while root.get(pk, pk) != pk:
            pk = root[pk]
        return pk

    for copy, original in best.items():
        a, b = find(copy), find(original)
        if a != b:
            root[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = defaultdict(list)
    for pk in {*best, *best.values()}:
        members[find(pk)].append(pk)
    return [
        Cluster(sorted(group), {pk: best[pk] for pk in sorted(group) if pk in best})
        for _, group in sorted(members.items())
    ]


def titles_of(ids: Iterable[int]) -> dict[int, str]:
    """Return the titles of the articles ``ids``, in one query."""
    return dict(Article.objects.filter(pk__in=list(ids)).values_list("id", "title"))


def flag_cluster(cluster: Cluster, *, user: AbstractBaseUser | None = None) -> int:
    """Flag each copy of ``cluster`` not flagged yet as a duplicate of the article it matched; return how many."""
    copies = Article.objects.filter(pk__in=list(cluster.links), duplicate_of__isnull=True).order_by("pk")
    flagged = 0
    for article in copies.only("pk"):
        flag_duplicate(article=article, original=Article(pk=cluster.links[article.pk]), user=user)
        flagged += 1
    return flagged
