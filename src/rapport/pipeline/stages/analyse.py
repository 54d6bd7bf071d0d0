"""Language, sentiment, rule and topic analysis for a batch of normalised posts (no database writes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport.core.gcpause import gc_paused
from rapport.listening.query import PostView, views_of
from rapport.listening.rules import CompiledRule, matching_ids
from rapport.pipeline.stages.dedupe import text_hashes

# A # or @ not preceded by a word character, #, or @; the lookbehind sits after the first character so the regex
# engine can skip straight to candidate characters.
_TAG = re.compile(r"[#@](?<![\w#@][#@])\w{2,100}", re.UNICODE)


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


def _topics(text: str) -> list[str]:
    if "#" not in text and "@" not in text:
        return []
    return sorted({tag.casefold() for tag in _TAG.findall(text)})


def analyse(items: list[Item], rules: list[CompiledRule]) -> None:
    """Run every analysis stage over the batch: language, sentiment, near-duplicate hash, rules and topics.

    Each stage works on the batch's distinct texts (retweets and cross-posts repeat a text verbatim), and rules are
    evaluated once per distinct (text, network).
    """
    if not items:
        return
    # A batch makes tens of thousands of short-lived containers; collections would rescan the loaded models.
    with gc_paused():
        _analyse(items, rules)


def _analyse(items: list[Item], rules: list[CompiledRule]) -> None:
    index: dict[str, int] = {}
    slots = [index.setdefault(i.post["text"] or "", len(index)) for i in items]
    # Every stage treats a line break like a space; replacing them once lets each join the batch in one call.
    texts = [t.replace("\n", " ") for t in index]
    # The models (numpy, scipy, the saved sentiment model) load with the first batch, not with the command.
    from rapport.listening.nlp.langid import detect_languages
    from rapport.listening.nlp.sentiment import score_sentiment

    languages = detect_languages(texts)
    sentiments = score_sentiment(texts, [lang for lang, _ in languages])
    hashes = text_hashes(texts)
    topics = [_topics(t) for t in texts]
    views: list[PostView] | None = None
    if rules:
        first_network = [""] * len(texts)
        for item, k in zip(items, slots, strict=True):
            if not first_network[k]:
                first_network[k] = item.post["network"]
        views = views_of(texts, [lang or "" for lang, _ in languages], first_network)
    matched: dict[tuple[int, str], list[int]] = {}
    for item, k in zip(items, slots, strict=True):
        lang, item.language_confidence = languages[k]
        item.language = lang or ""
        item.sentiment_label, item.sentiment_score = sentiments[k]
        item.text_hash = hashes[k]
        item.topics = list(topics[k])
        if views is not None:
            network = item.post["network"]
            ids = matched.get((k, network))
            if ids is None:
                view = views[k]
                if view.network != network:
                    view = PostView(view.words, view.tokens, view.language, network)
                ids = matched[(k, network)] = matching_ids(rules, view)
            item.rule_ids = list(ids)


Result = tuple[str, float | None, str, float | None, str, list[int], list[str]]


def result_of(item: Item) -> Result:
    """What analysis decided for one item, in the order apply_results copies it back."""
    return (
        item.language,
        item.language_confidence,
        item.sentiment_label,
        item.sentiment_score,
        item.text_hash,
        item.rule_ids,
        item.topics,
    )


def analyse_texts(posts: list[tuple[str, str]], rule_specs: tuple) -> list[Result]:
    """Analyse (text, network) pairs in a separate process: picklable in, picklable out."""
    from rapport.listening.rules import compile_specs

    items = [Item(post={"text": text, "network": network}, created_at=None) for text, network in posts]  # type: ignore[arg-type]
    analyse(items, compile_specs(rule_specs))
    return [result_of(i) for i in items]


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
