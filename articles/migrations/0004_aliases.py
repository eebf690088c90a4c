"""Migration: author and publisher aliases left behind by merges."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_editors_group")]

    operations = []
