"""Migration: a partial index for the review queue; Editors may work with aliases and merges."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

EDITORS_GROUP = "Editors"
# Merges are made and undone through the admin, so editors need these on top of 0003's.
MERGE_PERMISSIONS = [
    ("authoralias", ["view", "add", "change", "delete"]),
    ("publisheralias", ["view", "add", "change", "delete"]),
    ("merge", ["view", "add", "change"]),
]


def codenames() -> list[str]:
    return [f"{action}_{model}" for model, actions in MERGE_PERMISSIONS for action in actions]


def grant(apps, schema_editor):
    """Give the Editors group the alias and merge permissions, creating them first."""
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("articles"), apps=apps, verbosity=0, using=alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(alias).get_or_create(name=EDITORS_GROUP)
    wanted = codenames()
    permissions = list(Permission.objects.using(alias).filter(content_type__app_label="articles", codename__in=wanted))
    if missing := set(wanted) - {p.codename for p in permissions}:
        raise RuntimeError(f"Permissions missing for the Editors group: {sorted(missing)}")
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    """Take the alias and merge permissions back from the Editors group."""
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(alias).filter(name=EDITORS_GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.using(alias).filter(codename__in=codenames()))


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_aliases")]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("needs_review", True)),
                fields=["-created_at", "-id"],
                name="article_review_queue_idx",
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
