"""Saved searches: an article-list query a user follows (digest e-mail, webhook, feed by token)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import articles.models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0024_sample_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedSearch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="The owner's name for it, unique among theirs.", max_length=200, verbose_name="name"
                    ),
                ),
                (
                    "query",
                    models.CharField(
                        blank=True,
                        help_text="The article list's query string without '?', normalised (sorted keys; no paging, ordering or format parameters), e.g. 'language=en&publisher=guardian&q=otters'.",
                        max_length=2000,
                        verbose_name="query",
                    ),
                ),
                (
                    "email_digest",
                    models.BooleanField(
                        default=True,
                        help_text="E-mail the owner a digest of new matches after each run.",
                        verbose_name="e-mail digest",
                    ),
                ),
                (
                    "webhook_url",
                    models.URLField(
                        blank=True,
                        help_text="Where new matches are POSTed after each run; blank for none.",
                        max_length=2000,
                        verbose_name="webhook URL",
                    ),
                ),
                (
                    "webhook_secret",
                    models.CharField(
                        default=articles.models.new_webhook_secret,
                        help_text="The HMAC key that signs each webhook delivery; generated at creation.",
                        max_length=64,
                        verbose_name="webhook secret",
                    ),
                ),
                (
                    "webhook_paused_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When deliveries were paused after failing repeatedly; the owner clears it to resume.",
                        null=True,
                        verbose_name="webhook paused at",
                    ),
                ),
                (
                    "feed_token",
                    models.CharField(
                        default=articles.models.new_feed_token,
                        help_text="The unguessable part of the search's feed address (a feed reader cannot log in).",
                        max_length=43,
                        verbose_name="feed token",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, help_text="When it was created.", verbose_name="created at"
                    ),
                ),
                (
                    "updated_at",
                    models.DateTimeField(
                        auto_now=True, help_text="When it was last changed.", verbose_name="updated at"
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        help_text="The user who follows the search; only they see it in the API.",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_searches",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "saved search",
                "verbose_name_plural": "saved searches",
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("owner", "name"), name="articles_savedsearch_unique_name_per_owner"
                    ),
                    models.UniqueConstraint(fields=("feed_token",), name="articles_savedsearch_unique_feed_token"),
                ],
            },
        ),
    ]
