"""`rapport bench pipeline --workers 1,2,4`: the Redis queue read by 1, 2, 4 `rapport worker` processes.

The run starts its own redis-server (rapport.pipeline.backing), so no other worker reads the bench's stream, and
uses the configured PostgreSQL when DATABASE_URL names one, else a private PostgreSQL cluster (or, with no
PostgreSQL installed, a SQLite file, said so). For each worker count it creates a workspace (brand channel and
tracking rules, as the rest of the bench), starts the workers (`rapport worker --no-jobs`: the stream alone, every
subscriber attached), lets each take a first batch (model loading and start-up are not timed), then queues the
posts and times them until the stream is empty (every batch stored, routed and acknowledged). Worker CPU comes
from /proc/PID/stat before and after; peak RSS from each worker's rusage when it exits.

Run inside a fresh process per step (`python -m rapport.pipeline.benchworkers setup|count|drop`) so this process
never opens the private database.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rapport() -> list[str]:
    return [sys.executable, "-m", "rapport.cli"]


class _Install:
    """A fresh RAPPORT_HOME on the given database and queue, with the caller's built models."""

    def __init__(self, root: Path, *, database_url: str | None, queue_url: str) -> None:
        self.home = root / "home"
        self.home.mkdir(parents=True)
        self.env = {k: v for k, v in os.environ.items() if k not in ("RAPPORT_TESTING", "PYTEST_CURRENT_TEST")}
        self.env.update(RAPPORT_HOME=str(self.home), RAPPORT_LOG_LEVEL="ERROR", RAPPORT_QUEUE_URL=queue_url)
        self.env.pop("DATABASE_URL", None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
            self.env.setdefault("RAPPORT_SECRET_KEY", secrets.token_urlsafe(48))
        built = Path(os.environ.get("RAPPORT_HOME", ".rapport")) / "models"
        if built.is_dir():
            shutil.copytree(built, self.home / "models")

    def run(self, *args: str, timeout: float = 900) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and modules
            args, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[-3:])} failed: {done.stderr[-2000:]}")
        return done.stdout

    def inside(self, *args: str) -> dict:
        out = self.run(sys.executable, "-m", "rapport.pipeline.benchworkers", *args)
        return json.loads(out.strip().splitlines()[-1])

    def worker(self, batch: int, n: int) -> subprocess.Popen:
        log = (self.home / f"worker{n}.log").open("ab")
        args = [*_rapport(), "worker", "--no-jobs", "--batch-size", str(batch), "--block-ms", "200"]
        return subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def _database_cpu(data_dir: Path | None) -> float:
    """CPU seconds of a private PostgreSQL cluster's postmaster and its children so far (NaN when not private)."""
    from rapport.pipeline.backing import cpu_seconds

    if data_dir is None:
        return float("nan")
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, ValueError, IndexError):
        return float("nan")
    return sum(cpu_seconds(p) for p in [pid, *map(int, children)])


