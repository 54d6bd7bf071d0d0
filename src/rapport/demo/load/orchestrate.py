"""One load run: a fresh install, its servers, the traffic (drive.py), the faults, the counts, the report."""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rapport.demo.load.servers import Install, remove, rss_mb
from rapport.pipeline.backing import cpu_seconds

GOALS = {"error_rate": 0.0, "p99_ms": 500.0, "healthz_p99_ms": 50.0}


def _faults(install: Install, *, seconds: float, backing: dict, log: list[str]) -> None:
    """During the traffic: a worker killed with SIGKILL and started again (the server, without workers), then the
    run's own Redis restarted, then its own PostgreSQL restarted; each noted with when it happened."""
    start = time.monotonic()

    def at(share: float) -> float:
        time.sleep(max(0.0, start + seconds * share - time.monotonic()))
        return time.monotonic() - start

    when = at(0.2)
    _kill_one(install, at=when, log=log)
    if "redis" in backing:
        when = at(0.45)
        t0 = time.monotonic()
        backing["redis"].restart()
        log.append(f"Redis shut down and started again at {when:.0f} s (down {time.monotonic() - t0:.1f} s)")
    if "postgres" in backing:
        when = at(0.7)
        t0 = time.monotonic()
        backing["postgres"].restart()
        log.append(f"PostgreSQL restarted (fast shutdown) at {when:.0f} s (down {time.monotonic() - t0:.1f} s)")


def _kill_one(install: Install, *, at: float, log: list[str]) -> None:
    """A kill -9 and a restart: a worker if there are any, else the server itself."""
    if install.workers:
        victim = install.workers[0]
        victim.kill()
        victim.wait()
        log.append(f"SIGKILL worker pid {victim.pid} at {at:.0f} s")
        time.sleep(2)
        install.workers.remove(victim)
        fresh = install.start_worker()
        log.append(f"restarted as pid {fresh.pid}")
    elif install.server is not None:
        victim = install.server
        victim.kill()
        victim.wait()
        log.append(f"SIGKILL server pid {victim.pid} at {at:.0f} s (no queue: requests fail until it is back)")
        install.serve(threads=install.threads)
        log.append(f"server restarted as pid {install.server.pid}")


def _backing(options: dict, write) -> dict:
    """The fault run's own Redis and PostgreSQL (each when installed), so that restarting them harms nobody else's."""
    from rapport.pipeline.backing import PrivatePostgres, PrivateRedis

    root = Path(tempfile.mkdtemp(prefix="rapport-faults-"))
    out: dict = {"root": root}
    for name, server in (("redis", PrivateRedis(root)), ("postgres", PrivatePostgres(root))):
        if not server.available:
            write(f"fault run: no {name} installed here; its restart is left out")
            continue
        try:
            server.start()
        except BaseException:
            _stop_backing(out)
            raise
        out[name] = server
        write(f"fault run: a private {name} on 127.0.0.1:{server.port}, restarted during the traffic")
    return out


def _stop_backing(backing: dict) -> None:
    for name in ("redis", "postgres"):
        if name in backing:
            # The run's result matters more than a clean stop of its scratch servers.
            with contextlib.suppress(Exception):
                backing[name].stop()
    if "root" in backing:
        import shutil

        shutil.rmtree(backing["root"], ignore_errors=True)


def _warm_up(install: Install, seeded: dict) -> None:
    """One signed batch (the server loads its language and sentiment models) and a health check, not measured."""
    import httpx

    from rapport.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = json.dumps(
        [
            {
                "network": "twitter",
                "external_id": f"warm-{i}",
                "created_at": now,
                "text": "@loadbrand hello?",
                "author": {"external_id": f"warm{i}", "handle": f"warm{i}"},
            }
            for i in range(5)
        ]
    ).encode()
    ts = int(time.time())
    headers = {SIGNATURE_HEADER: sign(body, timestamp=ts, secret=seeded["secret"]), TIMESTAMP_HEADER: str(ts)}
    httpx.post(f"{install.url}/webhooks/generic/{seeded['webhook_key']}", content=body, headers=headers, timeout=120)
    httpx.get(f"{install.url}/healthz", timeout=30)


