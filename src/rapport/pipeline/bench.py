"""`rapport bench pipeline`: end-to-end and analysis-only throughput, peak memory, and a naive per-post baseline."""

from __future__ import annotations

import csv
import os
import resource
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import cycle, islice

from django.db import connection, transaction

from rapport.core.models import Workspace
from rapport.listening.models import Post, TrackingRule
from rapport.listening.nlp import data
from rapport.listening.rules import compiled_rules
from rapport.pipeline.connectors.base import utc_iso
from rapport.pipeline.ingest import process_stream
from rapport.pipeline.stages import Item, analyse

RULES = [
    ("United", "brand", "@united OR united"),
    ("Rivals", "competitor", "@delta OR @southwestair OR jetblue"),
    ("Bags", "product", "bag OR bags OR baggage OR luggage"),
    ("Refunds", "campaign", '"refund" OR refunds'),
]
FALLBACK = [
    "@united my bag never arrived and nobody answers",
    "Great flight today, thanks @delta!",
    "Waiting at the gate for two hours now",
    "Min kuffert er væk og ingen hjælper",
    "Mein Koffer ist weg",
]


@cache
def _texts() -> tuple[str, ...]:
    # Read once per process: the timed runs measure the pipeline, not reading the CSV file.
    path = data.tweets_path()
    if not path.exists():
        return tuple(FALLBACK)
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(row["text"] for row in csv.DictReader(fh))


