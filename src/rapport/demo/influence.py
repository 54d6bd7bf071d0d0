"""Demo influence: the senator's public voice (posts, replies and reposts by others), then the scores.

The scale is the demo workspace's own (its airline authors): a typical active author scores about 50; the
senator, with a large audience and a few posts that other accounts answer and quote, lands around 60, with the
reasons shown on her contact and conversation.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from rapport.core.models import Workspace
from rapport.pipeline.ingest import process_stream

SENATOR = {"external_id": "tw-55501", "handle": "SenEllison", "name": "Margaret Ellison", "followers": 180_000}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _posts(now: datetime, seed: int = 60) -> list[dict]:
    rng = random.Random(seed)
    topics = [
        "Travel should be accessible to everyone. Proud to back the passenger rights bill.",
        "Spent the morning at the airport listening to crews and travellers. Thank you for your service.",
        "Delays happen; how an airline treats people when they do is what counts.",
        "Town hall tonight on regional air links. Come and tell me what works and what doesn't.",
        "Good news for rural airports in this year's budget.",
    ]
    posts = []
    for i, text in enumerate(topics[:3]):
        at = now - timedelta(days=2 + 3 * i, hours=rng.randint(0, 8))
        posts.append(
            {
                "network": "twitter",
                "external_id": f"sen-{i}",
                "created_at": _iso(at),
                "kind": "post",
                "text": text,
                "author": dict(SENATOR),
                "in_reply_to": None,
                "url": f"https://twitter.com/SenEllison/status/sen-{i}",
                "metrics": {"likes": rng.randint(1, 3), "reposts": rng.randint(0, 1)},
                "raw": {"story": "The senator at the lounge"},
            }
        )
        for j in range(1):  # constituents and journalists answer and share
            handle = f"voter{(i * 7 + j) % 23}"
            kind = "quote" if i % 2 == 0 else "reply"
            posts.append(
                {
                    "network": "twitter",
                    "external_id": f"sen-{i}-r{j}",
                    "created_at": _iso(at + timedelta(minutes=5 + 9 * j)),
                    "kind": kind,
                    "text": "@SenEllison " + rng.choice(["Agreed.", "Thank you!", "When is the vote?", "Well said."]),
                    "author": {
                        "external_id": f"tw-v-{handle}",
                        "handle": handle,
                        "name": handle.title(),
                        "followers": rng.randint(40, 900),
                    },
                    "in_reply_to": f"sen-{i}",
                    "url": None,
                    "metrics": {"likes": rng.randint(0, 4)},
                    "raw": None,
                }
            )
    return sorted(posts, key=lambda p: p["created_at"])


def seed_influence(workspace: Workspace, *, now: datetime | None = None) -> dict[str, int]:
    """Idempotently add the senator's public posts, then score the workspace a week ago and now (history)."""
    from rapport.influence.services import recompute

    now = now or timezone.now()
    process_stream(workspace_id=workspace.pk, source="demo", batches=[_posts(now)])
    recompute(workspace.pk, now=now - timedelta(days=7))
    result = recompute(workspace.pk, now=now)
    return {"identities": result["identities"], "people": result["people"]}