def _drain(install: Install, *, accepted: int, prefix: str, queued: bool) -> dict:
    """Counts once everything accepted is stored and routing has settled (queue drained), or after 120 s."""
    deadline, last, steady = time.monotonic() + 120, None, 0
    while True:
        counts = install.inside("count", "--prefix", prefix)
        done = counts["stored"] >= accepted and counts["routed"] >= counts["stored"]
        steady = steady + 1 if counts == last else 0
        if done or time.monotonic() > deadline or (steady >= 3 and not queued):
            return counts
        last = counts
        time.sleep(2)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _p99(routes: dict, names) -> float:
    values = [r["p99_ms"] for n, r in routes.items() if n in names]
    return max(values) if values else float("nan")


def load_run(options: dict, write) -> None:
    minutes, agents, marketers = options["minutes"], options["agents"], options["marketers"]
    rate = options["posts_per_s"]
    queue_url = os.environ.get("RAPPORT_QUEUE_URL") or None
    database_url = None
    password = secrets.token_urlsafe(12)
    backing = _backing(options, write) if options["faults"] else {}
    if "redis" in backing:
        queue_url = backing["redis"].url
    if "postgres" in backing:
        database_url = backing["postgres"].url
    install = Install(password=password, queue_url=queue_url, database_url=database_url)
    install.threads = options["threads"]
    prefix = f"load-{secrets.token_hex(3)}-"
    write(f"load run: fresh install in {install.home}, {'Redis queue' if queue_url else 'embedded pipeline'}")
    fault_log: list[str] = []
    try:
        install.migrate()
        seeded = install.inside("seed", "--agents", str(max(1, agents)), "--marketers", str(max(1, marketers)))
        install.serve(threads=install.threads, jobs=not queue_url)
        if queue_url:
            install.start_worker()
            install.start_worker()
        _warm_up(install, seeded)
        rss_start = rss_mb(install.server.pid)
        cpu_start, driver_cpu_start = cpu_seconds(install.server.pid), _children_cpu()
        batch = max(1, min(50, math.ceil(rate / 20)))
        config = {
            "url": install.url,
            "password": password,
            "seconds": minutes * 60,
            "agents": agents,
            "marketers": marketers,
            "posts_per_s": rate,
            "batch": batch,
            "authors": max(50, rate * 5),
            "prefix": prefix,
            "answer_share": options["answer_share"],
            **seeded,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=install.home) as fh:
            json.dump(config, fh)
        write(
            f"traffic for {minutes * 60:.0f} s: {agents} agents polling their inbox, {marketers} marketers on the API,"
            f" {rate} posts/s in signed batches of {batch}, /healthz 4 times a second; serve --threads {install.threads}"  # noqa: E501
        )
        if options["faults"]:
            threading.Thread(
                target=_faults,
                kwargs={"install": install, "seconds": minutes * 60, "backing": backing, "log": fault_log},
                daemon=True,
            ).start()
        driver = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "rapport.demo.load.drive", fh.name],
            env=install.env,
            capture_output=True,
            text=True,
            timeout=minutes * 60 + 300,
            check=False,
        )
        if driver.returncode:
            raise RuntimeError(f"the load driver failed: {driver.stderr[-3000:]}")
        traffic = json.loads(driver.stdout.strip().splitlines()[-1])
        rss_end = rss_mb(install.server.pid)
        # Saturation shows here: a server near 1 CPU-second a second is GIL-bound, a driver near it skews latencies.
        cpu = {
            "server_cpu_per_s": (cpu_seconds(install.server.pid) - cpu_start) / max(1.0, traffic["seconds"]),
            "driver_cpu_per_s": (_children_cpu() - driver_cpu_start) / max(1.0, traffic["seconds"]),
        }
        counts = _drain(install, accepted=traffic["accepted_posts"], prefix=prefix, queued=bool(queue_url))
    except BaseException:
        install.stop()
        _stop_backing(backing)
        write(f"the run failed; the servers' logs are in {install.logs}")
        raise
    install.stop()
    _stop_backing(backing)
    if counts["stored"] == counts["routed"] == traffic["accepted_posts"]:
        remove(install)
    else:  # something went missing: keep what tells why
        write(f"posts went missing; the servers' and workers' logs are kept in {install.logs}")
    traffic.update({k: round(v, 2) for k, v in cpu.items()})
    _report(write, traffic=traffic, counts=counts, rss=(rss_start, rss_end), faults=fault_log, options=options)


