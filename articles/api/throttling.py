"""Request-rate limits of the API, with rates read from settings at request time.

DRF's throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute when
``rest_framework.throttling`` is imported, so a changed setting (an
``override_settings`` in a test, say) would never reach them. These read the
setting on every request instead.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.settings import api_settings


def client_address(request: HttpRequest) -> str | None:
    """Return the client's IP address: ``REMOTE_ADDR``, or the one ``NUM_PROXIES`` trusted proxies forwarded.

    The one answer for the API's rate limits and the login lockout (django-axes'
    ``AXES_CLIENT_IP_CALLABLE``), so a client cannot be one address to one and another to the other.
    """
    address = throttling.BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        # Not an address (a proxy passing on junk): the peer is the only address known.
        return request.META.get("REMOTE_ADDR")


class SettingsRateMixin:
    """Take the scope's rate from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when the request comes in."""

    def get_ident(self, request: HttpRequest) -> str | None:
        return client_address(request)

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
