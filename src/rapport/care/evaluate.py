"""Measure the needs-response classifier on real customer-care threads (twcs_sample_first5000.csv).

Gold label: an inbound customer tweet that a brand account answered needs a response; one with no answer does
not. Tweets whose answers fall outside the sample are left out. Run: python -m rapport.care.evaluate
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

from rapport.care.classify import classify

FILE = "twcs_sample_first5000.csv"


def data_path() -> Path:
    """The sample's path: RAPPORT_DATA_DIR, else <project root>/../shared/data."""
    base = os.environ.get("RAPPORT_DATA_DIR") or str(Path(__file__).resolve().parents[3].parent / "shared" / "data")
    return Path(base) / FILE


def load_rows(path: Path | None = None) -> list[dict]:
    """Every row of the sample."""
    with open(path or data_path(), newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def labelled(rows: list[dict], *, first_contacts: bool = False) -> list[tuple[str, bool]]:
    """(text, answered by a brand) for inbound tweets addressed to a brand whose outcome is known in the sample.

    Only tweets that @mention a brand account reach the inbox, so only those are scored; first_contacts keeps
    the tweets that start a thread (later ones join their open conversation whatever their category).
    """
    by_id = {r["tweet_id"]: r for r in rows}
    brands = {r["author_id"].lower() for r in rows if r["inbound"] == "False"}
    out = []
    for r in rows:
        if r["inbound"] != "True":
            continue
        mentioned = {m.lower() for m in re.findall(r"@(\w+)", r["text"])}
        if not mentioned & brands:
            continue
        if first_contacts and r["in_response_to_tweet_id"]:
            continue
        responses = [x for x in (r["response_tweet_id"] or "").split(",") if x]
        if not responses:
            out.append((r["text"], False))
            continue
        known = [by_id[x] for x in responses if x in by_id]
        if not known:
            continue
        out.append((r["text"], any(x["inbound"] == "False" for x in known)))
    return out


def metrics(gold: list[bool], pred: list[bool]) -> dict:
    """Precision, recall, F1 and accuracy of the positive class."""
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum((not g) and p for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "accuracy": round(acc, 3)}


def evaluate(path: Path | None = None, *, with_sentiment: bool = True) -> dict:
    """Score on every brand-addressed tweet and on first contacts only."""
    rows = load_rows(path)
    return {
        "all_addressed": _evaluate(labelled(rows), with_sentiment),
        "first_contacts": _evaluate(labelled(rows, first_contacts=True), with_sentiment),
    }


def _evaluate(data: list[tuple[str, bool]], with_sentiment: bool) -> dict:
    """Score the classifier (and the answer-everything baseline) against the gold labels."""
    texts = [t for t, _ in data]
    gold = [g for _, g in data]
    sentiments: list[tuple[str, float | None]] = [("", None)] * len(texts)
    if with_sentiment:
        from rapport.listening.nlp.sentiment import score_sentiment

        sentiments = score_sentiment(texts)
    results = [classify(t, sentiment_label=s, sentiment_score=v) for t, (s, v) in zip(texts, sentiments, strict=True)]
    pred = [r.needs_response for r in results]
    return {
        "examples": len(gold),
        "positives": sum(gold),
        "classifier": metrics(gold, pred),
        "baseline_answer_everything": metrics(gold, [True] * len(gold)),
        "categories": dict(Counter(r.category for r in results)),
    }


def main() -> int:
    """Print the evaluation as JSON."""
    path = data_path()
    if not path.exists():
        print(f"{path} not found: set RAPPORT_DATA_DIR", file=sys.stderr)
        return 1
    print(json.dumps(evaluate(path), indent=2))
    return 0


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    django.setup()
    raise SystemExit(main())
