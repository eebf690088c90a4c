"""Who may do what through the API: everybody reads, editors write what their model permissions allow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ModelPermissionsOrAnonReadOnly(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Reads for everybody; a write needs the model's add, change or delete permission.

    A method the endpoint does not offer at all (``DELETE`` of an article, say)
    passes here so that everybody gets the same 405, not a 401 or 403 that
    suggests the right credentials would make it work.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method not in view.allowed_methods:
            return True
        return super().has_permission(request, view)
