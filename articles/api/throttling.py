"""Request-rate limits of the API, with rates read from settings at request time.

DRF's throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute when
``rest_framework.throttling`` is imported, so a changed setting (an
``override_settings`` in a test, say) would never reach them. These read the
setting on every request instead.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

    _ThrottleBase = throttling.SimpleRateThrottle
else:
    _ThrottleBase = object


def client_address(request: HttpRequest | Request) -> str | None:
    """Return the client's IP address: ``REMOTE_ADDR``, or the one ``NUM_PROXIES`` trusted proxies forwarded.

    The one answer for the API's rate limits and the login lockout (django-axes'
    ``AXES_CLIENT_IP_CALLABLE``), so a client cannot be one address to one and another to the other.
    """
    # DRF's stubs want its Request; get_ident reads only ``META``, which Django's request has as well.
    address = throttling.BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        # Not an address (a proxy passing on junk): the peer is the only address known.
        return request.META.get("REMOTE_ADDR")


class SettingsRateMixin(_ThrottleBase):
    """Take the scope's rate from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when the request comes in."""

    # DRF's stubs say str; its own get_ident returns REMOTE_ADDR too, which a request may lack.
    def get_ident(self, request: Request) -> str | None:  # type: ignore[override]
        return client_address(request)

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # type: ignore[override]  # the name DRF's throttles read
        # DRF's stubs type the setting's rates as numbers; DRF parses them as "10/min" strings.
        return api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[return-value]


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Limit anonymous clients, by IP address, to the ``anon`` rate."""


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Limit each authenticated user (anonymous clients by IP address) to the ``user`` rate."""


class AuthRateThrottle(SettingsRateMixin, throttling.SimpleRateThrottle):
    """Limit credential checks, by IP address, to the stricter ``auth`` rate, to slow password guessing."""

    scope = "auth"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        # By address whoever is logged in: a guesser gains nothing from a session.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
