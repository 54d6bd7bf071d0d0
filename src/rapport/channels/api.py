"""Channels API: the workspace's accounts on the networks (credentials are write-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rapport.channels import services
from rapport.channels.models import Channel
from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Limit, Text
from rapport.core.pagination import keyset_page

router = Router(tags=["channels"])


class ChannelOut(Schema):
    id: int
    network: str
    handle: str
    name: str
    external_id: str
    active: bool
    webhook_path: str | None
    has_credentials: bool
    last_error: str | None
    last_error_at: datetime | None
    created_at: datetime


class ChannelIn(Schema):
    network: Text(16)
    handle: Text(200)
    name: Text(200) = ""
    external_id: Text(200) = ""
    credentials: dict[str, Text(500)] | None = None
    config: dict[str, Any] | None = None


def _out(channel: Channel, *, admin: bool) -> dict:
    return {
        "id": channel.pk,
        "network": channel.network,
        "handle": channel.handle,
        "name": channel.name,
        "external_id": channel.external_id,
        "active": channel.active,
        "created_at": channel.created_at,
        "webhook_path": services.webhook_path(channel) if admin else None,  # the path is a secret, like a token
        "has_credentials": bool(channel.credentials_encrypted),
        "last_error": channel.last_error if admin else None,  # may name internal hosts
        "last_error_at": channel.last_error_at,
    }


class ChannelPage(Schema):
    items: list[ChannelOut]
    next_cursor: str | None


@router.get("", response=ChannelPage)
def list_channels(request: HttpRequest, limit: Limit = 50, cursor: Cursor | None = None):
    """The workspace's channels (network, handle); the care inbox answers on these. Paged like every list."""
    require(request, "listening.view")
    admin = request.role == "admin"
    rows, next_cursor = keyset_page(
        Channel.objects.filter(workspace=request.workspace), fields=["id"], descending=False, limit=limit, cursor=cursor
    )
    return {"items": [_out(c, admin=admin) for c in rows], "next_cursor": next_cursor}


@router.post("", response={201: ChannelOut})
def upsert_channel(request: HttpRequest, payload: ChannelIn):
    """Create or update a channel by (network, handle); config checked per network, credentials write-only."""
    require(request, "channels.manage")
    channel = services.upsert_channel(workspace=request.workspace, actor=request.actor, **payload.dict())
    return Status(201, _out(channel, admin=True))
