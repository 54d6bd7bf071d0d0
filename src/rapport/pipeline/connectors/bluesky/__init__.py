"""Bluesky connector: AT Protocol search, notifications and replies."""

from .client import BlueskyClient

__all__ = ["BlueskyClient"]