def synthetic_posts(n: int, *, run: str, authors: int | None = None) -> Iterator[dict]:
    """n posts with real tweet texts, unique ids, a pool of repeat authors and ~600 posts an hour (streamed)."""
    authors = authors or max(n // 5, 1)
    # Live posts (the last hours), not history: the inbox's subscribers treat posts past its window as a backfill.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=6 * n)
    for i, text in enumerate(islice(cycle(_texts()), n)):
        a = (i * 7919) % authors
        yield {
            "network": "twitter",
            "external_id": f"{run}-{i}",
            "created_at": utc_iso(start + timedelta(seconds=6 * i)),
            "text": text,
            "author": {"external_id": f"a{a}", "handle": f"user{a}", "name": None, "followers": a % 5000},
            "in_reply_to": None,
            "url": None,
            "kind": "mention",
            "metrics": {},
            "raw": {"i": i},
        }


def _batches(it: Iterator[dict], size: int) -> Iterator[list[dict]]:
    while batch := list(islice(it, size)):
        yield batch


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _workspace() -> Workspace:
    ws = Workspace.objects.create(slug=f"bench-{uuid.uuid4().hex[:10]}", name="Benchmark (temporary)")
    for name, kind, query in RULES:
        TrackingRule.objects.create(workspace=ws, name=name, kind=kind, query=query)
    return ws


def _drop(ws: Workspace) -> None:
    """Remove a benchmark workspace with plain DELETEs (the ORM's collector would load every row first)."""
    from django.apps import apps
    from django.db import IntegrityError

    scoped = [
        m
        for m in apps.get_models()
        if any(
            f.name == "workspace" and f.is_relation and f.related_model is Workspace for f in m._meta.concrete_fields
        )
    ]
    try:
        # Foreign keys are deferred to commit on SQLite and PostgreSQL, so the order of the DELETEs is free.
        with transaction.atomic(), connection.cursor() as cursor:
            for model in scoped:
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE workspace_id = %s", [ws.pk])  # noqa: S608
            cursor.execute(f"DELETE FROM {Workspace._meta.db_table} WHERE id = %s", [ws.pk])  # noqa: S608
    except IntegrityError:
        ws.delete()  # a table that references the workspace only indirectly: let the ORM cascade


def end_to_end(n: int, batch: int) -> dict:
    """Posts/s through every stage into the database (stored and linked), in a fresh workspace."""
    ws = _workspace()
    try:
        started = time.perf_counter()
        stored = process_stream(
            workspace_id=ws.pk, batches=_batches(synthetic_posts(n, run=uuid.uuid4().hex[:6]), batch), source="bench"
        ).stored
        elapsed = time.perf_counter() - started
        assert stored == n, f"stored {stored} of {n}"
        return {"posts_per_s": round(n / elapsed), "seconds": round(elapsed, 2)}
    finally:
        _drop(ws)


def analysis_only(n: int, batch: int) -> dict:
    """Posts/s through language, sentiment, near-duplicate hashing and rule matching, without the database."""
    ws = _workspace()
    try:
        rules = compiled_rules(ws.pk)
        posts = [list(b) for b in _batches(synthetic_posts(n, run="a"), batch)]
        started = time.perf_counter()
        for chunk in posts:
            analyse([Item(post=p, created_at=datetime.fromisoformat(p["created_at"])) for p in chunk], rules)
        elapsed = time.perf_counter() - started
        return {"posts_per_s": round(n / elapsed), "seconds": round(elapsed, 2)}
    finally:
        _drop(ws)


def analysis_parallel(n: int, batch: int, workers: int) -> dict:
    """The same analysis with each batch split over `workers` processes (forked after the models are loaded)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from rapport.pipeline.stages.analyse import analyse_texts

    ws = _workspace()
    try:
        specs = tuple(r.spec for r in compiled_rules(ws.pk))
        posts = [[(p["text"], p["network"]) for p in b] for b in _batches(synthetic_posts(n, run="p"), batch)]
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(analyse_texts, [posts[0][:10]] * workers, [specs] * workers))  # start the workers
            started = time.perf_counter()
            for chunk in posts:
                step = -(-len(chunk) // workers)
                list(
                    pool.map(
                        analyse_texts, [chunk[i : i + step] for i in range(0, len(chunk), step)], [specs] * workers
                    )
                )
            elapsed = time.perf_counter() - started
        return {"posts_per_s": round(n / elapsed), "seconds": round(elapsed, 2)}
    finally:
        _drop(ws)


def naive(n: int) -> dict:
    """The straightforward pipeline: VADER, per-post language detection, one row saved per post."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from rapport.identity.models import SocialIdentity
    from rapport.listening.nlp import SUPPORTED_LANGUAGES

    vader = SentimentIntensityAnalyzer()
    langid = LanguageIdentifier.from_model_file(MODEL_FILE)
    langid.set_languages(list(SUPPORTED_LANGUAGES))  # the eight languages Rapport reports, as a fair baseline would
    ws = _workspace()
    try:
        started = time.perf_counter()
        for p in synthetic_posts(n, run="naive"):
            lang, _ = langid.classify(p["text"])
            compound = vader.polarity_scores(p["text"])["compound"]
            label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
            author, _ = SocialIdentity.objects.get_or_create(
                workspace=ws,
                network="twitter",
                external_id=p["author"]["external_id"],
                defaults={"handle": p["author"]["handle"]},
            )
            Post.objects.create(
                workspace=ws,
                network="twitter",
                external_id=p["external_id"],
                author=author,
                text=p["text"],
                language=lang,
                sentiment_label=label,
                sentiment_score=compound,
                created_at=datetime.fromisoformat(p["created_at"]),
                ingested_at=datetime.now(UTC),
            )
        elapsed = time.perf_counter() - started
        return {"posts_per_s": round(n / elapsed), "seconds": round(elapsed, 2)}
    finally:
        _drop(ws)


@contextmanager
def _without_subscribers(event: str):
    """Detach the after-commit subscribers of event (e.g. inbox routing) so the pipeline is measured alone."""
    from rapport.core import events

    saved = events.subscribers(event)
    for handler in saved.values():
        events.unsubscribe(event, handler)
    try:
        yield len(saved)
    finally:
        for handler in saved.values():
            events.subscribe(event, handler)


def user_command(n: int, batch: int) -> dict:
    """`rapport ingest FILE` as a user runs it: a fresh process (start-up, model load) into a new workspace with
    every subscriber attached, first cold, then warm (a second file of new posts into the same workspace)."""
    import json
    import subprocess
    import sys
    import tempfile

    ws = _workspace()
    out: dict = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for phase in ("cold", "warm"):
                path = os.path.join(tmp, f"{phase}.jsonl")
                with open(path, "w", encoding="utf-8") as fh:
                    for post in synthetic_posts(n, run=f"cmd-{phase}-{uuid.uuid4().hex[:6]}"):
                        fh.write(json.dumps(post) + "\n")
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                proc = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                    [
                        sys.executable,
                        "-m",
                        "rapport.cli",
                        "ingest",
                        path,
                        "--format",
                        "jsonl",
                        "--workspace",
                        ws.slug,
                        "--batch-size",
                        str(batch),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                elapsed = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if proc.returncode != 0:
                    raise RuntimeError(f"rapport ingest failed: {proc.stderr[-2000:]}")
                stored = json.loads(proc.stdout.strip().splitlines()[-1])["stored"]
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                out[phase] = {
                    "posts_per_s": round(stored / elapsed),
                    "seconds": round(elapsed, 2),
                    "cpu_seconds": round(cpu, 2),
                    "stored": stored,
                }
        return out
    finally:
        _drop(ws)


def measure(
    *,
    posts: int,
    runs: int = 3,
    batch: int = 1000,
    naive_posts: int | None = None,
    subscriber_posts: int = 1000,
    command_posts: int = 0,
) -> dict:
    """Median figures over `runs` runs of each pipeline; the sentiment model is loaded before timing."""
    analyse([Item(post=p, created_at=datetime.now(UTC)) for p in synthetic_posts(10, run="warm")], [])
    rss_before = _peak_mb()
    with _without_subscribers("listening.posts_stored") as detached:
        e2e = [end_to_end(posts, batch) for _ in range(runs)]
    rss_e2e = _peak_mb()
    # What other apps do with every stored post (inbox routing, identity matching) runs after each commit.
    with_subs = end_to_end(subscriber_posts, batch) if detached and subscriber_posts else None
    ana = [analysis_only(posts, batch) for _ in range(runs)]
    cores = os.cpu_count() or 1
    ana_par = [analysis_parallel(posts, batch, cores) for _ in range(runs)] if cores > 1 else ana
    command = user_command(command_posts, batch) if command_posts else None
    naive_n = naive_posts or min(posts, 3000)
    base = [naive(naive_n) for _ in range(runs)]
    med = lambda rows: statistics.median(r["posts_per_s"] for r in rows)  # noqa: E731
    return {
        "database": connection.vendor,
        # What each figure covers, so that none is read as more than it is.
        "measured": {
            "end_to_end": "the stream in this process, warm, with the listening.posts_stored subscribers detached",
            "end_to_end_with_subscribers": "the same with identity linking, inbox routing and the rest attached",
            "user_command": "`rapport ingest` in a fresh process into a new workspace, cold then warm, everything on",
            "naive": (
                "one post at a time: language ID over the eight languages, VADER, an identity get_or_create, one row"
                " and one transaction per post; it leaves out tracking rules, identifier linking and conversations"
            ),
            "speedup_vs_naive": "end_to_end (subscribers detached) over naive; user_command_cold_vs_naive is the"
            " user's path",
        },
        "posts": posts,
        "batch": batch,
        "runs": runs,
        "end_to_end_posts_per_s": med(e2e),
        "analysis_only_posts_per_s": med(ana),
        "analysis_only_all_cores_posts_per_s": med(ana_par),
        "cores": cores,
        "naive_posts": naive_n,
        "naive_posts_per_s": med(base),
        "speedup_vs_naive": round(med(e2e) / max(med(base), 1), 1),
        "peak_rss_mb_before": rss_before,
        "peak_rss_mb_after_end_to_end": rss_e2e,
        "posts_stored_subscribers": detached,
        "end_to_end_with_subscribers_posts_per_s": with_subs["posts_per_s"] if with_subs else None,
        "subscriber_posts": subscriber_posts if with_subs else 0,
        # What the subscribers add per post: the same run's per-post time with them less that without.
        "subscriber_cost_us_per_post": (
            round(1e6 * (1 / with_subs["posts_per_s"] - 1 / med(e2e)), 1) if with_subs else None
        ),
        "user_command": command,
        "user_command_posts": command_posts,
        "user_command_cold_vs_naive": (
            round(command["cold"]["posts_per_s"] / max(med(base), 1), 1) if command else None
        ),
    }


def add_arguments(parser) -> None:
    """Options of `rapport bench pipeline`."""
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="figures are medians over this many runs")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--naive-posts", type=int, default=None, help="posts for the naive baseline (default min(N, 3000): it is slow)"
    )
    parser.add_argument(
        "--subscriber-posts",
        type=int,
        default=1000,
        help="posts for one extra run with the listening.posts_stored subscribers attached",
    )
    parser.add_argument(
        "--command-posts",
        type=int,
        default=5000,
        help="posts for `rapport ingest` in a fresh process, cold then warm, new workspace (0: skip)",
    )


def run(options: dict, write) -> None:
    """Measure and print one JSON line of medians."""
    import json

    write(
        json.dumps(
            measure(
                posts=options["posts"],
                runs=options["runs"],
                batch=options["batch"],
                naive_posts=options["naive_posts"],
                subscriber_posts=options["subscriber_posts"],
                command_posts=options["command_posts"],
            )
        )
    )