def _wait_drained(queue, *, timeout: float, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while queue.backlog():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workers left {queue.backlog()} posts in the stream after {timeout:.0f} s")
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a worker exited during the run: see its log")
        time.sleep(0.02)


def _one(install: _Install, queue, *, workers: int, posts: int, batch: int, pg_data: Path | None) -> dict:
    from rapport.pipeline.backing import cpu_seconds
    from rapport.pipeline.bench import synthetic_posts

    ws = install.inside("setup")["workspace_id"]
    procs = [install.worker(batch, n) for n in range(workers)]
    try:
        # Each worker's first batch loads its models and opens its connections: done before the clock starts.
        warm = list(synthetic_posts(batch * workers, run=f"warm-{secrets.token_hex(3)}"))
        queue.enqueue(workspace_id=ws, posts=warm, source="bench")
        _wait_drained(queue, timeout=600, procs=procs)
        time.sleep(0.3)
        cpu0 = [cpu_seconds(p.pid) for p in procs]
        db0 = _database_cpu(pg_data)
        started = time.perf_counter()
        run = f"w{workers}-{secrets.token_hex(3)}"
        chunk: list[dict] = []
        for post in synthetic_posts(posts, run=run):
            chunk.append(post)
            if len(chunk) == 1000:
                queue.enqueue(workspace_id=ws, posts=chunk, source="bench")
                chunk = []
        if chunk:
            queue.enqueue(workspace_id=ws, posts=chunk, source="bench")
        _wait_drained(queue, timeout=3600, procs=procs)
        elapsed = time.perf_counter() - started
        cpu = [cpu_seconds(p.pid) - c for p, c in zip(procs, cpu0, strict=True)]
        db = _database_cpu(pg_data) - db0
    finally:
        rss = []
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                _, _, usage = os.wait4(p.pid, 0)
                rss.append(round(usage.ru_maxrss / 1024, 1))
            except ChildProcessError:
                pass
            p.returncode = 0
    counts = install.inside("count", str(ws))
    install.inside("drop", str(ws))
    if counts["posts"] != posts + len(warm):
        raise RuntimeError(f"{workers} workers stored {counts['posts']} of {posts + len(warm)} posts")
    cpu_total = sum(cpu)
    return {
        "workers": workers,
        "posts": posts,
        "seconds": round(elapsed, 2),
        "posts_per_s": round(posts / elapsed),
        "worker_cpu_seconds": [round(c, 2) for c in cpu],
        "posts_per_worker_cpu_s": round(posts / cpu_total) if cpu_total else None,
        "database_cpu_seconds": None if db != db else round(db, 2),
        "worker_peak_rss_mb": rss,
        # Inbound messages over every post stored, the untimed warm-up's included (batch x workers of them).
        "routed": counts["messages"],
        "routed_of_posts": posts + len(warm),
        "undelivered_events": counts["undelivered_events"],
    }


def scale_out(
    *, workers: list[int], posts: int, batch: int, runs: int = 1, write=print, database: str = "auto"
) -> dict:
    """posts/s wall and posts per worker CPU-second for each worker count, with their ratios to the first count.

    database: "auto" (the configured PostgreSQL, else a private cluster, else SQLite), or "sqlite" (a SQLite file
    in the run's fresh home: the smoke test's, quick to migrate)."""
    import statistics

    from django.db import connection

    from rapport.pipeline.backing import PrivatePostgres, PrivateRedis
    from rapport.pipeline.queue import RedisQueue

    root = Path(tempfile.mkdtemp(prefix="rapport-bench-workers-"))
    redis = PrivateRedis(root)
    if not redis.available:
        raise RuntimeError("--workers needs redis-server installed (the run starts its own)")
    pg = None
    database_url = None
    wanted, database = database, "sqlite (file)"
    if wanted == "sqlite":
        pass
    elif connection.vendor == "postgresql":
        from django.conf import settings

        database_url, database = settings.DATABASE_URL, "postgresql (DATABASE_URL)"
    else:
        candidate = PrivatePostgres(root)
        if candidate.available:
            pg, database = candidate, "postgresql (private cluster)"
        else:
            write("bench: no PostgreSQL installed here; the workers share a SQLite file (one writer at a time)")
    try:
        redis.start()
        if pg is not None:
            pg.start()
            database_url = pg.url
        install = _Install(root, database_url=database_url, queue_url=redis.url)
        if pg is not None or database_url is None:
            install.run(*_rapport(), "migrate", "--verbosity", "0")
        queue = RedisQueue(redis.url)
        rows: dict[int, list[dict]] = {k: [] for k in workers}
        for _ in range(runs):
            for k in workers:
                rows[k].append(
                    _one(install, queue, workers=k, posts=posts, batch=batch, pg_data=pg.root / "data" if pg else None)
                )
                write(f"bench: {k} worker(s): {rows[k][-1]['posts_per_s']:,} posts/s")
    except BaseException:
        failed = True
        write(f"bench: the workers' logs are kept in {root / 'home'}")
        raise
    else:
        failed = False
    finally:
        redis.stop()
        if pg is not None:
            pg.stop()
    if not failed:
        shutil.rmtree(root, ignore_errors=True)
    out = []
    for k in workers:
        med = {key: statistics.median(r[key] for r in rows[k]) for key in ("posts_per_s", "posts_per_worker_cpu_s")}
        out.append({**rows[k][len(rows[k]) // 2], **{key: round(v) for key, v in med.items()}})
    base = out[0]
    for row in out:
        row["wall_vs_first"] = round(row["posts_per_s"] / base["posts_per_s"], 2)
        row["per_cpu_vs_first"] = round(row["posts_per_worker_cpu_s"] / base["posts_per_worker_cpu_s"], 2)
    return {"database": database, "queue": "redis (private)", "batch": batch, "runs": runs, "by_workers": out}


def _main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    from rapport.core.models import OutboxEvent, Workspace
    from rapport.listening.models import Post
    from rapport.pipeline import bench
    from rapport.pipeline.benchhooks import brand

    what = argv[0]
    if what == "setup":
        ws = bench._workspace()
        out = {"workspace_id": ws.pk, "slug": ws.slug}
    elif what == "count":
        ws_id = int(argv[1])
        out = {
            "posts": Post.objects.filter(workspace_id=ws_id).count(),
            "messages": brand().messages(ws_id),
            # Events a failing subscriber left for the retry job, which `--no-jobs` workers never run: posts that
            # were stored but not (yet) routed. Zero when "routed" is final.
            "undelivered_events": OutboxEvent.objects.filter(workspace_id=ws_id, delivered_at__isnull=True).count(),
        }
    elif what == "drop":
        bench._drop(Workspace.objects.get(pk=int(argv[1])))
        out = {"dropped": int(argv[1])}
    else:
        raise SystemExit(f"unknown step {what!r}: setup, count or drop")
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    _main(sys.argv[1:])
