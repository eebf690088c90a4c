"""Failed logins lock out the account and the client address for a while (django-axes).

Axes counts failed logins wherever ``django.contrib.auth.authenticate()`` is
called with the request: the admin's login form, the browsable API's login
form and the API's token endpoint. These are the pieces it is configured with
(``AXES_*`` in the settings): the answer a locked-out login form gets, and the
message the token endpoint's 429 carries.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

TEMPLATE = "registration/login_locked.html"


def cool_off(request: HttpRequest | None = None) -> dt.timedelta:
    """Return how long a lockout lasts after the failure that set it."""
    return get_cool_off(request) or dt.timedelta(0)


def retry_after_seconds(request: HttpRequest | None = None) -> int:
    """Return the ``Retry-After`` of a lockout: at most this long until the next attempt is heard."""
    return math.ceil(cool_off(request).total_seconds())


def lockout_message(request: HttpRequest | None = None) -> str:
    """Return what a locked-out client is told, with the limit and how long the lockout lasts."""
    minutes = max(1, math.ceil(cool_off(request).total_seconds() / 60))
    return _(
        "Too many failed logins for this account or from this address (%(limit)d within %(period)s): "
        "logging in is locked for up to %(period)s. Try again later, or ask an administrator to lift the lock."
    ) % {
        "limit": settings.AXES_FAILURE_LIMIT,
        "period": ngettext("%d minute", "%d minutes", minutes) % minutes,
    }


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """Answer a locked-out login form (``AXES_LOCKOUT_CALLABLE``): the lockout page, 429 with ``Retry-After``."""
    if request.accepts("text/html"):
        context = {
            **admin.site.each_context(request),
            "title": _("Login locked"),
            "message": lockout_message(request),
            "login_url": request.get_full_path(),
        }
        response = render(request, TEMPLATE, context, status=429)
    else:
        response = JsonResponse({"detail": lockout_message(request)}, status=429)
    response["Retry-After"] = str(retry_after_seconds(request))
    return response
