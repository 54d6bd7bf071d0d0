"""Channel services: create channels with encrypted credentials, and the secrets each webhook checks."""

from __future__ import annotations

from django.db import transaction

from rapport.channels.models import Channel
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.core.services import record_audit

# What each network's webhook needs from the credentials (names as the networks' developer consoles call them).
SECRETS: dict[str, tuple[str, ...]] = {
    "facebook": ("app_secret", "verify_token"),
    "instagram": ("app_secret", "verify_token"),
    "twitter": ("consumer_secret",),
    "generic": ("secret",),
    "email": ("secret",),
}


@transaction.atomic
def upsert_channel(
    *,
    workspace: Workspace,
    actor: Actor,
    network: str,
    handle: str,
    name: str = "",
    external_id: str = "",
    credentials: dict | None = None,
    config: dict | None = None,
) -> Channel:
    """Create or update the workspace's channel for (network, handle); credentials are stored encrypted."""
    channel = Channel.objects.filter(workspace=workspace, network=network, handle=handle).first()
    created = channel is None
    channel = channel or Channel(workspace=workspace, network=network, handle=handle)
    channel.name, channel.external_id = name or channel.name, external_id or channel.external_id
    if credentials is not None:
        channel.credentials = credentials
    if config is not None:
        channel.config = config
    channel.save()
    # Never audit secret values: only which credential names are set.
    record_audit(
        workspace=workspace,
        actor=actor,
        action="channel.created" if created else "channel.updated",
        object_type="channel",
        object_id=channel.pk,
        after={"network": network, "handle": handle, "credentials": sorted((credentials or {}).keys())},
    )
    return channel


def webhook_path(channel: Channel) -> str:
    """The path a network must call for this channel."""
    kind = {"facebook": "meta", "instagram": "meta", "twitter": "x", "email": "email"}.get(channel.network, "generic")
    return f"/webhooks/{kind}/{channel.webhook_key}"
