"""Review priority (``articles.triage``) and the review queue's order: likeliest errors first."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import connection

from articles import parsing, review, triage
from articles.models import Article
from tests.factories import ArticleFactory

CONFLICT = review.conflict_reason("title")


@pytest.mark.parametrize(
    ("reason", "weight"),
    [
        (CONFLICT, triage.CONFLICT_WEIGHT),
        (review.conflict_reason("authors"), triage.CONFLICT_WEIGHT),
        (parsing.WARN_UNRECOGNISED, triage.WEIGHTS["WARN_UNRECOGNISED"]),
        (parsing.WARN_NO_BODY, triage.WEIGHTS["WARN_NO_BODY"]),
        (parsing.WARN_NO_AUTHOR, triage.WEIGHTS["WARN_NO_AUTHOR"]),
        (parsing.WARN_NO_PUBLISHER, triage.WEIGHTS["WARN_NO_PUBLISHER"]),
        # A warning with its details after the constant's text counts as that kind.
        (f"{parsing.WARN_UNRECOGNISED}: the headline is never repeated", triage.WEIGHTS["WARN_UNRECOGNISED"]),
        (f"{parsing.WARN_NO_AUTHOR} (no byline, no author block)", triage.WEIGHTS["WARN_NO_AUTHOR"]),
        # ... but not a longer word that merely starts like it, nor a warning the table does not know.
        (f"{parsing.WARN_NO_BODY}guard", triage.DEFAULT_WEIGHT),
        ("a warning the parser learns later", triage.DEFAULT_WEIGHT),
    ],
)
def test_each_reason_has_its_weight(reason, weight):
    assert triage.reason_weight(reason) == weight


def test_the_weights_rank_the_kinds_as_documented():
    w = triage.WEIGHTS
    assert triage.CONFLICT_WEIGHT > w["WARN_UNRECOGNISED"] > w["WARN_NO_BODY"] > w["WARN_NO_AUTHOR"]
    assert w["WARN_NO_AUTHOR"] == w["WARN_NO_PUBLISHER"] > w["WARN_BOILERPLATE"]
    # Missing metadata alone never outranks a layout the parser did not know.
    assert triage.review_priority([parsing.WARN_NO_AUTHOR, parsing.WARN_NO_PUBLISHER]) < triage.review_priority(
        [parsing.WARN_UNRECOGNISED]
    )
    assert w["WARN_NO_AUTHOR"] < triage.DEFAULT_WEIGHT < w["WARN_UNRECOGNISED"]


def test_every_parser_warning_has_a_weight():
    """A ``WARN_*`` constant of the parser is matched by its own text, whatever its name."""
    for name, text in vars(parsing).items():
        if name.startswith("WARN_"):
            assert triage.reason_weight(text) == triage.WEIGHTS.get(name, triage.DEFAULT_WEIGHT), name


def test_the_priority_is_the_sum_capped_and_zero_without_reasons():
    assert triage.review_priority([]) == 0
    assert triage.review_priority([parsing.WARN_NO_AUTHOR, parsing.WARN_NO_BODY]) == (
        triage.WEIGHTS["WARN_NO_AUTHOR"] + triage.WEIGHTS["WARN_NO_BODY"]
    )
    assert triage.review_priority([CONFLICT] * 1000) == triage.MAX_PRIORITY


@pytest.mark.django_db
def test_saving_an_article_keeps_its_priority_with_its_reasons():
    article = ArticleFactory(needs_review=True, review_reasons=[parsing.WARN_NO_AUTHOR])
    assert article.review_priority == triage.WEIGHTS["WARN_NO_AUTHOR"]

    article.review_reasons = [parsing.WARN_UNRECOGNISED, parsing.WARN_NO_AUTHOR]
    article.save(update_fields=["review_reasons"])
    article.refresh_from_db()
    assert article.review_priority == triage.WEIGHTS["WARN_UNRECOGNISED"] + triage.WEIGHTS["WARN_NO_AUTHOR"]

    article.needs_review = False
    article.save(update_fields=["needs_review"])
    article.refresh_from_db()
    assert article.review_priority == 0


def queue(*reasons: list[str]) -> list[Article]:
    """Create flagged articles with ``reasons``, each an hour older than the one before it."""
    made = [ArticleFactory(needs_review=True, review_reasons=r) for r in reasons]
    now = made[-1].created_at
    for i, article in enumerate(made):
        Article.objects.filter(pk=article.pk).update(created_at=now - datetime.timedelta(hours=i))
    return made


@pytest.mark.django_db
def test_the_queue_lists_the_likeliest_errors_first_then_the_oldest():
    """
    GIVEN flagged articles with missing metadata, an unrecognised layout, a conflict, and a clean article
    WHEN the queue is read
    THEN the conflict comes first, then the layout, then the missing metadata oldest first
    """
    newer_missing, older_missing, layout, conflict = queue(
        [parsing.WARN_NO_AUTHOR], [parsing.WARN_NO_PUBLISHER], [parsing.WARN_UNRECOGNISED], [CONFLICT]
    )
    ArticleFactory()

    assert list(review.review_queue()) == [conflict, layout, older_missing, newer_missing]


@pytest.mark.django_db
def test_next_for_review_follows_the_queue_order_and_wraps():
    low, high, middle = queue([parsing.WARN_NO_AUTHOR], [parsing.WARN_UNRECOGNISED], [parsing.WARN_NO_BODY])
    for article in (low, high, middle):
        article.refresh_from_db()

    assert review.next_for_review() == high
    assert review.next_for_review(after=high) == middle
    assert review.next_for_review(after=middle) == low
    assert review.next_for_review(after=low) == high


@pytest.mark.django_db
def test_next_for_review_places_an_article_just_reviewed_by_its_former_priority():
    low, _, middle = queue([parsing.WARN_NO_AUTHOR], [parsing.WARN_UNRECOGNISED], [parsing.WARN_NO_BODY])
    middle.refresh_from_db()
    former = middle.review_priority

    review.mark_reviewed(Article.objects.filter(pk=middle.pk))
    middle.refresh_from_db()

    assert middle.review_priority == 0
    assert review.next_for_review(after=middle, priority=former) == low


@pytest.mark.django_db
def test_settling_one_conflict_lowers_the_priority_by_its_weight():
    article = ArticleFactory(
        needs_review=True,
        review_reasons=[CONFLICT, parsing.WARN_NO_AUTHOR],
        import_conflicts={"title": {"editor": "Edited", "parsed": "Parsed"}},
    )

    review.resolve_conflict(article=article, field="title", accept_parsed=False)

    article.refresh_from_db()
    assert (article.needs_review, article.review_priority) == (True, triage.WEIGHTS["WARN_NO_AUTHOR"])


@pytest.mark.django_db
def test_the_queue_walks_its_index():
    """The queue's page is read in the partial index's order, not sorted, on both databases."""

    queue([parsing.WARN_NO_AUTHOR], [parsing.WARN_UNRECOGNISED])
    sql, params = review.review_queue().values("id")[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        if connection.vendor == "postgresql":
            # A tiny table is cheaper to sort; forbid that, to see whether the index gives the order.
            cursor.execute(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off"
            )
        cursor.execute(prefix + sql, params)
        plan = " ".join(str(column) for row in cursor.fetchall() for column in row)
    assert "article_review_priority_idx" in plan
    assert "TEMP B-TREE" not in plan.upper() and " Sort " not in plan


def test_a_warning_with_its_details_weighs_as_its_kind():
    """The parser's "unsure" warnings are its constant, ": " and a reason; each defined one weighs as listed."""
    for name, weight in triage.WEIGHTS.items():
        text = getattr(parsing, name, None)
        if text is not None:
            assert triage.reason_weight(f"{text}: 'Ann Lee is a reporter' may be a bio; check it") == weight, name


@pytest.mark.django_db
def test_the_migration_gives_the_queue_already_there_its_priorities():
    """GIVEN flagged articles from before review priorities (all 0) WHEN the backfill runs THEN each has its own."""
    backfill = importlib.import_module("articles.migrations.0013_review_priority_import_defaults").prioritise_queue
    layout = ArticleFactory(needs_review=True, review_reasons=[parsing.WARN_UNRECOGNISED])
    missing = ArticleFactory(needs_review=True, review_reasons=[parsing.WARN_NO_AUTHOR, parsing.WARN_NO_PUBLISHER])
    clean = ArticleFactory()
    Article.objects.update(review_priority=0)

    backfill(apps, None)

    priorities = dict(Article.objects.values_list("pk", "review_priority"))
    assert priorities == {layout.pk: 80, missing.pk: 40, clean.pk: 0}
