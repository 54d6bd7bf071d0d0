"""The score itself, pure and vectorised: features in, 1-100 scores and their additive components out.

Each component turns one kind of evidence into a strength on a log scale, divided by the workspace's 95th
percentile of it (so 1.0 means "as strong as the top 5 % of active authors"). The weighted strengths add up to a
composite that is mapped to the scale by two anchors taken from the workspace's own active authors: the median
scores 50 and the 95th percentile 60; above that the scale flattens towards 100. The points of the final score are
then shared among the components in proportion to their weighted strengths, rounded by largest remainder, so the
components always add up exactly to the score.

numpy and scipy are imported inside the functions: the command line starts without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMPONENTS = ("reach", "engagement", "amplification", "network", "topical")
WEIGHTS = {"reach": 0.15, "engagement": 0.25, "amplification": 0.25, "network": 0.2, "topical": 0.15}
AUDIENCE_PER_REACTION = 100  # followers credited per reaction and share received: bought followers earn nothing
SHRINK_POSTS = 5  # an author's reactions per post are shrunk towards the mean as if they had 5 more average posts
DAMPING = 0.85
TRUST_HALF = 2.0  # log-evidence at which an account passes on half its rank (a silent ring passes on none)
# The least a component's reference may be, whatever the workspace: 1,000 credited followers, 5 reactions per post,
# 5 shares, twice the average PageRank, 3 posts on a topic. Where most authors are silent, their 95th percentile is
# nothing, and every real voice would otherwise be off the scale.
REF_FLOORS = {"reach": 6.9, "engagement": 1.79, "amplification": 1.79, "network": 1.1, "topical": 1.39}
MIN_SPREAD = 0.35


@dataclass
class Calibration:
    """The references a workspace is scored against: per-component 95th percentiles, the two composite anchors."""

    refs: dict[str, float] = field(default_factory=dict)
    median: float = 0.0
    p95: float = 0.0
    mean_reactions: float = 0.0
    nodes: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "refs": self.refs,
            "median": self.median,
            "p95": self.p95,
            "mean_reactions": self.mean_reactions,
            "nodes": self.nodes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            refs=dict(data.get("refs") or {}),
            median=float(data.get("median") or 0.0),
            p95=float(data.get("p95") or 0.0),
            mean_reactions=float(data.get("mean_reactions") or 0.0),
            nodes=int(data.get("nodes") or 1),
        )


def credible_audience(followers, reactions, shares):
    """Followers credited as audience: no more than the engagement received can vouch for."""
    import numpy as np

    return np.minimum(np.asarray(followers, float), AUDIENCE_PER_REACTION * (1.0 + reactions + shares))


def strengths(f: dict[str, Any], cal_mean_reactions: float, nodes: int) -> dict[str, Any]:
    """The raw log-scale strength of each component (arrays), from feature arrays."""
    import numpy as np

    posts = np.asarray(f["posts"], float)
    reactions = np.asarray(f["reactions"], float)
    shares = np.asarray(f["shares"], float)
    audience = credible_audience(f["followers"], reactions, shares)
    per_post = (reactions + SHRINK_POSTS * cal_mean_reactions) / (posts + SHRINK_POSTS)
    return {
        "reach": np.log1p(audience),
        "engagement": np.where(posts > 0, np.log1p(per_post), 0.0),
        "amplification": np.log1p(shares + 0.5 * np.asarray(f["second_degree"], float)),
        "network": np.log1p(np.asarray(f["pagerank"], float) * max(nodes, 1)),
        "topical": np.log1p(np.asarray(f["topic_posts"], float))
        + 0.5 * np.log1p(np.asarray(f["topic_reactions"], float)),
    }


def calibrate(f: dict[str, Any], nodes: int) -> Calibration:
    """The scale of a workspace from its active authors (at least one post)."""
    import numpy as np

    posts = np.asarray(f["posts"], float)
    active = posts > 0
    if not active.any():
        active = np.ones_like(posts, bool)
    reactions = np.asarray(f["reactions"], float)
    mean_reactions = float(reactions[active].sum() / max(posts[active].sum(), 1.0))
    raw = strengths(f, mean_reactions, nodes)
    refs = {}
    for name in COMPONENTS:
        values = raw[name][active]
        ref = float(np.percentile(values, 95)) if values.size else 0.0
        refs[name] = max(ref, REF_FLOORS[name])
    composite = _composite(raw, refs)[active]
    median = float(np.median(composite)) if composite.size else 0.0
    p95 = float(np.percentile(composite, 95)) if composite.size else 1.0
    # Where most authors look alike (one post, no reactions) the percentiles crowd together; ten points above the
    # median stay a real step: at least MIN_SPREAD of composite (a third of the way to the references on all five).
    p95 = max(p95, median + MIN_SPREAD)
    return Calibration(refs=refs, median=median, p95=p95, mean_reactions=mean_reactions, nodes=nodes)


def _composite(raw: dict[str, Any], refs: dict[str, float]):
    return sum(WEIGHTS[n] * raw[n] / refs[n] for n in COMPONENTS)


def to_scale(composite, median: float, p95: float):
    """Composite to 1-100: 0 -> 1, median -> 50, 95th percentile -> 60, then logarithmic: each doubling of the
    distance above the 95th percentile (in median-to-95th steps) adds 10 points."""
    import numpy as np

    c = np.asarray(composite, float)
    low = 1 + 49 * c / max(median, 1e-9)
    mid = 50 + 10 * (c - median) / (p95 - median)
    high = 60 + 10 * np.log2(1 + np.maximum(c - p95, 0) / (p95 - median))
    out = np.where(c <= median, low, np.where(c <= p95, mid, high))
    return np.clip(np.rint(out), 1, 100).astype(int)


def split_points(score: int, parts: list[float]) -> list[int]:
    """Share `score` points among parts in proportion, integers that add up exactly (largest remainder)."""
    total = sum(parts)
    if total <= 0:
        base = [0] * len(parts)
        base[0] = score
        return base
    exact = [score * p / total for p in parts]
    floors = [int(x) for x in exact]
    rest = score - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:rest]:
        floors[i] += 1
    return floors


@dataclass
class Scored:
    scores: Any  # int array
    points: Any  # (n, components) int array
    raw: dict[str, Any]
    composite: Any = None  # before rounding to the scale: for ranking without ties


def score(f: dict[str, Any], cal: Calibration) -> Scored:
    """Scores and per-component points of feature arrays under a calibration."""
    import numpy as np

    raw = strengths(f, cal.mean_reactions, cal.nodes)
    weighted = np.stack([WEIGHTS[n] * raw[n] / cal.refs.get(n, 1.0) for n in COMPONENTS], axis=1)
    composite = weighted.sum(axis=1)
    scores = to_scale(composite, cal.median, cal.p95)
    return Scored(scores=scores, points=split_points_array(scores, weighted), raw=raw, composite=composite)


def split_points_array(scores, weighted):
    """split_points for every row at once."""
    import numpy as np

    scores = np.asarray(scores, int)
    total = weighted.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    exact = np.where((total > 0)[:, None], scores[:, None] * weighted / safe[:, None], 0.0)
    exact[total <= 0, 0] = scores[total <= 0]
    floors = np.floor(exact + 1e-9).astype(int)
    rest = scores - floors.sum(axis=1)
    frac = exact - floors
    # rank of each column by remainder, largest first (ties: the earlier component)
    order = np.argsort(-frac - np.arange(frac.shape[1]) * 1e-12, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(frac.shape[1])[None, :].repeat(len(scores), 0), axis=1)
    floors += (ranks < rest[:, None]).astype(int)
    return floors


def pagerank(
    sources, targets, weights, n: int, *, evidence=None, teleport=None, tol: float = 1e-9, max_iter: int = 100
):
    """Personalised PageRank on a weighted directed graph (scipy sparse, power iteration).

    Each node passes on the share `trust` of its rank along its edges (trust grows with independent evidence:
    reactions and shares the networks reported), the rest returns to the teleport vector, so a ring of accounts
    that only point at each other keeps what it was given and lifts nobody.
    """
    import numpy as np
    from scipy import sparse

    if n == 0:
        return np.zeros(0)
    t = np.ones(n) if teleport is None else np.asarray(teleport, float) + 1e-12
    t = t / t.sum()
    trust = np.ones(n) if evidence is None else np.asarray(evidence, float) / (np.asarray(evidence, float) + TRUST_HALF)
    src = np.asarray(sources, np.int64)
    dst = np.asarray(targets, np.int64)
    w = np.asarray(weights, float)
    keep = src != dst
    src, dst, w = src[keep], dst[keep], w[keep]
    out = np.bincount(src, weights=w, minlength=n)
    scale = np.divide(trust, out, out=np.zeros(n), where=out > 0)
    m = sparse.csr_matrix((w * scale[src], (dst, src)), shape=(n, n))  # column-stochastic up to trust
    passed = np.where(out > 0, trust, 0.0)
    r = t.copy()
    for _ in range(max_iter):
        leak = float(r @ (1.0 - passed))
        nxt = DAMPING * (m @ r) + (DAMPING * leak + (1 - DAMPING)) * t
        nxt /= nxt.sum()
        if np.abs(nxt - r).sum() < tol:
            r = nxt
            break
        r = nxt
    return r
