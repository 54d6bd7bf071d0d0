"""Segment evaluation at scale: a definition over value, attributes and social signals counted as one query, the
first fill of a segment, and the incremental update after a purchase, beside a naive per-person evaluation."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from rapport.commerce.models import CustomerValue
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.services import get_or_create_workspace
from rapport.listening.models import Post
from rapport.segments import services
from rapport.segments.models import Segment

NAME = "segments"
GOAL_MS = 2000  # a segment over 1M people evaluates in under 2 s on PostgreSQL
VALUE_DEF = {
    "all": [
        {"field": "purchases.count", "op": "gte", "value": 2},
        {"field": "value.p_alive", "op": "gte", "value": 0.5},
        {"not": {"field": "country", "op": "eq", "value": "SE"}},
    ]
}
MIXED_DEF = {
    "any": [
        {
            "all": [
                {"field": "value.clv_12m", "op": "gt", "value": 400},
                {"field": "tags", "op": "contains", "value": "vip"},
            ]
        },
        {"field": "social.mentions", "op": "gte", "value": 2, "days": 30},
        {"field": "purchases.last_at", "op": "within_days", "value": 14},
    ]
}


def add_arguments(parser) -> None:
    parser.add_argument("--people", type=int, default=100_000, help="people in the bench workspace (1000000: the goal)")
    parser.add_argument("--repeat", type=int, default=5, help="timed evaluations per definition")
    parser.add_argument("--workspace", default="bench-segments")
    parser.add_argument("--regenerate", action="store_true", help="drop and regenerate the bench workspace")


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def generate(*, workspace, people: int, write) -> None:
    """People (60 % with a value summary, 10 % with posts), set-based on PostgreSQL, bulk inserts elsewhere."""
    start = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO contacts_person (workspace_id, external_id, first_name, last_name, email, phone, job_title,
                    street, city, postcode, region, country, customer_number, lifecycle_stage, tags, search_text,
                    sort_name, created_at, updated_at)
                SELECT %(ws)s, 'b-' || g, 'First' || g, 'Last' || g, 'user' || g || '@mail.example', '', '', '', '',
                       '', '', (ARRAY['DK','SE','NO','DE','NL'])[1 + g %% 5], 'C-' || g, 'customer',
                       CASE WHEN g %% 10 = 0 THEN '["vip"]'::jsonb ELSE '[]'::jsonb END,
                       ' first' || g || ' last' || g || CASE WHEN g %% 10 = 0 THEN ' #vip ' ELSE ' ' END,
                       'last' || g, now(), now()
                FROM generate_series(1::bigint, %(n)s) AS g
                """,
                {"ws": workspace.pk, "n": people},
            )
        write(f"  {people:,} people in {time.perf_counter() - start:.1f} s")
    else:
        rows = [
            Person(
                workspace=workspace,
                external_id=f"b-{g}",
                first_name=f"First{g}",
                last_name=f"Last{g}",
                country=["DK", "SE", "NO", "DE", "NL"][g % 5],
                tags=["vip"] if g % 10 == 0 else [],
                search_text=f" first{g} last{g} " + ("#vip " if g % 10 == 0 else ""),
                sort_name=f"last{g}",
            )
            for g in range(1, people + 1)
        ]
        Person.objects.bulk_create(rows, batch_size=5000)
        write(f"  {people:,} people in {time.perf_counter() - start:.1f} s")
    rng = random.Random(7)
    now = timezone.now()
    ids = list(Person.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True))
    start = time.perf_counter()
    batch: list[CustomerValue] = []
    for pk in ids:
        if rng.random() >= 0.6:
            continue
        orders = 1 + int(rng.expovariate(0.35))
        batch.append(
            CustomerValue(
                workspace=workspace,
                person_id=pk,
                orders=orders,
                total_spend=Decimal(orders * rng.randint(20, 200)),
                first_order_at=now - timedelta(days=rng.randint(200, 900)),
                last_order_at=now - timedelta(days=rng.randint(0, 400)),
                rfm_segment=rng.choice(["champions", "loyal", "at_risk", "hibernating", "new"]),
                p_alive=round(rng.random(), 3),
                clv_12m=Decimal(rng.randint(0, 900)),
            )
        )
        if len(batch) >= 5000:
            CustomerValue.objects.bulk_create(batch)
            batch = []
    CustomerValue.objects.bulk_create(batch)
    write(
        f"  {CustomerValue.objects.filter(workspace=workspace).count():,} value summaries in "
        f"{time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    posts: list[Post] = []
    for n, pk in enumerate(rng.sample(ids, len(ids) // 10)):
        for k in range(rng.randint(1, 4)):
            at = now - timedelta(days=rng.randint(0, 60))
            posts.append(
                Post(
                    workspace=workspace,
                    network="twitter",
                    external_id=f"b{n}-{k}",
                    person_id=pk,
                    text="bench",
                    sentiment_score=rng.uniform(-1, 1),
                    created_at=at,
                    ingested_at=at,
                )
            )
        if len(posts) >= 5000:
            Post.objects.bulk_create(posts)
            posts = []
    Post.objects.bulk_create(posts)
    write(f"  {Post.objects.filter(workspace=workspace).count():,} posts in {time.perf_counter() - start:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE contacts_person; ANALYZE commerce_customervalue; ANALYZE listening_post;")


def _naive(workspace_id: int) -> int:
    """The baseline: read every person with their value row and decide in Python, person by person."""
    values = {
        v.person_id: v
        for v in CustomerValue.objects.filter(workspace_id=workspace_id).only("person_id", "orders", "p_alive")
    }
    n = 0
    for pk, country in (
        Person.objects.filter(workspace_id=workspace_id, merged_into__isnull=True)
        .values_list("pk", "country")
        .iterator(chunk_size=10_000)
    ):
        v = values.get(pk)
        if v and v.orders >= 2 and v.p_alive is not None and v.p_alive >= 0.5 and country != "SE":
            n += 1
    return n


def _line(write, label: str, ms: list[float], goal: float | None = None) -> None:
    med = statistics.median(ms)
    verdict = "" if goal is None else ("  ok" if med < goal else f"  OVER the {goal:.0f} ms goal")
    write(f"  {label:<44} median {med:9.1f} ms   max {max(ms):9.1f} ms{verdict}")


def run(options: dict, write) -> None:
    """Generate (once) and measure; Rapport's figures beside the naive baseline's."""
    ws, _ = get_or_create_workspace(slug=options["workspace"], name="Segments benchmark")
    have = Person.objects.filter(workspace=ws).count()
    if options["regenerate"] or have != options["people"]:
        if have:
            write("dropping the previous bench data")
            Segment.objects.filter(workspace=ws).delete()
            Post.objects.filter(workspace=ws).delete()
            CustomerValue.objects.filter(workspace=ws).delete()
            Person.objects.filter(workspace=ws).delete()
        write(f"generating {options['people']:,} people on {connection.vendor}")
        generate(workspace=ws, people=options["people"], write=write)
    repeat = options["repeat"]
    write(
        f"\nsegments over {options['people']:,} people on {connection.vendor} (goal: < {GOAL_MS} ms at 1M on "
        "PostgreSQL)"
    )
    write(
        f"  (measured in-process on services, not through the API or the pages; counts are the median of {repeat} "
        "runs on a warm database, the first fill, the incremental update and reconcile one run each; the people, "
        "value summaries and posts are generated directly, not imported)"
    )
    results = {}
    for label, definition in (("value + attributes", VALUE_DEF), ("value, tags, social and recency", MIXED_DEF)):
        qs = services.matching(workspace=ws, definition=definition)
        results[label] = qs.count()
        _line(write, f"count: {label} ({results[label]:,})", _timed(qs.count, repeat), GOAL_MS)
    naive = _timed(lambda: _naive(ws.pk), max(1, min(repeat, 2)))
    assert _naive(ws.pk) == results["value + attributes"], "the baseline and the segment disagree"
    _line(write, "baseline: per-person loop in Python", naive)
    Segment.objects.filter(workspace=ws).delete()
    actor = Actor.system("bench")
    start = time.perf_counter()
    segment = services.create_segment(workspace=ws, actor=actor, data={"name": "bench", "definition": VALUE_DEF})
    write(
        f"  {'first fill of a saved segment (INSERT ... SELECT)':<44} {(time.perf_counter() - start) * 1000:9.1f} ms"
        f"   ({services.member_count(segment):,} members)"
    )
    sample = list(
        CustomerValue.objects.filter(workspace=ws).order_by("person_id").values_list("person_id", flat=True)[:100]
    )
    CustomerValue.objects.filter(person_id__in=sample).update(orders=9, p_alive=0.9)
    ms = _timed(lambda: services.refresh_people(workspace_id=ws.pk, person_ids=sample, families={"value"}), 1)
    _line(write, "incremental: 100 people's value changed", ms, 1000)
    start = time.perf_counter()
    result = services.reconcile(segment)
    write(f"  {'reconcile (two anti-joins)':<44} {(time.perf_counter() - start) * 1000:9.1f} ms   {result}")
