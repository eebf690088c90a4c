"""The audit history of imported articles: no row per import, the imported state recorded on first change.

An import writes no history row for the articles (and bylines) it creates: its
``ImportRun``, ``ImportOutcome`` rows and the article's provenance already record
what came in and when, and a copy of every article would double the archive. So
that a later change can still be compared with, and reverted to, what was imported,
the first change of such an article first writes its current (imported) state to
the history, dated when the article was created and credited to its run. Single
saves get this from the signals below; bulk updates and byline deletions call
``record_imported_states`` first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from articles.models import Article, ArticleAuthor

HISTORY_UNTRACKED = ("raw_text", "parsed", "import_conflicts")


def imported_reason(run_id: int | None) -> str:
    """Return the change reason of an imported article's first history entry."""
    return f"created by import run #{run_id}" if run_id else "created by an import"


def record_imported_states(article_ids: Iterable[int]) -> None:
    """Write the current state of each of ``article_ids`` that has no history yet as its first history entry."""
    ids = set(article_ids) - {None}
    if not ids:
        return
    seen = set(Article.history.filter(id__in=ids).values_list("id", flat=True).distinct())
    missing = ids - seen
    if not missing:
        return
    articles = {a.pk: a for a in Article.objects.filter(pk__in=missing).defer(*HISTORY_UNTRACKED)}
    bylines = list(ArticleAuthor.objects.filter(article_id__in=articles))
    rows: list[Article | ArticleAuthor] = [*articles.values(), *bylines]
    for row in rows:
        article = articles[getattr(row, "article_id", row.pk)]
        # django-simple-history reads these private attributes; no model declares them.
        row._history_date = article.created_at  # type: ignore[union-attr]  # when it was imported
        row._history_user = None  # type: ignore[union-attr]  # the importer, not whoever's request causes the first change
        row._change_reason = imported_reason(article.import_run_id)  # type: ignore[union-attr]
    Article.history.bulk_history_create(list(articles.values()))
    ArticleAuthor.history.bulk_history_create(bylines)


def _before_article_save(sender: type[Article], instance: Article, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.pk is not None and not instance._state.adding:
        record_imported_states([instance.pk])


def _before_byline_change(
    sender: type[ArticleAuthor], instance: ArticleAuthor, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and instance.article_id is not None:
        record_imported_states([instance.article_id])


def connect() -> None:
    """Connect the signals that record an imported article's state before its first change."""
    from django.db.models.signals import pre_save

    pre_save.connect(_before_article_save, sender=Article, dispatch_uid="articles_imported_state_article")
    pre_save.connect(_before_byline_change, sender=ArticleAuthor, dispatch_uid="articles_imported_state_byline")
