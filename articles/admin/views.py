"""Views of the editors' desk, hooked into the admin by ``articles.admin``.

Each view checks its own permission, calls a service and renders an admin
template; none holds business logic.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin, helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, TooManyFilesSent
from django.db.models import Count, ForeignObjectRel, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from articles import conf, deduplication, merging, review, revisions, uploads
from articles.admin.forms import (
    ConflictForm,
    DuplicateForm,
    MergeForm,
    RevertForm,
    SeedUploadForm,
    too_large_message,
    too_many_files_message,
)
from articles.api import querysets
from articles.api.export import export_response
from articles.api.serializers import ArticleExportSerializer
from articles.history import signed_in
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    ImportOutcome,
    ImportRun,
    ImportUpload,
    Merge,
    NamedEntity,
)
from articles.reverting import RevertError, plan_revert, revert_article

if TYPE_CHECKING:
    from articles.uploads import UploadStatus

RUN_IMPORT_PERMISSION = "articles.run_import"
# The per-file table of an upload shows at most this many rows; the import run keeps them all.
MAX_OUTCOME_ROWS = 1000
# How often the progress page of a running upload asks for its status, in milliseconds.
POLL_MS = 1000
# A merge's confirmation page lists every row it folds; duplicates come a few at a time.
MAX_MERGE = 50


def review_queue_url() -> str:
    """Return the URL of the review queue: the article list filtered to flagged articles."""
    return reverse("admin:articles_article_changelist") + "?" + urlencode({"needs_review__exact": 1})


def article_change_url(pk: int) -> str:
    return reverse("admin:articles_article_change", args=[pk])


# --- The article change form: provenance, review and import conflicts -------------------


def change_form_context(request: HttpRequest, article: Article, *, can_change: bool) -> dict[str, Any]:
    """Return what the article's change form shows beside its fields."""
    return {
        "provenance": provenance(request, article),
        "review": {
            "reasons": article.review_reasons if article.needs_review else [],
            "needs_review": article.needs_review,
            "conflicts": conflicts(article) if can_change else [],
            "queue_url": review_queue_url(),
        },
        "duplicate": duplicate_panel(article, can_change=can_change),
        "show_review_next": can_change and article.needs_review,
    }


def provenance(request: HttpRequest, article: Article) -> dict[str, Any]:
    """Return the provenance panel: the raw source beside what the parser found and what the article says now."""
    parsed = article.parsed or {}
    byline = ", ".join(b.author.name for b in article.bylines.select_related("author").order_by("position", "id"))
    run = article.import_run
    can_view_runs = request.user.has_perm("articles.view_importrun")
    rows: list[dict[str, Any]] = []
    if parsed:
        for label, found, current in [
            (_("title"), parsed.get("title", ""), article.title),
            (_("subtitle"), parsed.get("subtitle", ""), article.subtitle),
            (_("authors"), ", ".join(parsed.get("author_names", [])), byline),
            (_("publisher"), parsed.get("copyright_holder", ""), article.publisher.name if article.publisher else ""),
            (_("copyright year"), parsed.get("copyright_year"), article.copyright_year),
            (_("language"), parsed.get("language", ""), article.language),
            (_("image credit"), parsed.get("image_credit", ""), article.image_credit),
        ]:
            rows.append(
                {"label": label, "parsed": _display(found), "current": _display(current), "edited": found != current}
            )
        body_edited = parsed.get("body_sha256") not in (None, _sha256(article.body))
        rows.append(
            {
                "label": _("body"),
                "parsed": _("(%(words)s words at import)") % {"words": article.word_count} if not body_edited else "",
                "current": _("edited since the import") if body_edited else _("as parsed"),
                "edited": body_edited,
            }
        )
    return {
        "raw_text": article.raw_text,
        "source_key": article.source_key,
        "sha256": article.content_sha256,
        "encoding": article.source_encoding,
        "import_run": run,
        "import_run_url": reverse("admin:articles_importrun_change", args=[run.pk]) if run and can_view_runs else "",
        "warnings": parsed.get("warnings", []),
        "rows": rows,
    }


