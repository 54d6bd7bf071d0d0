"""Identity-resolution benchmark: link incoming profiles against a large contacts table.

    PYTHONPATH=src python -m rapport.identity.matching.bench [--contacts 1000000] [--incoming 100000] [--repeats 3]

Prints index build time, batch linking time (median of repeats), single-record latencies, and naive
baselines measured on a sample and extrapolated: full pairwise scoring, and rapidfuzz
process.extractOne over all names without blocking.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import statistics
import time
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from rapport.core.gcpause import gc_paused

from . import fastgen
from .blocking import CandidateIndex
from .linking import link, link_one
from .matcher import Matcher
from .normalise import normalise_record


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def _per_call(fn: Any, items: list[Any], repeats: int) -> float:
    """Median over repeats of the mean seconds per call."""
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for it in items:
            fn(it)
        runs.append((time.perf_counter() - t0) / len(items))
    return statistics.median(runs)


_SHARED: dict[str, Any] = {}  # filled before forking; link workers read the index copy-on-write


def _link_worker(part: int, parts: int) -> list[tuple[Any, Any, float, str]]:
    index, incoming, matcher = _SHARED["index"], _SHARED["incoming"], _SHARED["matcher"]
    with gc_paused():
        return [(r.record_id, r.contact_id, r.score, r.decision) for r in link(incoming[part::parts], index, matcher)]


def run_bench(
    *,
    n_contacts: int = 1_000_000,
    n_incoming: int = 100_000,
    repeats: int = 3,
    workers: int = 2,
    baseline_sample: int = 20_000,
) -> dict[str, Any]:
    """Run the benchmark and return its figures (seconds unless named otherwise).

    The index is built once in this process; linking is split over `workers` forked processes that
    share the index copy-on-write (one per core), as a pipeline worker pool would run it.
    """
    matcher = Matcher.default()
    gen_s, contacts = _timed(fastgen.contacts, n_contacts, seed=7)
    incoming = fastgen.incoming_profiles(contacts, n_incoming, seed=11, start_id=n_contacts + 1)
    index = CandidateIndex()
    build_s, _ = _timed(index.add, contacts)
    _SHARED.update(index=index, incoming=incoming, matcher=matcher)
    link_runs: list[float] = []
    rows: list[tuple[Any, Any, float, str]] = []
    for _ in range(repeats):
        index.records.clear()  # drop lazily normalised candidates so every run pays the same work
        gc.freeze()  # keep the collector from touching (and so copying) the shared index in the children
        t0 = time.perf_counter()
        if workers == 1:
            rows = _link_worker(0, 1)
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                rows = [
                    row for part in pool.starmap(_link_worker, [(i, workers) for i in range(workers)]) for row in part
                ]
        link_runs.append(time.perf_counter() - t0)
    decisions = {d: sum(1 for row in rows if row[3] == d) for d in ("linked", "review", "new")}
    known = incoming[0::3][:2000]  # fastgen makes every third profile one with a known handle
    handles = [(r["identities"][0]["network"], r["identities"][0]["handle"]) for r in known]
    unknown = incoming[1::3][:1000]
    index.records.clear()
    lookup_s = _per_call(lambda h: index.lookup_identity(*h), handles, repeats)
    known_s = _per_call(lambda r: link_one(r, index=index, matcher=matcher), known, repeats)
    index.records.clear()
    unknown_cold_s = _per_call(lambda r: link_one(r, index=index, matcher=matcher), unknown, 1)
    unknown_s = _per_call(lambda r: link_one(r, index=index, matcher=matcher), unknown, repeats)
    # Naive baseline 1: score one record against every contact (sampled, extrapolated).
    sample = [normalise_record(c) for c in contacts[:baseline_sample]]
    probe = normalise_record(unknown[0])
    pair_s = _per_call(lambda c: matcher.score(probe, c), sample, 1)
    # Naive baseline 2: rapidfuzz extractOne on full names over the whole table, no blocking.
    names = [f"{c['first_name']} {c['last_name']}" for c in contacts]
    queries = [f"{r['first_name']} {r['last_name']}" for r in unknown[:20]]
    extract_s = _per_call(lambda q: process.extractOne(q, names, scorer=JaroWinkler.normalized_similarity), queries, 1)
    link_s = statistics.median(link_runs)
    return {
        "contacts": n_contacts,
        "incoming": n_incoming,
        "workers": workers,
        "generate_s": gen_s,
        "index_build_s": build_s,
        "link_batch_s": link_s,
        "total_s": build_s + link_s,
        **decisions,
        "identity_lookup_us": lookup_s * 1e6,
        "link_one_known_handle_us": known_s * 1e6,
        "link_one_unknown_cold_us": unknown_cold_s * 1e6,
        "link_one_unknown_us": unknown_s * 1e6,
        "naive_pairwise_s": pair_s * n_contacts * n_incoming,
        "naive_extract_s": extract_s * n_incoming,
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--incoming", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="forked link processes sharing the index")
    args = ap.parse_args(argv)
    r = run_bench(n_contacts=args.contacts, n_incoming=args.incoming, repeats=args.repeats, workers=args.workers)
    print(
        f"identity linking: {r['incoming']:,} incoming profiles against {r['contacts']:,} contacts, "
        f"{r['workers']} link process(es) (median of {args.repeats} link runs)"
    )
    print(f"  generate contacts (not counted)     {r['generate_s']:8.2f} s")
    print(f"  normalise + build blocking index    {r['index_build_s']:8.2f} s")
    print(
        f"  link all incoming                   {r['link_batch_s']:8.2f} s   "
        f"({r['linked']:,} linked, {r['review']:,} review, {r['new']:,} new)"
    )
    print(f"  total (index + link)                {r['total_s']:8.2f} s   goal < 60 s")
    print("single-record latency (one process, median of repeats):")
    print(f"  per-post identity lookup            {r['identity_lookup_us']:8.2f} us  (dict lookup)")
    print(f"  link_one, author handle known       {r['link_one_known_handle_us']:8.2f} us  goal < 100 us")
    print(
        f"  link_one, unknown author (cold)     {r['link_one_unknown_cold_us']:8.2f} us  "
        "(candidates normalised on first use)"
    )
    print(f"  link_one, unknown author (warm)     {r['link_one_unknown_us']:8.2f} us")
    print("naive baselines (measured on a sample, extrapolated to the same workload):")
    print(
        f"  full pairwise scoring               {r['naive_pairwise_s']:8.0f} s  "
        f"({r['naive_pairwise_s'] / max(r['link_batch_s'], 1e-9):,.0f}x the blocked link)"
    )
    print(
        f"  rapidfuzz extractOne, no blocking   {r['naive_extract_s']:8.0f} s  "
        f"({r['naive_extract_s'] / max(r['link_batch_s'], 1e-9):,.0f}x the blocked link)"
    )


if __name__ == "__main__":
    main()
