"""Batch text helpers give, text by text, what the one-text forms give."""

from __future__ import annotations

import re

import numpy as np

from rapport.listening.nlp import lexicon
from rapport.listening.nlp.textclean import clean_batch_for_langid, clean_for_langid, join_lines

TEXTS = [
    "",
    "@SAS hej #fail https://x.dk/a 😡 123",
    "HTTPS://EXAMPLE.COM/A and WWW.Example.org/x stay out",
    "httpſ://long-s.example/x counts as a link too",
    "€@hidden and a#b and &amp; &#39; entities",
    "line one\nline two\n\nline four",
    "rt\n@x: starts on the next line",
    "  spaces   and\ttabs  ",
    "Ünïcödé ÀÉÎ ﬁne",
    "@@double ##tags _under_score_ 12:30 $5",
]

# The language-cleaning pattern as first written (one alternation with a leading lookbehind, case-insensitive).
_REFERENCE_NON_LANG = re.compile(
    r"(?:https?://|www\.)\S+|(?<!\w)[@#]\w+|&#?\w+;|[^\w\s'’.,!?¿¡-]+|[\d_]+", re.IGNORECASE
)


def test_join_lines_keeps_one_line_per_text():
    joined = join_lines(["a\nb", None, "c"])  # type: ignore[list-item]
    assert joined.split("\n") == ["a b", "", "c"]
    assert join_lines(["x", "y"]) == "x\ny"


def test_clean_batch_equals_one_text_at_a_time():
    assert clean_batch_for_langid(TEXTS) == [clean_for_langid(t) for t in TEXTS]
    assert clean_batch_for_langid([]) == []


def test_clean_pattern_equals_the_case_insensitive_original():
    for text in TEXTS:
        reference = " ".join(_REFERENCE_NON_LANG.sub(" ", text).split())
        assert clean_for_langid(text) == reference, text


def _reference_features(texts: list[str]) -> np.ndarray:
    """lexicon_features computed token by token, the plain way."""
    out = []
    for text in texts:
        tokens = lexicon._TOKEN_OR_BREAK.findall(text.replace("\n", " "))  # noqa: SLF001
        pos = neg = flips = 0.0
        for k, tok in enumerate(tokens):
            if tok in lexicon.NEGATORS:
                continue
            value = lexicon._valence(tok)  # noqa: SLF001
            negated = value != 0 and any(t in lexicon.NEGATORS for t in tokens[max(0, k - 3) : k])
            if negated:
                value, flips = -0.8 * value, flips + 1
            pos, neg = pos + max(value, 0.0), neg + max(-value, 0.0)
        out.append([pos, neg, np.tanh(pos - neg), flips, float(pos + neg > 0)])
    return np.array(out)


def test_lexicon_features_match_the_plain_computation():
    texts = [
        "not bad at all",
        "this is not good",
        "ikke godt",
        "great great thanks 😊",
        "never\nhappy",
        "",
        "a b c not d e f great",
    ]
    assert np.allclose(lexicon.lexicon_features(texts), _reference_features(texts))


def test_lexicon_token_table_is_bounded(monkeypatch):
    monkeypatch.setattr(lexicon._TokenTable, "MAX_TOKENS", 5)  # noqa: SLF001
    monkeypatch.setattr(lexicon, "_table", lexicon._TokenTable())  # noqa: SLF001
    lexicon.lexicon_features(["alpha beta gamma"])
    first = lexicon._table  # noqa: SLF001
    feats = lexicon.lexicon_features(["delta epsilon zeta great"])
    assert lexicon._table is not first and len(lexicon._table.codes) <= 5  # noqa: SLF001
    assert feats[0, 0] > 0  # the fresh table still scores


def test_prefix_valence_is_the_longest_listed_prefix():
    def plain(token: str) -> float:
        exact, prefixes = lexicon._tables()  # noqa: SLF001
        if token in exact:
            return exact[token]
        return next((val for pre, val in prefixes if token.startswith(pre)), 0.0)

    _, prefixes = lexicon._tables()  # noqa: SLF001
    tokens = [pre + suffix for pre, _ in prefixes for suffix in ("", "s", "erne", "ing")]
    tokens += ["", "x", "thanks", "thankful", "ventetid", "verspätung", "unknownword"]
    assert [lexicon._valence(t) for t in tokens] == [plain(t) for t in tokens]  # noqa: SLF001
