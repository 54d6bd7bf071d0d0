"""Influence: does a higher score predict wider spread? Cascades on ego-Facebook and time splits on real threads.

`rapport eval influence` prints one JSON line: on the SNAP ego-Facebook graph, the people reached by independent
cascades (p = 0.01, and weighted cascades with p = 1/in-degree) seeded with the top 10 by Rapport's score, by
degree, by plain PageRank and 10 random people (fixed seeds); and on the airline tweets and the customer-care
threads, the Spearman correlation and NDCG@100 between scores from the first half of the time and the spread each
author's posts had in the second half, for Rapport's score, the post-count baseline and random.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

NAME = "influence"


def _data_dir() -> Path:
    from rapport.listening.nlp.data import data_dir

    return data_dir()


def rapport_scores(identities, posts, interactions):
    """Rapport's composite for rows in features.build's shapes (the same code as the product's recompute)."""
    from rapport.influence import features, scoring

    f = features.with_pagerank(features.build(identities, posts, interactions))
    cal = scoring.calibrate(f, len(f["ids"]))
    return f, scoring.score(f, cal).composite


# Cascades ------------------------------------------------------------------------------------------------------


def load_graph(path: Path):
    import numpy as np

    pairs = np.loadtxt(path, dtype=np.int64)
    n = int(pairs.max()) + 1
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return n, src, dst


def cascade_reach(n, src, dst, prob, seeds, runs: int, rng) -> float:
    """Mean number of nodes an independent cascade from seeds activates (prob: one per directed edge)."""
    import numpy as np

    order = np.argsort(src, kind="stable")
    s, d, p = src[order], dst[order], prob[order]
    start = np.searchsorted(s, np.arange(n + 1))
    total = 0
    for _ in range(runs):
        active = np.zeros(n, bool)
        active[seeds] = True
        frontier = np.asarray(seeds)
        while frontier.size:
            idx = np.concatenate([np.arange(start[u], start[u + 1]) for u in frontier])
            if not idx.size:
                break
            hit = d[idx[rng.random(idx.size) < p[idx]]]
            new = np.unique(hit[~active[hit]])
            active[new] = True
            frontier = new
        total += int(active.sum())
    return total / runs


def ego_facebook(runs: int, seed: int) -> dict[str, Any]:
    import numpy as np

    from rapport.influence import scoring

    path = _data_dir() / "facebook_combined.txt"
    if not path.exists():
        return {"skipped": f"{path} not found"}
    n, src, dst = load_graph(path)
    degree = np.bincount(src, minlength=n)
    # Friendship as Rapport sees it: each friend is an account that answers (an edge both ways), the friend count
    # is the audience; no posts, so engagement and topical authority are silent.
    identities = [(i, None, int(degree[i])) for i in range(n)]
    interactions = [(int(a), int(b), "reply", 0, None) for a, b in zip(src, dst, strict=True)]
    _, composite = rapport_scores(identities, [], interactions)
    plain = scoring.pagerank(src, dst, np.ones(src.size), n)
    rng = np.random.default_rng(seed)
    seeds = {
        "rapport": np.argsort(-composite, kind="stable")[:10],
        "degree": np.argsort(-degree, kind="stable")[:10],
        "pagerank": np.argsort(-plain, kind="stable")[:10],
        "random": rng.choice(n, 10, replace=False),
    }
    out: dict[str, Any] = {"nodes": n, "edges": int(src.size // 2), "runs": runs}
    for model, prob in (("ic_p0.01", np.full(src.size, 0.01)), ("weighted_cascade", 1.0 / degree[dst])):
        reach = {k: cascade_reach(n, src, dst, prob, v, runs, np.random.default_rng(seed)) for k, v in seeds.items()}
        out[model] = {
            "reached": {k: round(v, 1) for k, v in reach.items()},
            "vs_random": {k: round(v / max(reach["random"], 1e-9), 2) for k, v in reach.items() if k != "random"},
        }
    return out


# Time splits ---------------------------------------------------------------------------------------------------


def ndcg_at(pred, truth, k: int = 100) -> float:
    import numpy as np

    truth = np.asarray(truth, float)
    top = np.argsort(-np.asarray(pred, float), kind="stable")[:k]
    ideal = np.sort(truth)[::-1][:k]
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = float((ideal * disc[: ideal.size]).sum())
    return float((truth[top] * disc[: top.size]).sum() / idcg) if idcg > 0 else 0.0


def compare(pred: dict[str, Any], truth, seed: int) -> dict[str, Any]:
    import numpy as np
    from scipy.stats import spearmanr

    pred = dict(pred, random=np.random.default_rng(seed).random(len(truth)))
    return {
        name: {"spearman": round(float(spearmanr(p, truth).statistic), 3), "ndcg@100": round(ndcg_at(p, truth), 3)}
        for name, p in pred.items()
    }


def _csv(name: str, parse: Callable[[dict], tuple], keep: Callable[[dict], bool] | None = None) -> list[tuple] | None:
    """The parsed rows of a data set's CSV file (None when the file is not there)."""
    path = _data_dir() / name
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8") as fh:
        return [parse(r) for r in csv.DictReader(fh) if keep is None or keep(r)]


def _first_half(rows: list[tuple], *, author: int) -> tuple[datetime, list[tuple], dict[str, int]]:
    """Sort rows (time first) in place and cut them at the median time: the cut, the rows before it, and an index
    of the authors (row[author]) heard before it, the ones scored."""
    rows.sort()
    cut = rows[len(rows) // 2][0]
    first = [r for r in rows if r[0] < cut]
    return cut, first, {n: i for i, n in enumerate(sorted({r[author] for r in first}))}


def _scored_against(authors: int, posts, edges, spread, seed: int) -> dict[str, Any]:
    """Rapport's score from the first half's posts and edges, and post count, against the second half's spread."""
    f, composite = rapport_scores([(i, None, 0) for i in range(authors)], posts, edges)
    return {
        "authors": authors,
        "with_spread": int((spread > 0).sum()),
        **compare({"rapport": composite, "post_count": f["posts"]}, spread, seed),
    }


MENTION = re.compile(r"@(\w{1,30})")


def airline(seed: int) -> dict[str, Any]:
    """Authors of the airline tweets: scores from the first half, retweets and mentions received in the second."""
    import numpy as np

    rows = _csv(
        "Tweets.csv",
        lambda r: (
            datetime.strptime(r["tweet_created"], "%Y-%m-%d %H:%M:%S %z"),
            r["name"].lower(),
            int(r["retweet_count"] or 0),
            r["text"],
        ),
    )
    if rows is None:
        return {"skipped": f"{_data_dir() / 'Tweets.csv'} not found"}
    cut, first, index = _first_half(rows, author=1)
    second = [r for r in rows if r[0] >= cut]
    posts, edges = [], []
    for pid, (_, name, rts, text) in enumerate(first):
        posts.append((pid, index[name], {"reposts": rts}))
        for m in MENTION.findall(text):
            if m.lower() in index and m.lower() != name:
                edges.append((index[name], index[m.lower()], "mention", pid, None))
    spread = np.zeros(len(index))
    for _, name, rts, text in second:
        if name in index:
            spread[index[name]] += rts
        for m in MENTION.findall(text):
            if m.lower() in index and m.lower() != name:
                spread[index[m.lower()]] += 1
    return _scored_against(len(index), posts, edges, spread, seed)


def care_threads(seed: int) -> dict[str, Any]:
    """Authors of the care threads: scores from the first half, replies their tweets received in the second."""
    import numpy as np

    rows = _csv(
        "twcs_sample_first5000.csv",
        lambda r: (
            datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y"),
            r["tweet_id"],
            r["author_id"],
            (r["in_response_to_tweet_id"] or "").split(".")[0],
        ),
        keep=lambda r: bool(r.get("created_at") and r.get("tweet_id") and r.get("author_id")),
    )
    if rows is None:
        return {"skipped": f"{_data_dir() / 'twcs_sample_first5000.csv'} not found"}
    author_of = {tid: a for _, tid, a, _ in rows}
    cut, first, index = _first_half(rows, author=2)
    pid_of = {tid: k for k, (_, tid, _, _) in enumerate(first)}
    posts = [(k, index[a], {}) for k, (_, _, a, _) in enumerate(first)]
    edges = []
    for k, (_, _, a, parent) in enumerate(first):
        target = author_of.get(parent)
        if target in index and target != a:
            edges.append((index[a], index[target], "reply", k, pid_of.get(parent)))
    spread = np.zeros(len(index))
    for when, _, a, parent in rows:
        target = author_of.get(parent)
        if when >= cut and target in index and target != a:
            spread[index[target]] += 1
    return _scored_against(len(index), posts, edges, spread, seed)


def add_arguments(parser) -> None:
    """Options of `rapport eval influence`."""
    parser.add_argument("--runs", type=int, default=1000, help="cascade simulations per seed set")
    parser.add_argument("--seed", type=int, default=13)


def run(options: dict, write) -> None:
    seed = options["seed"]
    write(
        json.dumps(
            {
                "ego_facebook": ego_facebook(options["runs"], seed),
                "airline_tweets": airline(seed),
                "care_threads": care_threads(seed),
            },
            default=str,
        )
    )
