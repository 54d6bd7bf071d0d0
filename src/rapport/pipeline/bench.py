"""`rapport bench pipeline`: `rapport ingest` cold and warm, peak memory, workers, and a per-post baseline.

Every figure is measured in a workspace with a brand channel (@benchbrand) and four tracking rules, on real tweet
texts, a third of them addressed to the brand, so identity linking and inbox routing do their share of the work.
Figures are medians of `--runs` runs; the machine they run on is printed beside them (cores, database).
"""

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
BRAND = "benchbrand"  # the brand channel's handle: a third of the posts address it
BRAND_SHARE = 3  # every third post
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
    """n posts with real tweet texts, unique ids, a pool of repeat authors and ~600 posts an hour (streamed); every
    third one is addressed to the brand (@benchbrand)."""
    authors = authors or max(n // 5, 1)
    # Live posts (the last hours), not history: the inbox's subscribers treat posts past its window as a backfill.
    # Spread over the last 14 days at most, whatever n: older posts would be history the inbox does not open.
    step = min(6.0, 13 * 86400 / max(n, 1))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=step * n)
    for i, text in enumerate(islice(cycle(_texts()), n)):
        a = (i * 7919) % authors
        if i % BRAND_SHARE == 0:
            text = f"@{BRAND} {text}"
        yield {
            "network": "twitter",
            "external_id": f"{run}-{i}",
            "created_at": utc_iso(start + timedelta(seconds=step * i)),
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
    """A new workspace with the bench's tracking rules and its brand channel."""
    from rapport.pipeline.benchhooks import brand

    ws = Workspace.objects.create(slug=f"bench-{uuid.uuid4().hex[:10]}", name="Benchmark (temporary)")
    for name, kind, query in RULES:
        TrackingRule.objects.create(workspace=ws, name=name, kind=kind, query=query)
    brand().add_channel(ws.pk, "twitter", BRAND)
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


def straightforward(n: int) -> dict:
    """The per-post pipeline a competent engineer writes in an afternoon with the same libraries, doing the same
    work one post and one transaction at a time: language (py3langid, restricted to the eight languages Rapport
    reports), sentiment (Rapport's own model, one post per call), the tracking rules (Rapport's compiled rules),
    the author's identity looked up by handle (identity's find-or-create), one row per post and per rule match,
    and for a post addressed to the brand the inbox's one-message path (open or join the conversation, add the
    message, its SLA and routing). It leaves out spike counts and near-duplicate hashing."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from rapport.identity.accounts import find_or_create_identity
    from rapport.listening.models import PostRule
    from rapport.listening.nlp import SUPPORTED_LANGUAGES
    from rapport.listening.nlp.sentiment import score_sentiment
    from rapport.listening.query import views_of
    from rapport.listening.rules import matching_ids
    from rapport.pipeline.benchhooks import brand

    langid = LanguageIdentifier.from_model_file(MODEL_FILE)
    langid.set_languages(list(SUPPORTED_LANGUAGES))
    route_one = brand().route_one
    ws = _workspace()
    mention = f"@{BRAND}"
    routed = 0
    try:
        rules = compiled_rules(ws.pk)
        started, cpu0 = time.perf_counter(), time.process_time()
        for p in synthetic_posts(n, run=f"plain-{uuid.uuid4().hex[:6]}"):
            text = p["text"]
            lang, _ = langid.classify(text)
            ((label, score),) = score_sentiment([text], [lang])
            (view,) = views_of([text], [lang], [p["network"]])
            matched = matching_ids(rules, view)
            with transaction.atomic():
                author = find_or_create_identity(
                    workspace=ws,
                    network=p["network"],
                    external_id=p["author"]["external_id"],
                    handle=p["author"]["handle"],
                )
                now = datetime.now(UTC)
                post = Post.objects.create(
                    workspace=ws,
                    network=p["network"],
                    external_id=p["external_id"],
                    author=author,
                    person_id=author.person_id if author else None,
                    text=text,
                    language=lang,
                    sentiment_label=label,
                    sentiment_score=score,
                    created_at=datetime.fromisoformat(p["created_at"]),
                    kind=p["kind"],
                    source="bench",
                    ingested_at=now,
                )
                for rule_id in matched:
                    PostRule.objects.create(workspace=ws, post=post, rule_id=rule_id, created_at=post.created_at)
                if mention in text.lower():
                    routed += route_one(ws.pk, post, author)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
        return {
            "posts_per_s": round(n / elapsed),
            "seconds": round(elapsed, 2),
            "posts_per_cpu_s": round(n / cpu) if cpu else None,
            "routed": routed,
        }
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


@contextmanager
def _timed_subscribers(events_: tuple[str, ...]):
    """Time every after-commit subscriber of events_ (seconds per handler name) while the block runs."""
    import functools

    from rapport.core import events

    spent: dict[str, float] = {}
    swapped = []
    for event in events_:
        for name, handler in events.subscribers(event).items():

            def timed(ev, payload, _h=handler, _n=name):
                t0 = time.perf_counter()
                try:
                    return _h(ev, payload)
                finally:
                    spent[_n] = spent.get(_n, 0.0) + time.perf_counter() - t0

            functools.update_wrapper(timed, handler)  # same module and name: the outbox rows name it as before
            events.unsubscribe(event, handler)
            events.subscribe(event, timed)
            swapped.append((event, handler, timed))
    try:
        yield spent
    finally:
        for event, handler, timed in swapped:
            events.unsubscribe(event, timed)
            events.subscribe(event, handler)


def with_subscribers(n: int, batch: int) -> dict:
    """end_to_end with every subscriber attached, and the time each subscriber took per post."""
    with _timed_subscribers(("listening.posts_stored", "identity.posts_linked")) as spent:
        row = end_to_end(n, batch)
    row["subscriber_us_per_post"] = {k: round(1e6 * v / n, 1) for k, v in sorted(spent.items(), key=lambda kv: -kv[1])}
    return row


def _run_ingest(path: str, slug: str, batch: int) -> dict:
    """`rapport ingest FILE` in a fresh process; wall, CPU and peak RSS of that process (and its analysis helper)."""
    import json
    import subprocess
    import sys

    args = [sys.executable, "-m", "rapport.cli", "ingest", path, "--format", "jsonl", "--workspace", slug]
    args += ["--batch-size", str(batch)]
    with tempfile_pair() as (out_fh, err_fh):
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out_fh, stderr=err_fh)  # noqa: S603 - our own interpreter
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_fh.seek(0)
        err_fh.seek(0)
        out, err = out_fh.read().decode(), err_fh.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"rapport ingest failed: {err[-2000:]}")
    stored = json.loads(out.strip().splitlines()[-1])["stored"]
    return {
        "posts_per_s": round(stored / elapsed),
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        # ru_maxrss of a reaped child is the largest of it and the children it reaped (the analysis helper).
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "posts_per_cpu_s": round(stored / cpu) if (cpu := usage.ru_utime + usage.ru_stime) else None,
        "stored": stored,
    }


@contextmanager
def tempfile_pair():
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        yield out, err


def _write_posts(path: str, n: int, run: str) -> None:
    import json

    with open(path, "w", encoding="utf-8") as fh:
        for post in synthetic_posts(n, run=run):
            fh.write(json.dumps(post) + "\n")


def user_command(n: int, batch: int, *, runs: int = 1, rss_posts: tuple[int, ...] = ()) -> dict:
    """`rapport ingest FILE` as a user runs it: a fresh process (start-up, model load) into a new workspace with a
    brand channel and every subscriber attached, first cold (the workspace's first posts), then warm (new posts
    into the same workspace, `runs` times: the median); then once more at each size of rss_posts, for memory."""
    import tempfile

    ws = _workspace()
    out: dict = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "posts.jsonl")
            _write_posts(path, n, f"cmd-cold-{uuid.uuid4().hex[:6]}")
            out["cold"] = _run_ingest(path, ws.slug, batch)
            warm = []
            for _ in range(runs):
                _write_posts(path, n, f"cmd-warm-{uuid.uuid4().hex[:6]}")
                warm.append(_run_ingest(path, ws.slug, batch))
            warm.sort(key=lambda r: r["posts_per_s"])
            out["warm"] = warm[len(warm) // 2]
            out["warm_runs_posts_per_s"] = [r["posts_per_s"] for r in warm]
            out["peak_rss_mb_by_posts"] = {n: max(r["peak_rss_mb"] for r in [out["cold"], *warm])}
            for size in rss_posts:
                _write_posts(path, size, f"cmd-rss-{uuid.uuid4().hex[:6]}")
                row = _run_ingest(path, ws.slug, batch)
                out[f"warm_{size}"] = row
                out["peak_rss_mb_by_posts"][size] = row["peak_rss_mb"]
        return out
    finally:
        _drop(ws)


def measure(
    *,
    posts: int,
    runs: int = 3,
    batch: int = 1000,
    baseline_posts: int | None = None,
    subscriber_posts: int = 1000,
    command_posts: int = 0,
    rss_posts: tuple[int, ...] = (),
) -> dict:
    """Median figures over `runs` runs of each pipeline; the sentiment model is loaded before timing."""
    analyse([Item(post=p, created_at=datetime.now(UTC)) for p in synthetic_posts(10, run="warm")], [])
    rss_before = _peak_mb()
    with _without_subscribers("listening.posts_stored") as detached:
        e2e = [end_to_end(posts, batch) for _ in range(runs)]
    rss_e2e = _peak_mb()
    # What other apps do with every stored post (inbox routing, identity matching) runs after each commit.
    with_subs = [with_subscribers(subscriber_posts, batch) for _ in range(runs)] if subscriber_posts else []
    ana = [analysis_only(posts, batch) for _ in range(runs)]
    cores = os.cpu_count() or 1
    ana_par = [analysis_parallel(posts, batch, cores) for _ in range(runs)] if cores > 1 else ana
    command = user_command(command_posts, batch, runs=runs, rss_posts=rss_posts) if command_posts else None
    base_n = baseline_posts or (command_posts or min(posts, 3000))
    base = [straightforward(base_n) for _ in range(runs)]
    med = lambda rows: statistics.median(r["posts_per_s"] for r in rows)  # noqa: E731
    subs = sorted(with_subs, key=lambda r: r["posts_per_s"])[len(with_subs) // 2] if with_subs else None
    return {
        "database": connection.vendor,
        "cores": cores,
        # What each figure covers, so that none is read as more than it is.
        "measured": {
            "workspace": f"4 tracking rules and a brand channel (@{BRAND}); every {BRAND_SHARE}rd post addresses it",
            "end_to_end": "the stream in this process, warm, with the listening.posts_stored subscribers detached",
            "end_to_end_with_subscribers": "the same with identity linking, inbox routing and the rest attached;"
            " subscriber_us_per_post is the time inside each subscriber",
            "user_command": "`rapport ingest` in a fresh process into a new workspace, cold then warm, everything on;"
            " CPU and peak RSS are the command's (with its analysis helper process)",
            "baseline": straightforward.__doc__.split("\n\n")[0].replace("\n    ", " "),
            "baseline_posts_per_s": "the straightforward pipeline on posts of the same mix, in this process, warm",
            "per_cpu_s": "posts per CPU-second of the process (with rapport ingest's analysis helper): the ratios"
            " that hold on a machine shared with other jobs",
        },
        "posts": posts,
        "batch": batch,
        "runs": runs,
        "end_to_end_posts_per_s": med(e2e),
        "analysis_only_posts_per_s": med(ana),
        "analysis_only_all_cores_posts_per_s": med(ana_par),
        "baseline_posts": base_n,
        "baseline_posts_per_s": med(base),
        "baseline_posts_per_cpu_s": statistics.median(r["posts_per_cpu_s"] or 0 for r in base),
        "peak_rss_mb_before": rss_before,
        "peak_rss_mb_after_end_to_end": rss_e2e,
        "posts_stored_subscribers": detached,
        "subscriber_posts": subscriber_posts if subs else 0,
        "end_to_end_with_subscribers_posts_per_s": subs["posts_per_s"] if subs else None,
        # What the subscribers add per post: the same run's per-post time with them less that without.
        "subscriber_cost_us_per_post": (round(1e6 * (1 / subs["posts_per_s"] - 1 / med(e2e)), 1) if subs else None),
        "subscriber_us_per_post": subs["subscriber_us_per_post"] if subs else None,
        "user_command": command,
        "user_command_posts": command_posts,
        "cold_vs_baseline": round(command["cold"]["posts_per_s"] / max(med(base), 1), 1) if command else None,
        "warm_vs_baseline": round(command["warm"]["posts_per_s"] / max(med(base), 1), 1) if command else None,
        # On a shared machine wall-clock rates move with the neighbours' load; CPU-seconds per post much less.
        # (On SQLite the database works inside each process, so its CPU is in both figures.)
        "cold_vs_baseline_per_cpu_s": _ratio(command["cold"], base) if command else None,
        "warm_vs_baseline_per_cpu_s": _ratio(command["warm"], base) if command else None,
    }


def _ratio(row: dict, base: list[dict]) -> float | None:
    per_cpu = statistics.median(r["posts_per_cpu_s"] or 0 for r in base)
    return round(row["posts_per_cpu_s"] / per_cpu, 1) if row.get("posts_per_cpu_s") and per_cpu else None


def _sizes(value: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise ValueError(f"expected comma-separated counts, got {value!r}") from None


def add_arguments(parser) -> None:
    """Options of `rapport bench pipeline`."""
    import argparse

    def sizes(value: str) -> tuple[int, ...]:
        try:
            out = _sizes(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if any(v <= 0 for v in out):
            raise argparse.ArgumentTypeError("counts must be positive")
        return out

    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="figures are medians over this many runs")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--baseline-posts",
        type=int,
        default=None,
        help="posts for the straightforward per-post baseline (default: --command-posts, else min(N, 3000))",
    )
    parser.add_argument(
        "--subscriber-posts",
        type=int,
        default=1000,
        help="posts for the in-process runs with the listening.posts_stored subscribers attached",
    )
    parser.add_argument(
        "--command-posts",
        type=int,
        default=5000,
        help="posts for `rapport ingest` in a fresh process, cold then warm, new workspace (0: skip)",
    )
    parser.add_argument(
        "--rss-posts",
        type=sizes,
        default=(),
        metavar="N[,N...]",
        help="one more warm `rapport ingest` of each size, for its peak RSS (e.g. 100000)",
    )
    parser.add_argument(
        "--workers",
        type=sizes,
        default=(),
        metavar="K[,K...]",
        help="instead: the Redis queue read by K `rapport worker` processes each (e.g. 1,2,4); --posts per run",
    )


def run(options: dict, write) -> None:
    """Measure and print one JSON line of medians."""
    import json

    if options.get("workers"):
        from rapport.pipeline.benchworkers import scale_out

        figures = scale_out(
            workers=list(options["workers"]),
            posts=options["posts"],
            batch=min(options["batch"], 500),
            runs=options["runs"],
            write=write,
        )
        for row in figures["by_workers"]:
            write(
                f"{row['workers']} worker(s): {row['posts_per_s']:>7,} posts/s wall ({row['wall_vs_first']:.2f}x),"
                f" {row['posts_per_worker_cpu_s']:>7,} posts per worker CPU-second ({row['per_cpu_vs_first']:.2f}x)"
            )
        write(json.dumps(figures))
        return
    write(
        json.dumps(
            measure(
                posts=options["posts"],
                runs=options["runs"],
                batch=options["batch"],
                baseline_posts=options["baseline_posts"],
                subscriber_posts=options["subscriber_posts"],
                command_posts=options["command_posts"],
                rss_posts=tuple(options["rss_posts"]),
            )
        )
    )
