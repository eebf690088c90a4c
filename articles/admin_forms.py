"""Forms of the editors' desk: seed upload, revert, import conflicts and merges."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The whole upload request, all files together; DATA_UPLOAD_MAX_MEMORY_SIZE does not cover files.
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    """Return the largest upload (all files together) the admin accepts."""
    return getattr(settings, "ARCHIVE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


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

    def clean(self, data, initial=None) -> list:
        clean_one = super().clean
        if not isinstance(data, list | tuple):
            return [clean_one(data, initial)]
        if not data and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [clean_one(item, initial) for item in data]


class SeedUploadForm(forms.Form):
    """Seed files (or zip archives of them) to run through the import service."""

    files = MultipleFileField(
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

    def __init__(self, *args, upload_error: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set when the upload was refused before the form saw it (too large, too many files).
        self.upload_error = upload_error
        if upload_error:
            self.fields["files"].required = False
        self.fields["files"].help_text = _(
            "Seed .txt files, or .zip archives of them. Each seed may be up to %(seed)s; "
            "the upload up to %(total)s in all."
        ) % {"seed": megabytes(settings.ARCHIVE_MAX_SEED_BYTES), "total": megabytes(max_upload_bytes())}

    def clean(self) -> dict:
        if self.upload_error:
            raise forms.ValidationError(self.upload_error, code="upload")
        return super().clean()


def too_large_message() -> str:
    return _("The upload is too large: the limit is %(total)s for all files together. Upload fewer files.") % {
        "total": megabytes(max_upload_bytes())
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


class MergeForm(forms.Form):
    """The survivor of a merge, chosen among the selected rows."""

    survivor = forms.TypedChoiceField(label=_("Keep"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(obj.pk, f"{obj.name} ({obj.slug})") for obj in candidates]


class ArticleAdminForm(forms.ModelForm):
    """The article change form, which saves exactly what the editor changed.

    Browsers send a textarea's line breaks as CRLF and the admin's date-time
    widget drops microseconds: left alone, every save would rewrite the body
    (reading as an editor's correction at the next import) and the
    publication date (noise in the history).
    """

    TEXT_FIELDS = ("title", "subtitle", "body", "image_credit")

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in self.TEXT_FIELDS:
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].replace("\r\n", "\n").replace("\r", "\n")
        published_at, current = cleaned.get("published_at"), self.instance.published_at
        if published_at and current and published_at == current.replace(microsecond=0):
            cleaned["published_at"] = current
        return cleaned
