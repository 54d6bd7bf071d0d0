"""Discourse connector: a forum's latest posts through its JSON API, and replies with an API key."""

from .client import DiscourseClient

__all__ = ["DiscourseClient"]
