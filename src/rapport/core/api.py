"""Authentication API: exchange email and password for a bearer token, list and revoke your tokens."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from rapport.core.apitypes import Cursor, Id, Limit, Text
from rapport.core.pagination import keyset_page
from rapport.core.services import (
    PermissionDenied,
    TwoFactorRequired,
    issue_token,
    list_tokens,
    refresh_token,
    revoke_token,
)

router = Router(tags=["auth"])


class TokenIn(Schema):
    email: Text(254)
    password: Text(200)
    workspace: Text(64) | None = None
    name: Text(100) = ""
    otp: Text(12) | None = None  # the current one-time code, for accounts with two-factor sign-in


class TokenOut(Schema):
    token: str
    workspace: str
    role: str


class TokenInfoOut(Schema):
    id: int
    prefix: str
    name: str
    workspace: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    current: bool


class TokenPage(Schema):
    items: list[TokenInfoOut]
    next_cursor: str | None


class ErrorOut(Schema):
    detail: str


class TokenQuery(Schema):
    limit: Limit = 50
    cursor: Cursor | None = None


@router.post("/token", auth=None, response={200: TokenOut, 401: ErrorOut, 429: ErrorOut})
def create_token(request: HttpRequest, payload: TokenIn):
    """Issue a bearer token for one of the user's workspaces (the first one unless `workspace` is given)."""
    try:
        raw, member = issue_token(
            email=payload.email,
            password=payload.password,
            workspace_slug=payload.workspace,
            name=payload.name,
            request=request,
            otp=payload.otp,
        )
    except TwoFactorRequired as exc:
        return Status(401, {"detail": str(exc)})
    except PermissionDenied:
        if getattr(request, "axes_locked_out", False):
            return Status(429, {"detail": "too many failed sign-ins: try again later"})
        return Status(401, {"detail": "wrong email, password or workspace"})
    return Status(200, {"token": raw, "workspace": member.workspace.slug, "role": member.role})


@router.post("/token/refresh", response={200: TokenOut})
def refresh_current_token(request: HttpRequest):
    """Exchange the token this call is made with for a new one with a fresh lifetime; the old one stops working."""
    raw = refresh_token(token=request.api_token, member=request.auth, actor=request.actor)
    return Status(200, {"token": raw, "workspace": request.auth.workspace.slug, "role": request.auth.role})


@router.delete("/token", response={204: None})
def revoke_current_token(request: HttpRequest):
    """Revoke the token this call is made with (sign out of the API)."""
    revoke_token(user=request.auth.user, token_id=request.api_token.pk, actor=request.actor, reason="signed out")
    return Status(204, None)


@router.get("/tokens", response=TokenPage)
def tokens(request: HttpRequest, query: Query[TokenQuery]):
    """Your live tokens in every workspace, newest first; the secret itself is never shown again."""
    rows, next_cursor = keyset_page(
        list_tokens(user=request.auth.user), fields=["id"], descending=True, limit=query.limit, cursor=query.cursor
    )
    items = [
        {
            "id": t.pk,
            "prefix": t.prefix,
            "name": t.name,
            "workspace": t.workspace.slug,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "expires_at": t.expires_at,
            "current": t.pk == request.api_token.pk,
        }
        for t in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut})
def revoke_one_token(request: HttpRequest, token_id: Id):
    """Revoke one of your own tokens; another user's token is 404."""
    if revoke_token(user=request.auth.user, token_id=token_id, actor=request.actor) is None:
        return Status(404, {"detail": "no such token"})
    return Status(204, None)
