"""Linking incoming records against an index, and whole-table dedupe into clusters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .blocking import CandidateIndex
from .matcher import Match, Matcher, decide
from .normalise import normalise_record


@dataclass(slots=True)
class LinkResult:
    """Outcome for one incoming record: best candidate, its score and the decision."""

    record_id: Any
    contact_id: Any | None
    score: float
    decision: str
    match: Match | None


def link_one(
    record: Any,
    *,
    index: CandidateIndex,
    matcher: Matcher,
    limit: int = 10,
    link_threshold: float | None = None,
    review_threshold: float | None = None,
) -> LinkResult:
    """Best match for one record; an exact identifier short-circuits the probabilistic search."""
    lt = matcher.link_threshold if link_threshold is None else link_threshold
    rt = matcher.review_threshold if review_threshold is None else review_threshold
    r = normalise_record(record)
    best: Match | None = None
    if r.handles:
        # Fast path: a post by an author whose handle is already linked.
        for net, handle in r.handles:
            for cid in index.lookup_identity(net, handle):
                m = matcher.score(r, index.records[cid])
                return LinkResult(r.id, cid, m.score, decide(m.score, lt, rt), m)
    for cid in index.candidates(r, limit):
        m = matcher.score(r, index.records[cid])
        if best is None or m.score > best.score:
            best = m
            if m.deterministic:
                break  # candidates are ranked with exact identifiers first
    if best is None:
        return LinkResult(r.id, None, 0.0, "new", None)
    return LinkResult(r.id, best.b_id, best.score, decide(best.score, lt, rt), best)


def link(
    records_in: Iterable[Any],
    index: CandidateIndex,
    matcher: Matcher,
    *,
    limit: int = 10,
    link_threshold: float | None = None,
    review_threshold: float | None = None,
) -> list[LinkResult]:
    """Link each incoming record to its best candidate in the index."""
    return [
        link_one(
            rec,
            index=index,
            matcher=matcher,
            limit=limit,
            link_threshold=link_threshold,
            review_threshold=review_threshold,
        )
        for rec in records_in
    ]


def scored_pairs(
    records: Sequence[Any],
    matcher: Matcher,
    *,
    limit: int = 10,
    min_score: float = 0.0,
    advance: Callable[[int], Any] | None = None,
) -> list[Match]:
    """Every blocked pair within a set of records, scored once (a < b by position); `advance(n)` is told of
    each 1,000 records compared."""
    index = CandidateIndex()
    normalised = [normalise_record(r) for r in records]
    index.add(normalised)
    seen: set[tuple[Any, Any]] = set()
    out: list[Match] = []
    for i, r in enumerate(normalised, 1):
        if advance is not None and i % 1000 == 0:
            advance(1000)
        for cid in index.candidates(r, limit):
            key = (r.id, cid) if repr(r.id) < repr(cid) else (cid, r.id)
            if key in seen:
                continue
            seen.add(key)
            m = matcher.score(r, index.records[cid])
            if m.score >= min_score:
                out.append(m)
    if advance is not None:
        advance(len(normalised) % 1000)
    return out


def dedupe(
    records: Sequence[Any],
    matcher: Matcher,
    *,
    link_threshold: float | None = None,
    limit: int = 20,
    advance: Callable[[int], Any] | None = None,
) -> list[tuple[Any, Any, float]]:
    """Clusters of duplicates as (cluster_id, contact_id, score) rows.

    Clusters are connected components of pairs scoring at or above the link threshold; singletons
    are left out. cluster_id is the smallest contact id in the cluster; score is the best link score
    that ties the contact into its cluster.
    """
    threshold = matcher.link_threshold if link_threshold is None else link_threshold
    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    best: dict[Any, float] = {}
    for m in scored_pairs(records, matcher, limit=limit, min_score=threshold, advance=advance):
        ra, rb = find(m.a_id), find(m.b_id)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
        for cid in (m.a_id, m.b_id):
            best[cid] = max(best.get(cid, 0.0), m.score)
    rows = [(find(cid), cid, score) for cid, score in best.items()]
    return sorted(rows, key=lambda row: (row[0], row[1]))
