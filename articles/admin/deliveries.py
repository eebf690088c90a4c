"""The admin's list of saved-search deliveries: read only, as the task that sends them writes them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from articles.models import Delivery

# Every field, shown and read only: the task that sends a delivery writes it.
FIELDS: list[str] = [
    "uid",
    "saved_search",
    "kind",
    "event",
    "trigger",
    "import_run",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "response_status",
    "article_ids",
    "task_id",
    "created_at",
    "delivered_at",
]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    """Every e-mail digest and webhook POST, with its outcome; nobody edits them here."""

    list_display = ["uid", "saved_search", "kind", "event", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "kind", "event", "trigger"]
    list_select_related = ["saved_search"]
    search_fields = ["=uid", "saved_search__name", "saved_search__owner__username"]
    search_help_text = "A delivery's id, its search's name or its owner's username."
    show_full_result_count = False
    fields = [*FIELDS]
    readonly_fields = FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
