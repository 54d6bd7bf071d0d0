"""Evaluate the matcher on generated pairs: train on one seed, measure on another.

    PYTHONPATH=src python -m rapport.identity.matching.evaluate [--pairs 6000] [--train-seed 1] [--eval-seed 2]

--write-defaults refits the shipped default_params.json from the training seed.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .blocking import CandidateIndex
from .linking import link
from .matcher import DEFAULT_LINK_THRESHOLD, DEFAULT_REVIEW_THRESHOLD, Matcher
from .synth import PairGenerator


@dataclass(slots=True)
class Metrics:
    """Pairwise classification figures at one threshold."""

    threshold: float
    precision: float
    recall: float
    f1: float
    predicted: int


def metrics_at(scores: list[float], labels: list[int], threshold: float) -> Metrics:
    """Precision, recall and F1 when pairs at or above threshold are called matches."""
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return Metrics(threshold, p, r, 2 * p * r / (p + r) if p + r else 0.0, tp + fp)


def training_pairs(*, seed: int, n_pairs: int, limit: int = 10) -> tuple[list[tuple[Any, Any]], list[int]]:
    """Hard labelled pairs plus the candidate pairs blocking yields in a linking scenario, as deployed."""
    gen = PairGenerator(seed)
    pairs, labels = gen.pairs(n_pairs)
    contacts, incoming, truth = gen.linking_scenario(n_pairs)
    index = CandidateIndex()
    index.add(contacts)
    for rec in incoming:
        for cid in index.candidates(rec, limit):
            pairs.append((rec, index.records[cid]))
            labels.append(int(truth.get(rec["id"]) == cid))
    return pairs, labels


def train_matcher(*, seed: int, n_pairs: int) -> Matcher:
    """Fit a fresh matcher on generated pairs from one seed (thresholds stay at the defaults)."""
    pairs, labels = training_pairs(seed=seed, n_pairs=n_pairs)
    return Matcher().fit(pairs, labels)


def blocking_recall(pairs: list[tuple[dict, dict]], labels: list[int], limit: int = 20) -> float:
    """Share of true pairs whose partner is among the index's candidates."""
    index = CandidateIndex()
    index.add(b for (_, b), y in zip(pairs, labels, strict=True))
    positives = [(a, b) for (a, b), y in zip(pairs, labels, strict=True) if y]
    found = sum(1 for a, b in positives if b["id"] in index.candidates(a, limit))
    return found / len(positives) if positives else 1.0


def evaluate(*, matcher: Matcher, seed: int, n_pairs: int) -> dict[str, object]:
    """Score generated pairs of one seed and return the headline figures."""
    pairs, labels = PairGenerator(seed).pairs(n_pairs)
    matches = [matcher.score(a, b) for a, b in pairs]
    scores = [m.score for m in matches]
    auto = metrics_at(scores, labels, matcher.link_threshold)
    review = metrics_at(scores, labels, matcher.review_threshold)
    decisions = Counter(matcher.decide(s) for s in scores)
    errors = [(m, y) for m, y in zip(matches, labels, strict=True) if (m.score >= matcher.link_threshold) != bool(y)]
    return {
        "auto": auto,
        "review": review,
        "decisions": decisions,
        "blocking_recall": blocking_recall(pairs, labels),
        "deterministic": sum(1 for m in matches if m.deterministic),
        "errors": errors,
        "n": len(pairs),
    }


def evaluate_linking(*, matcher: Matcher, seed: int, n_contacts: int) -> dict[str, Any]:
    """End to end: link incoming records (half known people, half strangers) against a contacts table."""
    contacts, incoming, truth = PairGenerator(seed + 1000).linking_scenario(n_contacts)
    index = CandidateIndex()
    index.add(contacts)
    results = link(incoming, index, matcher)
    linked = [r for r in results if r.decision == "linked"]
    correct = sum(1 for r in linked if truth.get(r.record_id) == r.contact_id)
    flagged = [r for r in results if r.decision in ("linked", "review")]
    correct_flagged = sum(1 for r in flagged if truth.get(r.record_id) == r.contact_id)
    p = correct / len(linked) if linked else 1.0
    rec = correct / len(truth)
    return {
        "contacts": len(contacts),
        "incoming": len(incoming),
        "precision": p,
        "recall": rec,
        "f1": 2 * p * rec / (p + rec) if p + rec else 0.0,
        "linked": len(linked),
        "review_recall": correct_flagged / len(truth),
        "review_share": sum(1 for r in results if r.decision == "review") / len(results),
        "false_links": [r for r in linked if truth.get(r.record_id) != r.contact_id],
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=6000)
    ap.add_argument("--train-seed", type=int, default=1)
    ap.add_argument("--eval-seed", type=int, default=2)
    ap.add_argument("--write-defaults", action="store_true")
    ap.add_argument("--show-errors", type=int, default=0)
    args = ap.parse_args(argv)
    matcher = train_matcher(seed=args.train_seed, n_pairs=args.pairs)
    if args.write_defaults:
        path = Path(__file__).with_name("default_params.json")
        path.write_text(json.dumps(matcher.to_params(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    res = evaluate(matcher=matcher, seed=args.eval_seed, n_pairs=args.pairs)
    auto, review = res["auto"], res["review"]
    print(
        f"trained on seed {args.train_seed}, evaluated on seed {args.eval_seed}: "
        f"{res['n']} labelled pairs (half same-person)"
    )
    print(
        f"automatic links (score >= {auto.threshold:.2f}): precision {auto.precision:.4f}  recall {auto.recall:.4f}  "
        f"F1 {auto.f1:.4f}  ({auto.predicted} linked)"
    )
    print(
        f"linked or review (score >= {review.threshold:.2f}): precision {review.precision:.4f}  "
        f"recall {review.recall:.4f}  F1 {review.f1:.4f}"
    )
    print(f"decisions: {dict(res['decisions'])}; exact-identifier links: {res['deterministic']}")
    print(f"blocking recall (true partner among top-20 candidates): {res['blocking_recall']:.4f}")
    le = evaluate_linking(matcher=matcher, seed=args.eval_seed, n_contacts=args.pairs)
    print(f"end-to-end linking of {le['incoming']} incoming records (half known) against {le['contacts']} contacts:")
    print(
        f"  automatic links: precision {le['precision']:.4f}  recall {le['recall']:.4f}  F1 {le['f1']:.4f}  "
        f"({le['linked']} linked); recall incl. review {le['review_recall']:.4f}; "
        f"sent to review {le['review_share']:.1%}"
    )
    print(f"default thresholds: link {DEFAULT_LINK_THRESHOLD}, review {DEFAULT_REVIEW_THRESHOLD}")
    from .matcher import explain_text

    for m, y in res["errors"][: args.show_errors]:
        print(("FALSE LINK " if not y else "MISSED ") + explain_text(m))


if __name__ == "__main__":
    main()
