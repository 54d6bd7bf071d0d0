"""Social identities: a person's handles on the networks, unique per workspace."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from rapport.core.models import WorkspaceScoped


class Network(models.TextChoices):
    TWITTER = "twitter", "Twitter/X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    LINKEDIN = "linkedin", "LinkedIn"
    RSS = "rss", "Blog / forum / review site"
    EMAIL = "email", "Email"
    CHAT = "chat", "Web chat"


class SocialIdentity(WorkspaceScoped):
    """An account on a network; linked to the person behind it once known."""

    person = models.ForeignKey(
        "contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="identities"
    )
    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=200, blank=True, help_text="The network's stable id for the account")
    handle = models.CharField(max_length=200, blank=True)
    handle_key = models.CharField(max_length=200, blank=True, editable=False, help_text="lower-case handle, no @")
    display_name = models.CharField(max_length=200, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "social identities"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"],
                condition=~Q(external_id=""),
                name="identity_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["workspace", "network", "handle_key"],
                condition=~Q(handle_key=""),
                name="identity_unique_handle",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "person"], name="identity_ws_person_idx")]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle or self.external_id}"

    def save(self, *args, **kwargs):
        self.handle = (self.handle or "").strip().lstrip("@")
        self.handle_key = normalise_handle(self.handle)
        super().save(*args, **kwargs)


def normalise_handle(handle: str | None) -> str:
    """The comparison key of a handle: trimmed, lower-case, without a leading @."""
    return (handle or "").strip().lstrip("@").lower()
