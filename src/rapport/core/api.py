"""Authentication API: exchange email and password for a bearer token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rapport.core.apitypes import Text
from rapport.core.services import PermissionDenied, issue_token

router = Router(tags=["auth"])


class TokenIn(Schema):
    email: Text(254)
    password: Text(200)
    workspace: Text(64) | None = None


class TokenOut(Schema):
    token: str
    workspace: str
    role: str


class ErrorOut(Schema):
    detail: str


@router.post("/token", auth=None, response={200: TokenOut, 401: ErrorOut})
def create_token(request: HttpRequest, payload: TokenIn):
    """Issue a bearer token for one of the user's workspaces (the first one unless `workspace` is given)."""
    try:
        raw, member = issue_token(email=payload.email, password=payload.password, workspace_slug=payload.workspace)
    except PermissionDenied:
        return Status(401, {"detail": "wrong email, password or workspace"})
    return Status(200, {"token": raw, "workspace": member.workspace.slug, "role": member.role})
