"""Pipeline API: post intake (`POST /posts`) and the dead-letter store."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Body, Router, Schema

from rapport.core.apiauth import require
from rapport.pipeline.services import submit

posts_router = Router(tags=["listening"])
MAX_POSTS = 1000


class PostResult(Schema):
    index: int
    status: Literal["stored", "duplicate", "queued", "rejected"]
    network: str | None = None
    external_id: str | None = None
    reason: str | None = None
    dead_letter_id: int | None = None


class PostsOut(Schema):
    received: int
    stored: int
    duplicates: int
    queued: int
    rejected: int
    items: list[PostResult]


@posts_router.post("", response=PostsOut)
def submit_posts(request: HttpRequest, payload: list[dict[str, Any]] = Body(..., max_length=MAX_POSTS)):
    """Take up to 1,000 posts in the JSON-line shape and run them through the pipeline.

    Good items are always kept. A bad item does not fail the request: it is dead-lettered (visible in the
    dead-letter list, replayable after a fix) and reported in `items` as `rejected` with its index (from 0) and a
    reason naming the field, e.g. `created_at: bad timestamp ...`. With a Redis queue configured the good items
    are `queued` for the workers instead of `stored`/`duplicate`.
    """
    require(request, "listening.ingest")
    done = submit(workspace_id=request.workspace.pk, items=payload, source="api")
    return {
        "received": done.received,
        "stored": done.stored,
        "duplicates": done.duplicates,
        "queued": done.queued,
        "rejected": done.rejected,
        "items": [asdict(item) for item in done.items],
    }
