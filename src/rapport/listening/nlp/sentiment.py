"""Sentiment scoring: a TF-IDF + lexicon logistic regression for English, and a lexicon-feature model for the
other supported languages; lexicon-only fallback without training data.

The English model is trained on the airline tweets (train split) and on the human-rated movie-review snippets of
Hutto & Gilbert (eval/sets, MIT; the clearly polar ones as positive/negative, the near-zero ones as neutral, each
at a quarter of a tweet's weight), with word n-grams plus domain-independent polarity features (AFINN, and VADER's
lexicon with negation, boosters and "but"). Its class log-probabilities are averaged (weight POLARITY_BLEND) with
those of a polarity-features-only model, which carries the decision on words the training domains never used. The
decision bias towards "negative" is tuned on the airline validation split. `train_bundle(previous=True)` keeps the
first recipe (airline tweets only, AFINN features) as the baseline `rapport eval listening` reports beside it.

Scores are p(positive) - p(negative) from the calibrated class probabilities, so they lie in [-1, 1].

The model is built once, ahead of use, by `make install` or `rapport models build` (from $RAPPORT_DATA_DIR, whose
licence does not let it ship inside the package) and cached under $RAPPORT_HOME/models with a small JSON record
beside it: the format version, the scikit-learn version it was pickled with and a fingerprint of the training
file. A command that finds no usable model says so on stderr and builds it with a progress bar; without training
data it scores with the lexicon alone (the documented fallback).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy import sparse

from rapport.listening.nlp import data
from rapport.listening.nlp.lexicon import lexicon_features, lexicon_sentiment, polarity_features
from rapport.listening.nlp.modelcache import (
    FORMAT_VERSION,
    META_FILENAME,
    MODEL_FILENAME,
    data_fingerprint,
)
from rapport.listening.nlp.textclean import BRAND_WORDS, normalise_batch
from rapport.listening.nlp.wordgrams import TOKEN_PATTERN, WordGramCounter

log = logging.getLogger(__name__)


BUILD_STEPS = (
    "reading training data",
    "normalising texts",
    "fitting word features",
    "training the English model",
    "tuning the negative bias",
    "training the lexicon model",
    "saving",
)
LABELS = ("negative", "neutral", "positive")
# Negative-recall floor used when tuning the decision bias on the validation split (goal: >= 0.85 on test).
TARGET_NEG_RECALL = 0.87
_LEX_SCALE = 2.0
# Character n-grams add little macro-F1 here but cost most of the scoring time; see evaluate.py figures.
USE_CHAR_NGRAMS = os.environ.get("RAPPORT_SENTIMENT_CHAR_NGRAMS", "0") == "1"
# The second training corpus: Hutto & Gilbert's movie-review snippets (mean of 20 raters on -4..+4).
EXTRA_SET = "hutto-movies"
EXTRA_POLAR, EXTRA_NEUTRAL, EXTRA_WEIGHT = 1.0, 0.3, 0.25
# Weight of the polarity-only model's log-probabilities in the English decision.
POLARITY_BLEND = 0.3
FULL_C = 2.0


def _vectorizers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=2,
        sublinear_tf=True,
        token_pattern=TOKEN_PATTERN,
        dtype=np.float32,
        stop_words=list(BRAND_WORDS),
    )
    # Character n-grams need a Python-level analyzer per text; (3, 4) keeps most of their gain at half the cost.
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 4), min_df=3, sublinear_tf=True, dtype=np.float32, max_features=40000
    )
    return word, char


def _word_features(bundle: dict, norm: list[str]) -> sparse.csr_matrix:
    # The batch counter gives the vectorizer's exact features; it is attached when a saved model is loaded.
    counter = bundle.get("word_counter")
    return counter.transform(norm) if counter is not None else bundle["word"].transform(norm)


def _features(bundle: dict, norm: list[str], polar: np.ndarray | None = None) -> sparse.csr_matrix:
    if bundle.get("recipe") == "polarity":
        lex = (polarity_features(norm) if polar is None else polar) * _LEX_SCALE
    else:
        lex = lexicon_features(norm) * _LEX_SCALE
    parts = [_word_features(bundle, norm)]
    if bundle.get("char") is not None:
        parts.append(bundle["char"].transform(norm))
    return sparse.hstack([*parts, sparse.csr_matrix(lex)], format="csr")


def _decide(proba: np.ndarray, neg_bias: float) -> np.ndarray:
    adjusted = np.log(np.clip(proba, 1e-9, 1.0))
    adjusted[:, 0] += neg_bias
    return adjusted.argmax(axis=1)


def _tune_bias(proba: np.ndarray, y: np.ndarray) -> float:
    """Smallest-harm bias towards 'negative': best macro-F1 among biases that reach the negative-recall floor."""
    from sklearn.metrics import f1_score, recall_score

    best, best_f1 = 0.0, -1.0
    for bias in np.arange(-0.5, 2.01, 0.05):
        pred = _decide(proba, bias)
        rec = recall_score(y, pred, labels=[0], average=None)[0]
        f1 = f1_score(y, pred, average="macro")
        if rec >= TARGET_NEG_RECALL and f1 > best_f1:
            best, best_f1 = float(bias), f1
    return round(best, 2)


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def extra_training() -> tuple[list[str], np.ndarray]:
    """The movie-review snippets used for training: clearly polar ones as negative/positive, near-zero ones as
    neutral (the rest, mildly rated, are left out as ambiguous)."""
    from rapport.listening.nlp.sets import by_name

    texts, labels = [], []
    for rating, text in by_name(EXTRA_SET).items():
        if abs(rating) >= EXTRA_POLAR:
            texts.append(text)
            labels.append(2 if rating > 0 else 0)
        elif abs(rating) < EXTRA_NEUTRAL:
            texts.append(text)
            labels.append(1)
    return texts, np.array(labels, dtype=np.int64)


def _blend(bundle: dict, full_proba: np.ndarray, polar: np.ndarray) -> np.ndarray:
    """Class probabilities of the English decision: the weighted geometric mean of the full model's and the
    polarity-only model's."""
    weight = bundle["polarity_blend"]
    if not weight:
        return full_proba
    other = bundle["polar"].predict_proba(polar * _LEX_SCALE)
    logp = (1 - weight) * np.log(np.clip(full_proba, 1e-9, 1.0)) + weight * np.log(np.clip(other, 1e-9, 1.0))
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _english_proba(bundle: dict, norm: list[str]) -> np.ndarray:
    if bundle.get("recipe") != "polarity":
        return bundle["full"].predict_proba(_features(bundle, norm))
    polar = polarity_features(norm)
    return _blend(bundle, bundle["full"].predict_proba(_features(bundle, norm, polar)), polar)


