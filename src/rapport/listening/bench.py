"""`rapport bench enrichment`: enrichment's cost on the stream: the detector over real tweets, and a linked batch
read for people who allowed it (queries per batch, posts per second) beside the naive way (ask consent and write
per post). Everything is written in a transaction rolled back at the end."""

from __future__ import annotations

import csv
import json
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

NAME = "enrichment"


class _Rollback(Exception):
    pass


def add_arguments(parser) -> None:
    """Options of `rapport bench enrichment`."""
    parser.add_argument("--batch", type=int, default=1000, help="posts in the linked batch")
    parser.add_argument("--people", type=int, default=200, help="people behind the batch's posts")
    parser.add_argument("--consented", type=float, default=0.5, help="share of them with the enrichment purpose")
    parser.add_argument("--repeats", type=int, default=5)


def _texts() -> list[str]:
    path = settings.RAPPORT_DATA_DIR / "Tweets.csv"
    if not path.exists():
        return ["Getting married Saturday!", "my bag never arrived", "wildlife photography at dawn"] * 1000
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def _naive(workspace_id: int, post_ids: list[int]) -> None:
    """Per post: read it, ask consent for its person, detect, and get-or-create each fact."""
    from rapport.consent import services
    from rapport.consent.enrichment.detect import detect, expires_at
    from rapport.consent.models import EnrichmentFact, Purpose
    from rapport.contacts.models import Person
    from rapport.listening.models import Post

    for pk in post_ids:
        post = Post.objects.get(pk=pk)
        person = Person.objects.get(pk=post.person_id)
        if not services.may_process(person, Purpose.ENRICHMENT):
            continue
        for found in detect(post.text, language=post.language, posted_at=post.created_at):
            EnrichmentFact.objects.update_or_create(
                person_id=person.pk,
                kind=found.kind,
                value=found.value,
                defaults={
                    "workspace_id": workspace_id,
                    "confidence": found.confidence,
                    "source_post": pk,
                    "expires_at": expires_at(found, post.created_at),
                    "observed_at": post.created_at,
                    "event_date": found.event_date,
                },
            )


def run(options: dict, write) -> None:
    from rapport.consent import services
    from rapport.consent.enrichment.detect import detect
    from rapport.consent.models import EnrichmentFact, Purpose
    from rapport.contacts.models import Person
    from rapport.core.services import get_or_create_workspace
    from rapport.listening.enrichment import enrich_posts
    from rapport.listening.models import Post

    texts = _texts()
    t0 = time.perf_counter()
    hits = sum(1 for t in texts if detect(t, language="en"))
    detect_s = time.perf_counter() - t0
    report: dict = {
        "detector_texts": len(texts),
        "detector_texts_per_s": round(len(texts) / detect_s),
        "detector_texts_with_a_fact": hits,
    }
    batch, n_people, repeats = options["batch"], options["people"], options["repeats"]
    try:
        with transaction.atomic():
            ws, _ = get_or_create_workspace(slug="bench-enrichment", name="Bench enrichment")
            now = timezone.now()
            people = Person.objects.bulk_create(
                Person(workspace=ws, first_name=f"P{i}", last_name="Bench") for i in range(n_people)
            )
            for p in people[: int(n_people * options["consented"])]:
                services.record(p, Purpose.ENRICHMENT, granted=True, source="api")
            posts = Post.objects.bulk_create(
                Post(
                    workspace=ws,
                    network="twitter",
                    external_id=f"bench-enrich-{i}",
                    person=people[i % n_people],
                    text=texts[i % len(texts)],
                    language="en",
                    created_at=now - timedelta(minutes=i),
                    ingested_at=now,
                )
                for i in range(batch)
            )
            ids = [p.pk for p in posts]
            unlinked = Post.objects.bulk_create(
                Post(
                    workspace=ws,
                    network="twitter",
                    external_id=f"bench-anon-{i}",
                    text=texts[i % len(texts)],
                    language="en",
                    created_at=now,
                    ingested_at=now,
                )
                for i in range(batch)
            )
            anon_ids = [p.pk for p in unlinked]
            with CaptureQueriesContext(connection) as unlinked_q:
                enrich_posts(workspace_id=ws.pk, post_ids=anon_ids)
            runs, queries = [], 0
            for _ in range(repeats):
                EnrichmentFact.objects.filter(workspace=ws).delete()
                with CaptureQueriesContext(connection) as q:
                    t0 = time.perf_counter()
                    enrich_posts(workspace_id=ws.pk, post_ids=ids)
                    runs.append(time.perf_counter() - t0)
                queries = len(q)
            facts = EnrichmentFact.objects.filter(workspace=ws).count()
            EnrichmentFact.objects.filter(workspace=ws).delete()
            sample = ids[: min(batch, 300)]
            with CaptureQueriesContext(connection) as naive_q:
                t0 = time.perf_counter()
                _naive(ws.pk, sample)
                naive_s = time.perf_counter() - t0
            median = statistics.median(runs)
            report.update(
                {
                    "database": connection.vendor,
                    "batch": batch,
                    "people": n_people,
                    "consented_share": options["consented"],
                    "facts_stored": facts,
                    "linked_batch_posts_per_s": round(batch / median),
                    "linked_batch_queries": queries,
                    "batch_with_nobody_behind_it_queries": len(unlinked_q),
                    "naive_posts": len(sample),
                    "naive_posts_per_s": round(len(sample) / naive_s),
                    "naive_queries_per_post": round(len(naive_q) / len(sample), 1),
                    "speedup_vs_naive": round((batch / median) / (len(sample) / naive_s), 1),
                }
            )
            raise _Rollback
    except _Rollback:
        pass
    write(json.dumps(report))
