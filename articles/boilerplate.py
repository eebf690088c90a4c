"""Each publisher's site boilerplate, learned from the archive itself and removed from its new articles.

A line that recurs verbatim across many articles of one publisher ("Sign up for our
newsletter", "Advertisement", a site footer) is that site's furniture, not its news.
The importer learns these lines per publisher and the parser drops them
(``parsing.parse(..., site_boilerplate=...)``); editors see, add, disable and remove
them in the admin (``PublisherBoilerplate``). A re-parse applies the current set.

What is counted: the candidate lines of each newly created article, after the parser
has dropped the shipped and the already learned boilerplate: its subtitle and the lines
of its body, at most ``MAX_LINE_LENGTH`` characters long, not the title, each counted
once per article. Author blocks, credits and copyright lines are not candidates (a
columnist's name recurs, and is not boilerplate).

How (bounded memory, bounded writes): each publisher has one
``BoilerplateSummary``, a Misra–Gries heavy-hitters summary of at most ``SUMMARY_SIZE``
counters. A batch's counts are added to it; when that makes more than ``SUMMARY_SIZE``
counters, the (SUMMARY_SIZE+1)-th largest count is subtracted from all and those at zero
go. So a count never exceeds the true number of articles (a line is never learned from
fewer than ``MIN_ARTICLES`` real ones) and falls short of it by at most the window's
candidate lines / (SUMMARY_SIZE+1) (in practice by about one per batch). The summary is
a sliding window: once it spans more than ``2 * WINDOW`` articles, every count and the
article count are halved, so a site that changes its footer gets the new one learned
within a few hundred articles, and counts stay small.

An import keeps the summaries it works on in memory (``SummaryCache``) and writes one
(~35 KB of JSON) only once ``WRITE_EVERY`` articles were counted into it since its row was
last written, when it is about to leave the cache, and at the end of the run: rewriting
every summary a batch touches cost a tenth of the import's time and left gigabytes of dead
rows. The other batches only stamp the rows they counted into (``updated_at``, no JSON),
so a batch that rolls back, or another import's write, shows as a changed stamp, and the
row is read again: counts are never taken from a batch that did not commit. What a run
stopped short (or a rolled-back batch) had counted but not written is lost, at most
``WRITE_EVERY`` articles per publisher: a line is learned a little later, never from
fewer articles.

When a line is learned: seen in at least ``MIN_ARTICLES`` articles of the publisher AND in
at least ``MIN_SHARE`` of the articles in the summary's window. Five articles keep a
quote or a stock phrase repeated by chance out; the share keeps a large publisher's
occasional repeated sentence out ("He declined to comment." in 5 of 10,000 articles),
while real furniture is printed on most pages. A learned line is a ``PublisherBoilerplate``
with origin "learned"; one an editor disabled stays disabled and is never learned again.

When it is removed: from the articles an import creates or updates from then on, starting
with the batch that learned it. Articles imported before keep it until re-parsed
(``importing.reparse_article`` applies the publisher's current enabled lines).
"""

from __future__ import annotations

import heapq
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import zip_longest

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from articles import merging, parsing
from articles.models import BoilerplateSummary, Publisher, PublisherBoilerplate
from articles.naming import name_slug

# Lines longer than this are paragraphs, not furniture: never counted.
MAX_LINE_LENGTH = 200
# A line is learned once seen in this many articles of the publisher ...
MIN_ARTICLES = 5
# ... that are at least this share of the articles in the summary's window.
MIN_SHARE = 0.2
# Summaries an import keeps from one batch to the next (see ``SummaryCache``).
CACHED_SUMMARIES = 500
# Counters per publisher (the summary's bound): a line printed in MIN_SHARE of the articles
# is found with room to spare, with about 20 candidate lines per article.
SUMMARY_SIZE = 512
# The window: past 2 * WINDOW articles, all counts are halved.
WINDOW = 1000
# An import writes a summary once this many articles were counted into it since it last did.
WRITE_EVERY = 250
# Publishers whose lines a run hands to its parse worker (most recently met first).
WORKER_PUBLISHERS = 2000

Canon = int | str  # a publisher's id, or the slug of one this batch is about to create
NO_LINES: frozenset[str] = frozenset()


def candidate_lines(record: parsing.ParsedArticle) -> dict[str, str]:
    """Return the record's candidate lines, key -> line as printed, each once."""
    title = parsing.boilerplate_key(record.title)
    found: dict[str, str] = {}
    for line in (record.subtitle, *record.body.split("\n")):
        line = line.strip()
        if line and len(line) <= MAX_LINE_LENGTH and (key := parsing.boilerplate_key(line)) != title:
            found.setdefault(key, line)
    return found


