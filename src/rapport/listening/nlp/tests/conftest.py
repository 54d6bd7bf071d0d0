"""Shared fixtures: one trained sentiment model per test session, in a temporary RAPPORT_HOME."""

from __future__ import annotations

import pytest

from rapport.listening.nlp import data, sentiment


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory):
    """Build the model once per session into a temp RAPPORT_HOME; skip if Tweets.csv is absent."""
    if not data.tweets_path().exists():
        pytest.skip(f"training data not found at {data.tweets_path()} (set RAPPORT_DATA_DIR)")
    home = tmp_path_factory.mktemp("rapport_home")
    mp = pytest.MonkeyPatch()
    mp.setenv("RAPPORT_HOME", str(home))
    sentiment.reset_cache()
    info = sentiment.build_models(data.models_dir())
    yield info
    sentiment.reset_cache()
    mp.undo()