def conflicts(article: Article) -> list[dict[str, Any]]:
    """Return the article's import conflicts, each with the URL that settles it."""
    rows = []
    for name, values in (article.import_conflicts or {}).items():
        rows.append(
            {
                "field": name,
                "label": _field_label(name),
                "editor": _display(values.get("editor")),
                "parsed": _display(values.get("parsed")),
                "url": reverse("admin:articles_article_conflict", args=[article.pk, name]),
            }
        )
    return rows


def _field_label(name: str) -> str:
    """Return the verbose name of the article's field ``name``, or ``name`` if it is none of its own fields."""
    try:
        field = Article._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return name if isinstance(field, ForeignObjectRel) else str(field.verbose_name)


def duplicate_panel(article: Article, *, can_change: bool) -> dict[str, Any] | None:
    """Return the copy and its original side by side, and the decisions an editor can take; None if not a copy."""
    original = article.duplicate_of
    if original is None:
        return None
    return {
        "original": original,
        "original_url": article_change_url(original.pk),
        "rows": revisions.side_by_side(old_text=original.body, new_text=article.body),
        "flagged": bool(deduplication.duplicate_reasons(article)),
        "resolve_url": reverse("admin:articles_article_duplicate", args=[article.pk]) if can_change else "",
    }


@require_POST
def resolve_duplicate_view(request: HttpRequest, model_admin: ModelAdmin[Article], object_id: str) -> HttpResponse:
    """Keep both articles or withdraw the copy (``deduplication.resolve_duplicate``), then return to its form."""
    missing = _("Choose whether to keep both articles or withdraw this copy.")
    article, choice = _posted_choice(request, model_admin, object_id, DuplicateForm, missing)
    if choice is not None:
        original_id, keep = article.duplicate_of_id, choice == "keep"
        try:
            deduplication.resolve_duplicate(article=article, keep_both=keep, user=signed_in(request.user))
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            done = _("Kept both articles.") if keep else _("Withdrew this copy of #%(id)s.") % {"id": original_id}
            messages.success(request, done)
    return HttpResponseRedirect(article_change_url(article.pk))


def _posted_choice(
    request: HttpRequest, model_admin: ModelAdmin[Article], object_id: str, form_class: type[forms.Form], missing: str
) -> tuple[Article, str | None]:
    """Return the article an editor may change and the choice they posted (None, said as ``missing``, if none)."""
    article = _get_article(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, article):
        raise PermissionDenied
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, missing)
        return article, None
    choice: str = form.cleaned_data["choice"]
    return article, choice


