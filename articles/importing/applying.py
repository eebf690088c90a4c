"""Applying a parsed record to the archive: the article a new source becomes, and a re-import's update.

Creation is built here and written in bulk by ``batches``; an update (rarer, and
with an editor's corrections to keep) is applied to one article through the ORM,
so it keeps a history row that says what the source changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from articles import boilerplate, deduplication, merging, parsing, triage
from articles.history import attribute_change
from articles.imported_history import record_imported_states
from articles.importing.defaults import fill_record
from articles.importing.names import Names, create_missing_names, resolve_names
from articles.importing.records import (
    CURATED_FIELDS,
    Parsed,
    Snapshot,
    edited,
    parsed_snapshot,
    record_value,
    snapshot_value,
    source_changed,
)
from articles.models import Article, ArticleAuthor, Author, ImportRun, NamedEntity, Publisher, SourceRevision
from articles.naming import name_slug
from articles.review import conflict_reason


def new_article(*, item: Parsed, names: Names, run: ImportRun | None, now: datetime) -> Article:
    """Build, unsaved, the article a new source becomes: published if it parsed cleanly, else a draft for review."""
    record = item.record
    assert record is not None, "only a parsed source becomes an article"
    clean = not record.warnings
    publisher = names.publisher_for(record)
    article = Article(
        slug=item.slug,
        status=Article.Status.PUBLISHED if clean else Article.Status.DRAFT,
        published_at=now if clean else None,
        needs_review=not clean,
        review_reasons=list(record.warnings),
        review_priority=triage.review_priority(record.warnings),  # written in bulk: save() does not set it
        source_key=item.source.key,
        publisher_id=publisher.pk if publisher else None,
        created_at=now,
        updated_at=now,
        **{name: record_value(record, name) for name in CURATED_FIELDS},
    )
    set_provenance(article, record, run, snapshot=item.snapshot, word_count=item.word_count)
    return article


def set_provenance(
    article: Article,
    record: parsing.ParsedArticle,
    run: ImportRun | None,
    *,
    snapshot: Snapshot | None = None,
    word_count: int | None = None,
) -> None:
    """Record on ``article`` where it came from: the source, its hash, what the parser found, the run."""
    article.content_sha256 = record.sha256
    article.raw_text = record.raw_text
    article.source_encoding = record.encoding
    article.word_count = len(article.body.split()) if word_count is None else word_count
    article.parsed = snapshot or parsed_snapshot(record)
    article.import_run_id = run.pk if run else None


def new_bylines(article_id: int, authors: Sequence[Author]) -> list[ArticleAuthor]:
    return [ArticleAuthor(article_id=article_id, author_id=author.pk, position=i) for i, author in enumerate(authors)]


def update_article(
    *,
    article_id: int,
    record: parsing.ParsedArticle,
    names: Names,
    run: ImportRun | None,
    now: datetime,
    snapshot: Snapshot | None = None,
) -> bool:
    """Apply a changed source to an article, keeping the previous text and any editor's corrections.

    ``snapshot``: what the import recorded of the record (with any supplied names), if already made.
    Return whether it published a draft: its caller records that with the batch's others
    (``takedowns.published``: a draft once withdrawn is back, its consumers are told).
    """
    reason = f"updated by import run #{run.pk}" if run else "updated by an import"
    create_missing_names(names, [record], reason=reason)
    record_imported_states([article_id])  # before the byline is replaced: its first history entry
    article = Article.objects.select_for_update().get(pk=article_id)
    SourceRevision.objects.create(
        article=article,
        content_sha256=article.content_sha256,
        raw_text=article.raw_text,
        source_encoding=article.source_encoding,
        import_run=article.import_run,
    )
    conflicts = merge_fields(article, record)
    _merge_relations(article, record, names, conflicts, reason)
    reasons = list(record.warnings) + [conflict_reason(name) for name in conflicts]
    reasons += deduplication.duplicate_reasons(article)  # a new text does not settle a possible duplicate
    published = article.status == Article.Status.DRAFT and article.needs_review and not reasons
    if published:
        article.status, article.published_at = Article.Status.PUBLISHED, article.published_at or now
    article.needs_review = bool(reasons)
    article.review_reasons = reasons
    article.import_conflicts = conflicts
    set_provenance(article, record, run, snapshot=snapshot)
    article.source_changed_at = now  # what ``changed_since`` finds
    attribute_change(article, reason=reason)
    article.save()
    deduplication.refresh_fingerprints(article=article)
    return published


Conflicts = dict[str, dict[str, Any]]


def merge_fields(article: Article, record: parsing.ParsedArticle) -> Conflicts:
    """Take each newly parsed value unless an editor changed that field since the last import.

    An editor's correction of a field the source did not change stands quietly;
    only when both changed is it a conflict, kept for review with both values.
    """
    previous = article.parsed or {}
    conflicts: Conflicts = {}
    for name in CURATED_FIELDS:
        current, new = getattr(article, name), record_value(record, name)
        if current == new or not edited(previous, name, current):
            setattr(article, name, new)
        elif source_changed(previous, name, new):
            conflicts[name] = {"editor": snapshot_value(name, current), "parsed": snapshot_value(name, new)}
    return conflicts


def _merge_relations(
    article: Article, record: parsing.ParsedArticle, names: Names, conflicts: Conflicts, reason: str
) -> None:
    """Replace publisher and byline from the new parse unless an editor changed them."""
    previous = article.parsed or {}
    publisher = names.publisher_for(record)
    parsed_before = name_slug(previous["copyright_holder"]) if previous.get("copyright_holder") else ""
    parsed_now = name_slug(record.copyright_holder) if record.copyright_holder else ""
    current = article.publisher.slug if article.publisher else ""
    if current != (publisher.slug if publisher else ""):
        if current == parsed_before or (parsed_before and [current] == _canonical([parsed_before], Publisher)):
            article.publisher = publisher
        elif parsed_before != parsed_now:
            editor = article.publisher.name if article.publisher else ""
            conflicts["publisher"] = {"editor": editor, "parsed": record.copyright_holder}
    byline = list(article.bylines.order_by("position").values_list("author__slug", "author__name"))
    current_slugs = [slug for slug, _ in byline]
    new_authors = names.authors_for(record)
    if current_slugs == [a.slug for a in new_authors]:
        return
    authors_before = [name_slug(name) for name in previous.get("author_names", [])]
    if current_slugs == authors_before or current_slugs == _canonical(authors_before, Author):
        replace_byline(article, new_authors, reason=reason)
    elif authors_before != [name_slug(name) for name in record.author_names]:
        conflicts["authors"] = {"editor": [name for _, name in byline], "parsed": list(record.author_names)}


def replace_byline(article: Article, authors: Sequence[Author], *, reason: str) -> None:
    """Replace the article's byline with ``authors`` in order, recorded in the bylines' history."""
    article.bylines.all().delete()
    if authors:
        bulk_create_with_history(new_bylines(article.pk, authors), ArticleAuthor, default_change_reason=reason)


def _canonical(slugs: list[str], model: type[NamedEntity]) -> list[str]:
    """Return ``slugs`` as they are now, an alias replaced by the slug of the row it was merged into.

    A merge must not read as an editor's change.
    """
    found = merging.resolve_slugs(model=model, slugs=slugs) if slugs else {}
    return list(dict.fromkeys(found[slug].slug if slug in found else slug for slug in slugs))


@transaction.atomic
def reparse_article(*, article: Article) -> Article:
    """Parse the article's stored source again with the current parser and apply every field.

    The publisher's boilerplate lines enabled now are removed (``articles.boilerplate``).

    An explicit editor's action: the parsed values replace the current ones
    (the previous values stay in the article's history) and conflicts are cleared.
    A publisher or author its import supplied (``parsed["supplied"]``) fills the
    new parse as it did the first.
    """
    reason = "re-parsed from the stored source"
    record_imported_states([article.pk])
    article = Article.objects.select_for_update().get(pk=article.pk)
    record = boilerplate.parse_for_publisher(article.raw_text, encoding=article.source_encoding)
    record, supplied = fill_record(record, **(article.parsed or {}).get("supplied", {}))
    names = resolve_names([record])
    create_missing_names(names, [record], reason=reason)
    for name in CURATED_FIELDS:
        setattr(article, name, record_value(record, name))
    article.publisher = names.publisher_for(record)
    article.review_reasons = list(record.warnings) + deduplication.duplicate_reasons(article)
    article.needs_review = bool(article.review_reasons)
    article.import_conflicts = {}
    snapshot = {**parsed_snapshot(record), "supplied": supplied} if supplied else None
    set_provenance(article, record, article.import_run, snapshot=snapshot)
    attribute_change(article, reason=reason)
    article.save()
    deduplication.refresh_fingerprints(article=article)
    authors = names.authors_for(record)
    if list(article.bylines.order_by("position").values_list("author_id", flat=True)) != [a.pk for a in authors]:
        replace_byline(article, authors, reason=reason)
    return article
