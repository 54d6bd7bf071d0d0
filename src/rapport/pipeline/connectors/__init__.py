"""Rapport's social network connectors: files, webhooks, polling clients and outbound replies (no Django here)."""

from .base import ConfigError, ConnectorError, PayloadError, PollResult, Post, SignatureError

__all__ = ["ConfigError", "ConnectorError", "PayloadError", "PollResult", "Post", "SignatureError"]
