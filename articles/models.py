"""The archive's data: publishers, authors, articles and the imports that made them."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.base import ModelBase
from django.db.models.functions import Coalesce, Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from articles import languages, triage
from articles.parsing import boilerplate_key


class NamedEntity(models.Model):
    """A named, slugged row that articles credit and merges fold into another (an author or a publisher).

    Abstract, as Django's ``AbstractBaseSession``: each subclass is its own table.
    A subclass declares ``article_relation``, the lookup from an article to it;
    its alias model (an ``EntityAlias``) names it ``aliases``. The services
    (``articles.editing``, ``articles.merging``) work on any subclass through these.
    """

    # The lookup from an article to the rows it credits, e.g. Article.objects.filter(**{relation: obj}).
    article_relation: ClassVar[str]
    # What an editor may change (editing, the API's write serializers); name and slug at least.
    editable_fields: ClassVar[tuple[str, ...]] = ("name", "slug")
    # Fields a merge fills on the survivor, where blank, from the rows merged into it.
    merge_fillable_fields: ClassVar[tuple[str, ...]] = ()

    name = models.CharField(_("name"), max_length=255, help_text=_("Display name, as credited."))
    slug = models.SlugField(_("slug"), max_length=255, help_text=_("Stable identifier used in URLs and filters."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(f"api:{self._meta.model_name}-detail", kwargs={"pk": self.pk})

    @classmethod
    def alias_model(cls) -> type[EntityAlias]:
        """Return the model of this entity's aliases (the one whose ``owner`` points here as ``aliases``)."""
        # ``aliases`` is the reverse accessor each subclass's alias model adds, unknown to this abstract class.
        related = cls._meta.get_field("aliases").related_model
        if not (isinstance(related, type) and issubclass(related, EntityAlias)):
            raise TypeError(f"{cls.__name__}.aliases is not an EntityAlias relation")
        return related


class Publisher(NamedEntity):
    """An organisation that holds the copyright of articles."""

    article_relation = "publisher"
    history = HistoricalRecords()

    class Meta(NamedEntity.Meta):
        verbose_name = _("publisher")
        verbose_name_plural = _("publishers")


class Author(NamedEntity):
    """A person credited with writing articles."""

    article_relation = "bylines__author"
    editable_fields = ("name", "slug", "bio", "social_handle")
    merge_fillable_fields = ("bio", "social_handle")

    bio = models.TextField(_("bio"), blank=True, help_text=_("Biography as printed under the author's articles."))
    social_handle = models.CharField(
        _("social handle"),
        max_length=100,
        blank=True,
        help_text=_("Handle found in the bio, e.g. '@kpshiver3'."),
    )
    history = HistoricalRecords()

    class Meta(NamedEntity.Meta):
        verbose_name = _("author")
        verbose_name_plural = _("authors")


class Collection(models.Model):
    """A named set of publishers an editor curates (e.g. "National papers"), to filter articles by at once."""

    name = models.CharField(_("name"), max_length=255, help_text=_("Display name, e.g. 'National papers'."))
    slug = models.SlugField(
        _("slug"), max_length=255, help_text=_("Stable identifier used in URLs and the `collection` filter.")
    )
    description = models.TextField(_("description"), blank=True, help_text=_("What the collection gathers, and why."))
    publishers = models.ManyToManyField(
        Publisher,
        verbose_name=_("publishers"),
        related_name="collections",
        blank=True,
        help_text=_("The publishers whose articles the collection holds."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, help_text=_("When it was created."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, help_text=_("When it was last changed."))
    # Editors' changes are audited; the publishers too (one historical row per member per version).
    history = HistoricalRecords(m2m_fields=[publishers])

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="articles_collection_unique_slug")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("api:collection-detail", kwargs={"pk": self.pk})


class ImportRun(models.Model):
    """One run of the importer, from the command line, the admin or the API.

    Its counters are updated after each committed batch, so they show progress;
    each file's outcome is an ``ImportOutcome``. The articles a run creates have
    no history row of their own: this run and their provenance record them.
    """

    class Trigger(models.TextChoices):
        COMMAND = "command", _("management command")
        ADMIN = "admin", _("admin upload")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        INTERRUPTED = "interrupted", _("interrupted")

    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(
        _("last heartbeat"),
        auto_now=True,
        help_text=_("Updated as each batch commits: a running run silent for long has stopped (see run_status)."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.RUNNING,
        help_text=_("Running until the last batch commits; a run whose process died stays running in the database."),
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.COMMAND)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_runs",
    )
    paths = models.JSONField(_("paths"), default=list, blank=True, help_text=_("The paths the run was given."))
    dry_run = models.BooleanField(_("dry run"), default=False)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    defaults = models.JSONField(
        _("supplied metadata"),
        default=dict,
        blank=True,
        help_text=_(
            "What the editor supplied for files that lack it: {publisher, author, publisher_for: {directory: name}, "
            "author_for: {directory: name}}; empty when nothing was supplied."
        ),
    )

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-id"]
        permissions = [("run_import", _("Can import seed files"))]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.started_at:%Y-%m-%d %H:%M})" if self.started_at else "Import (new)"

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.duplicates + self.failed


