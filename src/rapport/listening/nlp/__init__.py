"""Text analysis for social listening: language identification and sentiment (no Django dependencies).

The names below load their modules (numpy, scipy, the saved model) on first use, so importing a light helper
such as `rapport.listening.nlp.textclean` costs no heavy import.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "SUPPORTED_LANGUAGES": "rapport.listening.nlp.langid",
    "detect_languages": "rapport.listening.nlp.langid",
    "build_models": "rapport.listening.nlp.sentiment",
    "score_sentiment": "rapport.listening.nlp.sentiment",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
