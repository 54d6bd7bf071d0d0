"""The public labelled sets the evaluation reads, the polarity features, and the model against a trivial baseline."""

from __future__ import annotations

import gzip
import random

import pytest

from rapport.listening.nlp import sets
from rapport.listening.nlp.evaluate import _binary_f1, labelled_sets
from rapport.listening.nlp.lexicon import polarity_features
from rapport.listening.nlp.sentiment import score_sentiment

_NET, _NEGATED, _AFTER_BUT = 7, 8, 10


@pytest.mark.parametrize("labelled", sets.SETS, ids=lambda s: s.name)
def test_every_set_reads_with_at_least_1000_items_and_both_polarities(labelled):
    items = labelled.items()
    assert len(items) >= 1000
    assert all(text.strip() for _, text in items)
    texts, gold = labelled.clear_cases()
    assert len(texts) == len(gold) <= len(items)
    assert {"positive", "negative"} == set(gold)
    if labelled.rated:
        assert all(-4.0 <= r <= 4.0 for r, _ in items)
        assert len(texts) < len(items)  # the mildly rated items are left out


def test_a_broken_line_is_named(tmp_path, monkeypatch):
    with gzip.open(tmp_path / "bad.tsv.gz", "wt", encoding="utf-8") as fh:
        fh.write("1\t2.5\tfine\n2\tnot-a-number\tbroken\n")
    monkeypatch.setattr(sets, "SETS_DIR", tmp_path)
    bad = sets.LabelledSet("bad", "test", "en", "here", "none", "bad.tsv.gz", True)
    with pytest.raises(ValueError, match="bad.tsv.gz line 2"):
        bad.items()
    with pytest.raises(KeyError, match="hutto-tweets"):
        sets.by_name("nope")


def test_training_set_is_flagged_and_the_others_are_held_out():
    from rapport.listening.nlp.sentiment import EXTRA_SET

    assert {s.name for s in sets.SETS if s.training} == {EXTRA_SET}
    kinds = {s.kind for s in sets.SETS if not s.training}
    assert {"general tweets", "product reviews"} <= kinds


def test_polarity_features_negation_boosters_and_but():
    f = polarity_features(
        ["this is good", "this is not good", "this is very good", "the food was good but the service was awful", ""]
    )
    good, not_good, very_good, but, empty = f
    assert good[_NET] > 0 > not_good[_NET]
    assert not_good[_NEGATED] == 1 and good[_NEGATED] == 0
    assert very_good[_NET] > good[_NET]
    assert but[_NET] < 0 and but[_AFTER_BUT] < 0  # the clause after "but" decides
    assert not empty.any()
    assert polarity_features([":)"])[0][_NET] > 0 > polarity_features([":("])[0][_NET]


def test_polarity_features_are_per_text_in_a_batch():
    texts = ["not bad", "bad but not terrible", "great", "awful, not great at all"]
    batch = polarity_features(texts)
    for row, text in zip(batch, texts, strict=True):
        assert (row == polarity_features([text])[0]).all()
    # The other languages' model reads the first five columns alone: the same numbers, without VADER's work.
    assert (polarity_features(texts, afinn_only=True) == batch[:, :5]).all()
    assert batch[0, 3] == 1.0  # "not bad": one negated rated word, so the comparison is not of zeros


def test_model_beats_majority_baseline_on_held_out_sample(trained_model):
    rng = random.Random(11)
    for name in ("hutto-tweets", "uci-amazon"):
        texts, gold = sets.by_name(name).clear_cases()
        sample = rng.sample(range(len(texts)), 300)
        t, g = [texts[i] for i in sample], [gold[i] for i in sample]
        pred = [lab for lab, _ in score_sentiment(t, ["en"] * len(t))]
        majority = max(set(g), key=g.count)
        assert _binary_f1(g, pred) > _binary_f1(g, [majority] * len(g)) + 0.2, name


def test_labelled_sets_report_names_source_licence_and_counts(trained_model):
    report = labelled_sets(names=["uci-yelp"])
    row = report["uci-yelp"]
    assert set(report) == {"uci-yelp"}
    assert row["licence"] == "CC BY 4.0" and "UCI" in row["source"]
    assert row["size"] == row["clear_cases"] == 1000 and row["held_out"]
    assert 0.0 <= row["rapport_macro_f1"] <= 1.0 and 0.0 <= row["vader_macro_f1"] <= 1.0
