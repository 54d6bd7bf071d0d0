"""A small deterministic population of authors, run through the real pipeline."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from rapport.pipeline.ingest import process_batch
from rapport.pipeline.tests.factories import BASE, make_post

NOW = BASE + timedelta(days=10)


def author(handle: str, followers: int) -> dict[str, Any]:
    return {"external_id": f"twitter-u-{handle}", "handle": handle, "name": handle.title(), "followers": followers}


def post(n: int, handle: str, followers: int, text: str = "", **extra) -> dict[str, Any]:
    p = make_post(n, text or f"Thoughts number {n} on travel", handle=handle, **extra)
    p["author"] = author(handle, followers)
    return p


def population(seed: int = 7, authors: int = 40) -> list[dict[str, Any]]:
    """Authors with 1-8 posts, followers over four orders of magnitude, reactions, and replies to each other."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    n = 1000
    for a in range(authors):
        followers = int(10 ** rng.uniform(1.5, 5))
        for _ in range(rng.randint(1, 8)):
            n += 1
            metrics = {"likes": int(rng.expovariate(1 / (2 + followers / 2000))), "reposts": rng.randint(0, 3)}
            extra: dict[str, Any] = {"metrics": metrics}
            if out and rng.random() < 0.3:
                target = rng.choice(out)
                extra.update(kind="reply", in_reply_to=target["external_id"])
            out.append(post(n, f"a{a}", followers, **extra))
    return out


def ingest(workspace, posts, capture) -> Any:
    with capture(execute=True):
        return process_batch(workspace_id=workspace.pk, posts=posts, detect_spikes=False)
