"""Mastodon connector: REST polling and replies."""

from .client import MastodonClient

__all__ = ["MastodonClient"]
