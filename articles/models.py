"""The archive's data: publishers, authors, articles and the imports that made them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from articles import languages


class Publisher(models.Model):
    """An organisation that holds the copyright of articles."""

    name = models.CharField(_("name"), max_length=255, help_text=_("Display name, e.g. 'Blaze Media LLC'."))
    slug = models.SlugField(_("slug"), max_length=255, help_text=_("Stable identifier used in URLs and filters."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("publisher")
        verbose_name_plural = _("publishers")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="articles_publisher_unique_slug")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("api:publisher-detail", kwargs={"pk": self.pk})


class Author(models.Model):
    """A person credited with writing articles."""

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=255, help_text=_("Stable identifier used in URLs and filters."))
    bio = models.TextField(_("bio"), blank=True, help_text=_("Biography as printed under the author's articles."))
    social_handle = models.CharField(
        _("social handle"),
        max_length=100,
        blank=True,
        help_text=_("Handle found in the bio, e.g. '@kpshiver3'."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="articles_author_unique_slug")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("api:author-detail", kwargs={"pk": self.pk})


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


class ArticleQuerySet(models.QuerySet):
    def published(self) -> ArticleQuerySet:
        return self.filter(status=Article.Status.PUBLISHED)

    def needing_review(self) -> ArticleQuerySet:
        return self.filter(needs_review=True)


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
        choices=sorted(languages.NAMES.items()),
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
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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

    # An import creates no history row (its run and the provenance above record it); the first
    # later change records the imported state first (``articles.imported_history``).
    history = HistoricalRecords(excluded_fields=["raw_text", "parsed", "import_conflicts"])
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
            # One per other API ordering: a page (and a cursor page at any depth) walks the index either
            # way, never sorting every published row (the id tie-break is an incremental sort at worst).
            models.Index(fields=["status", "title", "id"], name="article_status_title_idx"),
            models.Index(fields=["status", "created_at", "id"], name="article_status_created_idx"),
            models.Index(fields=["status", "word_count", "id"], name="article_status_words_idx"),
            # The ``language`` filter: an equality prefix, then the default order, walked rather than sorted.
            models.Index(fields=["language", "status", "-published_at", "-id"], name="article_lang_status_pub_idx"),
            # "Has this publisher a published article?" (who anonymous clients may see) in one index probe,
            # however many drafts the publisher has; and a publisher's articles newest first, walked
            # rather than sorted, and counted with a copyright-year filter from the index alone (SQLite
            # sorted a large publisher's every row: 100 ms at 100k, now 0.1 ms; its capped count 44 -> 1.6 ms).
            models.Index(
                fields=["publisher", "status", "-published_at", "-id", "copyright_year"],
                name="article_publisher_status_idx",
            ),
            # The review queue: small, so a partial index keeps its count and pages cheap.
            models.Index(
                fields=["-created_at", "-id"], condition=Q(needs_review=True), name="article_review_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # The count follows the body whoever edits it: importer, admin or API.
        self.word_count = len(self.body.split())
        if update_fields := kwargs.get("update_fields"):
            kwargs["update_fields"] = {*update_fields, "word_count"} if "body" in update_fields else update_fields
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("api:article-detail", kwargs={"pk": self.pk})


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


class AuthorAlias(models.Model):
    """Another name of an author, left behind by a merge; imports of it credit the author."""

    author = models.ForeignKey(Author, verbose_name=_("author"), on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("name"), max_length=255, help_text=_("The name as it appeared, e.g. 'J. Reporter'."))
    slug = models.SlugField(
        _("slug"), max_length=255, help_text=_("The slug the importer derives from the name; resolves to the author.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("author alias")
        verbose_name_plural = _("author aliases")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="articles_authoralias_unique_slug")]

    def __str__(self) -> str:
        return f"{self.name} → {self.author}" if self.author_id else self.name


class PublisherAlias(models.Model):
    """Another name of a publisher, left behind by a merge; imports of it credit the publisher."""

    publisher = models.ForeignKey(
        Publisher, verbose_name=_("publisher"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("name"), max_length=255, help_text=_("The name as it appeared, e.g. 'Blaze Media'."))
    slug = models.SlugField(
        _("slug"),
        max_length=255,
        help_text=_("The slug the importer derives from the name; resolves to the publisher."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("publisher alias")
        verbose_name_plural = _("publisher aliases")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="articles_publisheralias_unique_slug")]

    def __str__(self) -> str:
        return f"{self.name} → {self.publisher}" if self.publisher_id else self.name


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
