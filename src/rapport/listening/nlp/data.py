"""Locations of training data and saved models, and the deterministic airline-tweet split."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

# src/rapport/listening/nlp/data.py -> project root is four levels above src/.
PROJECT_ROOT = Path(__file__).resolve().parents[4]
EVAL_DIR = Path(__file__).resolve().parent / "eval"
_SENTIMENT_IDS = {"negative": 0, "neutral": 1, "positive": 2}


def data_dir() -> Path:
    """Directory with the shared data sets ($RAPPORT_DATA_DIR, default <project root>/../shared/data)."""
    return Path(os.environ.get("RAPPORT_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data")


def tweets_path() -> Path:
    """Path of the labelled airline tweets."""
    return data_dir() / "Tweets.csv"


def models_dir() -> Path:
    """Where trained models live ($RAPPORT_HOME/models, RAPPORT_HOME default ./.rapport)."""
    return Path(os.environ.get("RAPPORT_HOME") or ".rapport") / "models"


def split_of(tweet_id: str) -> str:
    """Deterministic split by hash of the tweet id: 20% test, 10% validation, 70% train."""
    bucket = int(hashlib.sha256(tweet_id.encode()).hexdigest()[:8], 16) % 10
    return "test" if bucket < 2 else "validation" if bucket == 2 else "train"


def airline_split(split: str) -> tuple[list[str], list[int]]:
    """Texts and label ids (0 negative, 1 neutral, 2 positive) of one split of Tweets.csv."""
    texts: list[str] = []
    labels: list[int] = []
    with tweets_path().open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if split_of(row["tweet_id"]) == split:
                texts.append(row["text"])
                labels.append(_SENTIMENT_IDS[row["airline_sentiment"]])
    return texts, labels


def eval_posts(prefix: str) -> list[tuple[str, str, str]]:
    """Rows (tag, label, text) of the hand-written evaluation files eval/<prefix>*.tsv."""
    rows = []
    for path in sorted(EVAL_DIR.glob(f"{prefix}*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                tag, label, text = line.split("\t", 2)
                rows.append((tag, label, text))
    return rows
