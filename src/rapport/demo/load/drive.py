"""The traffic of a load run, driven by locust in library mode: `python -m rapport.demo.load.drive CONFIG.json`.

Its own process, because locust patches the standard library for gevent when it is imported. Prints one JSON
object: per-route counts, failures and percentiles, and how many posts the server accepted.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from datetime import UTC, datetime

import gevent
from locust import HttpUser, constant_pacing, constant_throughput, events, task
from locust.env import Environment

from rapport.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

CONFIG: dict = {}
ACCEPTED = {"posts": 0, "requests": 0}
TEXTS = [
    "@loadbrand my order never arrived, where is it?",
    "@loadbrand charged twice for one ticket, please refund",
    "@loadbrand how do I change the address on my account?",
    "@loadbrand the app crashes when I open my booking",
]
ROW = re.compile(r'<tr data-id="(\d+)"')


class Agent(HttpUser):
    """An agent with the live inbox open: a conditional poll every few seconds; now and then opens and answers."""

    wait_time = constant_pacing(2.0)
    number = 0

    def on_start(self) -> None:
        Agent.number += 1
        self.client.cookies.set("sessionid", CONFIG["sessions"][(Agent.number - 1) % len(CONFIG["sessions"])])
        page = self.client.get("/inbox/", name="/inbox/")
        self.etag = ""
        self.rows = ROW.findall(page.text)

    @task
    def poll(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        r = self.client.get("/inbox/queue/", headers=headers, name="/inbox/queue/ (poll)")
        if r.status_code == 200:
            self.etag = r.headers.get("ETag", "")
            self.rows = ROW.findall(r.text)
        if self.rows and random.random() < CONFIG["answer_share"]:
            pk = random.choice(self.rows[:10])
            self.client.get(f"/inbox/{pk}/", name="/inbox/[id]/")
            self.client.post(
                f"/inbox/{pk}/reply/",
                data={
                    "text": "Sorry about this, we are on it.",
                    "csrfmiddlewaretoken": self.client.cookies["csrftoken"],
                },
                name="/inbox/[id]/reply/",
                allow_redirects=False,
            )


class Marketer(HttpUser):
    """A marketer on the API: recent mentions and contact searches."""

    wait_time = constant_pacing(2.0)

    def on_start(self) -> None:
        token = CONFIG["tokens"][random.randrange(len(CONFIG["tokens"]))]
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.turn = Marketer.number
        Marketer.number += 1

    # Two mention reads to three searches, in a fixed rotation rather than drawn at random, each marketer
    # starting one step further on: the first two marketers' first requests cover both routes, so even a short
    # run measures each of them.
    ROTATION = ("mentions", "search", "mentions", "search", "search")
    number = 0

    @task
    def next_request(self) -> None:
        getattr(self, self.ROTATION[self.turn % len(self.ROTATION)])()
        self.turn += 1

    def mentions(self) -> None:
        self.client.get("/api/v1/mentions?limit=50", name="/api/v1/mentions")

    def search(self) -> None:
        term = random.choice(CONFIG["surnames"] or ["smith"])[:5]
        self.client.get(f"/api/v1/contacts?search={term}&limit=20", name="/api/v1/contacts?search=")


class Feed(HttpUser):
    """A system posting signed batches to the generic webhook at the asked rate."""

    wait_time = constant_throughput(1.0)
    number = 0

    def on_start(self) -> None:
        Feed.number += 1
        self.me, self.seq = Feed.number, 0

    @task
    def send(self) -> None:
        now = datetime.now(tz=UTC).isoformat()
        posts = []
        for _ in range(CONFIG["batch"]):
            self.seq += 1
            author = random.randrange(CONFIG["authors"])
            posts.append(
                {
                    "network": "twitter",
                    "external_id": f"{CONFIG['prefix']}{self.me}-{self.seq}",
                    "created_at": now,
                    "text": f"{random.choice(TEXTS)} (ref {self.me}-{self.seq})",
                    "author": {"external_id": f"a{author}", "handle": f"customer{author}", "followers": author % 900},
                }
            )
        body = json.dumps(posts).encode()
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, timestamp=ts, secret=CONFIG["secret"]),
            TIMESTAMP_HEADER: str(ts),
        }
        r = self.client.post(f"/webhooks/generic/{CONFIG['webhook_key']}", data=body, headers=headers, name="webhook")
        if r.status_code == 200:
            ACCEPTED["posts"] += r.json().get("received", 0)
            ACCEPTED["requests"] += 1


class Health(HttpUser):
    """A load balancer's health check."""

    wait_time = constant_pacing(0.25)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="/healthz")


def _summary(env: Environment, seconds: float) -> dict:
    routes = {}
    for (name, method), e in sorted(env.stats.entries.items()):
        if not e.num_requests:
            continue
        routes[name] = {
            "method": method,
            "requests": e.num_requests,
            "failures": e.num_failures,
            "p50_ms": e.get_response_time_percentile(0.5),
            "p95_ms": e.get_response_time_percentile(0.95),
            "p99_ms": e.get_response_time_percentile(0.99),
            "max_ms": round(e.max_response_time or 0, 1),
        }
    errors = [{"route": e.name, "error": str(e.error)[:200], "count": e.occurrences} for e in env.stats.errors.values()]
    total = env.stats.total
    return {
        "seconds": round(seconds, 1),
        "requests": total.num_requests,
        "failures": total.num_failures,
        "routes": routes,
        "errors": errors[:20],
        "exceptions": [f"{e['count']}x {e['msg']}"[:300] for e in env.runner.exceptions.values()][:10],
        "accepted_posts": ACCEPTED["posts"],
        "webhook_requests_accepted": ACCEPTED["requests"],
    }


def main(path: str) -> None:
    with open(path) as fh:
        CONFIG.update(json.load(fh))
    rate, batch = CONFIG["posts_per_s"], CONFIG["batch"]
    # Each feed has one request in flight: at 2 a second it keeps the asked rate while the webhook answers in 500 ms.
    feeds = max(1, math.ceil(rate / batch / 2))
    if rate > 0:
        Feed.wait_time = constant_throughput(rate / batch / feeds)
    counts = {Agent: CONFIG["agents"], Marketer: CONFIG["marketers"], Feed: feeds if rate > 0 else 0, Health: 1}
    classes = [cls for cls, n in counts.items() if n]
    for cls in classes:
        cls.fixed_count = counts[cls]
    # stop_timeout: at the end every user finishes the request it is in, so a batch the server stored is also
    # counted as accepted (a killed request would be stored but never seen to succeed).
    env = Environment(user_classes=classes, host=CONFIG["url"], events=events, stop_timeout=60)
    runner = env.create_local_runner()
    started = [time.monotonic()]

    def measure_from_here(**_kw) -> None:  # the inboxes' first page loads are start-up, not steady state
        env.stats.reset_all()
        started[0] = time.monotonic()

    events.spawning_complete.add_listener(measure_from_here)
    runner.start(sum(counts[c] for c in classes), spawn_rate=max(20, CONFIG["agents"] / 5))
    gevent.spawn_later(CONFIG["seconds"], runner.quit)
    runner.greenlet.join()
    sys.stdout.write(json.dumps(_summary(env, time.monotonic() - started[0])) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
