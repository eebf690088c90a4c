"""A realistic archive to back up, and a backend-neutral snapshot of every row to compare two databases by.

Both run in the test process (on the test database) and in subprocesses on
other databases (``python -c`` with ``DJANGO_SETTINGS_MODULE=tests.settings``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import models
from rest_framework.authtoken.models import Token

from articles import editing, importing, merging
from articles.models import Article, Author, Collection, ImportUpload, Merge, Publisher
from tests.conftest import SEED_FILE
from tests.seedtext import seed_text

# Never compared: transient state a backup leaves out on purpose (the outbox is checked empty instead).
NOT_COMPARED = {"articles.searchoutbox", "sessions.session", "django_tasks_database.dbtaskresult"}
# Models the built archive must hold rows of, or the comparison proves little.
MUST_HOLD = {
    "articles.article",
    "articles.articleauthor",
    "articles.author",
    "articles.publisher",
    "articles.authoralias",
    "articles.publisheralias",
    "articles.merge",
    "articles.sourcerevision",
    "articles.importrun",
    "articles.importoutcome",
    "articles.importupload",
    "articles.historicalarticle",
    "articles.historicalauthor",
    "articles.historicalpublisher",
    "articles.historicalarticleauthor",
    "articles.collection",
    "articles.collection_publishers",
    "articles.historicalcollection",
    "articles.historicalcollection_publishers",
    "auth.user",
    "auth.group",
    "auth.group_permissions",
    "auth.user_groups",
    "auth.user_user_permissions",
    "authtoken.token",
    "admin.logentry",
}


def build_archive(seed_dir: Path) -> None:
    """Fill the database as the archive's users would: imports, a re-import, edits, merges, an undo, accounts."""
    seed_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_FILE, seed_dir / SEED_FILE.name)
    _seed(seed_dir, "bridge.txt", title="Town council approves new bridge", author="Jane Reporter")
    _seed(seed_dir, "flood.txt", title="River floods the lower town", author="J. Reporter", publisher="Blaze Media")
    _seed(seed_dir, "draft/unicode.txt", title="Café crème — naïve façade ✓", author="Zoë Ünicode", year=2023)
    importing.import_paths(paths=[seed_dir])
    # A corrected file: its article is updated and the old source kept as a revision.
    _seed(seed_dir, "bridge.txt", title="Town council approves the new bridge", author="Jane Reporter")
    importing.import_paths(paths=[seed_dir])

    admin, editor = _accounts()
    _edit(editor)
    # Holding both Blaze publishers: the publisher merge below (undone, then done again) changes it.
    national = Collection.objects.create(name="National papers", slug="national", description="Lu partout ✓")
    national.publishers.set(Publisher.objects.filter(name__in=["Blaze Media LLC", "Blaze Media"]))
    merging.merge_entities(
        survivor=Author.objects.get(name="Jane Reporter"), others=[Author.objects.get(name="J. Reporter")], user=editor
    )
    merging.undo_merge(merge=_merge_publishers(admin), user=admin)
    _merge_publishers(admin)
    run = importing.import_paths(paths=[seed_dir / "flood.txt"]).run_id
    ImportUpload.objects.create(
        run_id=run, token=uuid.uuid4().hex, files=[{"name": "flood.txt", "size": 1}], state="done"
    )
    article = Article.objects.get(source_key="flood.txt")
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Article),
        object_id=str(article.pk),
        object_repr=str(article)[:200],
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Title"]}}]',
    )


def _merge_publishers(user: User) -> Merge:
    return merging.merge_entities(
        survivor=Publisher.objects.get(name="Blaze Media LLC"),
        others=[Publisher.objects.get(name="Blaze Media")],
        user=user,
    )


def _seed(directory: Path, name: str, **parts) -> None:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed_text(**parts), encoding="utf-8")


def _accounts() -> tuple[User, User]:
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw-admin-for-tests")
    editor = User.objects.create_user("editor", "editor@example.com", "pw-editor-for-tests", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    reporters = Group.objects.create(name="Reporters")
    reporters.permissions.add(Permission.objects.get(codename="view_article"))
    editor.groups.add(reporters)
    editor.user_permissions.add(Permission.objects.get(codename="add_publisher"))
    Token.objects.create(user=editor)
    return admin, editor


def _edit(editor: User) -> None:
    article = Article.objects.get(source_key="bridge.txt")
    published = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    editing.update_article(
        article=article,
        data={"title": "Bridge approved", "status": "published", "published_at": published},
        user=editor,
    )
    draft = Article.objects.get(source_key="draft/unicode.txt")
    editing.update_article(article=draft, data={"status": "draft", "body": "Édité.\n\nDeux."}, user=editor)
    editing.update_named(obj=Author.objects.get(name="Zoë Ünicode"), data={"bio": "Écrit ✓"}, user=editor)


# --- Comparing ---------------------------------------------------------------------------------


def compared_models() -> list[type[models.Model]]:
    """Every concrete model of every installed app, but the transient ones."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in NOT_COMPARED
    ]


def snapshot() -> dict[str, list]:
    """Return every row of every compared model, by label, in a form that does not depend on the backend.

    Content types and permissions are compared by natural key, and so is every
    reference to them: ``migrate`` numbers them differently in each database.
    """
    result = {}
    for model in compared_models():
        fields = model._meta.concrete_fields
        rows = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
        natural = model in (ContentType, Permission)
        values = [
            [_plain(f, value) for f, value in zip(fields, row, strict=True) if not (natural and f.primary_key)]
            for row in rows
        ]
        result[model._meta.label_lower] = sorted(values, key=json.dumps) if natural else values
    return result


def _plain(f: models.Field, value: Any) -> Any:
    if value is not None and f.is_relation and f.related_model is ContentType:
        return list(ContentType.objects.filter(pk=value).values_list("app_label", "model").get())
    if value is not None and f.is_relation and f.related_model is Permission:
        return list(Permission.objects.filter(pk=value).values_list("content_type__app_label", "codename").get())
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, dt.timedelta, bytes, memoryview)):
        return repr(value)
    return value


def write_snapshot(path: str) -> None:
    """Write ``snapshot()`` and the search outbox's row count to ``path`` as JSON (for the subprocesses)."""
    from articles.models import SearchOutbox

    data = {"rows": snapshot(), "outbox": SearchOutbox.objects.count()}
    Path(path).write_text(json.dumps(data, sort_keys=True, ensure_ascii=False), encoding="utf-8")
