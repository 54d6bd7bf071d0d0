"""Demo data for listening: channels, tracking rules, a slice of real airline tweets and the Dave Carroll wave."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import islice

from django.utils import timezone

from rapport.channels.services import upsert_channel
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.listening.models import RuleKind, TrackingRule
from rapport.listening.nlp import data
from rapport.pipeline.connectors.base import parse_iso, utc_iso
from rapport.pipeline.connectors.files import Rejection, iter_records
from rapport.pipeline.ingest import process_stream

RULES = [
    ("United", RuleKind.BRAND, "@united OR united OR #united"),
    ("Virgin America", RuleKind.COMPETITOR, '@VirginAmerica OR "virgin america"'),
    ("Baggage", RuleKind.PRODUCT, "bag OR bags OR baggage OR luggage OR suitcase OR guitar*"),
    ("United Breaks Guitars", RuleKind.CAMPAIGN, '#unitedbreaksguitars OR "united breaks guitars"'),
]
DAVE = {"external_id": "tw-19283746", "handle": "DaveCarrollMusic", "name": "Dave Carroll", "followers": 31000}
WAVE = [
    "@united broke @DaveCarrollMusic's guitar and refused to pay, shameful #unitedbreaksguitars",
    "Just watched United Breaks Guitars. Terrible customer service @united #unitedbreaksguitars",
    "Never flying @united again after this #UnitedBreaksGuitars",
    "Nine months of runaround for a broken guitar @united? Disgusting. #unitedbreaksguitars",
    "@DaveCarrollMusic you are a hero. @united should be ashamed #unitedbreaksguitars",
    "They threw his Taylor on the tarmac and nobody took responsibility #unitedbreaksguitars",
    "Sharing this with everyone I know. @united fix this #unitedbreaksguitars",
]


def _airline_posts(limit: int, now: datetime) -> list[dict]:
    path = data.tweets_path()
    if not path.exists():
        return []
    posts = [r for r in islice(iter_records(path, "airline-csv"), limit) if not isinstance(r, Rejection)]
    if not posts:
        return posts
    # Move the 2015 slice so its newest post is an hour ago: the demo's "last 7 days" then shows it.
    latest = max(parse_iso(p["created_at"]) for p in posts)
    shift = (now - timedelta(hours=1)) - latest
    for p in posts:
        p["created_at"] = utc_iso(parse_iso(p["created_at"]) + shift)
    return posts


def _story_posts(now: datetime, seed: int = 2009) -> list[dict]:
    rng = random.Random(seed)
    release = (now - timedelta(days=3)).replace(minute=5, second=0, microsecond=0)
    posts = [
        {
            "network": "twitter",
            "external_id": "ubg-1",
            "created_at": utc_iso(release),
            "kind": "post",
            "text": "I wrote a song about how my guitar was broken and nobody would take responsibility. "
            "United Breaks Guitars #unitedbreaksguitars",
            "author": dict(DAVE),
            "in_reply_to": None,
            "url": "https://twitter.com/DaveCarrollMusic/status/ubg-1",
            "metrics": {"reposts": 4100},
            "raw": {"story": "United Breaks Guitars"},
        }
    ]
    n = 2
    for hour in range(8):
        for _ in range(int(5 * 1.9**hour)):
            at = release + timedelta(hours=hour, minutes=rng.randint(0, 59))
            handle = f"viewer_{rng.randint(1000, 99999)}"
            posts.append(
                {
                    "network": "twitter",
                    "external_id": f"ubg-{n}",
                    "created_at": utc_iso(at),
                    "kind": "reply",
                    "text": rng.choice(WAVE),
                    "in_reply_to": "ubg-1",
                    "thread_id": "ubg-1",
                    "author": {
                        "external_id": f"tw-{handle}",
                        "handle": handle,
                        "name": None,
                        "followers": rng.randint(20, 4000),
                    },
                    "url": f"https://twitter.com/{handle}/status/ubg-{n}",
                    "metrics": {},
                    "raw": None,
                }
            )
            n += 1
    return posts


def seed_listening(workspace: Workspace, *, tweets: int = 2000, now: datetime | None = None) -> dict[str, int]:
    """Idempotently add demo channels and rules, then ingest airline tweets and the Dave Carroll wave."""
    now = now or timezone.now().astimezone(UTC)
    actor = Actor.system("demo")
    upsert_channel(
        workspace=workspace,
        actor=actor,
        network="twitter",
        handle="united",
        name="United (X)",
        external_id="tw-260907612",
        credentials={"consumer_secret": "demo-" + workspace.slug},
    )
    upsert_channel(
        workspace=workspace,
        actor=actor,
        network="facebook",
        handle="united",
        name="United (Facebook)",
        external_id="fb-page-united",
        credentials={"app_secret": "demo-" + workspace.slug, "verify_token": "demo"},
    )
    for name, kind, query in RULES:
        TrackingRule.objects.get_or_create(workspace=workspace, name=name, defaults={"kind": kind, "query": query})
    posts = sorted(_airline_posts(tweets, now) + _story_posts(now), key=lambda p: p["created_at"])
    total = process_stream(
        workspace_id=workspace.pk, source="demo", batches=(posts[i : i + 500] for i in range(0, len(posts), 500))
    )
    return {"posts": total.received, "stored": total.stored, "alerts": total.alerts, "touchpoints": total.touchpoints}
