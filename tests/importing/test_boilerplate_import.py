"""Site boilerplate through the importer: learned per publisher, removed from new imports, applied by re-parse."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import boilerplate, importing, merging
from articles.importing import batches, records, sources
from articles.models import Article, BoilerplateSummary, Publisher, PublisherBoilerplate
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db

# A line of this site only (the shipped furniture list of articles.furniture does not know it).
FURNITURE = "Globe Daily is read in 40 harbour towns"
GLOBE = "Globe Daily Press"
WRITERS = ("Ann Lee", "Bob Ray", "Cy Young")


def story(i: int, *, publisher: str = GLOBE, extra: tuple[str, ...] = (FURNITURE,), tag: str = "") -> str:
    """An article of its own (title, subtitle, paragraphs) with the ``extra`` lines between its paragraphs."""
    return seed_text(
        title=f"Story {tag}{i} about the harbour",
        subtitle=f"What happened on day {tag}{i}",
        paragraphs=(f"The first paragraph of story {tag}{i} has its own words.", *extra, f"Story {tag}{i} ends here."),
        publisher=publisher,
        author=WRITERS[i % len(WRITERS)],
    )


def import_stories(count: int, *, start: int = 0, batch_size: int | None = None, **kwargs) -> importing.ImportReport:
    items = [
        sources.bytes_source(story(i, **kwargs).encode(), key=f"{kwargs.get('tag', '')}{i}.txt")
        for i in range(start, start + count)
    ]
    report = importing.import_sources(items, batch_size=batch_size)
    assert report.counts["failed"] == 0, report.errors
    return report


def bodies() -> list[str]:
    return list(Article.objects.order_by("source_key").values_list("body", flat=True))


def test_a_line_in_every_article_of_a_publisher_is_learned_and_removed_from_the_batch_that_learns_it():
    """
    GIVEN eight new articles of one publisher, each with the same newsletter line
    WHEN they are imported in one batch
    THEN the line is learned for that publisher, with its article count, and no article keeps it
    """
    import_stories(8)

    line = PublisherBoilerplate.objects.get()
    assert (line.publisher.name, line.text, line.key) == (GLOBE, FURNITURE, "globe daily is read in 40 harbour towns")
    assert (line.origin, line.enabled, line.article_count) == (PublisherBoilerplate.Origin.LEARNED, True, 8)
    assert all(FURNITURE not in body and "has its own words" in body for body in bodies())
    assert BoilerplateSummary.objects.get().articles_counted == 8


def test_a_line_seen_in_fewer_than_five_articles_is_not_learned():
    import_stories(4)

    assert not PublisherBoilerplate.objects.exists()
    assert all(FURNITURE in body for body in bodies())
    # ... but it was counted: the fifth article teaches it.
    import_stories(1, start=4)
    assert PublisherBoilerplate.objects.get().article_count == 5
    assert FURNITURE not in Article.objects.get(source_key="4.txt").body


def test_a_line_recurring_in_too_small_a_share_of_a_publishers_articles_is_not_learned():
    """
    GIVEN 40 articles of one publisher, 6 of them (15%, under MIN_SHARE) quoting the same sentence
    WHEN they are imported
    THEN the sentence stays in them
    """
    quote = "He declined to comment."
    items = [
        sources.bytes_source(story(i, extra=(quote,) if i % 7 == 0 else ()).encode(), key=f"{i}.txt") for i in range(40)
    ]
    importing.import_sources(items)

    assert not PublisherBoilerplate.objects.exists()
    assert sum(quote in body for body in bodies()) == 6


def test_lines_are_learned_per_publisher():
    import_stories(6, publisher="North Press Group", extra=("Follow North Press",), tag="n")
    import_stories(3, publisher="South Press Group", extra=("Follow North Press",), tag="s")

    assert list(PublisherBoilerplate.objects.values_list("publisher__name", "text")) == [
        ("North Press Group", "Follow North Press")
    ]
    south = Article.objects.filter(publisher__name="South Press Group")
    assert all("Follow North Press" in article.body for article in south)


def test_a_disabled_learned_line_stays_in_articles_and_is_not_learned_again():
    import_stories(6)
    line = PublisherBoilerplate.objects.get()
    boilerplate.set_enabled(lines=PublisherBoilerplate.objects.all(), enabled=False)

    import_stories(6, tag="later")

    assert list(PublisherBoilerplate.objects.values_list("pk", "enabled")) == [(line.pk, False)]
    later = Article.objects.filter(source_key__startswith="later")
    assert all(FURNITURE in article.body for article in later)


def test_an_editors_line_is_removed_from_the_next_import_of_that_publisher():
    import_stories(1)
    publisher = Publisher.objects.get()
    PublisherBoilerplate.objects.create(publisher=publisher, text="  GLOBE readers   meet on fridays  ")

    import_stories(1, start=1, extra=("Globe readers meet on Fridays",))

    assert "Globe readers meet on Fridays" not in Article.objects.get(source_key="1.txt").body
    assert FURNITURE in Article.objects.get(source_key="0.txt").body  # one article: nothing learned


def test_articles_imported_before_a_line_was_learned_keep_it_until_re_parsed():
    """
    GIVEN an article imported while its newsletter line was not yet known
    WHEN later imports teach the line, and then the article is re-parsed
    THEN it keeps the line until the re-parse, which removes it (and keeps its other fields)
    """
    import_stories(1)
    early = Article.objects.get()
    import_stories(6, start=1)
    early.refresh_from_db()
    assert FURNITURE in early.body

    importing.reparse_article(article=early)

    early.refresh_from_db()
    assert FURNITURE not in early.body
    assert early.body.startswith("The first paragraph of story 0")
    assert early.subtitle == "What happened on day 0"
    assert early.parsed["body_sha256"] != ""


def test_a_re_parse_after_a_line_is_disabled_brings_it_back():
    import_stories(6)
    boilerplate.set_enabled(lines=PublisherBoilerplate.objects.all(), enabled=False)
    article = Article.objects.get(source_key="0.txt")

    importing.reparse_article(article=article)

    article.refresh_from_db()
    assert FURNITURE in article.body


def test_a_re_import_of_a_changed_source_is_stripped_of_the_known_lines():
    import_stories(6)
    changed = story(0).replace("ends here", "ends here, corrected")

    importing.import_sources([sources.bytes_source(changed.encode(), key="0.txt")])

    article = Article.objects.get(source_key="0.txt")
    assert article.body.endswith("ends here, corrected.")
    assert FURNITURE not in article.body


def test_a_merged_publishers_name_uses_the_survivors_lines():
    import_stories(6)
    globe = Publisher.objects.get()
    other = Publisher.objects.create(name="Globe Daily", slug="globe-daily")
    merging.merge_entities(survivor=globe, others=[other])

    import_stories(1, start=6, publisher="Globe Daily")

    article = Article.objects.get(source_key="6.txt")
    assert article.publisher == globe
    assert FURNITURE not in article.body


def test_a_line_at_the_end_that_hid_the_author_block_lets_the_parser_find_it_once_removed():
    """
    GIVEN a publisher whose pages end with a share line after the author block
    WHEN enough of them are imported in one batch to learn it
    THEN the line goes, and the author block is read as such rather than left in the body
    """
    texts = [story(i, extra=()) + "\n\nWrite to the Globe letters desk today" for i in range(6)]
    importing.import_sources([sources.bytes_source(text.encode(), key=f"{i}.txt") for i, text in enumerate(texts)])

    article = Article.objects.get(source_key="1.txt")
    assert "Write to the Globe letters desk" not in article.body
    assert [author.name for author in article.authors.all()] == ["Bob Ray"]
    assert "is a staff writer" not in article.body


def test_several_batches_parsed_in_the_worker_remove_the_lines_learned_before(settings):
    """
    GIVEN 30 articles of one publisher imported in batches of 6 (parsed in a worker process)
    WHEN the first batch teaches the newsletter line
    THEN no article of any batch keeps it, and the later batches' records came without it from the worker
    """
    import_stories(30, batch_size=6)

    assert Article.objects.count() == 30
    assert all(FURNITURE not in body for body in bodies())
    assert PublisherBoilerplate.objects.count() == 1


def test_the_worker_parses_without_the_lines_it_is_given():
    data = story(1).encode()
    keys = frozenset({"globe daily is read in 40 harbour towns"})

    parsed = records.parsed_from(
        sources.bytes_source(data, key="1.txt"),
        records.parse_data(data, max_bytes=1 << 20, site_boilerplate={"globe-daily-press": keys}),
    )
    other = records.parse_data(data, max_bytes=1 << 20, site_boilerplate={"another-press": keys})

    assert FURNITURE not in parsed.record.body and parsed.site_keys == keys
    assert FURNITURE in other[0].body and other[5] == frozenset()


def test_a_dry_run_learns_nothing():
    items = [sources.bytes_source(story(i).encode(), key=f"{i}.txt") for i in range(6)]

    importing.import_sources(items, dry_run=True)

    assert not PublisherBoilerplate.objects.exists()
    assert not BoilerplateSummary.objects.exists()


def parsed_story(i: int, **kwargs) -> records.Parsed:
    """Return ``story(i, **kwargs)`` read and parsed as the importer would, under the key ``<tag><i>.txt``."""
    source = sources.bytes_source(story(i, **kwargs).encode(), key=f"{kwargs.get('tag', '')}{i}.txt")
    return records.parse_source(source, max_bytes=1 << 20)


def batch_queries(count: int, tag: str, importer: batches.BatchImporter, publisher: str = GLOBE) -> int:
    """Count the queries of importing one batch of ``count`` new articles of ``publisher``."""
    batch = [parsed_story(i, tag=tag, publisher=publisher) for i in range(count)]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        outcomes = importer.import_batch(batch)
    assert {outcome.result for outcome in outcomes} == {"created"}
    return len(ctx.captured_queries)


def test_learning_and_removing_cost_the_same_queries_per_batch_at_any_size():
    """
    GIVEN publishers met for the first time (their first batch learns the newsletter line)
    WHEN a first batch of 6 or of 60 files, and then a later batch of 6 or 60 (removing it), is imported
    THEN the first batches cost the same queries whatever their size, and so do the later ones
    """
    importer = batches.BatchImporter(run=None, now=timezone.now())
    batch_queries(6, "warm", importer, publisher="Warm Up Ltd")  # creates the authors

    first_small = batch_queries(6, "a", importer, publisher="Small First Ltd")
    first_large = batch_queries(60, "b", importer, publisher="Large First Ltd")
    later_small = batch_queries(6, "c", importer, publisher="Small First Ltd")
    later_large = batch_queries(60, "d", importer, publisher="Small First Ltd")

    assert PublisherBoilerplate.objects.count() == 3
    assert first_small == first_large
    assert later_small == later_large
    assert not Article.objects.filter(body__contains=FURNITURE).exists()


def test_a_line_the_worker_removed_but_an_editor_disabled_since_comes_back():
    """
    GIVEN a record the parse worker stripped of a line that is no longer enabled when its batch is written
    WHEN the batch is imported
    THEN the article keeps the line
    """
    import_stories(1)
    data = story(1).encode()
    item = records.parsed_from(
        sources.bytes_source(data, key="1.txt"),
        records.parse_data(
            data, max_bytes=1 << 20, site_boilerplate={"globe-daily-press": frozenset({FURNITURE.casefold()})}
        ),
    )
    assert FURNITURE not in item.record.body

    with transaction.atomic():
        outcomes = batches.BatchImporter(run=None, now=timezone.now()).import_batch([item])

    assert [outcome.result for outcome in outcomes] == ["created"]
    assert FURNITURE in Article.objects.get(source_key="1.txt").body


def test_an_import_reuses_the_summaries_it_wrote_and_reads_one_written_meanwhile_again(monkeypatch):
    """
    GIVEN a run of four batches of one publisher, and, before its third batch, its summary rewritten by someone else
    WHEN the batches are imported
    THEN only the rewritten row is decoded (the others come from the cache), and the counts build on the rewrite
    """
    decoded = []
    real = boilerplate.Summary.from_row
    monkeypatch.setattr(
        boilerplate.Summary, "from_row", classmethod(lambda cls, row: decoded.append(row.pk) or real(row))
    )
    importer = batches.BatchImporter(run=None, now=timezone.now())
    parsed = [parsed_story(i) for i in range(12)]
    for number, chunk in enumerate([parsed[0:3], parsed[3:6], parsed[6:9], parsed[9:12]]):
        if number == 2:
            BoilerplateSummary.objects.update(articles_counted=100, updated_at=timezone.now())
        with transaction.atomic():
            importer.import_batch(chunk)
    assert decoded == [BoilerplateSummary.objects.get().pk]
    assert BoilerplateSummary.objects.get().articles_counted == 100  # the counts since are in memory only
    importer.summaries.write_unsaved()  # as the run does at its end
    assert BoilerplateSummary.objects.get().articles_counted == 100 + 6


def test_a_cached_summary_whose_batch_was_rolled_back_is_read_again():
    """GIVEN a batch rolled back after counting into a summary WHEN the next one runs THEN it counts from the row."""
    importer = batches.BatchImporter(run=None, now=timezone.now())
    parsed = [parsed_story(i) for i in range(6)]
    with transaction.atomic():
        importer.import_batch(parsed[:3])
    with transaction.atomic():
        importer.import_batch(parsed[3:5])
        transaction.set_rollback(True)
    with transaction.atomic():
        importer.import_batch(parsed[5:6])
    importer.summaries.write_unsaved()
    assert BoilerplateSummary.objects.get().articles_counted == 4


def test_a_summary_is_written_every_so_many_articles_and_at_the_end_of_the_run(monkeypatch):
    """
    GIVEN an import that writes a publisher's summary every 5 articles counted into it
    WHEN batches of 2 articles are imported, and then the run ends
    THEN the row is rewritten at its first batch and once 5 more were counted, and holds every count at the end
    """
    monkeypatch.setattr(boilerplate, "WRITE_EVERY", 5)
    importer = batches.BatchImporter(run=None, now=timezone.now())
    parsed = [parsed_story(i) for i in range(8)]
    stored = []
    for start in range(0, 8, 2):
        with transaction.atomic():
            importer.import_batch(parsed[start : start + 2])
        stored.append(BoilerplateSummary.objects.get().articles_counted)
    importer.summaries.write_unsaved()
    assert stored == [2, 2, 2, 8]  # written with its first batch, then once 6 more were counted
    assert BoilerplateSummary.objects.get().articles_counted == 8


def test_a_summary_with_unwritten_counts_is_written_before_it_leaves_the_cache():
    """
    GIVEN an import whose cache holds one summary, that of a publisher with counts not written yet
    WHEN a batch of another publisher already in the archive is imported
    THEN the first publisher's counts are written before its summary is dropped, and nothing is counted twice
    """
    importer = batches.BatchImporter(run=None, now=timezone.now(), summaries=boilerplate.SummaryCache(size=1))
    holders = ["Other Co", GLOBE, GLOBE, GLOBE, "Other Co"]
    parsed = [parsed_story(i, publisher=holder) for i, holder in enumerate(holders)]
    for chunk in ([parsed[0]], [parsed[1]], parsed[2:4], [parsed[4]]):
        with transaction.atomic():
            importer.import_batch(chunk)
    # Other Co: written with its first article, its second in memory; the Globe: written as it left the cache.
    assert list(BoilerplateSummary.objects.order_by("publisher_id").values_list("articles_counted", flat=True)) == [
        1,
        3,
    ]
    importer.summaries.write_unsaved()
    assert list(BoilerplateSummary.objects.order_by("publisher_id").values_list("articles_counted", flat=True)) == [
        2,
        3,
    ]


def test_a_run_ends_with_every_count_written():
    """GIVEN a publisher's seven files WHEN imported in batches of two THEN its summary counts all seven."""
    import_stories(7, batch_size=2)
    assert BoilerplateSummary.objects.get().articles_counted == 7