def _display(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@require_POST
def resolve_conflict_view(
    request: HttpRequest, model_admin: ModelAdmin[Article], object_id: str, field: str
) -> HttpResponse:
    """Settle one import conflict of an article, then return to its change form."""
    missing = _("Choose whether to accept the parsed value or keep the editor's.")
    article, choice = _posted_choice(request, model_admin, object_id, ConflictForm, missing)
    if choice is not None:
        accept = choice == "parsed"
        try:
            review.resolve_conflict(article=article, field=field, accept_parsed=accept, user=signed_in(request.user))
        except review.ConflictError as exc:
            messages.error(request, str(exc))
        else:
            verb = _("Accepted the parsed %(field)s.") if accept else _("Kept the editor's %(field)s.")
            messages.success(request, verb % {"field": field})
    return HttpResponseRedirect(article_change_url(article.pk))


# Set on an article saved with "Mark reviewed & next": its review priority before the save reset it.
QUEUE_PRIORITY_ATTR = "queue_priority"


def review_next_response(request: HttpRequest, article: Article) -> HttpResponse:
    """Go from a reviewed article to the next one in the queue, or back to the queue when it is empty."""
    # Where the article stood in the queue before it was marked reviewed (ArticleAdmin.save_related).
    following = review.next_for_review(after=article, priority=getattr(article, QUEUE_PRIORITY_ATTR, None))
    messages.success(request, _("“%(title)s” was marked reviewed.") % {"title": article.title})
    if following is None:
        messages.info(request, _("The review queue is empty."))
        return HttpResponseRedirect(review_queue_url())
    return HttpResponseRedirect(article_change_url(following.pk))


def _get_article(model_admin: ModelAdmin[Article], request: HttpRequest, object_id: str) -> Article:
    article = model_admin.get_object(request, unquote(object_id))
    if article is None:
        raise Http404(_("No article with id %(id)s.") % {"id": object_id})
    return article


# --- Actions ------------------------------------------------------------------------


def export_csv_response(request: HttpRequest, queryset: QuerySet[Article]) -> StreamingHttpResponse:
    """Stream the CSV export of ``queryset``: the API's export (same columns and rules), as a download."""
    serializer = ArticleExportSerializer(context={"request": request, "searching": False, "selected_fields": None})
    return export_response(queryset.order_by(*querysets.newest_first(request.user)), serializer, "csv")


# --- History: revert an article to an earlier version --------------------------------


def revert_view(
    request: HttpRequest, model_admin: ModelAdmin[Article], object_id: str, version_id: str
) -> HttpResponse:
    """Show what restoring an earlier version changes, and restore it on POST."""
    article = _get_article(model_admin, request, object_id)
    if not model_admin.has_view_or_change_permission(request, article):
        raise PermissionDenied
    version = get_object_or_404(Article.history.model, id=article.pk, history_id=unquote(version_id))
    can_revert = model_admin.has_change_permission(request, article)
    form = RevertForm(request.POST or None)
    if request.method == "POST":
        if not can_revert:
            raise PermissionDenied
        if form.is_valid():
            try:
                plan = revert_article(
                    article=article, version=version, user=signed_in(request.user), reason=form.cleaned_data["reason"]
                )
            except RevertError as exc:
                messages.error(request, str(exc))
            else:
                for note in plan.notes:
                    messages.warning(request, note)
                messages.success(
                    request,
                    _("“%(title)s” was reverted to the version of %(date)s.")
                    % {"title": article, "date": timezone.localtime(version.history_date).strftime("%Y-%m-%d %H:%M")},
                )
                return HttpResponseRedirect(article_change_url(article.pk))
    plan = plan_revert(article=article, version=version)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Revert “%(title)s” to an earlier version") % {"title": article},
        "opts": Article._meta,
        "original": article,
        "object": article,
        "version": version,
        "plan": plan,
        "form": form,
        "can_revert": can_revert,
        "history_url": reverse("admin:articles_article_history", args=[article.pk]),
        "change_url": article_change_url(article.pk),
    }
    return TemplateResponse(request, "admin/articles/article/revert.html", context)


def byline_history(article: Article) -> list[Any]:
    """Return the byline's history rows of ``article``, newest first, with their authors and users."""
    # Rows of the model django-simple-history makes at run time (no stubs): Any to mypy.
    rows = ArticleAuthor.history.filter(article_id=article.pk).select_related("history_user")
    rows = list(rows.order_by("-history_date", "-history_id")[:200])
    names = dict(Author.objects.filter(pk__in={row.author_id for row in rows}).values_list("pk", "name"))
    for row in rows:
        row.author_name = names.get(row.author_id, _("deleted author #%(id)s") % {"id": row.author_id})
    return rows


def imported_entry(article: Article) -> dict[str, Any] | None:
    """Describe, from its provenance, the import of an article that has no history row yet (unchanged since)."""
    if article.import_run_id is None or Article.history.filter(id=article.pk).exists():
        return None
    return {
        "run": article.import_run_id,
        "date": article.created_at,
        "url": reverse("admin:articles_importrun_change", args=[article.import_run_id]),
    }


# --- Import from the admin ----------------------------------------------------------


def import_upload_view(request: HttpRequest, model_admin: ModelAdmin[ImportRun]) -> HttpResponse:
    """Upload seed files (or zips of them) and queue their import; then go to the run's progress page.

    Routed as CSRF-exempt (``ImportRunAdmin.upload_view``) because the upload
    handlers must be replaced before anything reads the body; the CSRF check
    runs right after, in ``csrf_protect(_upload)``.
    """
    if not request.user.has_perm(RUN_IMPORT_PERMISSION):
        raise PermissionDenied
    # Before anything reads the body: files stream to the spool, capped in total and per seed.
    handler = uploads.SpoolUploadHandler(
        request,
        max_bytes=conf.max_upload_bytes(),
        max_seed_bytes=conf.max_seed_bytes(),
        directory=uploads.upload_dir(),
    )
    request.upload_handlers = [handler]
    try:
        return csrf_protect(_upload)(request, model_admin, handler)
    except TooManyFilesSent:
        form = SeedUploadForm(data={}, files={}, upload_error=too_many_files_message())
        return _render_upload(request, model_admin, form, status=400)
    finally:
        handler.discard()  # whatever the queued upload did not take: refused, invalid or forbidden