def publicly_visible() -> Q:
    """Return the condition of the articles anybody may read now: published, and under no embargo still running.

    The one definition of "public" (the index's is ``articles.api.search_filters.public_filters()``).
    It compares with the clock when the query is built, so an embargo lifts by itself, with no write
    and no job. Embargoes are assumed rare: the list indexes (status, -date, -id)... are walked as
    before and this extra condition filters the rows they yield, which costs nothing when almost
    every published article has no embargo.
    """
    no_embargo = Q(embargo_until__isnull=True) | Q(embargo_until__lte=timezone.now())
    return Q(status=Article.Status.PUBLISHED) & no_embargo


class ArticleQuerySet(models.QuerySet["Article"]):
    def published(self) -> ArticleQuerySet:
        return self.filter(status=Article.Status.PUBLISHED)

    def public(self) -> ArticleQuerySet:
        """Return the articles anybody may read now (``publicly_visible()``)."""
        return self.filter(publicly_visible())

    def needing_review(self) -> ArticleQuerySet:
        return self.filter(needs_review=True)


SAMPLE_KEY_BITS = 31


def new_sample_key() -> int:
    """Return a fresh random sample key: a non-negative 31-bit integer, so any integer column holds it."""
    return secrets.randbits(SAMPLE_KEY_BITS)


