"""Sentiment (held-out Tweets.csv split and public labelled sets, with the previous model and VADER beside it)
and language identification figures."""

from __future__ import annotations

import json


def add_arguments(parser) -> None:
    """`rapport eval listening` takes no options."""


def run(options: dict, write) -> None:
    """Print the evaluation report of listening/nlp/evaluate.py as JSON."""
    from rapport.listening.nlp.evaluate import evaluate

    write(json.dumps(evaluate(), indent=2, ensure_ascii=False))
