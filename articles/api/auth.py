"""API tokens: a client trades a username and password for its token once, then sends ``Authorization: Token <key>``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import exceptions, renderers, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from articles.api.throttling import AuthRateThrottle


@extend_schema_serializer(component_name="AuthToken")
class TokenRequestSerializer(AuthTokenSerializer):
    """A username and password; wrong ones (or an inactive user's) are a 401, a missing one a 400."""

    def validate(self, attrs: dict) -> dict:
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            # Well-formed credentials that do not authenticate: a 401 (with WWW-Authenticate), not bad input.
            raise exceptions.AuthenticationFailed(exc.detail[0]) from exc


@extend_schema(
    tags=["auth"],
    summary="Obtain an API token",
    description=(
        "Send a username and password (JSON or form-encoded); get the user's token, the same one on every "
        "call. Send it as `Authorization: Token <key>` on later requests. Wrong credentials get 401, a missing "
        "or blank field 400. "
        "Requests are limited per client address to the `auth` rate (env `API_THROTTLE_AUTH`, default 10/min)."
    ),
    request=TokenRequestSerializer,
    responses={200: inline_serializer("Token", fields={"token": serializers.CharField(help_text="The API key.")})},
    auth=[{}],
)
class ObtainTokenView(ObtainAuthToken):
    """Obtain the API token of a user from their username and password."""

    serializer_class = TokenRequestSerializer
    throttle_classes = [AuthRateThrottle]
    # The browsable API gives a form for it; the schema documents JSON only.
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer]
