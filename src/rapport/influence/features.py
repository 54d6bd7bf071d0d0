"""From rows (identities, posts, interactions, rule matches) to the feature arrays the score is computed from.

Pure: the database recompute, the incremental update and the evaluation on public data sets all go through it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

REACTION_METRICS = ("likes", "reposts", "replies", "quotes")
SHARE_METRICS = ("reposts", "quotes")
EDGE_WEIGHTS = {"mention": 1.0, "reply": 1.0, "repost": 2.0, "quote": 2.0}
SHARE_KINDS = ("repost", "quote", "reply")
# The per-subject features a score is computed from and stored beside it; a person's are their identities' sums.
FEATURES = (
    "followers",
    "posts",
    "reactions",
    "shares",
    "second_degree",
    "amplifiers",
    "pagerank",
    "topic_posts",
    "topic_reactions",
)


def _int(metrics: Any, key: str) -> int:
    value = metrics.get(key) if isinstance(metrics, dict) else None
    return value if isinstance(value, int) and value > 0 else 0


def build(
    identities: Iterable[tuple[int, int | None, int | None]],
    posts: Iterable[tuple[int, int, Any]],
    interactions: Iterable[tuple[int, int, str, int, int | None]],
    rule_posts: Iterable[tuple[int, int]] = (),
    *,
    post_travel: dict[int, int] | None = None,
) -> dict[str, Any]:
    """Features per identity. identities: (id, person id, followers); posts: (id, author id, metrics);
    interactions: (source, target, kind, post id, target post id); rule_posts: (rule id, post id).

    post_travel gives the reposts and quotes of amplifying posts that are not among `posts` (incremental runs).
    Returns {"ids", "person", "index", feature arrays..., "edges": (src, dst, weight) index arrays,
    "topics": {rule: (topic_posts, topic_reactions) arrays}}.
    """
    import numpy as np

    ident = list(identities)
    ids = np.array([i for i, _, _ in ident], np.int64)
    index = {int(i): k for k, i in enumerate(ids)}
    n = len(ids)
    person = np.array([p or 0 for _, p, _ in ident], np.int64)
    followers = np.array([f or 0 for _, _, f in ident], float)
    n_posts = np.zeros(n)
    reactions = np.zeros(n)
    metric_shares = np.zeros(n)
    author_of: dict[int, int] = {}
    reactions_of: dict[int, int] = {}
    travel = dict(post_travel or {})
    for pid, author, metrics in posts:
        k = index.get(author)
        if k is None:
            continue
        r = sum(_int(metrics, m) for m in REACTION_METRICS)
        s = sum(_int(metrics, m) for m in SHARE_METRICS)
        n_posts[k] += 1
        reactions[k] += r
        metric_shares[k] += s
        author_of[pid] = k
        reactions_of[pid] = r
        travel[pid] = s
    stream_shares = np.zeros(n)
    stream_in = defaultdict(int)  # target post -> answers, reposts and quotes seen in the stream
    second_edges: list[tuple[int, int]] = []  # (target index, amplifying post)
    amplifiers: dict[int, set[int]] = defaultdict(set)
    src_idx, dst_idx, weight = [], [], []
    for source, target, kind, post_id, target_post in interactions:
        s, t = index.get(source), index.get(target)
        if t is None or source == target:
            continue
        if s is not None:
            src_idx.append(s)
            dst_idx.append(t)
            weight.append(EDGE_WEIGHTS.get(kind, 1.0))
        if kind in SHARE_KINDS:
            stream_shares[t] += 1
            amplifiers[t].add(source)
            if target_post:
                stream_in[target_post] += 1
            if kind != "reply":
                second_edges.append((t, post_id))
    second = np.zeros(n)
    for t, post_id in second_edges:
        second[t] += travel.get(post_id, 0) + stream_in.get(post_id, 0)
    shares = np.maximum(metric_shares, stream_shares)
    reactions = np.maximum(reactions, stream_shares)
    topic_posts = np.zeros(n)
    topic_reactions = np.zeros(n)
    per_rule: dict[int, tuple[Any, Any]] = {}
    seen: set[int] = set()
    for rule, pid in rule_posts:
        k = author_of.get(pid)
        if k is None:
            continue
        tp, tr = per_rule.setdefault(rule, (np.zeros(n), np.zeros(n)))
        tp[k] += 1
        tr[k] += reactions_of.get(pid, 0)
        if pid not in seen:
            seen.add(pid)
            topic_posts[k] += 1
            topic_reactions[k] += reactions_of.get(pid, 0)
    return {
        "ids": ids,
        "person": person,
        "index": index,
        "followers": followers,
        "posts": n_posts,
        "reactions": reactions,
        "shares": shares,
        "second_degree": second,
        "amplifiers": np.array([len(amplifiers.get(k, ())) for k in range(n)], float),
        "pagerank": np.zeros(n),
        "topic_posts": topic_posts,
        "topic_reactions": topic_reactions,
        "edges": (np.array(src_idx, np.int64), np.array(dst_idx, np.int64), np.array(weight, float)),
        "topics": per_rule,
    }


def evidence(f: dict[str, Any]):
    """Independent evidence of an account (log of reactions and shares others gave it): the trust of its edges."""
    import numpy as np

    return np.log1p(f["reactions"] + f["shares"])


def teleport(f: dict[str, Any]):
    """Where a random reader starts: more often at accounts with a credible audience and engagement."""
    import numpy as np

    from rapport.influence.scoring import credible_audience

    return 1.0 + np.log1p(credible_audience(f["followers"], f["reactions"], f["shares"])) + evidence(f)


def with_pagerank(f: dict[str, Any]) -> dict[str, Any]:
    """Fill f["pagerank"] from its edges."""
    from rapport.influence.scoring import pagerank

    src, dst, w = f["edges"]
    f["pagerank"] = pagerank(src, dst, w, len(f["ids"]), evidence=evidence(f), teleport=teleport(f))
    return f


def by_person(f: dict[str, Any]) -> dict[str, Any]:
    """Features of each person: their identities' features added up (audiences on different networks add)."""
    import numpy as np

    linked = f["person"] > 0
    people, inverse = np.unique(f["person"][linked], return_inverse=True)
    out: dict[str, Any] = {"ids": people}
    for name in FEATURES:
        out[name] = np.bincount(inverse, weights=f[name][linked], minlength=len(people))
    out["topics"] = {
        rule: tuple(np.bincount(inverse, weights=a[linked], minlength=len(people)) for a in arrays)
        for rule, arrays in f["topics"].items()
    }
    return out
