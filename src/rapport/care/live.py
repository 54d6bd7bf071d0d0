"""The live queue: tell an agent's screen when what their queue shows has changed, and only then.

The screen polls `/inbox/queue/` every few seconds with the ETag of what it shows (`If-None-Match`). Each poll
probes the workspace's latest conversation change (one index probe); while that has not moved the answer is a bodiless
304. Only when it moved is the agent's own first page read (ids, priorities and change times, no joins) and compared
with what the screen shows, so a busy workspace does not make every screen fetch its queue again for changes in other
teams' queues. The ETag carries both, so the server keeps no state per screen and no request waits for anything.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rapport.care import queries
from rapport.care.models import Conversation
from rapport.core.models import User

QUEUE_SIZE = 50  # rows on the inbox screen


def queue_version(*, workspace_id: int) -> str:
    """The workspace's latest conversation change: one index probe, cheap enough to poll for every open screen."""
    last = (
        Conversation.objects.filter(workspace_id=workspace_id).order_by("-updated_at").values_list("updated_at", "id")
    ).first()
    return f"{last[0].isoformat()}-{last[1]}" if last else "empty"


def queue_fingerprint(
    *, workspace_id: int, user: User, role: str, mine: bool = False, size: int = QUEUE_SIZE, **filters: Any
) -> str:
    """A digest of the rows the agent's queue shows (first page by priority): changes when a row enters, leaves,
    moves or is changed, and not otherwise. filters are the screen's (queries.queue's keywords)."""
    parts = queries.queue(
        workspace_id=workspace_id, user=user, role=role, assignee=user.pk if mine else None, **filters
    )
    rows: dict[int, tuple] = {}
    for part in parts:
        for row in part.order_by("-priority", "-id").values_list("id", "priority", "updated_at")[:size]:
            rows[row[0]] = row
    shown = sorted(rows.values(), key=lambda r: (-r[1], -r[0]))[:size]
    text = ";".join(f"{pk}:{prio!r}:{at.isoformat()}" for pk, prio, at in shown)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def etag(version: str, fingerprint: str) -> str:
    """The queue partial's ETag: the workspace version it was checked at and the digest of its rows."""
    return f'"{version}/{fingerprint}"'


def parse_etag(header: str | None) -> tuple[str, str] | None:
    """(version, fingerprint) from an If-None-Match header we sent, or None for anything else."""
    text = (header or "").strip().removeprefix("W/")
    if len(text) < 4 or len(text) > 200 or not (text.startswith('"') and text.endswith('"')) or "/" not in text:
        return None
    version, _, fingerprint = text[1:-1].rpartition("/")
    return version, fingerprint


class QueueWatch:
    """One screen's view of its queue between polls (the benchmark's watcher; the web view keeps it in the ETag)."""

    def __init__(self, *, workspace_id: int, user: User, role: str, mine: bool = False) -> None:
        self.workspace_id, self.user, self.role, self.mine = workspace_id, user, role, mine
        self.version: str | None = None
        self.fingerprint: str | None = None

    def poll(self) -> str | None:
        """The new fingerprint if what the agent sees changed since the last poll (or on the first); else None."""
        version = queue_version(workspace_id=self.workspace_id)
        if version == self.version:
            return None
        self.version = version
        fingerprint = queue_fingerprint(workspace_id=self.workspace_id, user=self.user, role=self.role, mine=self.mine)
        if fingerprint == self.fingerprint:
            return None
        self.fingerprint = fingerprint
        return fingerprint
