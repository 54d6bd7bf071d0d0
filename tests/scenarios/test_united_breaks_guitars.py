"""United Breaks Guitars, replayed: a growing negative wave around one author and one topic over a quiet baseline
must raise an alert within its first hours (once per episode), and a quiet day must raise nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from rapport.listening.models import SpikeAlert, TrackingRule
from rapport.pipeline.ingest import process_batch

pytestmark = pytest.mark.django_db
START = datetime(2009, 7, 3, 0, 0, tzinfo=UTC)
RELEASE = START + timedelta(days=3, hours=9)  # the video goes up on the fourth morning

CHATTER = [
    "Flight {n} to Denver was on time, thanks @united",
    "Anyone know if @united lets you carry on a cello?",
    "Boarding now, window seat for once",
    "Coffee on board was fine, nothing special on flight {n}",
    "Delayed {n} minutes at ORD but the crew kept us informed",
    "@united what is the baggage allowance to Lima?",
    "Landed in Halifax, long day of travel",
    "The lounge wifi is slow today",
    "Great view of the lakes from seat {n}A",
    "Rebooked onto flight {n}, not bad service actually",
    "Listening to @DaveCarrollMusic on the plane, lovely songs",
]
WAVE = [
    "@united broke @DaveCarrollMusic's guitar and refused to pay, shameful #unitedbreaksguitars",
    "Just watched the video, this is terrible customer service @united #unitedbreaksguitars",
    "Never flying @united again after this #UnitedBreaksGuitars @DaveCarrollMusic",
    "Nine months of runaround for a broken guitar, disgusting @united #unitedbreaksguitars",
    "@DaveCarrollMusic you are a hero, @united should be ashamed #unitedbreaksguitars",
    "They threw his guitar on the tarmac and laughed, awful #unitedbreaksguitars",
]


def post(n: int, text: str, at: datetime, handle: str) -> dict:
    return {
        "network": "twitter",
        "external_id": str(n),
        "created_at": at.isoformat(),
        "text": text,
        "author": {"external_id": f"u-{handle}", "handle": handle, "name": None, "followers": 100},
        "in_reply_to": None,
        "url": None,
        "kind": "post",
        "metrics": {},
        "raw": None,
    }


def quiet_hours(rng: random.Random, first: datetime, hours: int, start_n: int) -> list[dict]:
    posts, n = [], start_n
    for h in range(hours):
        for _ in range(rng.randint(2, 7)):
            at = first + timedelta(hours=h, minutes=rng.randint(0, 59))
            text = rng.choice(CHATTER).format(n=rng.randint(100, 999))
            posts.append(post(n, text, at, f"traveller{rng.randint(1, 400)}"))
            n += 1
    return posts


def wave_hours(rng: random.Random, hours: int, start_n: int) -> list[dict]:
    posts = [
        post(
            start_n,
            "I wrote a song about how @united broke my guitar: United Breaks Guitars #unitedbreaksguitars",
            RELEASE,
            "DaveCarrollMusic",
        )
    ]
    n = start_n + 1
    for h in range(hours):
        for _ in range(int(4 * 2.2**h)):  # 4, 8, 19, 42, 93 ... posts an hour
            at = RELEASE + timedelta(hours=h, minutes=rng.randint(0, 59))
            posts.append(post(n, f"{rng.choice(WAVE)} {n}", at, f"viewer{n}"))
            n += 1
    return posts


def replay(workspace, posts: list[dict], batch: int = 40) -> None:
    posts = sorted(posts, key=lambda p: p["created_at"])
    for i in range(0, len(posts), batch):
        process_batch(workspace_id=workspace.pk, posts=posts[i : i + batch], source="replay")


def test_the_wave_alerts_within_its_first_hours(workspace):
    TrackingRule.objects.create(workspace=workspace, name="United", query="@united OR united")
    rng = random.Random(2009)
    baseline = quiet_hours(rng, START, 3 * 24 + 9, 1)
    wave = wave_hours(rng, 6, 100_000) + quiet_hours(rng, RELEASE, 6, 200_000)
    replay(workspace, baseline)
    assert not SpikeAlert.objects.filter(workspace=workspace).exists()
    replay(workspace, wave)
    alerts = list(SpikeAlert.objects.filter(workspace=workspace).order_by("started_at"))
    keys = {(a.dimension, a.key) for a in alerts}
    assert ("topic", "#unitedbreaksguitars") in keys
    assert ("author", "@davecarrollmusic") in keys
    first = alerts[0]
    assert first.started_at - RELEASE <= timedelta(hours=3)
    topic = next(a for a in alerts if a.key == "#unitedbreaksguitars")
    assert topic.reason == "negativity" and topic.negative_share >= 0.6
    assert len(keys) == len(alerts)  # one alert per episode, however many hours it keeps growing
    assert max(a.last_seen_at for a in alerts) >= RELEASE + timedelta(hours=4)


def test_a_quiet_day_raises_nothing(workspace):
    TrackingRule.objects.create(workspace=workspace, name="United", query="@united OR united")
    rng = random.Random(7)
    replay(workspace, quiet_hours(rng, START, 4 * 24, 1))
    assert not SpikeAlert.objects.filter(workspace=workspace).exists()
