"""Enrichment: precision and recall of life-event and interest detection on labelled real posts, beside a keyword
baseline (`rapport eval enrichment`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from django.conf import settings

NAME = "enrichment"
LABELS = Path(__file__).parent / "enrichment" / "eval_labels.csv"
FILES = {"tweets": "Tweets.csv", "twcs": "twcs_sample_first5000.csv"}


def add_arguments(parser) -> None:
    parser.add_argument("--data-dir", help="where Tweets.csv and twcs_sample_first5000.csv are (default: shared data)")


def _texts(data_dir: Path) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for source, name in FILES.items():
        path = data_dir / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out.setdefault((source, row["tweet_id"]), row["text"] or "")
    return out


def evaluate(data_dir: Path | None = None) -> dict:
    """Per label: support, and precision / recall / F1 of the detector and of the keyword baseline."""
    from rapport.consent.enrichment.detect import detect, keyword_baseline

    texts = _texts(Path(data_dir or settings.RAPPORT_DATA_DIR))
    with LABELS.open(encoding="utf-8", newline="") as fh:
        rows = [(r["source"], r["id"], set(r["labels"].split())) for r in csv.DictReader(fh)]
    found = [(texts[(s, i)], gold) for s, i, gold in rows if (s, i) in texts]
    if not found:
        return {"error": f"none of the labelled posts' texts were found under {data_dir or settings.RAPPORT_DATA_DIR}"}
    labels = sorted({g for _, gold in found for g in gold})
    systems = {
        "detector": [{d.value for d in detect(text, language="en")} for text, _ in found],
        "keyword_baseline": [keyword_baseline(text) for text, _ in found],
    }
    report: dict = {"posts": len(found), "missing_texts": len(rows) - len(found), "labels": {}}
    for label in labels:
        gold = [label in g for _, g in found]
        entry: dict = {"support": sum(gold)}
        for name, predicted in systems.items():
            pred = [label in p for p in predicted]
            tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
            fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
            fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            entry[name] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
        report["labels"][label] = entry
    for name in systems:
        f1s = [report["labels"][lab][name]["f1"] for lab in labels]
        report[f"{name}_macro_f1"] = round(sum(f1s) / len(f1s), 3)
    return report


def run(options: dict, write) -> None:
    """Print the report as JSON."""
    data_dir = Path(options["data_dir"]) if options.get("data_dir") else None
    write(json.dumps(evaluate(data_dir), indent=2))
