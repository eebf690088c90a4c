"""Migration: the Editors group with the model permissions editors need."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_GROUP = "Editors"
# (model, actions): what editors may do. Not users or groups: that stays with superusers.
EDITOR_PERMISSIONS = [
    ("article", ["view", "change"]),
    ("author", ["view", "add", "change", "delete"]),
    ("publisher", ["view", "add", "change", "delete"]),
    ("articleauthor", ["view", "add", "change", "delete"]),
    ("importrun", ["view"]),
    ("importoutcome", ["view"]),
    ("sourcerevision", ["view"]),
]
EXTRA_CODENAMES = ["run_import"]


def editor_codenames() -> list[str]:
    """Return the codenames of every permission the Editors group holds."""
    codenames = [f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS for action in actions]
    return codenames + EXTRA_CODENAMES


def create_editors_group(apps, schema_editor):
    """Create the Editors group with its permissions (creating the permissions first)."""
    alias = schema_editor.connection.alias
    # Permissions are normally created after all migrations (post_migrate); make them now,
    # from the historical models, so a fresh database gets a populated group.
    create_permissions(global_apps.get_app_config("articles"), apps=apps, verbosity=0, using=alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = editor_codenames()
    permissions = list(Permission.objects.using(alias).filter(content_type__app_label="articles", codename__in=wanted))
    missing = set(wanted) - {p.codename for p in permissions}
    if missing:
        raise RuntimeError(f"Permissions missing for the Editors group: {sorted(missing)}")
    group, _ = Group.objects.using(alias).get_or_create(name=EDITORS_GROUP)
    group.permissions.add(*permissions)


def delete_editors_group(apps, schema_editor):
    """Delete the Editors group (its members keep their accounts)."""
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=EDITORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_search"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="importrun",
            options={
                "ordering": ["-started_at", "-id"],
                "permissions": [("run_import", "Can import seed files")],
                "verbose_name": "import run",
                "verbose_name_plural": "import runs",
            },
        ),
        migrations.RunPython(create_editors_group, delete_editors_group),
    ]
