"""API tokens: a client trades a username and password for its token once, then sends ``Authorization: Token <key>``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import exceptions, renderers, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from articles.api.throttling import AuthRateThrottle
from articles.login_lockout import lockout_message, retry_after_seconds


class LoginLockedOut(exceptions.Throttled):
    """Too many failed logins for the account or from the address (django-axes): 429 with ``Retry-After``."""

    default_code = "login_locked"

    def __init__(self, request: Request) -> None:
        super().__init__(wait=retry_after_seconds(request))
        # Throttled's own detail would add "Expected available in N seconds", which may not hold.
        self.detail = exceptions.ErrorDetail(lockout_message(request), code=self.default_code)


@extend_schema_serializer(component_name="AuthToken")
class TokenRequestSerializer(AuthTokenSerializer):
    """A username and password; wrong ones (or an inactive user's) are a 401, a missing one a 400."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            validated: dict[str, Any] = super().validate(attrs)
        except serializers.ValidationError as exc:
            # Well-formed credentials that do not authenticate: a 401 (with WWW-Authenticate), not bad input.
            # (AuthTokenSerializer raises that one with a single message.)
            message = exc.detail[0] if isinstance(exc.detail, list) else exc.detail
            raise exceptions.AuthenticationFailed(message) from exc
        return validated


@extend_schema(
    tags=["auth"],
    summary="Obtain an API token",
    description=(
        "Send a username and password (JSON or form-encoded); get the user's token, the same one on every "
        "call. Send it as `Authorization: Token <key>` on later requests. Wrong credentials get 401, a missing "
        "or blank field 400. "
        "Requests are limited per client address to the `auth` rate (env `API_THROTTLE_AUTH`, default 10/min). "
        "Failed logins lock the account and the client address for a while, here as on the admin's and the "
        "browsable API's login (env `LOGIN_FAILURE_LIMIT` failures, `LOGIN_COOLOFF_MINUTES`): a locked-out "
        "request gets 429 with `Retry-After`, whatever the password."
    ),
    request=TokenRequestSerializer,
    responses={200: inline_serializer("Token", fields={"token": serializers.CharField(help_text="The API key.")})},
    # No authentication: drf-spectacular documents ``[{}]`` for it, though its types say a list of names.
    auth=[{}],  # type: ignore[list-item]
)
class ObtainTokenView(ObtainAuthToken):
    """Obtain the API token of a user from their username and password."""

    serializer_class = TokenRequestSerializer
    throttle_classes = [AuthRateThrottle]
    # The browsable API gives a form for it; the schema documents JSON only.
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except (serializers.ValidationError, exceptions.AuthenticationFailed):
            # django-axes marks the request it refused (DRF's Request, which the middleware never sees).
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut(request) from None
            raise