def occurs_in(record: parsing.ParsedArticle, keys: frozenset[str] | set[str]) -> bool:
    """Tell whether any whole line of the record's text is one of ``keys``."""
    return bool(keys) and any(parsing.boilerplate_key(line) in keys for line in record.text.split("\n") if line)


def stripped(record: parsing.ParsedArticle, keys: frozenset[str]) -> parsing.ParsedArticle:
    """Return the record parsed again without the lines ``keys`` names (``record`` if none occurs).

    A source that would be no article at all without them keeps them: nothing is lost.
    """
    if not occurs_in(record, keys):
        return record
    try:
        return parsing.parse_text(record.raw_text, encoding=record.encoding, site_boilerplate=keys)
    except parsing.ParseError:
        return record


def reparsed(record: parsing.ParsedArticle, keys: frozenset[str]) -> parsing.ParsedArticle:
    """Return the record's source parsed again without exactly the lines ``keys`` names (none: without any).

    For a record parsed without other lines (by the worker, before the set changed). A
    source that would be no article at all without them is parsed without any.
    """
    try:
        return parsing.parse_text(record.raw_text, encoding=record.encoding, site_boilerplate=keys)
    except parsing.ParseError:
        return parsing.parse_text(record.raw_text, encoding=record.encoding)


def parse_for_publisher(raw_text: str, *, encoding: str = "") -> parsing.ParsedArticle:
    """Parse a stored source without its publisher's current boilerplate lines (for a re-parse)."""
    record = parsing.parse_text(raw_text, encoding=encoding)
    if not record.copyright_holder:
        return record
    publisher = merging.resolve_slug(model=Publisher, slug=name_slug(record.copyright_holder))
    return stripped(record, enabled_lines([publisher.pk]).get(publisher.pk, NO_LINES)) if publisher else record


