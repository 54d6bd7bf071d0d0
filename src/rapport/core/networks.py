"""The networks Rapport speaks of, named once: where accounts live, which hold people's handles, which are heard.

A touchpoint's channel (contacts) is a wider notion: it adds phone, store, loyalty and the like.
"""

from __future__ import annotations

from django.db import models


class Network(models.TextChoices):
    """Where an account (a social identity) lives."""

    TWITTER = "twitter", "Twitter/X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    LINKEDIN = "linkedin", "LinkedIn"
    RSS = "rss", "Blog / forum / review site"
    EMAIL = "email", "Email"
    CHAT = "chat", "Web chat"


# Networks on which people hold handles that a contact record lists (and the CSV import and export has columns for).
HANDLE_NETWORKS: tuple[str, ...] = ("twitter", "facebook", "instagram", "mastodon", "bluesky", "linkedin")
# Networks posts are heard on and filtered by in listening ("generic" is Rapport's own signed webhook).
LISTENED_NETWORKS: tuple[str, ...] = ("twitter", "facebook", "instagram", "mastodon", "bluesky", "rss", "generic")
