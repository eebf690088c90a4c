"""Who made a change and why, for the history row django-simple-history writes next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db.models import Model


def attribute_change(instance: Model, *, user: AbstractBaseUser | None = None, reason: str | None = None) -> None:
    """Name ``user`` and ``reason`` in ``instance``'s next history row.

    Without a user the history falls back to the request's user (the
    ``HistoryRequestMiddleware``), so a service called from a view records who
    asked without being told.
    """
    if user is not None:
        # django-simple-history reads these private attributes; no model declares them.
        instance._history_user = user  # type: ignore[attr-defined]
    if reason is not None:
        instance._change_reason = reason  # type: ignore[attr-defined]


def signed_in(user: User | AnonymousUser | None) -> User | None:
    """Return ``user`` if it is a saved, signed-in user, else None: a request's user as history and merges record it."""
    return user if isinstance(user, User) and user.is_authenticated and user.pk else None
