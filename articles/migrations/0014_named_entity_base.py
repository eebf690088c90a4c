"""Migration: authors and publishers (and their aliases) share one abstract base; only help texts change."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_review_priority_import_defaults"),
    ]

    operations = [
        migrations.AlterField(
            model_name="author",
            name="name",
            field=models.CharField(help_text="Display name, as credited.", max_length=255, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="authoralias",
            name="name",
            field=models.CharField(
                help_text="The name as it appeared in a source.", max_length=255, verbose_name="name"
            ),
        ),
        migrations.AlterField(
            model_name="authoralias",
            name="slug",
            field=models.SlugField(
                help_text="The slug the importer derives from the name; resolves to the owner.",
                max_length=255,
                verbose_name="slug",
            ),
        ),
        migrations.AlterField(
            model_name="historicalauthor",
            name="name",
            field=models.CharField(help_text="Display name, as credited.", max_length=255, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="historicalpublisher",
            name="name",
            field=models.CharField(help_text="Display name, as credited.", max_length=255, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="publisher",
            name="name",
            field=models.CharField(help_text="Display name, as credited.", max_length=255, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="publisheralias",
            name="name",
            field=models.CharField(
                help_text="The name as it appeared in a source.", max_length=255, verbose_name="name"
            ),
        ),
        migrations.AlterField(
            model_name="publisheralias",
            name="slug",
            field=models.SlugField(
                help_text="The slug the importer derives from the name; resolves to the owner.",
                max_length=255,
                verbose_name="slug",
            ),
        ),
    ]