def _other_features(bundle: dict, norm: list[str]) -> np.ndarray:
    if bundle.get("recipe") == "polarity":
        return polarity_features(norm, afinn_only=True) * _LEX_SCALE
    return lexicon_features(norm) * _LEX_SCALE


def build_models(out_dir: Path, progress: Callable[[str], None] | None = None) -> dict:
    """Train the sentiment models (airline train split plus the movie snippets), tune on the airline validation
    split and save them. `progress(step)` is called before each of BUILD_STEPS.
    """
    bundle = train_bundle(progress)
    step = progress or (lambda _name: None)
    step(BUILD_STEPS[6])
    meta = {k: bundle[k] for k in ("format_version", "sklearn_version", "data_fingerprint", "n_train", "n_validation")}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MODEL_FILENAME
    tmp = path.with_suffix(".tmp")
    joblib.dump(bundle, tmp, compress=3)
    tmp.replace(path)  # a reader never sees half a file
    meta["full_bias"] = bundle["full_bias"]
    meta["n_extra"] = bundle["n_extra"]
    (out_dir / META_FILENAME).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    info = {
        "path": str(path),
        "n_train": bundle["n_train"],
        "n_extra": bundle["n_extra"],
        "n_validation": bundle["n_validation"],
        "full_bias": bundle["full_bias"],
    }
    log.info("sentiment model built: %s", info)
    return info


def train_bundle(progress: Callable[[str], None] | None = None, *, previous: bool = False) -> dict:
    """Train the model bundle in memory; previous=True trains the first recipe (airline tweets only, AFINN
    features, no blend), kept as the baseline of `rapport eval listening`."""
    from sklearn.linear_model import LogisticRegression

    step = progress or (lambda _name: None)
    step(BUILD_STEPS[0])
    train_texts, train_y = data.airline_split("train")
    val_texts, val_y = data.airline_split("validation")
    extra_texts, extra_y = ([], np.zeros(0, dtype=np.int64)) if previous else extra_training()
    step(BUILD_STEPS[1])
    norm_train = normalise_batch(train_texts)
    norm_val = normalise_batch(val_texts)
    norm_extra = normalise_batch(extra_texts)
    step(BUILD_STEPS[2])
    word, char = _vectorizers()
    word.fit(norm_train + norm_extra)
    if USE_CHAR_NGRAMS:
        char.fit(norm_train + norm_extra)
    else:
        char = None
    bundle: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "sklearn_version": _sklearn_version(),
        "data_fingerprint": data_fingerprint(),
        "n_train": len(train_y),
        "n_extra": len(extra_y),
        "n_validation": len(val_y),
        "recipe": "previous" if previous else "polarity",
        "labels": LABELS,
        "word": word,
        "char": char,
        "polarity_blend": 0.0 if previous else POLARITY_BLEND,
    }
    docs = norm_train + norm_extra
    y = np.concatenate([np.asarray(train_y, dtype=np.int64), extra_y])
    weights = np.concatenate([np.ones(len(train_y)), np.full(len(extra_y), EXTRA_WEIGHT)])
    step(BUILD_STEPS[3])
    polar = None if previous else polarity_features(docs)
    full = LogisticRegression(C=4.0 if previous else FULL_C, class_weight="balanced", max_iter=3000)
    full.fit(_features(bundle, docs, polar), y, sample_weight=weights)
    bundle["full"] = full
    if not previous:
        bundle["polar"] = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(
            polar * _LEX_SCALE, y, sample_weight=weights
        )
    step(BUILD_STEPS[4])
    bundle["full_bias"] = _tune_bias(_english_proba(bundle, norm_val), np.asarray(val_y))
    # Language-independent model: AFINN and seed-word features only, for languages with a lexicon but no data.
    step(BUILD_STEPS[5])
    lex = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    lex.fit(_other_features(bundle, norm_train), train_y)
    bundle["lex"] = lex
    bundle["lex_bias"] = 0.0
    return bundle