class Article(models.Model):
    """A news article, with the raw source it was parsed from."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        WITHDRAWN = "withdrawn", _("withdrawn")

    title = models.CharField(_("title"), max_length=1000)
    slug = models.SlugField(
        _("slug"), max_length=255, help_text=_("Readable, unique identifier derived from the title.")
    )
    subtitle = models.TextField(_("subtitle"), blank=True)
    body = models.TextField(_("body"), blank=True, help_text=_("Paragraphs separated by one blank line."))
    word_count = models.PositiveIntegerField(_("word count"), default=0)
    image_credit = models.CharField(_("image credit"), max_length=1000, blank=True)
    copyright_year = models.PositiveSmallIntegerField(_("copyright year"), null=True, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=languages.CHOICES,
        help_text=_(
            "ISO 639-1 code of the language the article is written in, detected at import; empty when the "
            "text was too short or too mixed to tell. Search stems the article's words in this language."
        ),
    )
    publisher = models.ForeignKey(
        Publisher,
        verbose_name=_("publisher"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    authors = models.ManyToManyField(
        Author,
        verbose_name=_("authors"),
        through="articles.ArticleAuthor",
        related_name="articles",
        blank=True,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    needs_review = models.BooleanField(
        _("needs review"), default=False, help_text=_("Set when the importer could not parse the source cleanly.")
    )
    review_reasons = models.JSONField(
        _("review reasons"), default=list, blank=True, help_text=_("The parser's warnings for this article.")
    )
    review_priority = models.PositiveSmallIntegerField(
        _("review priority"),
        default=0,
        help_text=_(
            "How likely the article is wrong as imported, from its review reasons (articles.triage); "
            "the review queue lists the highest first. Kept up to date on save; 0 when not in review."
        ),
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("When the article was published in this archive."),
    )
    original_published_at = models.DateTimeField(
        _("original publication date"),
        null=True,
        blank=True,
        help_text=_("When the story was first published, as its source states; empty when the source gives no date."),
    )
    original_updated_at = models.DateTimeField(
        _("original update date"),
        null=True,
        blank=True,
        help_text=_("When the story was last updated, as its source states; empty when the source gives no date."),
    )
    # What the API filters and orders articles by (the README's "Dates"): the story's own date where the
    # source gives one, else its publication in the archive. Computed by the database, so every write
    # (QuerySet.update(), bulk imports) keeps it right, and indexed for newest-first pages.
    date = models.GeneratedField(
        expression=Coalesce("original_published_at", "published_at"),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name=_("date"),
        help_text=_("The original publication date if known, else the date of publication in the archive."),
    )
    embargo_until = models.DateTimeField(
        _("embargoed until"),
        null=True,
        blank=True,
        help_text=_(
            "Hidden from the public (API, search, feeds, exports) until then, even when published; staff see it "
            "marked. It appears by itself when the time comes. Empty: no embargo."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # ``ordering=random`` walks the articles from a point the seed picks in this order (articles.api.sampling):
    # two index range scans, never a sort of every row.
    sample_key = models.IntegerField(
        _("sample key"),
        default=new_sample_key,
        editable=False,
        help_text=_(
            "A random number drawn when the article is created; the API's random ordering (ordering=random) "
            "lists articles by it, starting where the seed says."
        ),
    )

    # Provenance: where the article came from, byte for byte.
    source_key = models.CharField(
        _("source key"), max_length=1000, help_text=_("Path of the seed file relative to the imported directory.")
    )
    content_sha256 = models.CharField(
        _("content SHA-256"), max_length=64, help_text=_("SHA-256 of the normalized source text.")
    )
    raw_text = models.TextField(_("raw source"), help_text=_("The source text exactly as decoded from the file."))
    source_encoding = models.CharField(_("source encoding"), max_length=20, blank=True)
    parsed = models.JSONField(
        _("parsed values"), default=dict, blank=True, help_text=_("The parser's output at the last import.")
    )
    import_conflicts = models.JSONField(
        _("import conflicts"),
        default=dict,
        blank=True,
        help_text=_("Fields an editor changed that a later import parsed differently: {field: {editor, parsed}}."),
    )
    import_run = models.ForeignKey(
        ImportRun,
        verbose_name=_("import run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        help_text=_("The run that last created or updated this article from its source."),
    )
    source_changed_at = models.DateTimeField(
        _("source changed at"),
        null=True,
        blank=True,
        help_text=_("When a re-import last replaced the source with a different text; empty if it never changed."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("possible duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        help_text=_(
            "The article this one shares most of its text with (a syndicated or lightly edited copy), "
            "found at import (articles.duplicates); empty if none, or once an editor kept both."
        ),
    )

    # An import creates no history row (its run and the provenance above record it); the first
    # later change records the imported state first (``articles.imported_history``).
    # The review priority is derived from the review reasons, and the date from the dates, which it keeps.
    history = HistoricalRecords(
        excluded_fields=[
            "raw_text",
            "parsed",
            "import_conflicts",
            "review_priority",
            "date",
            "source_changed_at",
            "sample_key",
        ]
    )
    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_key"], name="articles_article_unique_source_key"),
            models.UniqueConstraint(fields=["content_sha256"], name="articles_article_unique_content_sha256"),
            models.UniqueConstraint(fields=["slug"], name="articles_article_unique_slug"),
            models.CheckConstraint(
                condition=Q(status="published", published_at__isnull=False) | ~Q(status="published"),
                name="articles_article_published_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="article_created_idx"),
            models.Index(fields=["status", "-published_at", "-id"], name="article_status_pub_idx"),
            models.Index(fields=["status", "-date", "-id"], name="article_status_date_idx"),
            # Staff's newest first (every status, undated drafts last) on SQLite, and date ranges;
            # PostgreSQL walks its own DESC NULLS LAST index for that order (migration 0014).
            models.Index(fields=["date"], name="article_date_idx"),
            # One per other API ordering: a page (and a cursor page at any depth) walks the index either
            # way, never sorting every published row (the id tie-break is an incremental sort at worst).
            models.Index(fields=["status", "title", "id"], name="article_status_title_idx"),
            models.Index(fields=["status", "created_at", "id"], name="article_status_created_idx"),
            models.Index(fields=["status", "word_count", "id"], name="article_status_words_idx"),
            # ``ordering=random``: each page is a range scan of one of these from the seed's point (published
            # only for anonymous clients, every status for staff).
            models.Index(fields=["status", "sample_key", "id"], name="article_status_sample_idx"),
            models.Index(fields=["sample_key", "id"], name="article_sample_idx"),
            # The ``language`` filter: an equality prefix, then the default order, walked rather than sorted.
            models.Index(fields=["language", "status", "-date", "-id"], name="article_lang_status_date_idx"),
            # "Has this publisher a published article?" (who anonymous clients may see) in one index probe,
            # however many drafts the publisher has; and a publisher's articles newest first, walked
            # rather than sorted, and counted with a copyright-year filter from the index alone (SQLite
            # sorted a large publisher's every row: 100 ms at 100k, now 0.1 ms; its capped count 44 -> 1.6 ms).
            models.Index(
                fields=["publisher", "status", "-date", "-id", "copyright_year"],
                name="article_publisher_date_idx",
            ),
            # ``changed_since``: only changed articles are indexed, so following corrections stays a range scan.
            models.Index(
                fields=["source_changed_at", "status"],
                condition=Q(source_changed_at__isnull=False),
                name="article_source_changed_idx",
            ),
            # The review queue: small, so a partial index keeps its count and pages cheap.
            models.Index(
                fields=["-created_at", "-id"], condition=Q(needs_review=True), name="article_review_queue_idx"
            ),
            # ... and the order it is worked in, likeliest errors first, walked rather than sorted.
            models.Index(
                fields=["-review_priority", "created_at", "id"],
                condition=Q(needs_review=True),
                name="article_review_priority_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        # The count follows the body whoever edits it: importer, admin or API.
        self.word_count = len(self.body.split())
        # ... and the review priority follows the review reasons.
        self.review_priority = triage.review_priority(self.review_reasons or []) if self.needs_review else 0
        if update_fields:
            fields = set(update_fields)
            if "body" in fields:
                fields.add("word_count")
            if fields & {"needs_review", "review_reasons"}:
                fields.add("review_priority")
            update_fields = fields
        adding = self._state.adding
        super().save(force_insert=force_insert, force_update=force_update, using=using, update_fields=update_fields)
        if not adding:
            # The database recomputed ``date`` (an insert returns it); read it again when next used.
            self.__dict__.pop("date", None)

    def get_absolute_url(self) -> str:
        return reverse("api:article-detail", kwargs={"pk": self.pk})


class ArticleFingerprint(models.Model):
    """One LSH band key of an article's body: articles sharing a key are candidate near-duplicates."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="fingerprints"
    )
    key = models.BigIntegerField(
        _("band key"),
        help_text=_("The hash of one band of the body's MinHash signature (articles.duplicates)."),
    )

    class Meta:
        verbose_name = _("article fingerprint")
        verbose_name_plural = _("article fingerprints")
        ordering = ["article", "id"]
        # The lookup by key answers from the index alone (key, article).
        indexes = [models.Index(fields=["key", "article"], name="article_fingerprint_key_idx")]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.key}"


