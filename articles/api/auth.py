"""API tokens: a client trades a username and password for its token once, then sends ``Authorization: Token <key>``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from articles.api.throttling import AuthRateThrottle


@extend_schema(
    tags=["auth"],
    summary="Obtain an API token",
    description=(
        "Send a username and password (JSON or form-encoded); get the user's token, the same one on every "
        "call. Send it as `Authorization: Token <key>` on later requests. Wrong credentials get 400. "
        "Requests are limited per client address to the `auth` rate (env `API_THROTTLE_AUTH`, default 10/min)."
    ),
    request=AuthTokenSerializer,
    responses={200: inline_serializer("Token", fields={"token": serializers.CharField(help_text="The API key.")})},
    auth=[{}],
)
class ObtainTokenView(ObtainAuthToken):
    """Obtain the API token of a user from their username and password."""

    throttle_classes = [AuthRateThrottle]
    # The browsable API gives a form for it; the schema documents JSON only.
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer]
