"""Migration: author and publisher aliases left behind by merges, and the merge records."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_editors_group"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthorAlias",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="The name as it appeared, e.g. 'J. Reporter'.", max_length=255, verbose_name="name"
                    ),
                ),
                (
                    "slug",
                    models.SlugField(
                        help_text="The slug the importer derives from the name; resolves to the author.",
                        max_length=255,
                        verbose_name="slug",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="aliases",
                        to="articles.author",
                        verbose_name="author",
                    ),
                ),
            ],
            options={
                "verbose_name": "author alias",
                "verbose_name_plural": "author aliases",
                "ordering": ["name", "id"],
                "constraints": [models.UniqueConstraint(fields=("slug",), name="articles_authoralias_unique_slug")],
            },
        ),
        migrations.CreateModel(
            name="Merge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("author", "authors"), ("publisher", "publishers")], max_length=20, verbose_name="kind"
                    ),
                ),
                (
                    "survivor_id",
                    models.BigIntegerField(
                        help_text="The author or publisher that was kept.", verbose_name="survivor id"
                    ),
                ),
                ("survivor_name", models.CharField(blank=True, max_length=255, verbose_name="survivor name")),
                (
                    "merged",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="Snapshot to undo the merge exactly: the merged rows, every byline or publisher moved, the aliases made.",
                        verbose_name="merged",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="merged at")),
                ("undone_at", models.DateTimeField(blank=True, null=True, verbose_name="undone at")),
                (
                    "undone_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="undone by",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="merged by",
                    ),
                ),
            ],
            options={
                "verbose_name": "merge",
                "verbose_name_plural": "merges",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["kind", "survivor_id"], name="merge_kind_survivor_idx")],
            },
        ),
        migrations.CreateModel(
            name="PublisherAlias",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="The name as it appeared, e.g. 'Blaze Media'.", max_length=255, verbose_name="name"
                    ),
                ),
                (
                    "slug",
                    models.SlugField(
                        help_text="The slug the importer derives from the name; resolves to the publisher.",
                        max_length=255,
                        verbose_name="slug",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "publisher",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="aliases",
                        to="articles.publisher",
                        verbose_name="publisher",
                    ),
                ),
            ],
            options={
                "verbose_name": "publisher alias",
                "verbose_name_plural": "publisher aliases",
                "ordering": ["name", "id"],
                "constraints": [models.UniqueConstraint(fields=("slug",), name="articles_publisheralias_unique_slug")],
            },
        ),
    ]
