"""Rapport's generic signed webhook: replay of a dead-lettered body."""

from __future__ import annotations

from ..base import PayloadError
from .normalise import normalise_body


def replay(payload: str) -> list[dict]:
    """Posts from a dead-lettered body; still refused when any item is still bad."""
    posts, rejections = normalise_body(payload.encode())
    if rejections:
        raise PayloadError(rejections[0].reason)
    return posts