def _upload(
    request: HttpRequest, model_admin: ModelAdmin[ImportRun], handler: uploads.SpoolUploadHandler
) -> HttpResponse:
    if request.method != "POST":
        return _render_upload(request, model_admin, SeedUploadForm())
    form = SeedUploadForm(request.POST, request.FILES, upload_error=too_large_message() if handler.exceeded else "")
    if not form.is_valid():
        return _render_upload(request, model_admin, form)
    upload = uploads.enqueue_upload(
        files=[f.spooled for f in form.cleaned_data["files"]],
        token=handler.token,
        user=signed_in(request.user),
        dry_run=form.cleaned_data["dry_run"],
        replace_existing=form.cleaned_data["replace_existing"],
        defaults=form.defaults(),
    )
    handler.release()
    return HttpResponseRedirect(reverse("admin:articles_importrun_progress", args=[upload.run_id]))


def _render_upload(
    request: HttpRequest, model_admin: ModelAdmin[ImportRun], form: SeedUploadForm, status: int = 200
) -> HttpResponse:
    # AdminForm renders any form's fieldsets; its stubs ask for a ModelForm, which an upload is not.
    adminform = helpers.AdminForm(cast("forms.ModelForm[Any]", form), [(None, {"fields": list(form.fields)})], {})
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Import seed files"),
        "opts": ImportRun._meta,
        "form": form,
        "adminform": adminform,
        "max_seed_bytes": conf.max_seed_bytes(),
    }
    return TemplateResponse(request, "admin/articles/importrun/upload.html", context, status=status)


def _get_upload(request: HttpRequest, model_admin: ModelAdmin[ImportRun], object_id: str) -> ImportUpload:
    missing = Http404(_("No upload for import run %(id)s.") % {"id": object_id})
    try:
        run_id = int(unquote(object_id))
    except ValueError:
        raise missing from None
    upload = ImportUpload.objects.select_related("run").filter(run_id=run_id).first()
    if upload is None:
        raise missing
    if not model_admin.has_view_permission(request, upload.run):
        raise PermissionDenied
    return upload


def upload_progress_view(request: HttpRequest, model_admin: ModelAdmin[ImportRun], object_id: str) -> HttpResponse:
    """Show an upload's run: its live progress while it runs, each file's outcome once it is done."""
    upload = _get_upload(request, model_admin, object_id)
    run = upload.run
    status = uploads.upload_status(upload)
    outcomes = _stored_outcomes(run) if upload.is_finished else []
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Import #%(id)s") % {"id": run.pk},
        "opts": ImportRun._meta,
        "upload": upload,
        "run": run,
        "status": status,
        "summary": _summary(status) if upload.is_finished else "",
        "outcomes": outcomes,
        "hidden_outcomes": max(0, run.total - len(outcomes)) if upload.is_finished else 0,
        "status_url": reverse("admin:articles_importrun_progress_status", args=[run.pk]),
        "run_url": reverse("admin:articles_importrun_change", args=[run.pk]),
        "upload_url": reverse("admin:articles_importrun_upload"),
        "poll_ms": POLL_MS,
    }
    return TemplateResponse(request, "admin/articles/importrun/progress.html", context)


def upload_status_view(request: HttpRequest, model_admin: ModelAdmin[ImportRun], object_id: str) -> JsonResponse:
    """Return an upload's progress as JSON, for the progress page's script (never cached: ``admin_view``)."""
    return JsonResponse(uploads.upload_status(_get_upload(request, model_admin, object_id)))


