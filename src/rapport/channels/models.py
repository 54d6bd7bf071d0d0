"""Channels: a workspace's accounts on the networks, with their credentials encrypted at rest."""

from __future__ import annotations

import secrets

from django.db import models

from rapport.core.models import WorkspaceScoped


def new_webhook_key() -> str:
    """A random, unguessable path segment that routes a webhook call to its channel."""
    return secrets.token_urlsafe(18)


class Channel(WorkspaceScoped):
    """A brand account (Facebook page, X account, generic source) that Rapport hears and answers on."""

    network = models.CharField(max_length=16)  # facebook, instagram, twitter, generic, mastodon, bluesky, rss
    handle = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True, help_text="the brand account's id on the network")
    webhook_key = models.CharField(max_length=32, unique=True, default=new_webhook_key)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text="what to poll: feeds (RSS), base_url + hashtags / mentions (Mastodon), "
        "search / notifications (Bluesky)",
    )
    poll_state = models.JSONField(default=dict, blank=True, editable=False)
    polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False, help_text="why the last poll failed; empty once it works")
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "network", "handle"], name="channel_unique")]
        ordering = ["network", "handle"]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle}"

    @property
    def credentials(self) -> dict:
        """The decrypted credentials (app secret, verify token, consumer secret, access tokens...)."""
        from rapport.channels.crypto import decrypt_json

        return decrypt_json(self.credentials_encrypted) if self.credentials_encrypted else {}

    @credentials.setter
    def credentials(self, value: dict) -> None:
        from rapport.channels.crypto import encrypt_json

        self.credentials_encrypted = encrypt_json(value or {})
