"""Migration: take back from Editors the permissions 0005 granted that no code checks.

Aliases are shown read-only inside their author or publisher, under that model's
view permission, and are only ever written by merges; a merge record is made by
merging (``change`` and ``delete`` on the merged model) and closed by undoing it
(``add`` and ``change`` on it). So ``*_authoralias``, ``*_publisheralias``,
``add_merge`` and ``change_merge`` granted nothing; ``view_merge`` (the merge list)
stays.
"""

from django.db import migrations

EDITORS_GROUP = "Editors"
UNCHECKED_PERMISSIONS = [
    ("authoralias", ["view", "add", "change", "delete"]),
    ("publisheralias", ["view", "add", "change", "delete"]),
    ("merge", ["add", "change"]),
]


def codenames() -> list[str]:
    return [f"{action}_{model}" for model, actions in UNCHECKED_PERMISSIONS for action in actions]


def permissions(apps, alias: str):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.using(alias).filter(content_type__app_label="articles", codename__in=codenames())


def revoke(apps, schema_editor):
    """Take the unchecked permissions from the Editors group."""
    alias = schema_editor.connection.alias
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name=EDITORS_GROUP).first()
    if group is not None:
        group.permissions.remove(*permissions(apps, alias))


def grant(apps, schema_editor):
    """Give them back, as 0005 left them."""
    alias = schema_editor.connection.alias
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name=EDITORS_GROUP).first()
    if group is not None:
        group.permissions.add(*permissions(apps, alias))


class Migration(migrations.Migration):
    dependencies = [("articles", "0014_named_entity_base")]

    operations = [migrations.RunPython(revoke, grant)]
