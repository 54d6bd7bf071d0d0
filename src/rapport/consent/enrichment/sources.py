"""Where a fact was read: the post's link and words, asked of listening (which owns posts, floors above) through a
lookup it registers in its `ready`; and each fact as the API and the panels show it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rapport.consent.enrichment import taxonomy

# (workspace id, post ids) -> {post id: {"url": ..., "text": ..., "created_at": ...}}
PostLookup = Callable[[int, list[int]], dict[int, dict[str, Any]]]
_LOOKUPS: list[PostLookup] = []


def register_post_lookup(fn: PostLookup) -> None:
    if fn not in _LOOKUPS:
        _LOOKUPS.append(fn)


def posts(workspace_id: int, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    ids = [i for i in post_ids if i]
    for fn in _LOOKUPS:
        if ids:
            found.update(fn(workspace_id, ids))
    return found


def label(value: str) -> str:
    kind = taxonomy.BY_VALUE.get(value)
    return kind.label if kind else value.replace("_", " ").capitalize()


def describe(workspace_id: int, facts: list) -> list[dict[str, Any]]:
    """The facts as shown: kind, value and label, confidence, the source post (id, link, words), dates."""
    known = posts(workspace_id, [f.source_post for f in facts if f.source_post])
    out = []
    for f in facts:
        post = known.get(f.source_post or 0, {})
        out.append(
            {
                "kind": f.kind,
                "value": f.value,
                "label": label(f.value),
                "confidence": f.confidence,
                "source_post": f.source_post,
                "source_url": post.get("url", ""),
                "source_text": post.get("text", ""),
                "source": f.source or ("post" if f.source_post else ""),
                "evidence": f.evidence,
                "observed_at": f.observed_at,
                "event_date": f.event_date.isoformat() if f.event_date else None,
                "event_day": f.event_date,
                "expires_at": f.expires_at,
            }
        )
    return out
