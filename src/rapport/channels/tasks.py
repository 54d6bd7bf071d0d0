"""Periodic channel work: polling the feed, Mastodon, Bluesky and IMAP channels."""

from __future__ import annotations

from rapport.channels.polling import poll_all
from rapport.core.jobs import scheduled


@scheduled("channels.poll", every=60, retries=2, backoff=10)
def poll() -> dict[str, int]:
    """Poll every active polling channel once (idempotent: seen ids and cursors live on the channel)."""
    return poll_all()
