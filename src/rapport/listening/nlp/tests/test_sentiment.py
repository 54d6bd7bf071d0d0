"""Sentiment: held-out goals on the airline tweets, negation, edge cases, determinism, fallback."""

from __future__ import annotations

import logging

import pytest

from rapport.listening.nlp import data, sentiment
from rapport.listening.nlp.evaluate import _metrics
from rapport.listening.nlp.lexicon import lexicon_sentiment
from rapport.listening.nlp.sentiment import LABELS, score_sentiment


def test_held_out_airline_goals(trained_model):
    texts, ids = data.airline_split("test")
    assert trained_model["n_train"] > 3 * len(texts)
    pred = [lab for lab, _ in score_sentiment(texts, ["en"] * len(texts))]
    m = _metrics([LABELS[i] for i in ids], pred)
    assert m["macro_f1"] >= 0.75
    assert m["negative_recall"] >= 0.85


def test_split_is_deterministic_and_disjoint():
    assert data.split_of("570306133677760513") == data.split_of("570306133677760513")
    buckets = [data.split_of(str(i)) for i in range(5000)]
    assert 0.17 < buckets.count("test") / 5000 < 0.23


def test_factual_complaint_is_negative(trained_model):
    out = score_sentiment(["my bag was lost and nobody called me back", "flight cancelled again, stuck at the gate"])
    assert [lab for lab, _ in out] == ["negative", "negative"]


def test_negation(trained_model):
    en = score_sentiment(["not bad at all", "this is not good"], ["en", "en"])
    assert en[0][1] > en[1][1]
    assert en[1][0] == "negative"
    da = score_sentiment(["ikke godt", "godt"], ["da", "da"])
    assert da[0][0] == "negative" and da[1][0] == "positive"
    de = score_sentiment(["nicht gut", "gut"], ["de", "de"])
    assert de[0][1] < 0 < de[1][1]


def test_other_languages_basic_polarity(trained_model):
    texts = [
        "Tusind tak, fantastisk service",
        "Elendig kundeservice, meget skuffet",
        "Merci, service excellent",
        "Le pire service, très déçu",
    ]
    labels = [lab for lab, _ in score_sentiment(texts, ["da", "da", "fr", "fr"])]
    assert labels == ["positive", "negative", "positive", "negative"]


def test_edge_cases(trained_model):
    texts = ["", "😀", "https://t.co/abc", "@someone", "great " * 3000]
    out = score_sentiment(texts)
    assert len(out) == len(texts)
    for label, score in out:
        assert label in LABELS and -1.0 <= score <= 1.0
    assert out[4][0] == "positive"
    assert score_sentiment([]) == []


def test_deterministic(trained_model):
    texts = ["Thanks for the quick refund!", "Still waiting for my luggage", "What time is the next flight?"]
    assert score_sentiment(texts) == score_sentiment(list(texts))
    assert score_sentiment(texts) == [score_sentiment([t])[0] for t in texts]


def test_lazy_load_builds_once_and_reloads(trained_model):
    sentiment.reset_cache()
    first = sentiment._load_bundle()
    assert first is not None and first["format_version"] == sentiment.FORMAT_VERSION
    assert sentiment._load_bundle() is first


def test_fallback_without_data(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path / "home"))
    sentiment.reset_cache()
    try:
        with caplog.at_level(logging.WARNING):
            out = score_sentiment(["great service, thank you", "terrible, worst ever", "ikke godt"])
        assert [lab for lab, _ in out] == ["positive", "negative", "negative"]
        assert "lexicon-only" in caplog.text
    finally:
        sentiment.reset_cache()


@pytest.mark.parametrize(("text", "expected"), [("not bad", "positive"), ("ikke godt", "negative")])
def test_lexicon_negation(text, expected):
    assert lexicon_sentiment([text])[0][0] == expected
