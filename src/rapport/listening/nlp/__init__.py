"""Text analysis for social listening: language identification and sentiment (no Django dependencies)."""

from rapport.listening.nlp.langid import SUPPORTED_LANGUAGES, detect_languages
from rapport.listening.nlp.sentiment import build_models, score_sentiment

__all__ = ["SUPPORTED_LANGUAGES", "build_models", "detect_languages", "score_sentiment"]
