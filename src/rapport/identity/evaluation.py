"""Identity matching quality: precision, recall and F1 on held-out labelled pairs and end-to-end linking."""

from __future__ import annotations

import json
import time

from rapport.identity.matching import Matcher
from rapport.identity.matching.evaluate import evaluate, evaluate_linking, train_matcher

GOALS = {"f1": 0.95, "auto_precision": 0.99}


def add_arguments(parser) -> None:
    """Options of `rapport eval identity`."""
    parser.add_argument("--pairs", type=int, default=6000, help="labelled pairs per seed")
    parser.add_argument("--train-seed", type=int, default=1)
    parser.add_argument("--eval-seed", type=int, default=2)
    parser.add_argument("--shipped", action="store_true", help="evaluate the shipped parameters instead of refitting")


def run(options: dict, write) -> None:
    """Train on one seed (or take the shipped matcher), evaluate on another, print the figures and a JSON summary."""
    t0 = time.perf_counter()
    if options.get("shipped"):
        matcher = Matcher.default()
    else:
        matcher = train_matcher(seed=options["train_seed"], n_pairs=options["pairs"])
    pairwise = evaluate(matcher=matcher, seed=options["eval_seed"], n_pairs=options["pairs"])
    linking = evaluate_linking(matcher=matcher, seed=options["eval_seed"], n_contacts=options["pairs"])
    auto, review = pairwise["auto"], pairwise["review"]
    source = "shipped parameters" if options.get("shipped") else f"trained on seed {options['train_seed']}"
    write(
        f"identity matching, {source}, evaluated on seed {options['eval_seed']} "
        f"({pairwise['n']:,} labelled pairs with typos, nicknames, swapped names, missing fields, households)"
    )
    write(
        f"  pairwise, automatic links (score >= {auto.threshold:.2f}): precision {auto.precision:.4f}  "
        f"recall {auto.recall:.4f}  F1 {auto.f1:.4f}   goals: F1 >= {GOALS['f1']}, precision >= "
        f"{GOALS['auto_precision']}"
    )
    write(
        f"  pairwise, linked or review (>= {review.threshold:.2f}):    precision {review.precision:.4f}  "
        f"recall {review.recall:.4f}  F1 {review.f1:.4f}"
    )
    write(f"  blocking recall (true partner among the top 20 candidates): {pairwise['blocking_recall']:.4f}")
    write(
        f"  end to end, {linking['incoming']:,} incoming against {linking['contacts']:,} contacts: precision "
        f"{linking['precision']:.4f}  recall {linking['recall']:.4f}  F1 {linking['f1']:.4f}; "
        f"{linking['review_share']:.1%} sent to review"
    )
    summary = {
        "pairs": pairwise["n"],
        "auto_precision": round(auto.precision, 4),
        "auto_recall": round(auto.recall, 4),
        "auto_f1": round(auto.f1, 4),
        "review_recall": round(review.recall, 4),
        "linking_precision": round(linking["precision"], 4),
        "linking_recall": round(linking["recall"], 4),
        "linking_f1": round(linking["f1"], 4),
        "goals_met": auto.f1 >= GOALS["f1"] and auto.precision >= GOALS["auto_precision"],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write(json.dumps(summary))
