"""Held-out evaluation of language ID and sentiment, with the VADER baseline; run as
`python -m rapport.listening.nlp.evaluate` (PYTHONPATH=src)."""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from collections import defaultdict

from rapport.listening.nlp import data
from rapport.listening.nlp.langid import detect_languages
from rapport.listening.nlp.sentiment import LABELS, score_sentiment

_SHORT = {"neg": "negative", "neu": "neutral", "pos": "positive"}


def _metrics(gold: list[str], pred: list[str]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    prec, rec, _, support = precision_recall_fscore_support(gold, pred, labels=list(LABELS), zero_division=0)
    return {
        "n": len(gold),
        "accuracy": round(accuracy_score(gold, pred), 3),
        "macro_f1": round(f1_score(gold, pred, labels=list(LABELS), average="macro", zero_division=0), 3),
        "negative_recall": round(float(rec[0]), 3),
        "per_class": {
            lab: {"precision": round(float(p), 3), "recall": round(float(r), 3), "support": int(s)}
            for lab, p, r, s in zip(LABELS, prec, rec, support, strict=True)
        },
    }


def vader_labels(texts: list[str]) -> list[str]:
    """VADER baseline: compound >= 0.05 positive, <= -0.05 negative, else neutral."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        c = sia.polarity_scores(text)["compound"]
        out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    return out


def language_accuracy() -> dict:
    """Accuracy of detect_languages on the hand-written multilingual posts, overall and per language."""
    rows = data.eval_posts("posts_")
    pred = detect_languages([text for _, _, text in rows])
    per: dict[str, list[bool]] = defaultdict(list)
    errors = []
    for (lang, _, text), (got, conf) in zip(rows, pred, strict=True):
        per[lang].append(got == lang)
        if got != lang:
            errors.append({"gold": lang, "pred": got, "conf": conf, "text": text})
    return {
        "n": len(rows),
        "accuracy": round(sum(sum(v) for v in per.values()) / len(rows), 4),
        "per_language": {lang: round(sum(v) / len(v), 3) for lang, v in sorted(per.items())},
        "errors": errors,
        "short_posts": short_post_accuracy(rows),
    }


def short_post_accuracy(rows: list[tuple[str, str, str]], words: tuple[int, ...] = (2, 3, 5)) -> dict:
    """Language ID on short posts: each hand-written post cut to its first 2, 3 and 5 words (after the cleaning
    that drops mentions, links and emoji), per language: right, "und" (abstained) and wrong — a wrong language is
    worse than none, since it routes to the wrong team and picks the wrong sentiment model."""
    from rapport.listening.nlp.langid import UNDETERMINED
    from rapport.listening.nlp.textclean import clean_batch_for_langid

    cleaned = clean_batch_for_langid([text for _, _, text in rows])
    report: dict = {}
    for k in words:
        cut = [" ".join(text.split()[:k]) for text in cleaned]
        pred = detect_languages(cut)
        per: dict[str, dict[str, int]] = defaultdict(lambda: {"right": 0, "und": 0, "wrong": 0})
        for (lang, _, _), (got, _) in zip(rows, pred, strict=True):
            per[lang]["right" if got == lang else "und" if got in (UNDETERMINED, None) else "wrong"] += 1
        total = {key: sum(v[key] for v in per.values()) for key in ("right", "und", "wrong")}
        n = len(rows)
        report[f"{k}_words"] = {
            "right": round(total["right"] / n, 3),
            "und": round(total["und"] / n, 3),
            "wrong": round(total["wrong"] / n, 3),
            "per_language": {
                lang: {key: round(v[key] / sum(v.values()), 3) for key in ("right", "und", "wrong")}
                for lang, v in sorted(per.items())
            },
        }
    return report


def out_of_domain() -> dict:
    """Sentiment figures on the hand-written English domains and the other-language posts."""
    result = {}
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for domain, label, text in data.eval_posts("ood_en"):
        groups[f"en-{domain}"].append((_SHORT[label], text))
    for lang, label, text in data.eval_posts("posts_"):
        groups[f"posts-{lang}"].append((_SHORT[label], text))
    for name, items in sorted(groups.items()):
        gold = [g for g, _ in items]
        texts = [t for _, t in items]
        pred = [lab for lab, _ in score_sentiment(texts)]
        m = _metrics(gold, pred)
        result[name] = {k: m[k] for k in ("n", "accuracy", "macro_f1", "negative_recall")}
        if name.startswith("en-") or name == "posts-en":
            result[name]["vader_macro_f1"] = _metrics(gold, vader_labels(texts))["macro_f1"]
    return result


def _binary_f1(gold: list[str], pred: list[str]) -> float:
    """Macro-F1 over negative and positive of 3-class labels: a "neutral" answer to a clear case is a miss."""
    from sklearn.metrics import f1_score

    return round(float(f1_score(gold, pred, labels=["negative", "positive"], average="macro", zero_division=0)), 3)


def _labels_with(bundle: dict, texts: list[str]) -> list[str]:
    """3-class labels of English texts under a given model bundle (the cached model is left as it is)."""
    from rapport.listening.nlp import sentiment
    from rapport.listening.nlp.textclean import normalise_batch

    proba = sentiment._english_proba(bundle, normalise_batch(texts))
    return [LABELS[k] for k in sentiment._decide(proba, bundle["full_bias"]).tolist()]


def labelled_sets(previous: dict | None = None, names: list[str] | None = None) -> dict:
    """Each public labelled set (listening/nlp/sets.py): where it came from, its licence, size and clear-case
    count, and on its clear cases the macro-F1 of Rapport's model, of the previous recipe (`previous`, a bundle
    from sentiment.train_bundle(previous=True)) and of VADER, all on the same items in the same run."""
    from rapport.listening.nlp import sets
    from rapport.listening.nlp.sentiment import score_sentiment

    out: dict = {}
    for s in sets.SETS:
        if names is not None and s.name not in names:
            continue
        texts, gold = s.clear_cases()
        pred = [lab for lab, _ in score_sentiment(texts, ["en"] * len(texts))]
        row = {
            "kind": s.kind,
            "language": s.language,
            "source": s.source,
            "licence": s.licence,
            "size": len(s.items()),
            "clear_cases": len(texts),
            "clear_positive": gold.count("positive"),
            "held_out": not s.training,
            "rapport_macro_f1": _binary_f1(gold, pred),
            "rapport_neutral_share": round(pred.count("neutral") / max(len(pred), 1), 3),
            "vader_macro_f1": _binary_f1(gold, vader_labels(texts)),
        }
        if previous is not None:
            row["previous_model_macro_f1"] = _binary_f1(gold, _labels_with(previous, texts))
        if s.training:
            row["note"] = "trains Rapport's model: its figure is not a held-out one"
        out[s.name] = row
    return out


def speed(n: int = 10000, runs: int = 3) -> dict:
    """Median texts/s over `runs` runs on batches of n airline tweets (the model is loaded beforehand)."""
    with data.tweets_path().open(encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    batch = (texts * (n // len(texts) + 1))[:n]
    score_sentiment(batch[:10], ["en"] * 10)
    detect_languages(batch[:10])
    out = {}
    for name, fn in {
        "detect_languages": lambda: detect_languages(batch),
        "score_sentiment(languages given)": lambda: score_sentiment(batch, ["en"] * n),
        "score_sentiment(languages detected)": lambda: score_sentiment(batch),
    }.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        out[name] = round(n / statistics.median(times))
    return out


def evaluate() -> dict:
    """Compute (and print) all held-out figures; sentiment figures need Tweets.csv."""
    report: dict = {"languages": language_accuracy()}
    if data.tweets_path().exists():
        texts, ids = data.airline_split("test")
        gold = [LABELS[i] for i in ids]
        report["airline_test"] = _metrics(gold, [lab for lab, _ in score_sentiment(texts, ["en"] * len(texts))])
        report["airline_test_vader"] = _metrics(gold, vader_labels(texts))
        report["speed_texts_per_s"] = speed()
    else:
        report["airline_test"] = f"skipped: {data.tweets_path()} not found"
    report["out_of_domain"] = out_of_domain()
    previous = None
    if data.tweets_path().exists():
        from rapport.listening.nlp.sentiment import train_bundle

        previous = train_bundle(previous=True)
        texts, ids = data.airline_split("test")
        report["airline_test_previous_model"] = _metrics([LABELS[i] for i in ids], _labels_with(previous, texts))
    from rapport.listening.nlp.sets import CLEAR_RATING

    report["labelled_sets"] = {
        "clear_cases": f"|mean rating| >= {CLEAR_RATING} on -4..+4 (rated sets); every item (two-label sets)",
        "metric": "macro-F1 over negative/positive of the 3-class labels; a neutral answer counts as a miss",
        "sets": labelled_sets(previous),
    }
    return report


def main() -> int:
    """Print the evaluation report as JSON."""
    report = evaluate()
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