def _terminal_progress():
    """A rich progress bar on stderr when it is a terminal; otherwise a no-op (piped output stays clean)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        disable=not sys.stderr.isatty(),
    )


def build_with_progress(*, forget_loaded: bool = True) -> dict:
    """Build the model into $RAPPORT_HOME/models, with a progress bar on a terminal; forgets any loaded model."""
    progress = _terminal_progress()
    with progress:
        task = progress.add_task("building the sentiment model", total=len(BUILD_STEPS), step="")
        seen = 0

        def step(name: str) -> None:
            nonlocal seen
            progress.update(task, completed=seen, step=name)
            seen += 1

        info = build_models(data.models_dir(), progress=step)
        progress.update(task, completed=len(BUILD_STEPS), step="done")
    if forget_loaded:
        reset_cache()
    return info


_bundle: dict | None = None
_loaded = False
_lock = threading.Lock()


def _usable(bundle: Any) -> bool:
    if not isinstance(bundle, dict) or bundle.get("format_version") != FORMAT_VERSION:
        return False
    built_with = bundle.get("sklearn_version")
    return not built_with or built_with == _sklearn_version()


def _load_bundle() -> dict | None:
    """Load the cached model; None means lexicon-only fallback (no model and no training data).

    A missing or unusable model is built here only as a last resort, announced on stderr with a progress bar:
    `make install` and `rapport models build` build it ahead so that no user command waits for training.
    """
    global _bundle, _loaded
    if _loaded:
        return _bundle
    with _lock:
        if _loaded:
            return _bundle
        path = data.models_dir() / MODEL_FILENAME
        bundle = None
        why = "no sentiment model"
        if path.exists():
            try:
                bundle = joblib.load(path)
                if not _usable(bundle):
                    bundle, why = None, "the sentiment model was built by another version"
            except Exception:  # noqa: BLE001 - a corrupt or incompatible file is rebuilt, not fatal
                log.warning("could not load %s; rebuilding", path, exc_info=True)
                bundle, why = None, "the sentiment model could not be read"
        if bundle is None:
            if data.tweets_path().exists():
                sys.stderr.write(
                    f"rapport: {why} at {path}; building it now from {data.tweets_path()} "
                    "(once; `rapport models build` does this ahead of time)\n"
                )
                log.warning("%s at %s: building it from %s", why, path, data.tweets_path())
                build_with_progress(forget_loaded=False)  # this lock is held: the caller loads it
                bundle = joblib.load(path)
            else:
                log.warning(
                    "no sentiment model and no training data at %s: using lexicon-only scorer", data.tweets_path()
                )
        if bundle is not None and WordGramCounter.supports(bundle["word"]):
            bundle["word_counter"] = WordGramCounter(bundle["word"])
        _bundle, _loaded = bundle, True
    return _bundle


def reset_cache() -> None:
    """Forget the loaded model (tests and model rebuilds)."""
    global _bundle, _loaded
    with _lock:
        _bundle, _loaded = None, False


def score_sentiment(texts: list[str], languages: list[str | None] | None = None) -> list[tuple[str, float]]:
    """Return (negative|neutral|positive, p(pos)-p(neg) in [-1, 1]) per text; languages are detected if not given."""
    if not texts:
        return []
    bundle = _load_bundle()
    if bundle is None:
        return lexicon_sentiment(texts)
    if languages is None:
        from rapport.listening.nlp.langid import detect_languages

        languages = [lang for lang, _ in detect_languages(texts)]
    norm = normalise_batch(texts)
    # English and undetermined (emoji-only, very short, ambiguous) posts go to the full model; others to the lexicon.
    other = np.array([lang not in (None, "en", "und") for lang in languages], dtype=bool)
    proba = np.zeros((len(texts), 3))
    pred = np.zeros(len(texts), dtype=np.int64)
    en_idx = np.flatnonzero(~other)
    if en_idx.size:
        p = _english_proba(bundle, [norm[i] for i in en_idx])
        proba[en_idx], pred[en_idx] = p, _decide(p, bundle["full_bias"])
    ot_idx = np.flatnonzero(other)
    if ot_idx.size:
        p = bundle["lex"].predict_proba(_other_features(bundle, [norm[i] for i in ot_idx]))
        proba[ot_idx], pred[ot_idx] = p, _decide(p, bundle["lex_bias"])
    scores = np.round(proba[:, 2] - proba[:, 0], 4).tolist()
    return [(LABELS[k], s) for k, s in zip(pred.tolist(), scores, strict=True)]
