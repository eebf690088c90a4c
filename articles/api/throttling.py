"""Request-rate limits of the API, with rates read from settings at request time.

DRF's throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute when
``rest_framework.throttling`` is imported, so a changed setting (an
``override_settings`` in a test, say) would never reach them. These read the
setting on every request instead.
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class SettingsRateMixin:
    """Take the scope's rate from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when the request comes in."""

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # the name DRF's throttles read
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Limit anonymous clients, by IP address, to the ``anon`` rate."""


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Limit each authenticated user (anonymous clients by IP address) to the ``user`` rate."""


class AuthRateThrottle(SettingsRateMixin, throttling.SimpleRateThrottle):
    """Limit credential checks, by IP address, to the stricter ``auth`` rate, to slow password guessing."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        # By address whoever is logged in: a guesser gains nothing from a session.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