class ArticleAuthor(models.Model):
    """The byline: which authors wrote an article, in order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("byline")
        verbose_name_plural = _("bylines")
        ordering = ["article", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="articles_byline_unique_author"),
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.article}"


class SearchOutbox(models.Model):
    """An article whose search document must be rewritten: queued by database triggers, drained in id order.

    Triggers on the article and byline tables (migration 0007) insert the rows,
    so every write is caught, ``QuerySet.update()`` and bulk imports included;
    ``articles.search_index.sync_pending()`` drains them. Not a foreign key: a
    deleted article's row is what tells the index to drop its document.
    """

    article_id = models.BigIntegerField(_("article id"))
    queued_at = models.DateTimeField(_("queued at"), db_default=Now())

    class Meta:
        verbose_name = _("search outbox entry")
        verbose_name_plural = _("search outbox")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"reindex article {self.article_id}"


class SourceRevision(models.Model):
    """An earlier source text of an article, kept when a re-import replaced it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="source_revisions")
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    raw_text = models.TextField(_("raw source"))
    source_encoding = models.CharField(_("source encoding"), max_length=20, blank=True)
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="source_revisions"
    )
    replaced_at = models.DateTimeField(_("replaced at"), auto_now_add=True)

    class Meta:
        verbose_name = _("source revision")
        verbose_name_plural = _("source revisions")
        ordering = ["article", "-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"{self.article_id}@{self.content_sha256[:12]}"


class ImportOutcome(models.Model):
    """What one import run did with one file."""

    class Result(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        UNCHANGED = "unchanged", _("unchanged")
        DUPLICATE = "duplicate", _("duplicate")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="outcomes")
    path = models.CharField(_("path"), max_length=1000)
    source_key = models.CharField(_("source key"), max_length=1000, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    error = models.TextField(_("error"), blank=True)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("import outcome")
        verbose_name_plural = _("import outcomes")
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.path}: {self.result}"


class EntityAlias(models.Model):
    """Another name of an author or publisher, left behind by a merge; imports of it credit its owner.

    A subclass adds ``owner``'s foreign key under the owner's model name, with
    ``related_name="aliases"``, and names that field in ``owner_field``.
    """

    owner_field: ClassVar[str]

    name = models.CharField(_("name"), max_length=255, help_text=_("The name as it appeared in a source."))
    slug = models.SlugField(
        _("slug"), max_length=255, help_text=_("The slug the importer derives from the name; resolves to the owner.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug")]

    def __str__(self) -> str:
        owner_id = getattr(self, f"{self.owner_field}_id")
        return f"{self.name} → {getattr(self, self.owner_field)}" if owner_id else self.name


class AuthorAlias(EntityAlias):
    """Another name of an author, left behind by a merge; imports of it credit the author."""

    owner_field = "author"
    author = models.ForeignKey(Author, verbose_name=_("author"), on_delete=models.CASCADE, related_name="aliases")

    class Meta(EntityAlias.Meta):
        verbose_name = _("author alias")
        verbose_name_plural = _("author aliases")


class PublisherAlias(EntityAlias):
    """Another name of a publisher, left behind by a merge; imports of it credit the publisher."""

    owner_field = "publisher"
    publisher = models.ForeignKey(
        Publisher, verbose_name=_("publisher"), on_delete=models.CASCADE, related_name="aliases"
    )

    class Meta(EntityAlias.Meta):
        verbose_name = _("publisher alias")
        verbose_name_plural = _("publisher aliases")


class PublisherBoilerplate(models.Model):
    """A whole line of a publisher's site furniture, removed from the body of that publisher's articles.

    The importer learns lines that recur verbatim across the publisher's articles
    (``articles.boilerplate``); editors add lines by hand, and disable a learned one
    that is real content, which keeps it from being learned again.
    """

    class Origin(models.TextChoices):
        LEARNED = "learned", _("learned by the importer")
        EDITOR = "editor", _("added by an editor")

    publisher = models.ForeignKey(
        Publisher, verbose_name=_("publisher"), on_delete=models.CASCADE, related_name="boilerplate_lines"
    )
    text = models.CharField(
        _("line"), max_length=300, help_text=_("The whole line as printed, e.g. 'Sign up for our newsletter'.")
    )
    key = models.CharField(
        _("key"),
        max_length=600,  # case folding may lengthen a line ("ß" -> "ss")
        editable=False,
        help_text=_("The line as compared: case-folded, with its whitespace collapsed (set from the line)."),
    )
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices, default=Origin.EDITOR)
    enabled = models.BooleanField(
        _("remove from articles"),
        default=True,
        help_text=_("Untick to keep the line in articles; a disabled learned line is not learned again."),
    )
    article_count = models.PositiveIntegerField(
        _("articles"),
        default=0,
        help_text=_("In how many of the publisher's articles the importer had seen the line when it learned it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("boilerplate line")
        verbose_name_plural = _("boilerplate lines")
        ordering = ["publisher", "key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["publisher", "key"], name="articles_publisherboilerplate_unique_key")
        ]

    def __str__(self) -> str:
        return self.text

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        # The key follows the line whoever writes it: the admin, a service or the importer.
        self.key = boilerplate_key(self.text)
        if update_fields and "text" in update_fields:
            update_fields = {*update_fields, "key"}
        super().save(force_insert=force_insert, force_update=force_update, using=using, update_fields=update_fields)


class BoilerplateSummary(models.Model):
    """The importer's bounded summary of the lines recurring in one publisher's articles (see ``articles.boilerplate``).

    Not a row per line: at most ``boilerplate.SUMMARY_SIZE`` counters, rewritten once per import batch.
    """

    publisher = models.OneToOneField(
        Publisher, verbose_name=_("publisher"), on_delete=models.CASCADE, related_name="boilerplate_summary"
    )
    articles_counted = models.PositiveIntegerField(
        _("articles counted"), default=0, help_text=_("Articles in the summary's window (halved as it fills).")
    )
    counters = models.JSONField(
        _("counters"), default=dict, blank=True, help_text=_("Line as printed -> articles it was counted in.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("boilerplate summary")
        verbose_name_plural = _("boilerplate summaries")
        ordering = ["publisher"]

    def __str__(self) -> str:
        return f"{self.publisher_id}: {len(self.counters)} lines over {self.articles_counted} articles"


class Merge(models.Model):
    """A merge of duplicate authors or publishers into a survivor, with what undoing it needs."""

    class Kind(models.TextChoices):
        AUTHOR = "author", _("authors")
        PUBLISHER = "publisher", _("publishers")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Not a foreign key: the survivor is an author or a publisher, and the record must outlive it.
    survivor_id = models.BigIntegerField(_("survivor id"), help_text=_("The author or publisher that was kept."))
    survivor_name = models.CharField(_("survivor name"), max_length=255, blank=True)
    merged = models.JSONField(
        _("merged"),
        default=dict,
        blank=True,
        help_text=_(
            "Snapshot to undo the merge exactly: the merged rows, every byline or publisher moved, the aliases made."
        ),
    )
    created_at = models.DateTimeField(_("merged at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "survivor_id"], name="merge_kind_survivor_idx")]

    def __str__(self) -> str:
        names = ", ".join(row.get("name", "?") for row in self.merged.get("rows", []))
        return f"{names or '?'} → {self.survivor_name or self.survivor_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class ImportUpload(models.Model):
    """Files uploaded in the admin, waiting in the spool for the worker that imports them into their run."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    run = models.OneToOneField(ImportRun, verbose_name=_("import run"), on_delete=models.CASCADE, related_name="upload")
    token = models.CharField(
        _("spool token"), max_length=64, help_text=_("The random name of the upload's files in ARCHIVE_UPLOAD_DIR.")
    )
    files = models.JSONField(
        _("files"), default=list, blank=True, help_text=_("Each uploaded file: its name, size and spooled file.")
    )
    expected_files = models.PositiveIntegerField(
        _("expected files"), default=0, help_text=_("How many seeds the upload holds, zip members included.")
    )
    replace_existing = models.BooleanField(
        _("replace existing"), default=False, help_text=_("Update articles imported from a file of the same name.")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    task_id = models.CharField(_("task id"), max_length=64, blank=True, help_text=_("The latest attempt's task."))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import upload")
        verbose_name_plural = _("import uploads")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["token"], name="articles_importupload_unique_token")]

    def __str__(self) -> str:
        return f"Upload for import #{self.run_id} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class Takedown(models.Model):
    """An article taken out of the archive (withdrawn or deleted), or put back: what consumers act on.

    Append-only: each withdrawal, deletion and reinstatement adds a row, kept when the
    article row is gone (the id is a plain integer, not a foreign key). ``current``
    marks the latest row of each article; the earlier ones are history. Written by
    ``articles.takedowns`` in the transaction that changes the article.
    """

    class Kind(models.TextChoices):
        WITHDRAWN = "withdrawn", _("withdrawn")
        DELETED = "deleted", _("deleted")
        REINSTATED = "reinstated", _("reinstated")

    # Not a foreign key: the record must outlive a deleted article.
    article_id = models.BigIntegerField(_("article id"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(
        _("at"), default=timezone.now, help_text=_("When it was withdrawn, deleted or reinstated.")
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why, as the editor gave it; shown to staff only."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Whether the article had been published (it had a publication date) when this happened: "
            "anonymous clients are told only of those, as they never saw the others."
        ),
    )
    current = models.BooleanField(
        _("current"), default=True, help_text=_("Whether this is the article's latest takedown or reinstatement.")
    )

    class Meta:
        verbose_name = _("takedown")
        verbose_name_plural = _("takedowns")
        ordering = ["-at", "-id"]
        constraints = [
            # One latest row per article; also the index that finds it when a later row supersedes it.
            models.UniqueConstraint(fields=["article_id"], condition=Q(current=True), name="takedown_one_current"),
        ]
        indexes = [
            # The keyset walks (/api/v1/articles/withdrawn/, the feed): staff over every current row,
            # anonymous clients over the public ones; either way a range scan, never a sort.
            models.Index(fields=["at", "id"], condition=Q(current=True), name="takedown_current_at_idx"),
            models.Index(fields=["public", "at", "id"], condition=Q(current=True), name="takedown_public_at_idx"),
        ]

    def __str__(self) -> str:
        return f"article #{self.article_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


def new_webhook_secret() -> str:
    """Return a fresh HMAC key for a saved search's webhook signature."""
    return secrets.token_hex(32)


def new_feed_token() -> str:
    """Return a fresh unguessable token for a saved search's feed address."""
    return secrets.token_urlsafe(32)


class SavedSearch(models.Model):
    """An article-list query a user follows: its new matches e-mailed, posted to a webhook and served as a feed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_searches",
        help_text=_("The user who follows the search; only they see it in the API."),
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("The owner's name for it, unique among theirs."))
    query = models.CharField(
        _("query"),
        max_length=2000,
        blank=True,
        help_text=_(
            "The article list's query string without '?', normalised (sorted keys; no paging, ordering or "
            "format parameters), e.g. 'language=en&publisher=guardian&q=otters'."
        ),
    )
    email_digest = models.BooleanField(
        _("e-mail digest"), default=True, help_text=_("E-mail the owner a digest of new matches after each run.")
    )
    webhook_url = models.URLField(
        _("webhook URL"),
        max_length=2000,
        blank=True,
        help_text=_("Where new matches are POSTed after each run; blank for none."),
    )
    webhook_secret = models.CharField(
        _("webhook secret"),
        max_length=64,
        default=new_webhook_secret,
        help_text=_("The HMAC key that signs each webhook delivery; generated at creation."),
    )
    webhook_paused_at = models.DateTimeField(
        _("webhook paused at"),
        null=True,
        blank=True,
        help_text=_("When deliveries were paused after failing repeatedly; the owner clears it to resume."),
    )
    feed_token = models.CharField(
        _("feed token"),
        max_length=43,
        default=new_feed_token,
        help_text=_("The unguessable part of the search's feed address (a feed reader cannot log in)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, help_text=_("When it was created."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, help_text=_("When it was last changed."))

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="articles_savedsearch_unique_name_per_owner"),
            models.UniqueConstraint(fields=["feed_token"], name="articles_savedsearch_unique_feed_token"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def webhook_paused(self) -> bool:
        return self.webhook_paused_at is not None


class Delivery(models.Model):
    """One e-mail digest or webhook POST of a saved search's new matches (or of a withdrawal), and its outcome.

    Written by ``articles.alerts.deliveries``; sent by its task, retried with backoff
    until delivered or abandoned. ``uid`` is sent with it, so a receiver can drop a
    repeat of a delivery it already took.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("e-mail digest")
        WEBHOOK = "webhook", _("webhook")

    class Event(models.TextChoices):
        MATCHES = "matches", _("new matches")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed, to be retried")
        ABANDONED = "abandoned", _("abandoned")

    class Trigger(models.TextChoices):
        IMPORT = "import", _("import run")
        PUBLISH = "publish", _("editor published")
        EMBARGO = "embargo", _("embargo ended")
        WITHDRAWAL = "withdrawal", _("withdrawal")

    saved_search = models.ForeignKey(
        SavedSearch,
        verbose_name=_("saved search"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        help_text=_("The search whose matches this delivers."),
    )
    uid = models.UUIDField(
        _("delivery id"),
        default=uuid.uuid4,
        editable=False,
        help_text=_("Stable id sent in the payload and the X-Archive-Delivery header: the same on every retry."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    event = models.CharField(_("event"), max_length=10, choices=Event.choices, default=Event.MATCHES)
    trigger = models.CharField(
        _("trigger"), max_length=10, choices=Trigger.choices, help_text=_("What made the archive send it.")
    )
    import_run = models.ForeignKey(
        ImportRun,
        verbose_name=_("import run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        help_text=_("The run whose new articles it delivers, when an import triggered it."),
    )
    article_ids = models.JSONField(
        _("article ids"),
        default=list,
        help_text=_("The articles it delivers, by id: the first ARCHIVE_DELIVERY_MAX_ARTICLES of those matched."),
    )
    matched = models.PositiveIntegerField(
        _("matched"), default=0, help_text=_("How many articles matched: more than it lists when it hit the limit.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0, help_text=_("Sending attempts made so far."))
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        null=True,
        blank=True,
        default=timezone.now,
        help_text=_("When it is due to be sent (again); empty once delivered or abandoned."),
    )
    last_error = models.TextField(_("last error"), blank=True, help_text=_("Why the last attempt failed."))
    response_status = models.PositiveIntegerField(
        _("response status"), null=True, blank=True, help_text=_("The webhook's HTTP status on the last attempt.")
    )
    task_id = models.CharField(
        _("task id"), max_length=64, blank=True, help_text=_("The queued task that sends it next, if any.")
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["uid"], name="articles_delivery_unique_uid"),
            # One digest per search, kind and event for an import run.
            models.UniqueConstraint(
                fields=["saved_search", "kind", "event", "import_run"],
                condition=Q(import_run__isnull=False),
                name="articles_delivery_one_per_run",
            ),
        ]
        indexes = [
            # retry_deliveries' scan: the undelivered ones by due time.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="delivery_due_idx",
            ),
            models.Index(fields=["saved_search", "-created_at", "-id"], name="delivery_search_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.event}) for saved search #{self.saved_search_id}: {self.status}"


class DeliveredArticle(models.Model):
    """An article a webhook delivery delivered: whom to tell when it is withdrawn or deleted."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="delivered_articles"
    )
    # Not a foreign key: a deleted article's receivers are told too.
    article_id = models.BigIntegerField(_("article id"))

    class Meta:
        verbose_name = _("delivered article")
        verbose_name_plural = _("delivered articles")
        ordering = ["delivery", "article_id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "article_id"], name="articles_deliveredarticle_unique"),
        ]
        indexes = [models.Index(fields=["article_id"], name="deliveredarticle_article_idx")]

    def __str__(self) -> str:
        return f"article #{self.article_id} in delivery #{self.delivery_id}"