def _report(write, *, traffic: dict, counts: dict, rss: tuple[float, float], faults: list[str], options: dict) -> None:
    routes = traffic["routes"]
    write(f"{'route':32} {'requests':>9} {'fail':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in routes.items():
        write(
            f"{name:32} {r['requests']:>9,} {r['failures']:>6,} {r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f}"
            f" {r['p99_ms']:>8.0f} {r['max_ms']:>8.0f}"
        )
    requests_n = max(1, traffic["requests"])
    error_rate = traffic["failures"] / requests_n
    pages = [n for n in routes if n not in ("/healthz", "login", "webhook")]
    pages_p99, health_p99 = _p99(routes, pages), _p99(routes, ["/healthz"])
    webhook_p99 = _p99(routes, ["webhook"])
    accepted = traffic["accepted_posts"]
    stored, routed = counts["stored"], counts["routed"]
    for err in traffic["errors"]:
        write(f"  error x{err['count']} on {err['route']}: {err['error']}")
    for line in faults:
        write(f"  fault: {line}")
    write(
        f"  CPU seconds a second: server {traffic['server_cpu_per_s']:.2f} (one process: near 1 means saturated),"
        f" load driver {traffic['driver_cpu_per_s']:.2f} (near 1: the driver's own latency is in the figures)"
    )
    rows = [
        ("error rate", f"{error_rate:.4%} of {requests_n:,}", "0", traffic["failures"] == 0),
        (
            "posts/s accepted",
            f"{accepted / max(1.0, traffic['seconds']):,.0f}",
            f"{options['posts_per_s']:,} asked",
            accepted >= 0.95 * options["posts_per_s"] * traffic["seconds"],
        ),
        ("p99 pages and API (worst route)", f"{pages_p99:.0f} ms", "< 500 ms", pages_p99 < GOALS["p99_ms"]),
        ("p99 webhook", f"{webhook_p99:.0f} ms", "< 500 ms", webhook_p99 < GOALS["p99_ms"]),
        ("/healthz p99", f"{health_p99:.0f} ms", "< 50 ms", health_p99 < GOALS["healthz_p99_ms"]),
        (
            "posts accepted / stored / routed",
            f"{accepted:,} / {stored:,} / {routed:,}",
            "equal",
            accepted == stored == routed,
        ),
        (
            "stored or routed twice",
            f"{stored - counts['stored_distinct']} / {counts['routed_twice']}",
            "0 / 0",
            stored == counts["stored_distinct"] and counts["routed_twice"] == 0,
        ),
        ("server RSS start -> end", f"{rss[0]:.0f} -> {rss[1]:.0f} MiB", "flat (< +25%)", rss[1] < rss[0] * 1.25),
    ]
    write(f"{'measure':34} {'figure':28} {'goal':14} met")
    for label, figure, goal, ok in rows:
        write(f"{label:34} {figure:28} {goal:14} {'yes' if ok else 'NO'}")
    summary = {
        "seconds": traffic["seconds"],
        "agents": options["agents"],
        "marketers": options["marketers"],
        "posts_per_s": options["posts_per_s"],
        "requests": traffic["requests"],
        "failures": traffic["failures"],
        "error_rate": round(error_rate, 6),
        "p99_ms": {n: r["p99_ms"] for n, r in routes.items()},
        "p95_ms": {n: r["p95_ms"] for n, r in routes.items()},
        "p50_ms": {n: r["p50_ms"] for n, r in routes.items()},
        "healthz_p99_ms": health_p99,
        "posts_per_s_accepted": round(accepted / max(1.0, traffic["seconds"]), 1),
        "posts": {"accepted": accepted, "stored": stored, "routed": routed, "routed_twice": counts["routed_twice"]},
        "dead_letters": counts["dead_letters"],
        "rss_mb": {"start": round(rss[0], 1), "end": round(rss[1], 1)},
        "faults": faults,
        "cpu_per_s": {"server": traffic["server_cpu_per_s"], "driver": traffic["driver_cpu_per_s"]},
        "goals_met": all(ok for *_, ok in rows),
    }
    write(json.dumps(summary))
