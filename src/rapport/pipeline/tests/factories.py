"""Post dicts in the connectors' canonical shape, for pipeline tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_post(
    n: int, text: str = "", *, network: str = "twitter", handle: str | None = None, at: datetime | None = None, **extra
) -> dict:
    """Post number n: a unique external id, an author and a timestamp a minute apart by default."""
    when = at or BASE + timedelta(minutes=n)
    handle = handle or f"user{n}"
    post = {
        "network": network,
        "external_id": f"{network}-{n}",
        "created_at": when.isoformat().replace("+00:00", "Z"),
        "text": text or f"Post number {n} about the weather today",
        "kind": "post",
        "in_reply_to": None,
        "url": f"https://example.com/{network}/{n}",
        "metrics": {},
        "author": {"external_id": f"{network}-u-{handle}", "handle": handle, "name": handle.title(), "followers": 10},
        "raw": {"n": n},
    }
    post.update(extra)
    return post
