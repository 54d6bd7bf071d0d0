"""Where the sentiment model is cached and whether it is current, without importing numpy or scikit-learn.

Beside the model file lies a JSON record: the format version, the scikit-learn version that pickled it and a
fingerprint of the training file, so `rapport models status` and install checks answer at once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from rapport.listening.nlp import data

FORMAT_VERSION = 2
MODEL_FILENAME = f"sentiment-v{FORMAT_VERSION}.joblib"
META_FILENAME = f"sentiment-v{FORMAT_VERSION}.json"


def data_fingerprint(path: Path | None = None) -> str:
    """sha256 of the training file (first 16 hex digits): tells a model built from other data."""
    digest = hashlib.sha256()
    with (path or data.tweets_path()).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def model_status() -> dict[str, Any]:
    """Whether a usable model is cached, read from its JSON record (no scikit-learn import, no unpickling).

    state: "ready", "missing", "stale" (another format or scikit-learn version: rebuilt before use), or
    "outdated" (built from other training data: still used; `rapport models build` refreshes it).
    """
    path = data.models_dir() / MODEL_FILENAME
    meta_path = data.models_dir() / META_FILENAME
    status: dict[str, Any] = {
        "path": str(path),
        "data": str(data.tweets_path()),
        "data_present": data.tweets_path().exists(),
    }
    if not path.exists():
        return {**status, "state": "missing", "reason": "no model file"}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}  # a model from before the record was kept: checked when loaded
    status["meta"] = meta
    if meta.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        return {**status, "state": "stale", "reason": f"format {meta.get('format_version')} != {FORMAT_VERSION}"}
    built_with = meta.get("sklearn_version")
    if built_with and built_with != _installed_sklearn_version():
        return {**status, "state": "stale", "reason": f"built with scikit-learn {built_with}"}
    if status["data_present"] and meta.get("data_fingerprint") and meta["data_fingerprint"] != data_fingerprint():
        return {**status, "state": "outdated", "reason": "the training data changed since the model was built"}
    return {**status, "state": "ready", "reason": ""}


def _installed_sklearn_version() -> str:
    """The installed scikit-learn's version from its package metadata, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        return ""