def _summary(status: UploadStatus) -> str:
    counts = ", ".join(f"{count} {name}" for name, count in status["counts"].items())
    verb = _("Dry run of %(files)s") if status["dry_run"] else _("Imported %(files)s")
    files = ngettext("%(count)d file", "%(count)d files", status["processed"]) % {"count": status["processed"]}
    return f"{verb % {'files': files}}: {counts}."


def _stored_outcomes(run: ImportRun) -> list[dict[str, Any]]:
    """Return the first ``MAX_OUTCOME_ROWS`` outcomes of ``run`` as the results table shows them."""
    rows = list(
        ImportOutcome.objects.filter(run=run)
        .select_related("article")
        .only("path", "result", "error", "article__title", "article__review_reasons")
        .order_by("id")[:MAX_OUTCOME_ROWS]
    )
    return [
        {
            "path": row.path,
            "result": row.result,
            "error": row.error,
            "warnings": ", ".join(row.article.review_reasons) if row.article else "",
            "article_url": article_change_url(row.article.pk) if row.article else "",
            "article_id": row.article_id,
            "article_title": row.article.title if row.article else "",
        }
        for row in rows
    ]


def _article_titles(ids: list[int]) -> dict[int, str]:
    """Return the titles of the articles ``ids``, in one query."""
    return dict(Article.objects.filter(pk__in=ids).values_list("pk", "title")) if ids else {}


# --- Merging authors and publishers -----------------------------------------------------


def merge_action(
    model_admin: ModelAdmin[NamedEntity], request: HttpRequest, queryset: QuerySet[NamedEntity]
) -> HttpResponse | None:
    """Confirm a merge of the selected rows into the one the editor keeps, showing what moves; merge on confirm."""
    model = model_admin.model
    candidates = list(queryset.order_by("name", "pk")[: MAX_MERGE + 1])
    opts = model._meta
    if not 2 <= len(candidates) <= MAX_MERGE:
        messages.error(
            request,
            _("Select between two and %(max)d %(name)s to merge.")
            % {"max": MAX_MERGE, "name": opts.verbose_name_plural},
        )
        return None
    form = MergeForm(request.POST if "survivor" in request.POST else None, candidates=candidates)
    if form.is_bound and form.is_valid():
        survivor = next(obj for obj in candidates if obj.pk == form.cleaned_data["survivor"])
    else:
        survivor = _default_survivor(model, candidates)
        form = MergeForm(initial={"survivor": survivor.pk}, candidates=candidates)
    others = [obj for obj in candidates if obj.pk != survivor.pk]
    previewed = request.POST.get("previewed") == str(survivor.pk)
    # The confirm button posts its label as its value: its presence is the confirmation.
    confirmed = "confirm" in request.POST
    if confirmed and form.is_bound and previewed:
        try:
            merge = merging.merge_entities(survivor=survivor, others=others, user=request.user)
        except merging.MergeError as exc:
            messages.error(request, str(exc))
            return None
        messages.success(
            request,
            format_html(
                _(
                    "Merged {names} into “{survivor}” (merge #{id}). "
                    'It can be undone from <a href="{url}">the merge’s page</a>.'
                ),
                names=", ".join(f"“{obj}”" for obj in others),
                survivor=survivor,
                id=merge.pk,
                url=reverse("admin:articles_merge_change", args=[merge.pk]),
            ),
        )
        return HttpResponseRedirect(reverse(f"admin:articles_{opts.model_name}_change", args=[survivor.pk]))
    if confirmed and not previewed:
        messages.info(
            request, _("The preview now shows what keeping “%(name)s” does; confirm again.") % {"name": survivor}
        )
    try:
        preview = merging.preview_merge(survivor=survivor, others=others)
    except merging.MergeError as exc:
        messages.error(request, str(exc))
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Merge %(name)s") % {"name": opts.verbose_name_plural},
        "opts": opts,
        "form": form,
        "preview": preview,
        "survivor": survivor,
        "queryset": candidates,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action": request.POST.get("action", ""),
        "select_across": request.POST.get("select_across", "0"),
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/articles/merge_confirmation.html", context)


