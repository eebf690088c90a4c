"""Article.sample_key, the random order ``ordering=random`` walks: existing rows get random keys, in batches."""

import secrets

from django.db import migrations, models

import articles.models

BATCH = 2000


def fill_sample_keys(apps, schema_editor):
    """Give every existing article its own random key (the column was added with one value for all)."""
    Article = apps.get_model("articles", "Article")
    db = schema_editor.connection.alias
    last = 0
    while ids := list(
        Article.objects.using(db).filter(id__gt=last).order_by("id").values_list("id", flat=True)[:BATCH]
    ):
        rows = [Article(id=pk, sample_key=secrets.randbits(articles.models.SAMPLE_KEY_BITS)) for pk in ids]
        Article.objects.using(db).bulk_update(rows, ["sample_key"], batch_size=500)
        last = ids[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0023_takedowns"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="sample_key",
            field=models.IntegerField(
                default=articles.models.new_sample_key,
                editable=False,
                help_text="A random number drawn when the article is created; the API's random ordering (ordering=random) lists articles by it, starting where the seed says.",
                verbose_name="sample key",
            ),
        ),
        migrations.RunPython(fill_sample_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["status", "sample_key", "id"], name="article_status_sample_idx"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["sample_key", "id"], name="article_sample_idx"),
        ),
    ]
