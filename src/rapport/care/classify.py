"""Needs-response detection: question, complaint, praise or noise, from rules over the text and its sentiment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-zà-ÿ']+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+")
QUESTION_STARTS = frozenset(
    [
        "how",
        "why",
        "when",
        "what",
        "where",
        "who",
        "which",
        "can",
        "could",
        "would",
        "will",
        "is",
        "are",
        "do",
        "does",
        "did",
        "should",
        "any",
        "anyone",
        "whats",
        "hvordan",
        "hvorfor",
        "hvornår",
        "hvad",
        "kan",
        "wie",
        "warum",
        "wann",
        "was",
        "wo",
        "kann",
        "können",
        "gibt",
    ]
)
REQUEST_WORDS = frozenset(
    [
        "help",
        "please",
        "pls",
        "plz",
        "dm",
        "need",
        "needs",
        "want",
        "wanted",
        "assist",
        "support",
        "fix",
        "refund",
        "compensation",
        "cancel",
        "cancelled",
        "canceled",
        "change",
        "rebook",
        "booking",
        "reservation",
        "order",
        "account",
        "password",
        "login",
        "hjælp",
        "bitte",
        "hilfe",
    ]
)
COMPLAINT_WORDS = frozenset(
    [
        "worst",
        "terrible",
        "horrible",
        "awful",
        "bad",
        "poor",
        "broken",
        "broke",
        "delayed",
        "delay",
        "late",
        "lost",
        "missing",
        "stuck",
        "still",
        "waiting",
        "wait",
        "hours",
        "rude",
        "unacceptable",
        "ridiculous",
        "disappointed",
        "disappointing",
        "frustrated",
        "frustrating",
        "annoying",
        "fail",
        "failed",
        "failing",
        "error",
        "issue",
        "issues",
        "problem",
        "problems",
        "charged",
        "overcharged",
        "never",
        "again",
        "sucks",
        "useless",
        "down",
        "outage",
        "slow",
        "wrong",
        "damaged",
        "refused",
        "denied",
        "nobody",
        "noone",
        "ignored",
        "unhelpful",
        "joke",
        "angry",
        "furious",
        "shame",
    ]
)
NEGATIONS = ("doesn't work", "does not work", "not working", "isn't working", "won't", "can't", "cannot", "no one")
PRAISE_WORDS = frozenset(
    [
        "thanks",
        "thank",
        "thx",
        "ty",
        "love",
        "loved",
        "great",
        "awesome",
        "amazing",
        "excellent",
        "best",
        "perfect",
        "wonderful",
        "fantastic",
        "appreciate",
        "appreciated",
        "kudos",
        "shoutout",
        "brilliant",
        "happy",
        "glad",
        "superb",
        "tak",
        "danke",
    ]
)


SUBSTANTIVE_WORDS = 12


@dataclass
class Classification:
    """The category, whether it needs an answer, and the features that decided it."""

    category: str
    needs_response: bool
    features: list[str] = field(default_factory=list)


def classify(text: str, *, sentiment_label: str = "", sentiment_score: float | None = None) -> Classification:
    """Classify one inbound message; questions and complaints need a response, praise and noise do not."""
    clean = _URL.sub(" ", _HANDLE.sub(" ", text or "")).lower()
    words = _WORD.findall(clean)
    wordset = set(words)
    feats: list[str] = []
    question = "?" in clean or bool(words and words[0] in QUESTION_STARTS)
    if question:
        feats.append("question mark or question word")
    requests = sorted(wordset & REQUEST_WORDS)
    if requests:
        feats.append("request: " + ", ".join(requests[:3]))
    complaints = sorted(wordset & COMPLAINT_WORDS)
    if any(n in clean for n in NEGATIONS):
        complaints.append("negated verb")
    if complaints:
        feats.append("complaint: " + ", ".join(complaints[:3]))
    negative = sentiment_label == "negative" or (sentiment_score is not None and sentiment_score < -0.35)
    if negative:
        feats.append("negative sentiment")
    praise = sorted(wordset & PRAISE_WORDS)
    if praise:
        feats.append("praise: " + ", ".join(praise[:3]))
    if len(words) < 2 and not question:
        return Classification("noise", False, [*feats, "too short"])
    if complaints and (negative or len(complaints) > 1 or requests):
        return Classification("complaint", True, feats)
    if question or requests:
        # "Thanks, can you DM me?" is still a question; "thanks for the help!" is praise.
        if praise and not question and sentiment_label == "positive":
            return Classification("praise", False, feats)
        return Classification("question", True, feats)
    if negative and complaints:
        return Classification("complaint", True, feats)
    if negative and len(words) >= 4:
        return Classification("complaint", True, feats)
    if praise or sentiment_label == "positive":
        return Classification("praise", False, feats)
    if complaints:
        return Classification("complaint", True, feats)
    if len(words) >= SUBSTANTIVE_WORDS:
        # A substantive statement addressed to the brand (details, a story) usually gets an answer.
        return Classification("question", True, [*feats, f"{len(words)} words addressed to the brand"])
    return Classification("noise", False, feats)
