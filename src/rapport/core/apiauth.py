"""Bearer-token authentication and role checks for the API."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from rapport.core.actors import Actor
from rapport.core.services import check_permission, resolve_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token fixes the workspace and role of the call."""

    def authenticate(self, request: HttpRequest, token: str):
        resolved = resolve_token(token)
        if resolved is None:
            return None
        api_token, member = resolved
        request.api_token = api_token  # type: ignore[attr-defined]
        request.workspace = member.workspace  # type: ignore[attr-defined]
        request.role = member.role  # type: ignore[attr-defined]
        request.actor = Actor.for_token(member.user, api_token.prefix)  # type: ignore[attr-defined]
        return member


def require(request: HttpRequest, permission: str) -> None:
    """Raise PermissionDenied (-> 403) unless the caller's role holds the permission."""
    check_permission(role=getattr(request, "role", None), permission=permission)