def _default_survivor(model: type[NamedEntity], candidates: list[NamedEntity]) -> NamedEntity:
    """Return the row most articles credit: the one an editor most likely keeps."""
    counts = dict(
        model._default_manager.filter(pk__in=[obj.pk for obj in candidates])
        .annotate(n=Count("articles"))
        .values_list("pk", "n")
    )
    return max(candidates, key=lambda obj: (counts.get(obj.pk, 0), -obj.pk))


def can_merge(request: HttpRequest, model: type[NamedEntity]) -> bool:
    """Tell whether the user may merge rows of ``model``: change the survivor, delete the others."""
    opts = model._meta
    return request.user.has_perm(f"articles.change_{opts.model_name}") and request.user.has_perm(
        f"articles.delete_{opts.model_name}"
    )


def can_undo(request: HttpRequest, merge: Merge) -> bool:
    """Tell whether the user may undo ``merge``: recreate the merged rows and change the survivor."""
    name = merging.entity_model(merge.kind)._meta.model_name
    return request.user.has_perm(f"articles.add_{name}") and request.user.has_perm(f"articles.change_{name}")


def undo_merge_view(request: HttpRequest, model_admin: ModelAdmin[Merge], object_id: str) -> HttpResponse:
    """Confirm, then undo a merge."""
    merge = model_admin.get_object(request, unquote(object_id))
    if merge is None:
        raise Http404(_("No merge with id %(id)s.") % {"id": object_id})
    if not can_undo(request, merge):
        raise PermissionDenied
    change_url = reverse("admin:articles_merge_change", args=[merge.pk])
    if merge.is_undone:
        messages.error(request, _("This merge was already undone."))
        return HttpResponseRedirect(change_url)
    if request.method == "POST":
        try:
            result = merging.undo_merge(merge=merge, user=request.user)
        except merging.UndoRefused as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(change_url)
        for note in result.skipped:
            messages.warning(request, note)
        restored = ", ".join(f"“{obj}”" for obj in result.restored)
        messages.success(request, _("Merge #%(id)s undone: %(names)s restored.") % {"id": merge.pk, "names": restored})
        if result.reattributed:
            titles = ", ".join(f"“{article.title}”" for article in result.reattributed)
            messages.info(request, _("Imported since the merge and credited back: %(titles)s.") % {"titles": titles})
        return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Undo merge #%(id)s") % {"id": merge.pk},
        "opts": Merge._meta,
        "merge": merge,
        "original": merge,
        "rows": merge.merged.get("rows", []),
        "change_url": change_url,
    }
    return TemplateResponse(request, "admin/articles/merge/undo_confirmation.html", context)


def merged_rows_display(merge: Merge) -> str:
    """Return the names a merge folded into its survivor."""
    return ", ".join(row.get("name", "?") for row in merge.merged.get("rows", [])) or "—"


def merge_snapshot_json(merge: Merge) -> str:
    return json.dumps(merge.merged, indent=2, ensure_ascii=False, sort_keys=True)


# --- Source revisions: how the story changed between imports ---------------------------


def source_revisions_view(request: HttpRequest, model_admin: ModelAdmin[Article], object_id: str) -> HttpResponse:
    """List the article's source revisions and show two of them side by side (``?old=&new=``)."""
    article = _get_article(model_admin, request, object_id)
    if not model_admin.has_view_or_change_permission(request, article):
        raise PermissionDenied
    found = revisions.revisions(article=article)
    new = _revision_choice(request, "new", len(found), default=len(found))
    old = _revision_choice(request, "old", len(found), default=max(new - 1, 1))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Source revisions of “%(title)s”") % {"title": article},
        "opts": Article._meta,
        "original": article,
        "revisions": found,
        "old": found[old - 1],
        "new": found[new - 1],
        "rows": revisions.side_by_side(old_text=found[old - 1].raw_text, new_text=found[new - 1].raw_text),
        "change_url": article_change_url(article.pk),
    }
    return TemplateResponse(request, "admin/articles/article/revisions.html", context)


def _revision_choice(request: HttpRequest, name: str, count: int, *, default: int) -> int:
    """Return the revision number the query string picks as ``name``, or ``default`` when absent or out of range."""
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= count else default
