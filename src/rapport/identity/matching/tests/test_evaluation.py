"""Evaluation goals on a small generated set: train on one seed, evaluate on another."""

import pytest

from rapport.identity.matching.evaluate import evaluate, evaluate_linking, train_matcher


@pytest.fixture(scope="module")
def trained():
    return train_matcher(seed=11, n_pairs=2000)


def test_pairwise_goals(trained):
    res = evaluate(matcher=trained, seed=12, n_pairs=2000)
    auto = res["auto"]
    assert auto.precision >= 0.99, auto
    assert auto.f1 >= 0.95, auto
    assert res["blocking_recall"] >= 0.95


def test_end_to_end_linking_precision(trained):
    res = evaluate_linking(matcher=trained, seed=12, n_contacts=2000)
    assert res["precision"] >= 0.99, res
    assert res["f1"] >= 0.95, res
