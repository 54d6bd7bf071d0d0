"""Language, sentiment, rule and topic analysis for a batch of normalised posts (no database writes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport.listening.nlp import detect_languages, score_sentiment
from rapport.listening.query import view_of
from rapport.pipeline.stages.dedupe import text_hash
from rapport.pipeline.stages.rules import CompiledRule

_TAG = re.compile(r"(?<![\w#@])([#@])(\w{2,100})", re.UNICODE)


@dataclass(slots=True)
class Item:
    """One post on its way through the pipeline, with what the stages found."""

    post: dict[str, Any]
    created_at: datetime
    language: str = ""
    language_confidence: float | None = None
    sentiment_label: str = ""
    sentiment_score: float | None = None
    text_hash: str = ""
    rule_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # "#hashtag" and "@mention" keys, lower-case
    author_id: int | None = None
    person_id: int | None = None


def detect_language(items: list[Item]) -> None:
    """Stage: one batched language identification call."""
    for item, (lang, conf) in zip(items, detect_languages([i.post["text"] for i in items]), strict=True):
        item.language, item.language_confidence = lang or "", conf


def score(items: list[Item]) -> None:
    """Stage: one batched sentiment call, reusing the detected languages."""
    results = score_sentiment([i.post["text"] for i in items], [i.language or None for i in items])
    for item, (label, value) in zip(items, results, strict=True):
        item.sentiment_label, item.sentiment_score = label, value


def match_rules(items: list[Item], rules: list[CompiledRule]) -> None:
    """Stage: tag each post with the ids of the rules it matches, and collect its hashtags and mentions."""
    for item in items:
        text = item.post["text"]
        item.topics = sorted({f"{m.group(1)}{m.group(2).casefold()}" for m in _TAG.finditer(text)})
        if rules:
            view = view_of(text, language=item.language, network=item.post["network"])
            item.rule_ids = [r.id for r in rules if r.matches(view)]


def hash_texts(items: list[Item]) -> None:
    """Stage: the near-duplicate key of each text."""
    for item in items:
        item.text_hash = text_hash(item.post["text"])


def analyse(items: list[Item], rules: list[CompiledRule]) -> None:
    """Run every analysis stage over the batch, in order."""
    if not items:
        return
    detect_language(items)
    score(items)
    hash_texts(items)
    match_rules(items, rules)


Result = tuple[str, float | None, str, float | None, str, list[int], list[str]]


def analyse_texts(posts: list[tuple[str, str]], rule_specs: tuple) -> list[Result]:
    """Analyse (text, network) pairs in a separate process: picklable in, picklable out."""
    from rapport.pipeline.stages.rules import compile_specs

    items = [Item(post={"text": text, "network": network}, created_at=None) for text, network in posts]  # type: ignore[arg-type]
    analyse(items, compile_specs(rule_specs))
    return [
        (i.language, i.language_confidence, i.sentiment_label, i.sentiment_score, i.text_hash, i.rule_ids, i.topics)
        for i in items
    ]


def apply_results(items: list[Item], results: list[Result]) -> None:
    """Copy analyse_texts results back onto the batch's items."""
    for item, r in zip(items, results, strict=True):
        (
            item.language,
            item.language_confidence,
            item.sentiment_label,
            item.sentiment_score,
            item.text_hash,
            item.rule_ids,
            item.topics,
        ) = r
