"""Channel services: create channels with encrypted credentials, and the secrets each webhook checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from rapport.channels.models import Channel
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace
from rapport.core.services import record_audit
from rapport.pipeline.connectors import config as checks
from rapport.pipeline.connectors.base import ConfigError
from rapport.pipeline.connectors.base_channel import ChannelFacts
from rapport.pipeline.connectors.registry import validate_config
from rapport.pipeline.connectors.registry import webhook as registry_webhook

# What each network's webhook needs from the credentials (names as the networks' developer consoles call them).
SECRETS: dict[str, tuple[str, ...]] = {
    "facebook": ("app_secret", "verify_token"),
    "instagram": ("app_secret", "verify_token"),
    "twitter": ("consumer_secret",),
    "generic": ("secret",),
    "email": ("secret",),
}
# Credential fields that say where the secrets go, not what they are: shown in the audit log, checked like config.
CREDENTIAL_DESTINATIONS = ("base_url", "smtp_host", "smtp_port", "smtp_starttls", "from_address", "identifier")
# The config keys naming the host a network's stored credentials are sent to (Bluesky logs in to bsky.social
# when its config names no base_url).
CREDENTIAL_HOST_KEYS: dict[str, tuple[str, str | None]] = {
    "mastodon": ("base_url", None),
    "bluesky": ("base_url", "https://bsky.social"),
    "discourse": ("base_url", None),
    "email": ("imap_host", None),
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
    """Create or update the workspace's channel for (network, handle); credentials are stored encrypted.

    The config is checked against the network's rules; moving a channel to another host needs its credentials
    entered again, so a config change cannot send the stored token to a host it was not given for.
    """
    channel = Channel.objects.select_for_update().filter(workspace=workspace, network=network, handle=handle).first()
    created = channel is None
    channel = channel or Channel(workspace=workspace, network=network, handle=handle)
    before = None if created else _snapshot(channel)
    errors: dict[str, str] = {}
    if config is not None or created:
        config = config or {}
        try:
            config = validate_config(network, config)
        except ConfigError as exc:
            errors.update({f"config.{key}".rstrip("."): msg for key, msg in exc.errors.items()})
    if credentials is not None:
        errors.update(_destination_errors(credentials))
    if not created and config is not None and credentials is None and _has_credentials(channel) and not errors:
        moved = _credential_host(network, channel.config) != _credential_host(network, config)
        if moved:
            key = CREDENTIAL_HOST_KEYS[network][0]
            errors["credentials"] = (
                f"must be entered again when config.{key} moves to another host: credentials are bound to the "
                "host they were entered for"
            )
    if errors:
        raise FieldErrors(errors)
    channel.name, channel.external_id = name or channel.name, external_id or channel.external_id
    if credentials is not None:
        channel.credentials = credentials
    if config is not None:
        channel.config = config
    channel.save()
    after = _snapshot(channel)
    if created or before != after or credentials is not None:
        record_audit(
            workspace=workspace,
            actor=actor,
            action="channel.created" if created else "channel.updated",
            object_type="channel",
            object_id=channel.pk,
            before=before,
            after={**after, "credentials_replaced": credentials is not None} if not created else after,
        )
    return channel


def _has_credentials(channel: Channel) -> bool:
    try:
        return bool(channel.credentials)
    except Exception:  # noqa: BLE001 - unreadable credentials are still credentials bound to the old host
        return bool(channel.credentials_encrypted)


def _snapshot(channel: Channel) -> dict[str, Any]:
    """What the audit log keeps of a channel: everything but secret values (their names only)."""
    try:
        creds = channel.credentials
    except Exception:  # noqa: BLE001 - unreadable old credentials must not block saving new ones
        creds = {}
    return {
        "network": channel.network,
        "handle": channel.handle,
        "name": channel.name,
        "external_id": channel.external_id,
        "active": channel.active,
        "config": dict(channel.config or {}),
        "credentials": {k: (v if k in CREDENTIAL_DESTINATIONS else "***") for k, v in sorted(creds.items())},
    }


def _destination_errors(credentials: dict) -> dict[str, str]:
    """Credentials that name where replies go (base_url, smtp_host) are held to the same outbound rules."""
    errors: dict[str, str] = {}
    if credentials.get("base_url"):
        problem = checks.url_problem(credentials["base_url"])
        if problem:
            errors["credentials.base_url"] = problem
    if credentials.get("smtp_host"):
        found: dict[str, str] = {}
        checks.host(credentials, "smtp_host", found)
        if found:
            errors["credentials.smtp_host"] = found["smtp_host"]
    return errors


def _credential_host(network: str, config: dict | None) -> str | None:
    """The origin (scheme, host, port) a network's credentials are sent to under this config."""
    if network not in CREDENTIAL_HOST_KEYS:
        return None
    key, default = CREDENTIAL_HOST_KEYS[network]
    value = str((config or {}).get(key) or default or "").strip().lower()
    if network == "email":
        return f"imap://{value}:{(config or {}).get('imap_port') or 993}" if value else None
    try:
        parts = urlsplit(value)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    except ValueError:
        return value


def webhook_path(channel: Channel) -> str:
    """The path a network must call for this channel."""
    hook = registry_webhook(channel.network)
    return f"/webhooks/{hook.name if hook else 'generic'}/{channel.webhook_key}"


def connector_facts(channel: Channel | None, network: str = "") -> ChannelFacts:
    """What a connector needs of a brand channel (its config checked again: old rows may predate the checks)."""
    if channel is None:
        return ChannelFacts(network=network)
    return ChannelFacts(
        network=channel.network,
        pk=channel.pk,
        workspace_id=channel.workspace_id,
        handle=channel.handle,
        config=validate_config(channel.network, channel.config or {}),
        credentials=channel.credentials,
    )
