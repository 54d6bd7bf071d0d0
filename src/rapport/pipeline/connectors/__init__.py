"""Rapport's social network connectors: files, webhooks, polling clients and outbound replies (no Django here)."""

from .base import ConnectorError, PayloadError, PollResult, Post, SignatureError

__all__ = ["ConnectorError", "PayloadError", "PollResult", "Post", "SignatureError"]
