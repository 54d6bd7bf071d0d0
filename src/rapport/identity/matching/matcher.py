"""Explainable probabilistic matcher: Fellegi-Sunter style weights per (field, level), fitted from labelled pairs.

The score is logistic(intercept + sum of the weights of the observed levels), so every weight is a
log-odds contribution that the explanation can show. Weights are fitted by maximum a posteriori
logistic regression with a Gaussian prior centred on the current weights: fitting a fresh matcher
learns from scratch, refitting a fitted one on a few hundred review decisions nudges it rather than
forgetting what it knew.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from .compare import FIELDS, LEVELS, compare, deterministic_key
from .normalise import normalise_record

PARAMS_VERSION = 1
DEFAULT_LINK_THRESHOLD = 0.75
DEFAULT_REVIEW_THRESHOLD = 0.4
_FEATURES = [(f, lvl) for f in FIELDS for lvl in LEVELS[f] if lvl not in ("missing",)]
_INDEX = {key: i for i, key in enumerate(_FEATURES)}


@dataclass(slots=True, frozen=True)
class FieldComparison:
    """One field's part in a match: its agreement level and its log-odds weight."""

    field: str
    level: str
    weight: float


@dataclass(slots=True)
class Match:
    """A scored candidate pair; `explanation` lists every field's level and weight."""

    a_id: Any
    b_id: Any
    score: float
    levels: dict[str, str]
    deterministic: str | None = None
    weights: dict[str, dict[str, float]] | None = field(default=None, repr=False, compare=False)

    @property
    def explanation(self) -> list[FieldComparison]:
        """Per-field comparisons (built on demand: most scored pairs are never shown)."""
        w = self.weights or {}
        return [FieldComparison(f, lvl, w.get(f, {}).get(lvl, 0.0)) for f, lvl in self.levels.items()]

    def agreed(self) -> list[str]:
        """Fields that pushed the score up."""
        return [c.field for c in self.explanation if c.weight > 0]

    def disagreed(self) -> list[str]:
        """Fields that pushed the score down."""
        return [c.field for c in self.explanation if c.weight < 0]


def decide(
    score: float, link_threshold: float = DEFAULT_LINK_THRESHOLD, review_threshold: float = DEFAULT_REVIEW_THRESHOLD
) -> str:
    """'linked' at or above the link threshold, 'review' at or above the review threshold, else 'new'."""
    if score >= link_threshold:
        return "linked"
    return "review" if score >= review_threshold else "new"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


class Matcher:
    """Scores record pairs; fit from labelled pairs; parameters round-trip through a JSON-able dict."""

    def __init__(
        self,
        weights: dict[str, dict[str, float]] | None = None,
        intercept: float = 0.0,
        *,
        link_threshold: float = DEFAULT_LINK_THRESHOLD,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    ) -> None:
        self.weights = {f: {lvl: 0.0 for lvl in LEVELS[f]} for f in FIELDS}
        for f, levels in (weights or {}).items():
            for lvl, w in levels.items():
                if f in self.weights and lvl in self.weights[f]:
                    self.weights[f][lvl] = float(w)
        self.intercept = float(intercept)
        self.link_threshold = link_threshold
        self.review_threshold = review_threshold

    @classmethod
    def default(cls) -> Matcher:
        """The matcher shipped with Rapport, fitted on generated multi-locale pairs (see evaluate.py)."""
        text = resources.files(__package__).joinpath("default_params.json").read_text(encoding="utf-8")
        return cls.from_params(json.loads(text))

    def to_params(self) -> dict[str, Any]:
        """JSON-able parameters (store per workspace)."""
        return {
            "version": PARAMS_VERSION,
            "intercept": round(self.intercept, 6),
            "weights": {f: {lvl: round(w, 6) for lvl, w in levels.items()} for f, levels in self.weights.items()},
            "link_threshold": self.link_threshold,
            "review_threshold": self.review_threshold,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Matcher:
        """Rebuild a matcher from to_params() output."""
        if params.get("version") != PARAMS_VERSION:
            raise ValueError(f"unsupported matcher params version: {params.get('version')!r}")
        return cls(
            params["weights"],
            params["intercept"],
            link_threshold=params.get("link_threshold", DEFAULT_LINK_THRESHOLD),
            review_threshold=params.get("review_threshold", DEFAULT_REVIEW_THRESHOLD),
        )

    def score(self, a: Any, b: Any) -> Match:
        """Score a pair of records (raw or normalised): probability in [0, 1] plus the explanation."""
        na, nb = normalise_record(a), normalise_record(b)
        levels = compare(na, nb)
        weights = self.weights
        key = deterministic_key(na, nb, levels)
        if key is not None:
            return Match(na.id, nb.id, 1.0, levels, key, weights)
        total = self.intercept
        for f, lvl in levels.items():
            total += weights[f][lvl]
        return Match(na.id, nb.id, _sigmoid(total), levels, None, weights)

    def decide(self, score: float) -> str:
        """decide() with this matcher's thresholds."""
        return decide(score, self.link_threshold, self.review_threshold)

    def fit(
        self,
        pairs: Iterable[tuple[Any, Any]],
        labels: Sequence[bool | int],
        *,
        prior_strength: float = 1.0,
    ) -> Matcher:
        """Fit weights from labelled pairs (1/True = same person, e.g. an accepted review decision)."""
        x = _design([compare(normalise_record(a), normalise_record(b)) for a, b in pairs])
        y = np.asarray(labels, dtype=float)
        if len(y) != x.shape[0] or len(y) == 0:
            raise ValueError("pairs and labels must be non-empty and of equal length")
        w0 = np.array([self.weights[f][lvl] for f, lvl in _FEATURES] + [self.intercept])
        lam = prior_strength

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            z = x @ w[:-1] + w[-1]
            # log(1 + e^z) - y z, written to stay finite for large |z|
            nll = np.sum(np.logaddexp(0.0, z) - y * z)
            p = 1.0 / (1.0 + np.exp(-z))
            grad = np.append(x.T @ (p - y), np.sum(p - y))
            # The intercept is shrunk like the weights so that, for fields almost always present, the
            # weights (not the intercept) carry the evidence and the explanation reads naturally.
            diff = w - w0
            return nll + 0.5 * lam * float(diff @ diff), grad + lam * diff

        from scipy.optimize import minimize  # only training needs it; importing it costs a third of a second

        res = minimize(loss, w0, jac=True, method="L-BFGS-B")
        for (f, lvl), w in zip(_FEATURES, res.x[:-1], strict=True):
            self.weights[f][lvl] = float(w)
        self.intercept = float(res.x[-1])
        return self


def _design(level_rows: list[dict[str, str]]) -> np.ndarray:
    x = np.zeros((len(level_rows), len(_FEATURES)))
    for i, levels in enumerate(level_rows):
        for f, lvl in levels.items():
            j = _INDEX.get((f, lvl))
            if j is not None:
                x[i, j] = 1.0
    return x


def explain_text(match: Match) -> str:
    """Human-readable one-line-per-field explanation of a match."""
    head = f"{match.a_id} ~ {match.b_id}: score {match.score:.3f}"
    if match.deterministic:
        head += f" (exact {match.deterministic})"
    rows = [f"  {c.field:<16} {c.level:<18} {c.weight:+.2f}" for c in match.explanation if c.level != "missing"]
    return "\n".join([head, *rows])
