"""Forms of the editors' desk: seed upload, revert, import conflicts, merges and boilerplate lines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.http import QueryDict
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from articles import boilerplate, conf, editing, saved_searches
from articles.importing.defaults import ImportDefaults, InvalidDefaults, checked_name
from articles.models import Article, Author, NamedEntity, Publisher, PublisherBoilerplate, SavedSearch
from articles.parsing import MAX_NAME_LENGTH, boilerplate_key

# The hidden field of the article form holding what the article was when the form was opened.
EDIT_VERSION_FIELD = "edit_version"
BYLINE = "byline"
# Values too long to quote in a conflict message; the field is named all the same.
UNQUOTED_FIELDS = frozenset({"body"})


def megabytes(size: int) -> str:
    """Return a size for people: "5 MB", "2,000 bytes"."""
    if size < 1024 * 1024:
        return f"{size:,} bytes"
    return f"{size / (1024 * 1024):.3g} MB"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files at once."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        clean_one = super().clean
        if not isinstance(data, list | tuple):
            return [clean_one(data, initial)]
        if not data and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [clean_one(item, initial) for item in data]


class SeedUploadForm(forms.Form):
    """Seed files (or zip archives of them) to run through the import service."""

    # The form's metaclass moves declared fields into base_fields, so this does not shadow BaseForm.files
    # (the uploaded files) at runtime; django-stubs cannot express that and sees the two collide.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Seed files"),
        # An empty seed is the importer's to report ("empty file"), like on the command line.
        allow_empty_file=True,
        widget=MultipleFileInput(attrs={"accept": ".txt,.zip,text/plain,application/zip"}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: parse and report, save nothing"),
        required=False,
    )
    replace_existing = forms.BooleanField(
        label=_("Update articles imported earlier from a file of the same name"),
        help_text=_(
            "Leave unticked unless these files are corrected versions: two unrelated files can share a name "
            "such as story.txt, and a replaced article takes the new file's text (its old text stays in history)."
        ),
        required=False,
    )
    publisher = forms.CharField(
        label=_("Publisher of files without a copyright line"),
        max_length=MAX_NAME_LENGTH,
        required=False,
        help_text=_(
            "For plain title + body files: they get this publisher and are not queued for review for lacking a "
            "publisher or an author. A file's own copyright holder wins."
        ),
    )
    author = forms.CharField(
        label=_("Author of files without a byline"),
        max_length=MAX_NAME_LENGTH,
        required=False,
        help_text=_("A file's own byline wins."),
    )

    def __init__(self, *args: Any, upload_error: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set when the upload was refused before the form saw it (too large, too many files).
        self.upload_error = upload_error
        if upload_error:
            self.fields["files"].required = False
        self.fields["files"].help_text = _(
            "Seed .txt files, or .zip archives of them. Each seed may be up to %(seed)s; "
            "the upload up to %(total)s in all."
        ) % {"seed": megabytes(conf.max_seed_bytes()), "total": megabytes(conf.max_upload_bytes())}

    def clean(self) -> dict[str, Any] | None:
        if self.upload_error:
            raise forms.ValidationError(self.upload_error, code="upload")
        return super().clean()

    def clean_publisher(self) -> str:
        return _supplied_name(self.cleaned_data["publisher"], "publisher")

    def clean_author(self) -> str:
        return _supplied_name(self.cleaned_data["author"], "author")

    def defaults(self) -> ImportDefaults:
        """Return the publisher and author the upload supplies (the import service's ``defaults``)."""
        return ImportDefaults(publisher=self.cleaned_data["publisher"], author=self.cleaned_data["author"])


def _supplied_name(name: str, what: str) -> str:
    try:
        return checked_name(name, what)
    except InvalidDefaults as exc:
        raise forms.ValidationError(str(exc).capitalize() + ".", code="invalid") from exc


def too_large_message() -> str:
    return _("The upload is too large: the limit is %(total)s for all files together. Upload fewer files.") % {
        "total": megabytes(conf.max_upload_bytes())
    }


def too_many_files_message() -> str:
    return _("Too many files: at most %(count)s per upload. Put them in a .zip archive instead.") % {
        "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES
    }


class RevertForm(forms.Form):
    """Why an editor restores an earlier version; recorded in the history."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=60,
        required=False,
        help_text=_("Recorded in the article's history with the revert, e.g. 'wrong subtitle'."),
    )


class ConflictForm(forms.Form):
    """An editor's choice for one import conflict."""

    CHOICES = [("parsed", _("Accept the parsed value")), ("editor", _("Keep the editor's value"))]

    choice = forms.ChoiceField(choices=CHOICES)


class DuplicateForm(forms.Form):
    """An editor's decision on a possible duplicate: keep both articles, or withdraw the copy."""

    CHOICES = [("keep", _("Keep both")), ("withdraw", _("Withdraw this copy"))]

    choice = forms.ChoiceField(choices=CHOICES)


class MergeForm(forms.Form):
    """The survivor of a merge, chosen among the selected rows."""

    survivor = forms.TypedChoiceField(label=_("Keep"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, candidates: Iterable[NamedEntity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survivor = self.fields["survivor"]
        assert isinstance(survivor, forms.TypedChoiceField), "declared above"
        survivor.choices = [(obj.pk, f"{obj.name} ({obj.slug})") for obj in candidates]


def fingerprints(article: Article, fields: Iterable[str]) -> dict[str, str]:
    """Return a short hash of the stored value of each of ``fields`` and of the byline (author ids in order)."""
    values: dict[str, object] = {name: _stored_value(article, name) for name in fields}
    values[BYLINE] = list(article.bylines.order_by("position", "id").values_list("author_id", flat=True))
    return {name: hashlib.sha256(repr(value).encode()).hexdigest()[:16] for name, value in values.items()}


def _stored_value(article: Article, name: str) -> str:
    """Return the stored value of the article's field ``name`` as a string."""
    field = Article._meta.get_field(name)
    assert isinstance(field, models.Field), "a form edits the model's own fields, never a reverse relation"
    return field.value_to_string(article)


class ArticleAdminForm(forms.ModelForm[Article]):
    """The article change form, which saves exactly what the editor changed, and only over what they saw.

    Browsers send a textarea's line breaks as CRLF and the admin's date-time
    widget drops microseconds: left alone, every save would rewrite the body
    (reading as an editor's correction at the next import) and the
    publication date (noise in the history).

    A hidden field carries a hash of each field (and of the byline) as the
    form was opened; a save finding any of them changed since (another
    editor, an import, an API edit) is refused with the fields named, the
    editor's input kept.
    """

    TEXT_FIELDS = ("title", "subtitle", "body", "image_credit")

    edit_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.content_fields():
            # A view-only form edits nothing: nothing to protect.
            del self.fields[EDIT_VERSION_FIELD]
        elif self.instance.pk is not None:
            self.initial[EDIT_VERSION_FIELD] = json.dumps(fingerprints(self.instance, self.content_fields()))

    def content_fields(self) -> list[str]:
        """Return the article fields this form edits."""
        return [name for name in self.fields if name != EDIT_VERSION_FIELD]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what BaseModelForm.clean() returns; its stub allows an override's None
        for name in self.TEXT_FIELDS:
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].replace("\r\n", "\n").replace("\r", "\n")
        for name in ("published_at", "original_published_at", "original_updated_at", "embargo_until"):
            # The form shows whole seconds: an untouched date keeps its stored microseconds.
            value, current = cleaned.get(name), getattr(self.instance, name)
            if value and current and value == current.replace(microsecond=0):
                cleaned[name] = current
        if self.instance.pk is not None and EDIT_VERSION_FIELD in self.fields:
            self.check_unchanged_since_opened()
        if self.instance.pk is not None and not self.errors:
            try:
                # The rules the save (editing.update_article) applies: form errors, and the values
                # it implies (a date for an article being published), which the model's checks need.
                cleaned.update(editing.check_article_change(article=self.instance, data=self.edited_data()))
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned

    def edited_data(self) -> dict[str, Any]:
        """Return the changes this form makes, in ``editing.update_article``'s terms."""
        editable = [name for name in self.changed_data if name in editing.ARTICLE_FIELDS]
        return {name: self.cleaned_data[name] for name in editable if name in self.cleaned_data}

    def check_unchanged_since_opened(self) -> None:
        """Refuse the save if the article changed since the form was opened, naming what changed."""
        opened = self.opened_version()
        # Locked until the admin's transaction ends, so nothing changes between this check and the save.
        stored = Article.objects.select_for_update().get(pk=self.instance.pk)
        now = fingerprints(stored, self.content_fields())
        changed = [name for name in now if opened.get(name) != now[name]]
        if not changed:
            return
        # The form shown again carries the version seen now: saving it again keeps this editor's values.
        # cast: the admin binds this form to request.POST, a QueryDict; the stubs type form data as any Mapping.
        self.data = cast(QueryDict, self.data).copy()
        self.data[self.add_prefix(EDIT_VERSION_FIELD)] = json.dumps(now)
        raise forms.ValidationError(self.conflict_message(stored, changed), code="edit_conflict")

    def opened_version(self) -> dict[str, str]:
        """Return the fingerprints the form was opened with; a form without them is refused."""
        try:
            opened = json.loads(self.data.get(self.add_prefix(EDIT_VERSION_FIELD)) or "")
        except ValueError:
            opened = None
        if not isinstance(opened, dict):
            raise forms.ValidationError(
                _("This form does not say which version of the article it was opened at: reload the page."),
                code="edit_version_missing",
            )
        return opened

    def conflict_message(self, stored: Article, changed: list[str]) -> str:
        """Say which fields changed since the form was opened, with their values now."""
        parts = [self.describe_change(stored, name) for name in changed]
        return _(
            "Someone else changed this article since you opened it: %(fields)s. Nothing was saved; your changes "
            "are still in the form below. Check them against the current version, then save again to keep yours."
        ) % {"fields": "; ".join(parts)}

    def describe_change(self, stored: Article, name: str) -> str:
        """Return a changed field's label with its value now (short values only)."""
        if name == BYLINE:
            authors = ", ".join(b.author.name for b in stored.bylines.select_related("author").order_by("position"))
            return _("%(field)s (now “%(value)s”)") % {"field": _("Byline"), "value": authors or "—"}
        label = self.fields[name].label or name
        if name in UNQUOTED_FIELDS:
            return str(label)
        value = getattr(stored, name)
        shown = Truncator("" if value is None else str(value)).chars(80)
        return _("%(field)s (now “%(value)s”)") % {"field": label, "value": shown or "—"}


def byline_authors(formset: BaseInlineFormSet[Any, Any, Any]) -> list[Author]:
    """Return the authors of a byline inline's valid forms in position order, left out the deleted ones."""
    rows = [
        (form.cleaned_data["position"], i, form.cleaned_data["author"])
        for i, form in enumerate(formset.forms)
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("author")
    ]
    return [author for _position, _i, author in sorted(rows, key=lambda row: row[:2])]


def describe_unsaved(formset: BaseInlineFormSet[Any, Any, Any]) -> None:
    """Give an inline formset written by a service the lists ``save()`` leaves, for the admin's change message."""
    deleted = set(formset.deleted_forms) if formset.can_delete else set()
    initial = formset.initial_forms
    formset.deleted_objects = [form.instance for form in deleted if form.instance.pk]
    formset.changed_objects = [
        (form.instance, form.changed_data) for form in initial if form not in deleted and form.has_changed()
    ]
    formset.new_objects = [form.instance for form in formset.extra_forms if form.has_changed() and form not in deleted]


class BoilerplateLineForm(forms.ModelForm[PublisherBoilerplate]):
    """A publisher's boilerplate line: refuses a line the publisher has already (compared as the importer does)."""

    class Meta:
        model = PublisherBoilerplate
        fields = ["publisher", "text", "enabled"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseModelForm.clean() returns; its stub allows an override's None
        publisher = data.get("publisher") or getattr(self.instance, "publisher", None)
        text = data.get("text")
        if publisher is None or not text:
            return data
        if not boilerplate_key(text):
            self.add_error("text", _("A boilerplate line needs some text."))
        elif boilerplate.line_taken(publisher=publisher, text=text, exclude_pk=self.instance.pk):
            self.add_error("text", _("%(publisher)s has this line already.") % {"publisher": publisher})
        return data


class BoilerplateLineFormSet(BaseInlineFormSet[PublisherBoilerplate, Publisher, forms.ModelForm[PublisherBoilerplate]]):
    """The lines of one publisher: the same line twice in one save is refused too."""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            # Marked for deletion: what Django's private BaseFormSet._should_delete_form() reads.
            if not form.is_valid() or form.cleaned_data.get(DELETION_FIELD_NAME):
                continue
            text = form.cleaned_data.get("text")
            if not text:
                continue
            if (key := boilerplate_key(text)) in seen:
                form.add_error("text", _("This line is listed twice."))
            seen.add(key)


class SavedSearchAdminForm(forms.ModelForm[SavedSearch]):
    """A saved search, checked by the service as the API checks it (the query normalised on the way)."""

    # Declared for ``assume_scheme``: a webhook typed without a scheme is https (Django 6's default too).
    webhook_url = forms.URLField(
        label=_("webhook URL"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=SavedSearch._meta.get_field("webhook_url").help_text,
    )

    class Meta:
        model = SavedSearch
        fields = ["owner", "name", "query", "email_digest", "webhook_url"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseModelForm.clean() returns; its stub allows an override's None
        owner = data.get("owner") or getattr(self.instance, "owner", None)
        if owner is None or any(name in self.errors for name in self.Meta.fields):
            return data
        # As the service's update: an unchanged webhook is not looked up again.
        webhook_url = data.get("webhook_url", "")
        try:
            fields = saved_searches.checked(
                owner=owner,
                name=data.get("name", ""),
                query=data.get("query", ""),
                email_digest=bool(data.get("email_digest")),
                webhook_url="" if webhook_url == self.instance.webhook_url else webhook_url,
                pk=self.instance.pk,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        else:
            data["query"] = fields.query
        return data


class WithdrawActionForm(helpers.ActionForm):
    """The change list's action bar, with the reason the withdraw action records (consumers' staff see it)."""

    reason = forms.CharField(
        label=_("Reason (withdraw)"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("reason for withdrawing"), "size": 30}),
    )
