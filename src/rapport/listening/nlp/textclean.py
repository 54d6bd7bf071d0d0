"""Text normalisation shared by language identification and sentiment scoring."""

from __future__ import annotations

import re

_URL = re.compile(r"(?:https?://|www\.)\S+")
_HANDLE = re.compile(r"@\w+")
_HTML_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39);")
_ENTITY_MAP = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'"}
# URLs, handles, hashtags, entities, digits and anything that is not a letter, apostrophe or basic sentence
# punctuation carry no language signal; one alternation keeps this a single regex pass.
# Every alternative starts with a plain character test so the regex engine rejects most positions at once: the
# case-insensitive scheme is spelled out (re.IGNORECASE also lets "s" match "ſ"), and the handle's lookbehind comes
# after its first character.
_NON_LANG = re.compile(
    r"[hH][tT][tT][pP][sSſ]?://\S+|[wW][wW][wW]\.\S+|[@#](?<!\w[@#])\w+|&#?\w+;|[^\w\s'’.,!?¿¡-]+|[\d_]+"
)
# Flight numbers, order numbers, times, prices: brand- or case-specific, never sentiment.
_NUMBER = re.compile(r"\d[\d:.,/]*")

# Brand names in the airline training data; dropping them keeps the model from learning "united" = negative.
BRAND_WORDS = frozenset(
    [
        "united",
        "unitedairlines",
        "jetblue",
        "southwest",
        "southwestair",
        "american",
        "americanair",
        "americanairlines",
        "aa",
        "airways",
        "usairways",
        "virgin",
        "america",
        "virginamerica",
        "delta",
        "deltaassist",
        "alaska",
        "spirit",
        "frontier",
    ]
)


def join_lines(texts: list[str]) -> str:
    """The texts joined by line breaks, line i being text i: line breaks inside a text become spaces, None is "".

    Batch functions run each regex once over this string instead of once per text.
    """
    try:
        joined = "\n".join(texts)
    except TypeError:  # None among the texts
        texts = [t or "" for t in texts]
        joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        joined = "\n".join(t.replace("\n", " ") for t in texts)
    return joined


def _unescape(text: str) -> str:
    return _HTML_ENTITY.sub(lambda m: _ENTITY_MAP[m.group(1)], text)


def clean_for_langid(text: str) -> str:
    """Strip URLs, @handles, #hashtags, emoji, digits and symbols, leaving only natural-language words."""
    return " ".join(_NON_LANG.sub(" ", text).split())


def clean_batch_for_langid(texts: list[str]) -> list[str]:
    """clean_for_langid over a batch with one regex pass (no pattern crosses a line break, which joins the texts)."""
    if not texts:
        return []
    joined = _NON_LANG.sub(" ", join_lines(texts))
    return [" ".join(t.split()) for t in joined.split("\n")]


def normalise_batch(texts: list[str]) -> list[str]:
    """Lower-case and mask user-, link- and case-specific tokens so a model learns opinion language only.

    The batch is joined into one string so each regex runs once per batch rather than once per text. Brand names
    are dropped later as stop words (BRAND_WORDS), which is much cheaper than a regex alternation.
    """
    if not texts:
        return []
    text = join_lines(texts)
    text = _unescape(text)
    text = _URL.sub(" xurl ", text)
    text = _HANDLE.sub(" xuser ", text)
    text = _NUMBER.sub(" xnum ", text)
    text = text.replace("#", " ").replace("’", "'").lower()
    return text.split("\n")


def normalise_for_sentiment(text: str) -> str:
    """Single-text form of normalise_batch."""
    return normalise_batch([text])[0]