def enabled_lines(publisher_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """Return publisher id -> the keys of its enabled lines, in one query."""
    ids = list(set(publisher_ids))
    lines: dict[int, set[str]] = {}
    rows = PublisherBoilerplate.objects.filter(publisher_id__in=ids, enabled=True).values_list("publisher_id", "key")
    for publisher_id, key in rows if ids else ():
        lines.setdefault(publisher_id, set()).add(key)
    return {publisher_id: frozenset(keys) for publisher_id, keys in lines.items()}


# --- The summary --------------------------------------------------------------------------


@dataclass
class Summary:
    """One publisher's heavy-hitters summary: key -> (line as printed, articles counted in)."""

    articles: int = 0
    counters: dict[str, tuple[str, int]] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: BoilerplateSummary) -> Summary:
        counters = {parsing.boilerplate_key(text): (text, count) for text, count in row.counters.items()}
        return cls(articles=row.articles_counted, counters=counters)

    def add(self, lines: Mapping[str, str], counts: Counter[str], articles: int) -> Summary:
        """Return this summary with a batch's counts added (Misra–Gries), before any halving."""
        combined = dict(self.counters)
        for key, count in counts.items():
            text, counted = combined.get(key, (lines[key], 0))
            combined[key] = (text, counted + count)
        if len(combined) > SUMMARY_SIZE:
            cut = heapq.nlargest(SUMMARY_SIZE + 1, (count for _, count in combined.values()))[-1]
            combined = {key: (text, count - cut) for key, (text, count) in combined.items() if count > cut}
        return Summary(articles=self.articles + articles, counters=combined)

    def frequent(self) -> dict[str, tuple[str, int]]:
        """Return key -> (line, count) of the lines that meet the learning threshold."""
        floor = max(MIN_ARTICLES, MIN_SHARE * self.articles)
        return {key: (text, count) for key, (text, count) in self.counters.items() if count >= floor}

    def windowed(self) -> Summary:
        """Return the summary halved as often as it takes to span at most 2 * WINDOW articles."""
        summary = self
        while summary.articles > 2 * WINDOW:
            halved = {key: (text, count // 2) for key, (text, count) in summary.counters.items() if count >= 2}
            summary = Summary(articles=summary.articles // 2, counters=halved)
        return summary

    def stored(self) -> dict[str, int]:
        return dict(self.counters.values())


# --- One import batch ---------------------------------------------------------------------


@dataclass
class Learned:
    """What a set of new articles taught: each publisher's new summary and newly learned lines."""

    summaries: dict[Canon, Summary] = field(default_factory=dict)
    lines: dict[Canon, dict[str, tuple[str, int]]] = field(default_factory=dict)
    counted: dict[Canon, int] = field(default_factory=dict)  # articles counted into each summary


@dataclass
class BatchLines:
    """The boilerplate of one batch's publishers: loaded once per batch, in at most four queries."""

    publishers: dict[str, Publisher] = field(default_factory=dict)  # holder slug -> publisher (aliases resolved)
    enabled: dict[Canon, frozenset[str]] = field(default_factory=dict)
    known: dict[Canon, set[str]] = field(default_factory=dict)  # every key a line of it has, enabled or not
    summaries: dict[Canon, Summary] = field(default_factory=dict)
    unsaved: dict[Canon, int] = field(default_factory=dict)  # of those with a row: articles counted since written

    cache: SummaryCache | None = field(default=None, repr=False)

    @classmethod
    def load(cls, records: Iterable[parsing.ParsedArticle], *, cache: SummaryCache | None = None) -> BatchLines:
        """Look up the publishers ``records`` name, their lines and their summaries (``cache``: of earlier batches)."""
        slugs = {name_slug(record.copyright_holder) for record in records if record.copyright_holder}
        publishers = merging.resolve_slugs(model=Publisher, slugs=slugs) if slugs else {}
        ids = {publisher.pk for publisher in publishers.values()}
        batch = cls(publishers=publishers, cache=cache)
        if not ids:
            return batch
        for publisher_id, key, enabled in PublisherBoilerplate.objects.filter(publisher_id__in=ids).values_list(
            "publisher_id", "key", "enabled"
        ):
            batch.known.setdefault(publisher_id, set()).add(key)
            if enabled:
                batch.enabled[publisher_id] = batch.enabled.get(publisher_id, NO_LINES) | {key}
        cached = (cache or SummaryCache(size=0)).load(ids)
        batch.summaries = {pid: entry.summary for pid, entry in cached.items()}
        batch.unsaved = {pid: entry.unsaved for pid, entry in cached.items()}
        return batch

    def canon(self, record: parsing.ParsedArticle) -> Canon | None:
        """Return the record's publisher: its id, or the slug of the publisher it is about to create."""
        if not record.copyright_holder:
            return None
        slug = name_slug(record.copyright_holder)
        return self.publishers[slug].pk if slug in self.publishers else slug

    def lines_for(self, record: parsing.ParsedArticle, learned: Learned | None = None) -> frozenset[str]:
        """Return the keys of the lines to remove from ``record``: its publisher's enabled and just learned ones."""
        canon = self.canon(record)
        if canon is None:
            return NO_LINES
        new = learned.lines.get(canon, {}) if learned else {}
        return self.enabled.get(canon, NO_LINES) | frozenset(new) if new else self.enabled.get(canon, NO_LINES)

    def learn(
        self, records: Sequence[parsing.ParsedArticle], candidates: Sequence[dict[str, str] | None] = ()
    ) -> Learned:
        """Count the candidate lines of new articles and return what that teaches; changes nothing yet.

        ``candidates``: each record's ``candidate_lines``, where already known (found by the parse worker).
        """
        counts: dict[Canon, Counter[str]] = {}
        lines: dict[Canon, dict[str, str]] = {}
        articles: Counter[Canon] = Counter()
        for record, known in zip_longest(records, candidates[: len(records)]):
            canon = self.canon(record)
            if canon is None:
                continue
            found = candidate_lines(record) if known is None else known
            counts.setdefault(canon, Counter()).update(found.keys())
            for key, text in found.items():
                lines.setdefault(canon, {}).setdefault(key, text)
            articles[canon] += 1
        learned = Learned()
        for canon, n in articles.items():
            summary = self.summaries.get(canon, Summary()).add(lines.get(canon, {}), counts.get(canon, Counter()), n)
            known = self.known.get(canon, set())
            new = {key: found for key, found in summary.frequent().items() if key not in known}
            learned.summaries[canon] = summary.windowed()
            learned.counted[canon] = n
            if new:
                learned.lines[canon] = new
        return learned

    def save(self, learned: Learned, publisher_ids: Mapping[Canon, int]) -> None:
        """Write the summaries that are due and stamp the others' rows, insert the newly learned lines, remember both.

        ``publisher_ids`` maps the slug of each publisher created meanwhile to its id.
        """
        ids = {canon: canon if isinstance(canon, int) else publisher_ids[canon] for canon in learned.summaries}
        now = timezone.now()
        due: dict[int, Summary] = {}
        kept: dict[int, tuple[Summary, int]] = {}
        for canon, summary in learned.summaries.items():
            unsaved = self.unsaved.get(canon)  # None: no row yet
            counted = (unsaved or 0) + learned.counted.get(canon, 0)
            if self.cache is None or unsaved is None or counted >= WRITE_EVERY:
                due[ids[canon]] = summary
            else:
                kept[ids[canon]] = (summary, counted)
        stamps = write_summaries(due)
        if kept:
            BoilerplateSummary.objects.filter(publisher_id__any_of=list(kept)).update(updated_at=now)
        if self.cache is not None:
            for publisher_id, summary in due.items():
                self.cache.put(publisher_id, Cached(stamps[publisher_id], summary))
            for publisher_id, (summary, counted) in kept.items():
                self.cache.put(publisher_id, Cached(now, summary, counted))
            self.cache.trim()
        # Another writer's line (an editor adding it meanwhile) wins: the insert skips it.
        PublisherBoilerplate.objects.bulk_create(
            [
                PublisherBoilerplate(
                    publisher_id=ids[canon],
                    text=text,
                    key=key,
                    origin=PublisherBoilerplate.Origin.LEARNED,
                    article_count=count,
                    created_at=now,
                    updated_at=now,
                )
                for canon, new in learned.lines.items()
                for key, (text, count) in new.items()
            ],
            ignore_conflicts=True,
        )
        self._remember(learned, ids, {pid: counted for pid, (_, counted) in kept.items()})

    def _remember(self, learned: Learned, ids: Mapping[Canon, int], unsaved: Mapping[int, int]) -> None:
        """Take what was saved into this batch's state, so the rest of the batch uses it."""
        for canon, summary in learned.summaries.items():
            publisher_id = ids[canon]
            new = learned.lines.get(canon, {}).keys()
            self.summaries[publisher_id] = summary
            self.unsaved[publisher_id] = unsaved.get(publisher_id, 0)
            self.known.setdefault(publisher_id, set()).update(new)
            self.enabled[publisher_id] = self.enabled.get(publisher_id, NO_LINES) | new
            if isinstance(canon, str):
                self.publishers.setdefault(canon, Publisher(pk=publisher_id, slug=canon))


def write_summaries(summaries: Mapping[int, Summary]) -> dict[int, datetime]:
    """Write publisher id -> summary in one upsert; return the stamp each row got."""
    now = timezone.now()
    rows = [
        BoilerplateSummary(
            publisher_id=pk, articles_counted=summary.articles, counters=summary.stored(), updated_at=now
        )
        for pk, summary in summaries.items()
    ]
    BoilerplateSummary.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["publisher"],
        update_fields=["articles_counted", "counters", "updated_at"],
    )
    return {row.publisher_id: row.updated_at for row in rows}


@dataclass
class Cached:
    """A summary as an import holds it: its row's stamp, and the articles counted into it since the row was written."""

    stamp: datetime
    summary: Summary
    unsaved: int = 0


@dataclass
class SummaryCache:
    """The summaries one import works on, by publisher id, each with its row's stamp (see the module's docstring).

    A summary whose row still has the stamp this import gave it is taken from here; one
    another import wrote meanwhile, or whose batch was rolled back, is read again. At most
    ``size`` are kept (the least recently used go first): about what one batch holds
    anyway, so the peak memory of a batch does not grow. One with counts not yet written
    is written before it goes (``BatchLines.load``), never dropped.
    """

    size: int = CACHED_SUMMARIES
    entries: OrderedDict[int, Cached] = field(default_factory=OrderedDict)

    def load(self, publisher_ids: Iterable[int]) -> dict[int, Cached]:
        """Return publisher id -> summary of those that have a row, after writing the unsaved ones about to go."""
        ids = list(publisher_ids)
        self._write_leaving(set(ids))
        found = self._current(ids)
        if ids := [pk for pk in ids if pk not in found]:
            for row in BoilerplateSummary.objects.filter(publisher_id__any_of=ids):
                found[row.publisher_id] = Cached(row.updated_at, Summary.from_row(row))
        return found

    def _current(self, ids: list[int]) -> dict[int, Cached]:
        """Return the cached summaries of ``ids`` whose rows still have their stamp; forget the others."""
        found: dict[int, Cached] = {}
        if not self.size or not ids:
            return found
        for publisher_id, stamp in BoilerplateSummary.objects.filter(publisher_id__any_of=ids).values_list(
            "publisher_id", "updated_at"
        ):
            entry = self.entries.pop(publisher_id, None)
            if entry is not None and entry.stamp == stamp:
                found[publisher_id] = self.entries[publisher_id] = entry  # now the most recently used
        return found

    def _write_leaving(self, incoming: set[int]) -> None:
        """Write the unsaved summaries that making room for ``incoming`` will drop."""
        over = len(self.entries) + len(incoming - self.entries.keys()) - self.size
        leaving = [pk for pk in self.entries if pk not in incoming][: max(over, 0)]
        self.write_unsaved([pk for pk in leaving if self.entries[pk].unsaved])

    def write_unsaved(self, publisher_ids: Iterable[int] | None = None) -> None:
        """Write the summaries (of ``publisher_ids``; all) with counts not written yet, unless rewritten meanwhile."""
        ids = (
            [pk for pk, entry in self.entries.items() if entry.unsaved]
            if publisher_ids is None
            else list(publisher_ids)
        )
        current = self._current(ids)
        for publisher_id, stamp in write_summaries({pk: entry.summary for pk, entry in current.items()}).items():
            self.entries[publisher_id] = Cached(stamp, current[publisher_id].summary)

    def put(self, publisher_id: int, entry: Cached) -> None:
        """Remember the summary just written or counted into for the publisher (``trim`` afterwards)."""
        if self.size:
            self.entries.pop(publisher_id, None)
            self.entries[publisher_id] = entry

    def trim(self) -> None:
        """Forget the least recently used written summaries beyond ``size`` (unsaved ones go at the next load)."""
        over = len(self.entries) - self.size
        if over > 0:
            for publisher_id in [pk for pk, entry in self.entries.items() if not entry.unsaved][:over]:
                del self.entries[publisher_id]


class WorkerLines:
    """The lines of the publishers a run met lately, by holder slug: what its parse worker removes at once.

    Bounded (``WORKER_PUBLISHERS``); a publisher met again moves to the front. The
    batch still checks each record against the lines as they are when it is written.
    """

    def __init__(self, size: int = WORKER_PUBLISHERS) -> None:
        self.size = size
        self.lines: OrderedDict[str, frozenset[str]] = OrderedDict()

    def update(self, batch: BatchLines, records: Iterable[parsing.ParsedArticle]) -> None:
        for record in records:
            if record.copyright_holder:
                slug = name_slug(record.copyright_holder)
                self.lines[slug] = batch.lines_for(record)
                self.lines.move_to_end(slug, last=False)
        while len(self.lines) > self.size:
            self.lines.popitem()

    def snapshot(self) -> dict[str, frozenset[str]]:
        """Return the lines to hand to the worker (the publishers without any left out)."""
        return {slug: keys for slug, keys in self.lines.items() if keys}


def parse_for_worker(
    data: bytes, *, max_bytes: int, lines: Mapping[str, frozenset[str]]
) -> tuple[parsing.ParsedArticle, frozenset[str]]:
    """Return ``(data parsed without its publisher's lines in ``lines``, the keys applied)``; pure, for the worker.

    The lines are looked up by the holder as the parser finds it, so each source is parsed once.
    """
    found: list[frozenset[str]] = []

    def lookup(holder: str) -> frozenset[str]:
        found.append(lines.get(name_slug(holder), NO_LINES))
        return found[-1]

    record = parsing.parse(data, max_bytes=max_bytes, boilerplate_for=lookup if lines else None)
    return record, found[0] if found else NO_LINES


# --- Editors ------------------------------------------------------------------------------


def line_taken(*, publisher: Publisher, text: str, exclude_pk: int | None = None) -> bool:
    """Tell whether ``publisher`` has a boilerplate line that compares equal to ``text`` (other than ``exclude_pk``)."""
    lines = PublisherBoilerplate.objects.filter(publisher=publisher, key=parsing.boilerplate_key(text))
    return lines.exclude(pk=exclude_pk).exists() if exclude_pk else lines.exists()


@transaction.atomic
def set_enabled(*, lines: QuerySet[PublisherBoilerplate], enabled: bool, user: AbstractBaseUser | None = None) -> int:
    """Enable or disable ``lines`` (removed from articles, or kept), with their history; return how many changed."""
    rows = PublisherBoilerplate.objects.filter(pk__in=lines.values("pk")).exclude(enabled=enabled)
    changed = list(rows.select_for_update().order_by("pk"))
    now = timezone.now()
    for line in changed:
        line.enabled, line.updated_at = enabled, now
    reason = "enabled" if enabled else "disabled: kept in articles, not learned again"
    bulk_update_with_history(
        changed, PublisherBoilerplate, ["enabled", "updated_at"], default_user=user, default_change_reason=reason
    )
    return len(changed)
